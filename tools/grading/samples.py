"""Sample submissions for tests, benchmarks and demos of grading.

A copy of the course in a folder of its own, submissions made from the release or
from the solutions (with chosen answers changed), and what the gradebook holds.
"""

from __future__ import annotations

import copy
import pathlib
import shutil

import nbformat

from tools.steps import ROOT
from tools.workbooks import WORKBOOKS

ASSIGNMENTS = [w.NAME for w in WORKBOOKS]


def make_course(path: pathlib.Path) -> pathlib.Path:
    """A copy of the course (config, source, release) in ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", path)
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder, path / folder,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return path


def read(kind: str, assignment: str) -> nbformat.NotebookNode:
    """The ``source`` (solution) or ``release`` (blank) notebook."""
    return nbformat.read(ROOT / kind / assignment / f"{assignment}.ipynb", 4)


def cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    """The cell with nbgrader id ``grade_id``."""
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return c
    raise KeyError(grade_id)


def solution(assignment: str) -> nbformat.NotebookNode:
    """A submission with every answer right: the release with the solutions in."""
    source = read("source", assignment)
    nb = read("release", assignment)
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution"):
            c.source = cell(source, meta["grade_id"]).source
    return nb


def answered(assignment: str, **answers: str) -> nbformat.NotebookNode:
    """The solution with some answer cells replaced (``grade_id=source``)."""
    nb = solution(assignment)
    for grade_id, text in answers.items():
        cell(nb, grade_id).source = text
    return nb


def submit(course: pathlib.Path, student: str, assignment: str,
           nb: nbformat.NotebookNode | str) -> pathlib.Path:
    """Put a submission (a notebook, or raw text) into ``submitted/``."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    if isinstance(nb, str):
        path.write_text(nb)
    else:
        nbformat.write(copy.deepcopy(nb), path)
    (folder / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
    return path


def scores(course: pathlib.Path, assignment: str, student: str) -> dict:
    """``{grade_id: (auto_score, max_score, needs_manual_grade, auto_comment)}``."""
    from nbgrader.api import Gradebook

    result = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}",
                   "quantization-fundamentals") as gb:
        sub = gb.find_submission(assignment, student)
        for notebook in sub.notebooks:
            comments = {c.name: c.auto_comment for c in notebook.comments}
            for grade in notebook.grades:
                result[grade.name] = (grade.auto_score, grade.max_score,
                                      grade.needs_manual_grade,
                                      comments.get(grade.name))
    return result


def total(course: pathlib.Path, assignment: str, student: str,
          autograded_only: bool = True) -> tuple[float, float]:
    """(score, max score) of the autograded cells of one submission."""
    got = maximum = 0.0
    for grade_id, (auto, max_score, _, _) in scores(course, assignment,
                                                    student).items():
        if autograded_only and grade_id.startswith("written_"):
            continue
        got += auto or 0.0
        maximum += max_score
    return got, maximum
