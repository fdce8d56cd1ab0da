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


def course_layout() -> list[AssignmentSpec]:
    """The course's graded cells, from the workbook declarations."""
    from tools import workbooks
    from tools.workbooks.spec import Question, Written

    layout = []
    for workbook in workbooks.WORKBOOKS:
        cells = []
        for item in workbook.ITEMS:
            if isinstance(item, Question):
                cells += [CellSpec(grade_id, float(item.points), item.name,
                                   None if part is None else str(part))
                          for grade_id, part in item.grade_ids()]
            elif isinstance(item, Written):
                cells.append(CellSpec(f"written_{item.id}", float(item.points)))
        layout.append(AssignmentSpec(workbook.NAME, cells, DUE.get(workbook.NAME)))
    return layout


# ----------------------------------------------------------- a realistic class

DUE = {"01_data_types": "2026-03-02 23:59:00 UTC",
       "02_loading_models": "2026-03-16 23:59:00 UTC",
       "03_linear_quantization": "2026-03-30 23:59:00 UTC",
       "04_block_formats": "2026-04-13 23:59:00 UTC"}
FIRST = ["Ada", "Ben", "Chloe", "Dmitri", "Emeka", "Farah", "Goran", "Hana",
         "Ines", "Jonas", "Keiko", "Luis", "Mira", "Nadia", "Omar", "Priya"]
LAST = ["Abara", "Berg", "Castillo", "Dahl", "Eze", "Fischer", "Gupta", "Horvat",
        "Ito", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor"]


def _answers(question: str, part: str | None, mistakes: list[str],
             rng: random.Random) -> tuple[Any, dict[str, Any], list[Any]]:
    """(right answer, mistake -> wrong answer, uncatalogued wrong answers), in
    canonical form, made by the same rules and declarations as the grading."""
    from course_utils.answers import canonical
    from course_utils.mistakes import RULES
    from tools import workbooks
    from tools.workbooks.catalogue import expected_values

    declared = {q.name: q for w in workbooks.WORKBOOKS
                for q in workbooks.questions(w)}
    q = declared.get(question)
    if q is None or q.kind in ("kernel", "range_fn", "model"):
        return ("right on every probe", {m: f"wrong on some probes ({m})"
                                         for m in mistakes},
                [f"wrong on {k} of 6 probes" for k in range(1, 7)])
    key = next((p for p in q.parts if str(p) == part), None) if q.parts else None
    right, alternatives = expected_values(q, key)
    form = canonical(q.kind, right)
    wrong = {}
    for m in mistakes:
        rule = RULES.get(m)
        if m in alternatives:
            wrong[m] = canonical(q.kind, alternatives[m])
        elif rule is not None and rule.candidates is not None:
            found = [w for w in rule.candidates(form, q.params) if w != form]
            if found:
                wrong[m] = rng.choice(found)
        elif m == "bits_wrong_width":
            wrong[m] = form.lstrip("0") or "0"
    return _plain(form), {m: _plain(w) for m, w in wrong.items()}, [
        _plain(w) for w in _others(q.kind, form)]


def _others(kind: str, form: Any) -> list[Any]:
    """Uncatalogued wrong answers of a kind (what a random slip gives)."""
    if kind == "int":
        return [form + d for d in (3, -7, 10)]
    if kind == "float":
        return [form * f for f in (1.1, 0.5, 3.0)]
    if kind in ("range", "pair"):
        return [(form[0] - 5, form[1] + 5), (form[0], form[1] * 2), (1, 2)]
    if kind == "bits":
        return [format(int(form, 2) ^ m, f"0{len(form)}b") for m in (0x81, 0x18)]
    return ["none", "unknown"]


def _plain(form: Any) -> Any:
    return list(form) if isinstance(form, tuple) else form


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
