"""A synthetic class for tests and benchmarks: a gradebook plus verdicts.

:func:`write_class` writes exactly what it is told (students, assignments with
their cells, each submission's answers), so a test can compute every number by
hand. :func:`random_class` makes a realistic class on the course's real
workbook layout: learners of varying ability answer questions of varying
difficulty, and a wrong answer is a catalogued mistake, an uncatalogued slip or a
blank; a few learners submit late, nothing, or a notebook that cannot be graded.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import pathlib
import random
import warnings
from dataclasses import dataclass, field
from typing import Any

from tools.report.verdicts import FILENAME, VERSION

COURSE_ID = "quantization-fundamentals"
REPO = pathlib.Path(__file__).resolve().parents[2]
#: Test-cell names that do not start with their question's name.
ALIASES = {"footprint": "footprint_bytes", "model_kept_fp32": "model_bf16"}


@dataclass(frozen=True)
class CellSpec:
    """A graded cell: autograded (``question`` set) or written (``question`` None)."""

    grade_id: str
    max_points: float = 1.0
    question: str | None = None
    part: str | None = None


@dataclass
class AssignmentSpec:
    """An assignment (one notebook of the same name) and its graded cells."""

    name: str
    cells: list[CellSpec]
    duedate: str | None = None


@dataclass(frozen=True)
class StudentSpec:
    """A student of the gradebook."""

    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Answer:
    """A learner's answer to one autograded cell (points: max if right, else 0)."""

    outcome: str
    answer: Any = None
    answer_text: str | None = None
    mistake: str | None = None
    points: float | None = None


@dataclass
class SubmissionSpec:
    """One submission: autograded answers, written scores (None = pending)."""

    student: str
    assignment: str
    timestamp: str = "2026-03-01 12:00:00 UTC"
    status: str = "graded"
    reason: str = ""
    answers: dict[str, Answer] = field(default_factory=dict)
    manual: dict[str, float | None] = field(default_factory=dict)
    verdicts: bool = True


def write_class(root: pathlib.Path, students: list[StudentSpec],
                assignments: list[AssignmentSpec],
                submissions: list[SubmissionSpec], course_id: str = COURSE_ID,
                plugin=None) -> pathlib.Path:
    """Write ``root/gradebook.db``, the verdicts and ``grading_status.json``.

    Cells of a submission left out of ``answers`` / ``manual`` score 0 (and
    have no verdict). With ``plugin`` (a late-submission plugin) the late
    penalties are applied as grading would. Returns the gradebook's path.
    """
    from nbgrader.api import Gradebook

    root = pathlib.Path(root)
    root.mkdir(parents=True, exist_ok=True)
    db = root / "gradebook.db"
    if db.exists():
        raise ValueError(f"{db} exists already: write a synthetic class into an "
                         "empty folder")
    specs = {a.name: a for a in assignments}
    with Gradebook(f"sqlite:///{db}", course_id) as gb:
        for a in assignments:
            gb.add_assignment(a.name, duedate=a.duedate)
            gb.add_notebook(a.name, a.name)
            for cell in a.cells:
                gb.add_grade_cell(cell.grade_id, a.name, a.name,
                                  max_score=cell.max_points,
                                  cell_type="markdown" if cell.question is None
                                  else "code")
                if cell.question is None:
                    gb.add_solution_cell(cell.grade_id, a.name, a.name)
        for s in students:
            gb.add_student(s.id, first_name=s.first_name, last_name=s.last_name,
                           email=s.email)
        _add_submissions(gb, submissions)
        _fill_grades(gb, specs, {(s.student, s.assignment): s for s in submissions})
        if plugin is not None:
            from tools.report.late_policy import refresh_penalties

            refresh_penalties(gb, plugin)
    status = {}
    for sub in submissions:
        status[f"{sub.student}/{sub.assignment}"] = {
            "assignment": sub.assignment, "student": sub.student,
            "status": sub.status, "reason": sub.reason, "seconds": 1.0}
        if sub.verdicts:
            _write_verdicts(root, specs[sub.assignment], sub)
    (root / "autograded").mkdir(exist_ok=True)
    (root / "autograded" / "grading_status.json").write_text(
        json.dumps(status, indent=1, sort_keys=True) + "\n")
    return db


