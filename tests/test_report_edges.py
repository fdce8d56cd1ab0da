"""The report still comes out for an awkward class, and bad verdicts are refused.

One gradebook holds a student who submitted nothing, a notebook that could not
be graded, a question nobody answered, a graded submission without a verdicts
file and a question that every learner got right (no spread, so no r).
"""

from __future__ import annotations

import csv
import json

import pytest

from tests import report_class as rc
from tools.report.build import build_report
from tools.report.synthetic import (
    Answer,
    AssignmentSpec,
    CellSpec,
    StudentSpec,
    SubmissionSpec,
    write_class,
)
from tools.report.verdicts import VerdictsError

A = "02_loading_models"
CELLS = [CellSpec("test_easy", 1.0, "easy"), CellSpec("test_none", 2.0, "none"),
         CellSpec("written_w", 1.0)]
RIGHT, BLANK = Answer("right", 1, "1"), Answer("blank")


def _awkward(root):
    rc.course(root)
    students = [StudentSpec(f"v{i}", f"First{i}", f"Last{i}") for i in range(1, 6)]
    subs = [
        SubmissionSpec("v1", A, answers={"test_easy": RIGHT, "test_none": BLANK},
                       manual={"written_w": 1.0}),
        SubmissionSpec("v2", A, answers={"test_easy": RIGHT, "test_none": BLANK},
                       manual={"written_w": 0.5}),
        SubmissionSpec("v3", A, answers={"test_easy": RIGHT, "test_none": BLANK},
                       manual={"written_w": None}, verdicts=False),
        SubmissionSpec("v4", A, status="error",
                       reason="the notebook file is not a valid notebook"),
        # v5 submitted nothing
    ]
    write_class(root, students, [AssignmentSpec(A, CELLS, rc.DUE)], subs)
    return root


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    root = _awkward(tmp_path_factory.mktemp("awkward"))
    paths = build_report(root)
    assert "<svg" not in paths["html"].read_text()  # figures are data URIs
    with open(paths["csv"], newline="") as handle:
        return list(csv.DictReader(handle)), paths["html"].read_text()


def _row(rows, section, **match):
    found = [r for r in rows if r["section"] == section
             and all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (section, match, found)
    return found[0]


def test_a_question_nobody_answered(rows):
    row = _row(rows[0], "question", question="none")
    # v1..v3 graded (v3 without verdicts: its score 0 counts, its blank is unknown)
    assert (row["n"], row["facility"], row["item_rest_r"], row["blank"]) == (
        "3", "0", "", "2")
    assert row["upper_lower_d"] == "0"
    assert row["could_not_be_graded"] == "1"  # v4's notebook
    assert not [r for r in rows[0] if r["section"] == "wrong_answer"]


def test_a_question_everyone_got_right_has_no_correlation(rows):
    row = _row(rows[0], "question", question="easy")
    assert (row["facility"], row["item_rest_r"], row["flag"]) == ("1", "", "")


def test_the_student_who_submitted_nothing_and_the_ungradable_notebook(rows):
    v5 = _row(rows[0], "student", student_id="v5")
    assert (v5["status"], v5["score"], v5["timestamp"]) == ("not submitted", "0", "")
    v4 = _row(rows[0], "student", student_id="v4")
    assert v4["status"] == "error: the notebook file is not a valid notebook"
    v3 = _row(rows[0], "student", student_id="v3")
    assert v3["pending_manual"] == "1"


def test_the_report_notes_submissions_without_verdicts(rows):
    assert "1 graded submission(s) have no verdicts.json" in rows[1]


def test_a_malformed_verdicts_file_stops_the_report_naming_it(tmp_path):
    root = rc.small_class(tmp_path / "class")
    path = root / "autograded" / "u1003" / rc.A1 / "verdicts.json"
    data = json.loads(path.read_text())
    data["cells"]["test_q1"]["outcome"] = "half right"
    path.write_text(json.dumps(data))
    with pytest.raises(VerdictsError, match=r"u1003/01_data_types/verdicts.json: "
                       r"cells\['test_q1'\]: outcome should be one of"):
        build_report(root)
    assert not (root / "reports").exists()


def test_a_class_with_no_submissions_gives_an_empty_report(tmp_path):
    root = rc.course(tmp_path)
    write_class(root, [StudentSpec("w1")], [AssignmentSpec(A, CELLS)], [])
    with open(build_report(root)["csv"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["n"] for r in rows if r["section"] == "question"} == {"0"}
    assert [r["status"] for r in rows if r["section"] == "student"] == [
        "not submitted"]
