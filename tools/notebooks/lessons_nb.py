"""Helpers for the lesson generators (make_02.py, make_05.py): clean notebooks.

A lesson is stored without outputs or execution counts, with the plain
``python3`` kernelspec; the generators are the single source of lessons 2 and 5.
"""

from __future__ import annotations

import pathlib
import textwrap

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[2]
SETUP = "from course_utils.notebook import setup\nsetup()"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def md(text: str):
    """A markdown cell from an indented triple-quoted string."""
    return nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip())


def code(text: str):
    """A code cell (no outputs, no execution count)."""
    return nbformat.v4.new_code_cell(textwrap.dedent(text).strip())


def write(cells: list, name: str) -> pathlib.Path:
    """Write ``notebooks/<name>.ipynb`` with stable cell ids."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC),
                   "language_info": {"name": "python"}}
    for i, cell in enumerate(cells):
        cell["id"] = f"{name[:2]}-{i:03d}"
    nb.cells = cells
    nbformat.validate(nb)
    path = ROOT / "notebooks" / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path