def _add_submissions(gb, submissions: list[SubmissionSpec]) -> None:
    """What nbgrader's ``Gradebook.add_submission`` builds, in one commit."""
    from nbgrader import utils
    from nbgrader.api import Comment, Grade, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy.exc import SAWarning

    assignments = {a.name: a for a in gb.assignments}
    students = {s.id: s for s in gb.students}
    with warnings.catch_warnings(), gb.db.no_autoflush:
        warnings.simplefilter("ignore", SAWarning)
        for sub in submissions:
            made = SubmittedAssignment(assignment=assignments[sub.assignment],
                                       student=students[sub.student],
                                       timestamp=utils.parse_utc(sub.timestamp))
            for notebook in made.assignment.notebooks:
                nb = SubmittedNotebook(notebook=notebook, assignment=made)
                for cell in notebook.grade_cells:
                    Grade(cell_id=cell.id, notebook=nb)
                for cell in notebook.solution_cells:
                    Comment(cell_id=cell.id, notebook=nb)
            gb.db.add(made)
    gb.db.commit()


def _fill_grades(gb, specs: dict[str, AssignmentSpec], subs: dict) -> None:
    from nbgrader.api import (
        Assignment,
        Grade,
        GradeCell,
        SubmittedAssignment,
        SubmittedNotebook,
    )

    rows = (gb.db.query(Grade, Assignment.name, SubmittedAssignment.student_id,
                        GradeCell.name)
            .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
            .join(SubmittedAssignment,
                  SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
            .join(GradeCell, Grade.cell_id == GradeCell.id))
    for grade, assignment, student, name in rows:
        sub = subs[(student, assignment)]
        cell = next(c for c in specs[assignment].cells if c.grade_id == name)
        if sub.status != "graded":  # as the pipeline records a failure: all 0
            grade.auto_score, grade.needs_manual_grade = 0.0, False
        elif cell.question is None:
            score = sub.manual.get(name, 0.0)
            grade.auto_score, grade.manual_score = None, score
            grade.needs_manual_grade = score is None
        else:
            answer = sub.answers.get(name, Answer("blank"))
            grade.auto_score = _points(answer, cell)
            grade.needs_manual_grade = False
    gb.db.commit()


def _points(answer: Answer, cell: CellSpec) -> float:
    if answer.points is not None:
        return float(answer.points)
    return cell.max_points if answer.outcome == "right" else 0.0


def _write_verdicts(root: pathlib.Path, spec: AssignmentSpec,
                    sub: SubmissionSpec) -> None:
    cells = {}
    for cell in spec.cells:
        if cell.question is None or sub.status != "graded":
            continue
        answer = sub.answers.get(cell.grade_id, Answer("blank"))
        text = answer.answer_text
        if text is None:
            text = "" if answer.answer is None else str(answer.answer)
        cells[cell.grade_id] = {
            "question": cell.question, "part": cell.part,
            "points": _points(answer, cell), "max_points": cell.max_points,
            "outcome": answer.outcome, "answer": answer.answer, "answer_text": text,
            "mistake": answer.mistake,
            "message": "" if answer.outcome == "right" else "not quite: see the hint"}
    data = {"version": VERSION, "assignment": sub.assignment, "student": sub.student,
            "sandboxed": True, "status": sub.status, "reason": sub.reason,
            "cells": cells}
    folder = root / "autograded" / sub.student / sub.assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FILENAME).write_text(json.dumps(data, indent=1))


# ----------------------------------------------------------- a realistic class

