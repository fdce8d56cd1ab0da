"""The course's order is stated once (``tools/course.py``) and said the same way
everywhere: in the lessons' closing "Next:" lines, in the workbook headers of
``source/`` and in the README's lesson table.

Each place is read as a learner or an instructor reads it (the generated
notebooks, the README's text), not through the code that writes it.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from tools import course

from .conftest import ROOT

LESSONS = list(course.LESSONS)
WORKBOOK_NAMES = list(course.WORKBOOKS)


def _lesson(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


def _last_lesson(workbook: str) -> str:
    return course.WORKBOOKS[workbook][-1]


def _number(lesson: str) -> int:
    return int(lesson[:2])


def test_every_lesson_is_followed_by_exactly_one_workbook_in_order():
    covered = [lesson for lessons in course.WORKBOOKS.values() for lesson in lessons]
    assert covered == LESSONS, "each lesson in one workbook, in course order"


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_ends_with_its_next_line(lesson):
    last = _lesson(lesson).cells[-1]
    assert last.cell_type == "markdown", "the closing cell is text"
    assert last.source.rstrip().endswith(course.next_step(lesson)), (
        f"{lesson}'s closing cell must end with tools.course.next_step: "
        f"{course.next_step(lesson)!r}")
    final_line = last.source.rstrip().splitlines()[-1]
    named = {w for w in WORKBOOK_NAMES if w in final_line}
    due = {w for w in WORKBOOK_NAMES if _last_lesson(w) == lesson}
    assert named == due, f"{lesson}'s Next line names {named}, the map says {due}"
    following = LESSONS[LESSONS.index(lesson) + 1:]
    if following:
        assert f"notebooks/{following[0]}.ipynb" in final_line
    else:
        assert "notebooks/" not in final_line


@pytest.mark.parametrize("workbook", WORKBOOK_NAMES)
def test_a_workbook_is_named_only_after_its_last_lesson(workbook):
    for lesson in LESSONS:
        text = "\n".join(cell.source for cell in _lesson(lesson).cells)
        if lesson == _last_lesson(workbook):
            assert workbook in text
        else:
            assert workbook not in text, (
                f"{lesson} points to workbook {workbook}, which follows "
                f"{_last_lesson(workbook)}")


def _header_lessons(workbook: str) -> list[int]:
    nb = nbformat.read(ROOT / "source" / workbook / f"{workbook}.ipynb",
                       as_version=4)
    match = re.search(r"This workbook goes with lessons? ([\d, and]+?)\.",
                      nb.cells[0].source)
    assert match, f"{workbook}'s header does not say which lessons it covers"
    return [int(n) for n in re.findall(r"\d+", match.group(1))]


@pytest.mark.parametrize("workbook", WORKBOOK_NAMES)
def test_workbook_header_names_its_lessons(workbook):
    assert _header_lessons(workbook) == [
        _number(lesson) for lesson in course.WORKBOOKS[workbook]]


def _readme_table() -> dict[str, str]:
    """``{lesson: last column}`` of the README's lesson table."""
    text = (ROOT / "README.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"`\d\d_\w+`", cells[0]):
            name = cells[0].strip("`")
            if name in course.LESSONS:
                rows[name] = cells[-1]
    return rows


def test_readme_table_names_each_workbook_on_its_last_lesson():
    rows = _readme_table()
    assert list(rows) == LESSONS, "the README's table lists every lesson in order"
    for lesson, column in rows.items():
        due = [w for w in WORKBOOK_NAMES if _last_lesson(w) == lesson]
        expected = f"`{due[0]}`" if due else "—"
        assert column == expected, (
            f"README: {lesson}'s workbook column says {column!r}, the map "
            f"(tools/course.py) says {expected!r}")
