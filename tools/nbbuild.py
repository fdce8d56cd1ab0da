"""Clean notebooks from cells: the one notebook builder of lessons and workbooks.

Notebooks are stored without outputs or execution counts, with the plain
``python3`` kernelspec and stable cell ids, so a regenerated notebook is
byte-for-byte the committed one unless its definition changed.
"""

from __future__ import annotations

import textwrap

import nbformat

from course_utils.notebook import SETUP_CELL

__all__ = ["KERNELSPEC", "SETUP_CELL", "code", "md", "notebook", "render", "text"]

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def text(source: str) -> str:
    """Source written at any indentation in a triple-quoted string, dedented."""
    return textwrap.dedent(source).strip("\n").rstrip()


def _auto(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell.id = "auto-" + cell.id  # numbered by notebook(), in order
    return cell


def md(source: str) -> nbformat.NotebookNode:
    """A markdown cell."""
    return _auto(nbformat.v4.new_markdown_cell(text(source)))


def code(source: str) -> nbformat.NotebookNode:
    """A code cell (no outputs, no execution count)."""
    return _auto(nbformat.v4.new_code_cell(text(source)))


def notebook(cells: list, prefix: str) -> nbformat.NotebookNode:
    """A clean, valid notebook; cells made by :func:`md`/:func:`code` get the
    stable id ``<prefix>-<index>``, cells with a chosen id keep it."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for index, cell in enumerate(cells):
        if cell.id.startswith("auto-"):
            cell.id = f"{prefix}-{index:03d}"
    nb.cells = cells
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    """The exact text a notebook is stored as."""
    return nbformat.writes(nb) + "\n"