DUE = {"01_data_types": "2026-03-02 23:59:00 UTC",
       "02_loading_models": "2026-03-16 23:59:00 UTC",
       "03_linear_quantization": "2026-03-30 23:59:00 UTC"}
FIRST = ["Ada", "Ben", "Chloe", "Dmitri", "Emeka", "Farah", "Goran", "Hana",
         "Ines", "Jonas", "Keiko", "Luis", "Mira", "Nadia", "Omar", "Priya"]
LAST = ["Abara", "Berg", "Castillo", "Dahl", "Eze", "Fischer", "Gupta", "Horvat",
        "Ito", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor"]


def course_layout(repo: pathlib.Path = REPO) -> list[AssignmentSpec]:
    """The course's graded cells (from ``source/``), questions named as in checks."""
    from course_utils.checks import QUESTIONS

    layout = []
    for name in sorted(QUESTIONS):
        nb = json.loads((repo / "source" / name / f"{name}.ipynb").read_text())
        names = sorted([*QUESTIONS[name], *ALIASES], key=len, reverse=True)
        cells = []
        for c in nb["cells"]:
            meta = c.get("metadata", {}).get("nbgrader", {})
            if not meta.get("grade"):
                continue
            grade_id, question, part = meta["grade_id"], None, None
            if not meta.get("solution"):
                question = next((q for q in names if grade_id == f"test_{q}" or
                                 grade_id.startswith(f"test_{q}_")), grade_id)
                rest = grade_id.removeprefix(f"test_{question}")
                part = rest[1:] if rest else None
                question = ALIASES.get(question, question)
            cells.append(CellSpec(grade_id, float(meta["points"]), question, part))
        layout.append(AssignmentSpec(name, cells, DUE.get(name)))
    return layout


#: Canonical answers of some workbook questions: right, by mistake, other wrong.
KNOWN: dict[str, tuple[Any, dict[str, Any], list[Any]]] = {
    "uint8_range": ([0, 255], {"off_by_one_max": [0, 256]}, [[1, 255], [0, 127]]),
    "int8_range": ([-128, 127], {"symmetric_range": [-127, 127],
                                 "unsigned_range": [0, 255]},
                   [[-128, 128], [-256, 255], [-127, 128]]),
    "value_unsigned": (213, {"read_signed": -43}, [171, 212, 85]),
    "value_signed": (-43, {"read_unsigned": 213, "sign_magnitude": -85},
                     [-42, 43, -213]),
    "range_field": ("exponent", {"swapped_fields": "fraction"}, ["sign"]),
    "precision_field": ("fraction", {"swapped_fields": "exponent"}, ["sign"]),
    "better_scheme": ("symmetric", {"picked_larger_error": "asymmetric"},
                      ["per_tensor"]),
}
FIELDS = {"fp32": (8, 23), "fp16": (5, 10), "bf16": (8, 7)}


def _answers(question: str, part: str | None, mistakes: list[str],
             rng: random.Random) -> tuple[Any, dict[str, Any], list[Any]]:
    """(right answer, mistake -> wrong answer, uncatalogued wrong answers)."""
    if question in KNOWN:
        right, wrong, others = KNOWN[question]
        return right, {m: wrong.get(m, f"{m}!") for m in mistakes}, others
    if question == "float_fields" and part in FIELDS:
        e, f = FIELDS[part]
        return [e, f], {"sign_counted": [e + 1, f], "swapped_fields": [f, e]}, [
            [e, f + 1], [e - 1, f], [8, 8]]
    if question == "uint8_bits" and part and part.isdigit():
        k = int(part)
        right = format(k, "08b")
        wrong = {"place_value_slip": format(k ^ 2, "08b"),
                 "reversed_bits": right[::-1],
                 "missing_leading_zeros": format(k, "b")}
        return right, {m: wrong.get(m, f"{m}!") for m in mistakes}, [
            format(k + 1, "08b"), format(k - 1, "08b"), format(2 * k % 256, "08b")]
    right = f"{question}{'/' + part if part else ''}"
    return right, {m: f"{right}~{m}" for m in mistakes}, [
        f"{right}?{i}" for i in range(1, 8)]


def random_class(root: pathlib.Path, n_students: int = 300, seed: int = 0,
                 layout: list[AssignmentSpec] | None = None,
                 catalogue: dict[str, dict[str, str]] | None = None,
                 plugin=None) -> dict[str, int]:
    """Write a realistic synthetic class; returns counts of what it holds."""
    from tools.report.catalogue import mistake_descriptions

    rng = random.Random(seed)
    layout = layout if layout is not None else course_layout()
    catalogue = catalogue if catalogue is not None else mistake_descriptions()
    students = [StudentSpec(f"s{i:04d}", rng.choice(FIRST), rng.choice(LAST),
                            f"s{i:04d}@example.edu") for i in range(n_students)]
    ability = {s.id: rng.gauss(0, 1) for s in students}
    difficulty = {c.grade_id: (rng.uniform(-2.6, 0.9), rng.uniform(0.2, 2.2))
                  for a in layout for c in a.cells}
    subs, counts = [], {"submissions": 0, "late": 0, "not_submitted": 0, "errors": 0}
    for a in layout:
        due = dt.datetime.strptime(a.duedate or DUE["01_data_types"],
                                   "%Y-%m-%d %H:%M:%S UTC")
        for s in students:
            draw = rng.random()
            if draw < 0.03:
                counts["not_submitted"] += 1
                continue
            late = rng.random() < 0.12
            offset = rng.expovariate(1 / 1.5) * 86400 if late else -rng.uniform(
                600, 5 * 86400)
            counts["late"] += late
            stamp = (due + dt.timedelta(seconds=offset)).strftime(
                "%Y-%m-%d %H:%M:%S.%f UTC")
            if draw > 0.995:
                counts["errors"] += 1
                subs.append(SubmissionSpec(s.id, a.name, stamp, "error",
                                           "the notebook file is not a valid notebook"))
                continue
            sub = SubmissionSpec(s.id, a.name, stamp)
            for cell in a.cells:
                b, disc = difficulty[cell.grade_id]
                p = 1 / (1 + math.exp(-1.7 * disc * (ability[s.id] - b)))
                if cell.question is None:
                    score = None if rng.random() < 0.05 else round(
                        2 * cell.max_points * min(1.0, p + rng.uniform(-.2, .2))) / 2
                    sub.manual[cell.grade_id] = None if score is None else max(0, score)
                    continue
                sub.answers[cell.grade_id] = _random_answer(
                    cell, p, catalogue.get(cell.question, {}), rng)
            subs.append(sub)
    counts["submissions"] = len(subs)
    write_class(root, students, layout, subs, plugin=plugin)
    return counts


def _random_answer(cell: CellSpec, p: float, mistakes: dict[str, str],
                   rng: random.Random) -> Answer:
    right, catalogued, others = _answers(cell.question, cell.part, sorted(mistakes),
                                         rng)
    draw = rng.random()
    if draw < 0.003:
        return Answer("error")
    if draw < p:
        return Answer("right", right, _text(right))
    if rng.random() < 0.3:
        return Answer("blank")
    if catalogued and rng.random() < 0.65:
        names = sorted(catalogued)
        mistake = rng.choices(names, weights=range(len(names), 0, -1))[0]
        answer = catalogued[mistake]
        return Answer("wrong", answer, _text(answer), mistake)
    wrong = rng.choices(others, weights=[1 / (i + 1) for i in range(len(others))])[0]
    return Answer("wrong", wrong, _text(wrong))


def _text(answer: Any) -> str:
    """A short display string: (0, 255) for a pair, the value otherwise."""
    if isinstance(answer, list):
        return "(" + ", ".join(str(a) for a in answer) + ")"
    return str(answer)
