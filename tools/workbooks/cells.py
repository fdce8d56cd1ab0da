"""Cell builders for the nbgrader instructor notebooks under ``source/``.

Each builder returns an nbformat v4.5 cell with readable nbgrader metadata
(schema 3). ``build.py`` assembles them into ``source/NN_name/NN_name.ipynb``.
"""

from __future__ import annotations

import ast
import textwrap

import nbformat

SETUP = """\
from course_utils.notebook import setup

setup()

import torch

from course_utils.checks import check, check_all"""

#: Start of every hidden test: forget any course_utils module the learner may have
#: replaced or monkeypatched, then import the checking helpers fresh from disk.
FRESH = """\
import sys

for _name in [m for m in sys.modules if m.split(".")[0] == "course_utils"]:
    del sys.modules[_name]"""


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool,
          points: float | None = None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def md(text: str) -> nbformat.NotebookNode:
    """A plain markdown cell (instructions)."""
    return nbformat.v4.new_markdown_cell(_src(text))


def given(grade_id: str, code: str) -> nbformat.NotebookNode:
    """A read-only code cell (set-up, given data); restored if a learner edits it."""
    cell = nbformat.v4.new_code_cell(_src(code))
    cell.metadata = _meta(grade_id, grade=False, solution=False, locked=True)
    cell.id = grade_id
    return cell


def answer(grade_id: str, code: str) -> nbformat.NotebookNode:
    """A code cell the learner writes; ``### BEGIN/END SOLUTION`` hold the key."""
    cell = nbformat.v4.new_code_cell(_src(code))
    cell.metadata = _meta(grade_id, grade=False, solution=True, locked=False)
    cell.id = grade_id
    return cell


def tests(grade_id: str, points: float, visible: str, hidden: str
          ) -> nbformat.NotebookNode:
    """An autograded test cell: visible checks (types, shapes), then hidden values.

    Both parts end in an ``assert``, so the released cell does too.
    """
    visible, hidden = _src(visible), _src(hidden)
    for part in (visible, hidden):
        body = ast.parse(part).body
        if not body or not isinstance(body[-1], ast.Assert):
            raise ValueError(f"{grade_id}: a test must end in an assert:\n{part}")
    source = "\n".join([
        visible,
        "### BEGIN HIDDEN TESTS",
        FRESH,
        hidden,
        "### END HIDDEN TESTS",
    ])
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata = _meta(grade_id, grade=True, solution=False, locked=True,
                          points=points)
    cell.id = grade_id
    return cell


def written(grade_id: str, points: float, model_answer: str) -> nbformat.NotebookNode:
    """A free-text answer cell graded by hand; the model answer stays in source/."""
    source = "\n".join(["### BEGIN SOLUTION", _src(model_answer), "### END SOLUTION"])
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata = _meta(grade_id, grade=True, solution=True, locked=False,
                          points=points)
    cell.id = grade_id
    return cell


def notebook(cells: list) -> nbformat.NotebookNode:
    """A clean notebook (no outputs) with the plain python3 kernelspec."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, cell in enumerate(cells):
        if "id" not in cell or not cell.id or cell.cell_type == "markdown" and (
                "nbgrader" not in cell.metadata):
            cell.id = f"cell-{index:02d}"
    nb.cells = cells
    nbformat.validate(nb)
    return nb
