"""A small synthetic class with known answers, for the report and export tests.

Assignment ``01_data_types`` (due 2026-03-02 23:59 UTC) with five graded cells:
``test_q1`` (question ``q1``, 1 point), ``test_bits_2`` and ``test_bits_33``
(question ``bits``, parts "2" and "33", 1 point each), ``test_hard`` (question
``hard``, 1 point) and ``written_why`` (graded by hand, 2 points).

=========  ==============  =====  ======  ======  =====  ====  =====
student    name            q1     bits_2  bits_33 hard   why   total
=========  ==============  =====  ======  ======  =====  ====  =====
u1001      Amara Okoye     1      1       1       1      2     6
u1002      Bruno Lindqvist 1      1       0 slip  0 x    1.5   3.5  (27 h late)
u1003      Chiara Fontana  0 (7)  1       0 slip  blank  1     2    (10 min late)
u1004      Dawit Bekele    1      0 rev   0 rev   0 x    1     2
u1005      Elin Sandberg   blank  blank   blank   blank  0     0
u1006      Farid Haddad    0 (*)  1       0 slip  error  pend. 1
=========  ==============  =====  ======  ======  =====  ====  =====

slip = "00100011" (place_value_slip), rev = reversed_bits ("01000000" for 2,
"10000100" for 33), x = "x" (not catalogued), (*) = "Farid" (names a learner),
error = could not be graded, pend. = waiting for a grader.
"""

from __future__ import annotations

import pathlib
import shutil

from tools.report.late_policy import PerDayLatePenalty
from tools.report.synthetic import (
    Answer,
    AssignmentSpec,
    CellSpec,
    StudentSpec,
    SubmissionSpec,
    write_class,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
A1 = "01_data_types"
DUE = "2026-03-02 23:59:00 UTC"
ON_TIME = "2026-03-01 12:00:00 UTC"

STUDENTS = [
    StudentSpec("u1001", "Amara", "Okoye", "amara.okoye@example.edu"),
    StudentSpec("u1002", "Bruno", "Lindqvist", "bruno.lindqvist@example.edu"),
    StudentSpec("u1003", "Chiara", "Fontana", "chiara.fontana@example.edu"),
    StudentSpec("u1004", "Dawit", "Bekele", "dawit.bekele@example.edu"),
    StudentSpec("u1005", "Elin", "Sandberg", "elin.sandberg@example.edu"),
    StudentSpec("u1006", "Farid", "Haddad", "farid.haddad@example.edu"),
]

CELLS = [
    CellSpec("test_q1", 1.0, "q1"),
    CellSpec("test_bits_2", 1.0, "bits", "2"),
    CellSpec("test_bits_33", 1.0, "bits", "33"),
    CellSpec("test_hard", 1.0, "hard"),
    CellSpec("written_why", 2.0),
]

RIGHT = Answer("right", "ok", "ok")
BLANK = Answer("blank")
SLIP = Answer("wrong", "00100011", "00100011", "place_value_slip")
X = Answer("wrong", "x", "x")


def _sub(student, q1, b2, b33, hard, why, timestamp=ON_TIME):
    return SubmissionSpec(student, A1, timestamp, answers={
        "test_q1": q1, "test_bits_2": b2, "test_bits_33": b33, "test_hard": hard},
        manual={"written_why": why})


SUBMISSIONS = [
    _sub("u1001", RIGHT, RIGHT, RIGHT, RIGHT, 2.0),
    _sub("u1002", RIGHT, RIGHT, SLIP, X, 1.5, "2026-03-04 02:59:00 UTC"),
    _sub("u1003", Answer("wrong", 7, "7"), RIGHT, SLIP, BLANK, 1.0,
         "2026-03-03 00:09:00 UTC"),
    _sub("u1004", RIGHT, Answer("wrong", "01000000", "01000000", "reversed_bits"),
         Answer("wrong", "10000100", "10000100", "reversed_bits"), X, 1.0),
    _sub("u1005", BLANK, BLANK, BLANK, BLANK, 0.0),
    _sub("u1006", Answer("wrong", "Farid", "Farid"), RIGHT, SLIP, Answer("error"),
         None),
]

CATALOGUE = {"bits": {"place_value_slip": "a place value added twice or skipped",
                      "reversed_bits": "the bits written lowest place first"},
             "q1": {"unused": "a mistake nobody made"}}


def course(root: pathlib.Path) -> pathlib.Path:
    """An empty course folder with the repository's nbgrader_config.py."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    return root


def small_class(root: pathlib.Path) -> pathlib.Path:
    """Write the class above (gradebook, verdicts, penalties) into ``root``."""
    course(root)
    write_class(root, STUDENTS, [AssignmentSpec(A1, CELLS, DUE)], SUBMISSIONS,
                plugin=PerDayLatePenalty(percent_per_day=10, max_percent=50,
                                         grace_minutes=15))
    return root
