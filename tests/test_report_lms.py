"""Grades for Canvas and Moodle: exact files for a small class, clear errors.

The class is tests/report_class plus u1007, who submitted nothing. u1002 was
27 h late (2 days, -0.70 points), u1006 still waits for a grader (left empty).
"""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from tests import report_class as rc
from tools.report.build import student_rows
from tools.report.late_policy import PerDayLatePenalty
from tools.report.lms import MappingError, read_mapping, write_lms
from tools.report.synthetic import AssignmentSpec, StudentSpec, write_class

MAPPING = """\
student_id,name,lms_user_id,sis_user_id,sis_login_id,section,email
u1001,"Okoye, Amara",1001,S1001,aokoye,Section 1,amara.okoye@example.edu
u1002,"Lindqvist, Bruno",1002,S1002,blindqvist,Section 1,bruno.lindqvist@example.edu
u1003,"Fontana, Chiara",1003,S1003,cfontana,Section 2,chiara.fontana@example.edu
u1004,"Bekele, Dawit",1004,S1004,dbekele,Section 2,dawit.bekele@example.edu
u1005,"Sandberg, Elin",1005,S1005,esandberg,Section 2,elin.sandberg@example.edu
u1006,"Haddad, Farid",1006,S1006,fhaddad,Section 1,farid.haddad@example.edu
u1007,"Ito, Gus",1007,S1007,gito,Section 1,gus.ito@example.edu
"""

CANVAS = [
    ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_data_types"],
    ["Points Possible", "", "", "", "", "6.00"],
    ["Okoye, Amara", "1001", "S1001", "aokoye", "Section 1", "6.00"],
    ["Lindqvist, Bruno", "1002", "S1002", "blindqvist", "Section 1", "2.80"],
    ["Fontana, Chiara", "1003", "S1003", "cfontana", "Section 2", "2.00"],
    ["Bekele, Dawit", "1004", "S1004", "dbekele", "Section 2", "2.00"],
    ["Sandberg, Elin", "1005", "S1005", "esandberg", "Section 2", "0.00"],
    ["Haddad, Farid", "1006", "S1006", "fhaddad", "Section 1", ""],
    ["Ito, Gus", "1007", "S1007", "gito", "Section 1", "0.00"],
]

MOODLE = [
    ["ID number", "Username", "Email address", "Workbook 1",
     "Workbook 1 (feedback)"],
    ["S1001", "aokoye", "amara.okoye@example.edu", "6.00", ""],
    ["S1002", "blindqvist", "bruno.lindqvist@example.edu", "2.80",
     "2 day(s) late: -0.70 points (raw score 3.50)"],
    ["S1003", "cfontana", "chiara.fontana@example.edu", "2.00", ""],
    ["S1004", "dbekele", "dawit.bekele@example.edu", "2.00", ""],
    ["S1005", "esandberg", "elin.sandberg@example.edu", "0.00", ""],
    ["S1006", "fhaddad", "farid.haddad@example.edu", "", ""],
    ["S1007", "gito", "gus.ito@example.edu", "0.00", "not submitted"],
]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = rc.course(tmp_path_factory.mktemp("lms"))
    students = rc.STUDENTS + [StudentSpec("u1007", "Gus", "Ito")]
    write_class(root, students, [AssignmentSpec(rc.A1, rc.CELLS, rc.DUE)],
                rc.SUBMISSIONS, plugin=PerDayLatePenalty(grace_minutes=15))
    (root / "lms_students.csv").write_text(MAPPING)
    (root / "columns.csv").write_text("assignment,lms_column\n"
                                      "01_data_types,Workbook 1\n")
    return root


def _read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _instructor(root, *args):
    return subprocess.run(
        [sys.executable, "-m", "tools.instructor", "--root",
         str(root), "export", *args], capture_output=True, text=True, timeout=120)


def test_canvas_file_through_the_make_export_hook(course):
    result = _instructor(course, "--lms", "canvas")
    assert result.returncode == 0, result.stderr
    assert _read(course / "grades_canvas.csv") == CANVAS
    assert "u1006/01_data_types (pending manual grading)" in result.stderr


def test_moodle_file_with_named_columns(course, tmp_path):
    to = tmp_path / "moodle.csv"
    count = write_lms(student_rows(course), "moodle", course / "lms_students.csv",
                      to, course / "columns.csv")
    assert count == 7
    assert _read(to) == MOODLE


def test_a_student_missing_from_the_mapping_is_named_and_nothing_is_written(
        course, tmp_path):
    mapping = tmp_path / "partial.csv"
    mapping.write_text("\n".join(line for line in MAPPING.splitlines()
                                 if not line.startswith(("u1003", "u1007"))) + "\n")
    result = _instructor(course, "--lms", "moodle", "--map", str(mapping),
                         "--to", str(tmp_path / "new.csv"))
    assert result.returncode != 0
    assert "2 student(s) of the gradebook are not in" in result.stderr
    assert "u1003, u1007" in result.stderr
    assert not (tmp_path / "new.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["partial.csv"]  # no temp file


def test_an_existing_file_is_left_as_it_was_on_error(course, tmp_path):
    to = tmp_path / "grades_canvas.csv"
    to.write_text("last week's grades\n")
    mapping = tmp_path / "nobody.csv"
    mapping.write_text("student_id,name,lms_user_id\nu1001,A,\n")
    with pytest.raises(MappingError, match="not in"):
        write_lms(student_rows(course), "canvas", mapping, to)
    assert to.read_text() == "last week's grades\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades_canvas.csv",
                                                          "nobody.csv"]


@pytest.mark.parametrize(("text", "message"), [
    ("name,email\nA,a@x\n", "needs a student_id column"),
    ("student_id,canvas_id\nu1,1\n", "unknown column"),
    ("student_id,email\nu1,a@x\nu1,b@x\n", "line 3: student 'u1' is listed twice"),
    ("student_id,email\n,a@x\n", "line 2: student_id is empty"),
])
def test_a_bad_mapping_is_refused(tmp_path, text, message):
    path = tmp_path / "map.csv"
    path.write_text(text)
    with pytest.raises(MappingError, match=message):
        read_mapping(path)


def test_a_student_without_an_lms_identifier_is_named(course, tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text(MAPPING.replace("u1004,\"Bekele, Dawit\",1004,S1004,dbekele,",
                                       "u1004,\"Bekele, Dawit\",,,,"))
    with pytest.raises(MappingError, match=r"no canvas identifier .* for u1004"):
        write_lms(student_rows(course), "canvas", mapping, tmp_path / "out.csv")


def test_plain_export_still_writes_grades_csv(course):
    result = _instructor(course)
    assert result.returncode == 0, result.stderr
    rows = _read(course / "grades.csv")
    assert rows[0] == ["assignment", "student_id", "timestamp", "raw_score",
                       "late_submission_penalty", "score", "max_score",
                       "needs_manual_grade", "autograde_status"]
    u1002 = next(r for r in rows if r[1] == "u1002")
    assert (u1002[3], u1002[4], u1002[5]) == ("3.5", "0.7", "2.8")
