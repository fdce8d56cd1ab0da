"""``docs/worksheet_map.md`` points at lesson headings and workbook cells that exist.

Every row names a lesson notebook, one or more of its section headings (`` ; ``
between them) and a workbook with its cells (nbgrader grade ids). Each heading
must be a heading of the generated lesson (``notebooks/``), each cell a grade id
of that workbook's ``source/`` notebook, and every graded cell of ``source/``
must appear in the map, so a renamed heading or question fails here.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from tools import course

from .conftest import ROOT

MAP = ROOT / "docs" / "worksheet_map.md"


def _rows() -> list[dict[str, str]]:
    """The map's table rows, keyed by their (lower-case) column headers."""
    rows, header = [], None
    for line in MAP.read_text().splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
        elif not set("".join(cells)) <= set("-: "):
            rows.append(dict(zip(header, cells, strict=True)))
    return rows


ROWS = _rows()


def _headings(lesson: str) -> set[str]:
    nb = nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", as_version=4)
    return {line.lstrip("#").strip() for cell in nb.cells
            if cell.cell_type == "markdown" for line in cell.source.splitlines()
            if line.startswith("#")}


def _grade_ids(workbook: str) -> set[str]:
    nb = nbformat.read(ROOT / "source" / workbook / f"{workbook}.ipynb",
                       as_version=4)
    ids = set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            ids.add(meta["grade_id"])
    return ids


def _unquote(text: str) -> str:
    return text.strip().strip("`")


def test_the_map_has_both_tables():
    assert sum("sheet" in row for row in ROWS) >= 20, "the worksheet's questions"
    assert sum("workbook question" in row for row in ROWS) >= 10


@pytest.mark.parametrize("row", ROWS, ids=[r.get("sheet") or r.get(
    "workbook question", "?")[:30] for r in ROWS])
def test_row_points_at_what_exists(row):
    lesson = _unquote(row["lesson"])
    assert lesson in course.LESSONS, f"no lesson {lesson!r}"
    headings = _headings(lesson)
    for section in row["section"].split(" ; "):
        assert section.strip() in headings, (
            f"{lesson} has no heading {section.strip()!r}")
    workbook, cells = row["workbook"], row["cells"]
    if workbook == "—":
        assert cells == "—"
        return
    workbook = _unquote(workbook)
    assert workbook in course.WORKBOOKS
    assert lesson in course.WORKBOOKS[workbook] or int(lesson[:2]) < int(
        course.WORKBOOKS[workbook][0][:2]), (
        f"{workbook} asks about {lesson}, which comes after it")
    ids = _grade_ids(workbook)
    for cell in re.findall(r"`([^`]+)`", cells):
        assert cell in ids, f"{workbook} has no graded cell {cell!r}"


@pytest.mark.parametrize("workbook", list(course.WORKBOOKS))
def test_every_graded_cell_is_mapped(workbook):
    mapped = {cell for row in ROWS if _unquote(row["workbook"]) == workbook
              for cell in re.findall(r"`([^`]+)`", row["cells"])}
    missing = sorted(_grade_ids(workbook) - mapped)
    assert not missing, f"docs/worksheet_map.md does not map {missing}"
