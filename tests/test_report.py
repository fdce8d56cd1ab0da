"""The item-analysis report on a small class with known answers (tests/report_class).

Every number of the CSV is checked against a computation written out here: the
item and rest scores are listed by hand from the class table, correlations come
from the standard library's ``statistics.correlation`` (not our code), and the
27 % groups are picked by hand.
"""

from __future__ import annotations

import base64
import csv
import json
import math
import re
import statistics
import subprocess
import sys

import pytest

from tests import report_class as rc
from tools.report.build import build_report

QUESTION_COLUMNS = ["points", "n", "facility", "item_rest_r", "upper_lower_d",
                    "blank", "could_not_be_graded", "pending_manual"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = rc.small_class(tmp_path_factory.mktemp("class"))
    catalogue = root / "mistakes.json"
    catalogue.write_text(json.dumps(rc.CATALOGUE))
    paths = build_report(root, catalogue=catalogue)
    with open(paths["csv"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    return root, paths, rows


def _question(rows, question):
    (row,) = [r for r in rows if r["section"] == "question"
              and r["question"] == question]
    return row


def _close(text, expected):
    if expected is None:
        return text == ""
    return math.isclose(float(text), expected, abs_tol=5e-5)


# The class, by hand: totals of u1001..u1006 (raw, before late penalties).
TOTALS = [6, 3.5, 2, 2, 0, 1]

EXPECTED = {
    # q1 (1 point), all six learners: item = [1, 1, 0, 1, 0, 0]
    "q1": dict(points=1, n=6, facility=3 / 6,
               item_rest_r=statistics.correlation([1, 1, 0, 1, 0, 0],
                                                  [5, 2.5, 2, 1, 0, 1]),
               # 27 % of 6 = 1.62 -> 2 learners a group; top by total: u1001 (6),
               # u1002 (3.5) scored 1, 1; bottom: u1005 (0), u1006 (1) scored 0, 0
               upper_lower_d=(1 + 1) / 2 - (0 + 0) / 2,
               blank=1, could_not_be_graded=0, pending_manual=0),
    # bits (2 points: parts 2 and 33): item = [2, 1, 1, 0, 0, 1]
    "bits": dict(points=2, n=6, facility=5 / 12,
                 item_rest_r=statistics.correlation([2, 1, 1, 0, 0, 1],
                                                    [4, 2.5, 1, 2, 0, 0]),
                 upper_lower_d=((2 + 1) / 2 - (0 + 1) / 2) / 2,
                 blank=1, could_not_be_graded=0, pending_manual=0),
    # hard: u1006's answer could not be graded, so n = 5, item = [1, 0, 0, 0, 0];
    # 27 % of 5 = 1.35 -> 1 learner a group: u1001 (1) against u1005 (0)
    "hard": dict(points=1, n=5, facility=1 / 5,
                 item_rest_r=statistics.correlation([1, 0, 0, 0, 0],
                                                    [5, 3.5, 2, 2, 0]),
                 upper_lower_d=1 - 0, blank=2, could_not_be_graded=1,
                 pending_manual=0),
    # written_why (2 points): u1006 waits for a grader, n = 5, item = [2,1.5,1,1,0]
    "written_why": dict(points=2, n=5, facility=5.5 / 10,
                        item_rest_r=statistics.correlation([2, 1.5, 1, 1, 0],
                                                           [4, 2, 1, 1, 0]),
                        upper_lower_d=(2 - 0) / 2, blank=None,
                        could_not_be_graded=0, pending_manual=1),
}


@pytest.mark.parametrize("question", sorted(EXPECTED))
def test_question_statistics_match_the_hand_computation(built, question):
    row = _question(built[2], question)
    for column in QUESTION_COLUMNS:
        assert _close(row[column], EXPECTED[question][column]), (question, column,
                                                                 row[column])


def test_only_the_hard_question_is_flagged(built):
    rows = [r for r in built[2] if r["section"] == "question"]
    flagged = {r["question"]: r["flag"] for r in rows if r["flag"]}
    assert set(flagged) == {"hard"}
    assert flagged["hard"].startswith("facility 0.20 (below 0.30)")


def test_wrong_answers_are_counted_per_part(built):
    wrong = {(r["question"], r["part"], r["answer_text"]):
             (r["count"], r["of"], r["mistake"], r["misconception"])
             for r in built[2] if r["section"] == "wrong_answer"}
    assert wrong == {
        ("q1", "", "7"): ("1", "6", "", "no catalogued mistake"),
        ("q1", "", "(an answer that names a learner)"):
            ("1", "6", "", "no catalogued mistake"),
        ("bits", "2", "01000000"): ("1", "6", "reversed_bits",
                                    "the bits written lowest place first"),
        ("bits", "33", "00100011"): ("3", "6", "place_value_slip",
                                     "a place value added twice or skipped"),
        ("bits", "33", "10000100"): ("1", "6", "reversed_bits",
                                     "the bits written lowest place first"),
        # u1006's "hard" could not be graded: 5 answers, two wrong "x"
        ("hard", "", "x"): ("2", "5", "", "no catalogued mistake"),
    }


def test_the_html_says_the_wrong_answer_sentence(built):
    html = built[1]["html"].read_text()
    assert ("3 of 6 wrote 00100011 for 33 (a place value added twice or skipped)"
            in html)


STUDENT_ROWS = {
    # raw, max, pending, late days, penalty, score, status
    "u1001": ("6", "6", "0", "0", "0", "6", "graded"),
    # 27 h late, less the 15-minute grace = 1 day 2 h 45 min: 2 started days,
    # 2 x 10 % of 3.5 = 0.7 points
    "u1002": ("3.5", "6", "0", "2", "0.7", "2.8", "graded"),
    # 10 minutes late: within the grace period
    "u1003": ("2", "6", "0", "0", "0", "2", "graded"),
    "u1004": ("2", "6", "0", "0", "0", "2", "graded"),
    "u1005": ("0", "6", "0", "0", "0", "0", "graded"),
    "u1006": ("1", "6", "1", "0", "0", "1", "graded"),
}


def test_student_rows(built):
    got = {r["student_id"]: (r["raw_score"], r["max_score"], r["pending_manual"],
                             r["late_days"], r["penalty"], r["score"], r["status"])
           for r in built[2] if r["section"] == "student"}
    assert got == STUDENT_ROWS


def _section(html: str, name: str) -> str:
    match = re.search(rf'<section id="{name}".*?</section>', html, re.S)
    assert match, f"no section {name}"
    return match.group(0)


def test_question_section_and_figures_name_no_student(built):
    html = built[1]["html"].read_text()
    questions = _section(html, "questions")
    svgs = [base64.b64decode(b).decode() for b in
            re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', questions)]
    assert len(svgs) == 3
    assert all("<text" in svg for svg in svgs), "figure text is kept as text"
    text = re.sub(r'src="data:[^"]+"', "", questions)
    for s in rc.STUDENTS:
        for token in (s.id, s.first_name, s.last_name, s.email):
            for where, content in [("question section", text)] + [
                    (f"figure {i}", svg) for i, svg in enumerate(svgs)]:
                assert token.lower() not in content.lower(), (token, where)
    students = _section(html, "students")
    assert "this section names students" in students
    assert all(s.id in students for s in rc.STUDENTS)


def test_question_rows_of_the_csv_name_no_student(built):
    tokens = [t.lower() for s in rc.STUDENTS
              for t in (s.id, s.first_name, s.last_name, s.email)]
    for row in built[2]:
        if row["section"] == "student":
            continue
        line = " ".join(row.values()).lower()
        assert not [t for t in tokens if t in line], row


def test_without_students_leaves_the_section_out(built, tmp_path):
    root = built[0]
    paths = build_report(root, tmp_path, include_students=False)
    assert 'id="students"' not in paths["html"].read_text()
    with open(paths["csv"], newline="") as handle:
        assert {r["section"] for r in csv.DictReader(handle)} == {
            "question", "wrong_answer"}


def test_make_report_hook_writes_both_files(built, tmp_path):
    """`make report` runs `python -m tools.instructor report`: run that command."""
    out = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "tools.instructor", "--root",
         str(built[0]), "report", "--out", str(out)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (out / "item_analysis.csv").stat().st_size > 0
    assert (out / "item_analysis.html").read_text().startswith("<!DOCTYPE html>")
