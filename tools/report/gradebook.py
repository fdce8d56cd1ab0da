"""Read nbgrader's gradebook into plain records: cells, students, submissions.

Three column queries instead of nbgrader's object-by-object walk, so a class of
hundreds reads in a fraction of a second. Scores follow nbgrader's rule: the
manual score if there is one, else the autograded score, else 0, plus extra
credit; a cell still waiting for a grader is "pending".
"""

from __future__ import annotations

import datetime as dt
import pathlib
from dataclasses import dataclass, field

from tools.report.late_policy import seconds_late


@dataclass(frozen=True)
class Cell:
    """A graded cell of an assignment (its grade id, points and kind)."""

    assignment: str
    name: str
    max_score: float
    cell_type: str


@dataclass
class AssignmentInfo:
    """An assignment: due date and graded cells."""

    name: str
    duedate: dt.datetime | None
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def max_score(self) -> float:
        return sum(cell.max_score for cell in self.cells.values())


@dataclass(frozen=True)
class Student:
    """A student as the gradebook knows them."""

    id: str
    first_name: str
    last_name: str
    email: str


@dataclass
class Submission:
    """One student's submission of one assignment, as graded."""

    assignment: str
    student: str
    timestamp: dt.datetime | None
    seconds_late: float
    penalty: float
    scores: dict[str, float] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)

    @property
    def raw_score(self) -> float:
        return sum(self.scores.values())

    @property
    def score(self) -> float:
        """The score after the late penalty (never below 0)."""
        return max(0.0, self.raw_score - self.penalty)


@dataclass
class Gradebook:
    """Everything the report and the exports read from ``gradebook.db``."""

    course_id: str
    assignments: dict[str, AssignmentInfo]
    students: dict[str, Student]
    submissions: dict[tuple[str, str], Submission]


def read_gradebook(db: pathlib.Path | str, course_id: str) -> Gradebook:
    """Read assignments, students and submissions (keyed ``(student, assignment)``).

    Raises:
        ValueError: no such file, or an assignment with two notebooks that use
            the same grade id (verdicts name cells by grade id alone).

    >>> import tempfile
    >>> from tools.report import synthetic as sy
    >>> db = sy.write_class(pathlib.Path(tempfile.mkdtemp()), [sy.StudentSpec("s1")],
    ...     [sy.AssignmentSpec("a", [sy.CellSpec("test_q", 2.0, "q")])],
    ...     [sy.SubmissionSpec("s1", "a", answers={"test_q": sy.Answer("right", 1)})])
    >>> read_gradebook(db, sy.COURSE_ID).submissions[("s1", "a")].scores
    {'test_q': 2.0}
    """
    from nbgrader.api import Gradebook as NbGradebook

    path = pathlib.Path(str(db).removeprefix("sqlite:///"))
    if not path.is_file():
        raise ValueError(f"no gradebook at {path}: run `make grade` first")
    with NbGradebook(f"sqlite:///{path}", course_id) as gb:
        assignments = _assignments(gb, course_id)
        students = {s.id: Student(s.id, s.first_name or "", s.last_name or "",
                                  s.email or "") for s in gb.students}
        submissions = _submissions(gb, course_id, assignments)
    return Gradebook(course_id, assignments, students, submissions)


def _assignments(gb, course_id: str) -> dict[str, AssignmentInfo]:
    from nbgrader.api import Assignment, GradeCell, Notebook

    found: dict[str, AssignmentInfo] = {}
    for assignment in (gb.db.query(Assignment)
                       .filter(Assignment.course_id == course_id)
                       .order_by(Assignment.name)):
        found[assignment.name] = AssignmentInfo(assignment.name, assignment.duedate)
    rows = (gb.db.query(Assignment.name, Notebook.name, GradeCell.name,
                        GradeCell.max_score, GradeCell.cell_type)
            .join(Notebook, Notebook.assignment_id == Assignment.id)
            .join(GradeCell, GradeCell.notebook_id == Notebook.id)
            .filter(Assignment.course_id == course_id)
            .order_by(Assignment.name, Notebook.name, GradeCell.name))
    for assignment, notebook, name, max_score, cell_type in rows:
        cells = found[assignment].cells
        if name in cells:
            raise ValueError(f"{assignment}: two notebooks have the grade id {name!r} "
                             f"(one is {notebook}); the report needs unique grade ids")
        cells[name] = Cell(assignment, name, float(max_score), cell_type)
    return found


def _submissions(gb, course_id: str, assignments: dict[str, AssignmentInfo]
                 ) -> dict[tuple[str, str], Submission]:
    from nbgrader.api import (
        Assignment,
        Grade,
        GradeCell,
        SubmittedAssignment,
        SubmittedNotebook,
    )

    found: dict[tuple[str, str], Submission] = {}
    rows = (gb.db.query(Assignment.name, SubmittedAssignment.student_id,
                        SubmittedAssignment.timestamp, SubmittedAssignment.extension,
                        Assignment.duedate)
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
            .filter(Assignment.course_id == course_id))
    for assignment, student, timestamp, extension, duedate in rows:
        found[(student, assignment)] = Submission(
            assignment, student, timestamp,
            seconds_late(timestamp, duedate, extension), 0.0)
    penalties = (gb.db.query(Assignment.name, SubmittedAssignment.student_id,
                             SubmittedNotebook.late_submission_penalty)
                 .join(SubmittedAssignment,
                       SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                 .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                 .filter(Assignment.course_id == course_id))
    for assignment, student, penalty in penalties:
        found[(student, assignment)].penalty += penalty or 0.0
    grades = (gb.db.query(Assignment.name, SubmittedAssignment.student_id,
                          GradeCell.name, Grade.auto_score, Grade.manual_score,
                          Grade.extra_credit, Grade.needs_manual_grade)
              .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
              .join(SubmittedAssignment,
                    SubmittedNotebook.assignment_id == SubmittedAssignment.id)
              .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
              .join(GradeCell, Grade.cell_id == GradeCell.id)
              .filter(Assignment.course_id == course_id))
    for assignment, student, name, auto, manual, extra, needs_manual in grades:
        sub = found[(student, assignment)]
        base = manual if manual is not None else auto if auto is not None else 0.0
        sub.scores[name] = float(base) + float(extra or 0.0)
        if needs_manual:
            sub.pending.add(name)
    return found
