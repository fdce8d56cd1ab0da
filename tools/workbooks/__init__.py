"""The graded workbooks: one definition each, every question declared once.

A workbook module has ``NAME``, ``TITLE`` and ``ITEMS`` (see :mod:`.spec`).
:func:`build` makes the nbgrader instructor notebook ``source/<NAME>/<NAME>.ipynb``
from it: the common header (which lessons it follows, from :mod:`tools.course`),
the set-up cell, then the items. :mod:`.catalogue` writes the self-check's
catalogue from the same definitions.
"""

from __future__ import annotations

import nbformat

from course_utils.workbook import setup_cell
from tools.course import covered_by
from tools.nbbuild import notebook
from tools.workbooks import (
    wb01_data_types,
    wb02_loading_models,
    wb03_linear_quantization,
    wb04_block_formats,
)
from tools.workbooks.cells import cells_of
from tools.workbooks.spec import Given, Question

__all__ = ["WORKBOOKS", "build", "by_name", "questions"]

#: Every workbook, in course order.
WORKBOOKS = [wb01_data_types, wb02_loading_models, wb03_linear_quantization,
             wb04_block_formats]

_HEADER = """
# {title}

This workbook goes with {lessons}. Run the set-up cell first, then answer every
question below it:

* **Written answers** (markdown cells saying *YOUR ANSWER HERE*): a few
  sentences each. Your instructor grades them.
* **Code answers**: replace `raise NotImplementedError()` with your code. The
  cell after it checks the *form* of your answer; more tests run when the
  workbook is graded.
* The answers must be your own work in Python and torch: in a workbook,
  `course_utils` offers only the set-up and the self-check.
* Check yourself at any time with `check("name", value)` or `check_all()`: ✓
  means right; ✗ comes with a hint, never with the answer.

Do not delete, copy or retype the given cells: they are restored before
grading. Run *Kernel → Restart and Run All* before you hand in.
"""


def by_name(name: str):
    """The workbook module called ``name``."""
    for workbook in WORKBOOKS:
        if workbook.NAME == name:
            return workbook
    raise KeyError(f"no workbook is called {name!r}; known: "
                   f"{', '.join(w.NAME for w in WORKBOOKS)}")


def questions(workbook) -> list[Question]:
    """The autograded questions of a workbook, in order."""
    return [item for item in workbook.ITEMS if isinstance(item, Question)]


def items(workbook) -> list:
    """Every item of the notebook: the header, the set-up cell, the items."""
    from tools.workbooks.spec import Text

    header = Text(_HEADER.format(title=workbook.TITLE,
                                 lessons=covered_by(workbook.NAME)))
    return [header, *getattr(workbook, "INTRO", []),
            Given("setup", setup_cell(workbook.NAME)), *workbook.ITEMS]


def build(workbook) -> nbformat.NotebookNode:
    """The nbgrader instructor notebook of one workbook."""
    return notebook(cells_of(items(workbook)), "cell")
