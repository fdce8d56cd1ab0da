"""Self-study path in a real browser: answer, self-check, nbgrader's Validate.

A learner opens the released workbook, types answers into the answer cells (the
ones nbgrader left as ``# YOUR CODE HERE`` / ``raise NotImplementedError()``),
runs the self-check cell and presses nbgrader's **Validate** button.
"""

from __future__ import annotations

import copy
import json
import re

import labkit
import pytest

pytestmark = pytest.mark.browser

ASSIGNMENT = "01_data_types"
WORKBOOK = f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
SOURCE = f"source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
STUB = "raise NotImplementedError()"
VALIDATE_TIMEOUT = 180_000

#: One question answered right and one wrong, in the C1 answer cell.
ONE_RIGHT_ONE_WRONG = 'range_field = "exponent"\nprecision_field = "sign"\n'


def _cells(course_root, path: str) -> list[dict]:
    return json.loads((course_root / path).read_text())["cells"]


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _index(cells: list[dict], grade_id: str) -> int:
    for i, cell in enumerate(cells):
        if _grade_id(cell) == grade_id:
            return i
    raise AssertionError(f"{WORKBOOK} has no cell with grade_id {grade_id!r}")


def _answer_cells(cells: list[dict], kind: str = "code") -> list[int]:
    """Indices of the cells a learner must fill in (nbgrader solution cells)."""
    return [
        i
        for i, cell in enumerate(cells)
        if cell["cell_type"] == kind
        and cell.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]


def _solution(cell: dict) -> str:
    """The instructor's answer: the source cell without the solution markers."""
    lines = "".join(cell["source"]).splitlines()
    keep = [
        ln
        for ln in lines
        if ln.strip() not in {"### BEGIN SOLUTION", "### END SOLUTION"}
    ]
    return "\n".join(keep) + "\n"


@pytest.fixture(scope="module")
def released_nb(course_root) -> dict:
    """The workbook as released (read before a test edits and saves it)."""
    nb = json.loads((course_root / WORKBOOK).read_text())
    cells = nb["cells"]
    stubs = [i for i in _answer_cells(cells) if STUB not in "".join(cells[i]["source"])]
    assert not stubs, f"answer cells {stubs} of {WORKBOOK} are not stubs"
    return nb


@pytest.fixture(scope="module")
def released(released_nb) -> list[dict]:
    """The released workbook's cells."""
    return released_nb["cells"]


@pytest.fixture(scope="module")
def workbook(module_page, lab, released):
    """The released workbook open in a tab, kernel idle, file browser closed."""
    labkit.open_notebook(module_page, lab, WORKBOOK)
    labkit.collapse_left_sidebar(module_page)
    return module_page


def _cell(page, index: int):
    return page.locator(f"{labkit.NOTEBOOK} .jp-Notebook-cell").nth(index)


def _answer(page, index: int, text: str) -> None:
    cell = _cell(page, index)
    labkit.set_cell_source(page, cell, text)
    assert labkit.cell_source(cell).strip() == text.strip()


def _output_text(cell) -> str:
    return "\n".join(cell.locator(".jp-OutputArea-output").all_inner_texts())


def _validate(page, artifacts, shot: str) -> tuple[str, str]:
    """Press Validate; return the result dialog's class list and text."""
    button = page.locator(f"{labkit.NOTEBOOK} .jp-Toolbar-item", has_text="Validate")
    button.locator("jp-button").click()
    dialog = page.locator(".jp-Dialog", has=page.locator("#validation-message"))
    dialog.wait_for(timeout=VALIDATE_TIMEOUT)
    message = dialog.locator("#validation-message")
    classes = message.get_attribute("class") or ""
    text = message.inner_text()
    labkit.save_shot(page, artifacts, f"{shot}_page")
    content = dialog.locator(".jp-Dialog-content")
    labkit.save_shot(page, artifacts, shot, locator=content)
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    dialog.wait_for(state="detached")
    return classes, text


def test_one_right_one_wrong_then_validate(workbook, released, artifacts):
    page = workbook
    cells = released
    setup_cell, fields_cell = _index(cells, "setup"), _index(cells, "answer_fields")
    check_cell = _index(cells, "self_check")

    _answer(page, fields_cell, ONE_RIGHT_ONE_WRONG)
    for index in (setup_cell, fields_cell, check_cell):
        labkit.run_cell(page, _cell(page, index))
    assert labkit.error_outputs(page) == []

    out = _output_text(_cell(page, check_cell))
    lines = out.splitlines()
    assert "✓ range_field" in lines, out
    wrong = [ln for ln in lines if ln.startswith("✗ precision_field")]
    assert wrong, out
    # The slip named ("sign" is a catalogued one), never the answer.
    assert "the sign bit only says + or -" in wrong[0], wrong[0]
    assert not re.search(r"fraction|mantissa|significand", wrong[0], re.I), wrong[0]
    assert "1 of 2 answers right." in lines, out
    assert "Not answered yet" in out
    _cell(page, check_cell).scroll_into_view_if_needed()
    labkit.save_shot(page, artifacts, "self_check", locator=_cell(page, check_cell))
    labkit.save_shot(page, artifacts, "self_check_page")

    # Validate: the unanswered questions' tests fail, C1's (answered) do not.
    classes, text = _validate(page, artifacts, "validate_failed")
    assert "validation-failed" in classes, text
    assert "The following cell failed:" in text
    failed_sources = text.split("The following cell failed:")[1:]
    assert not [
        s for s in failed_sources if "range_field" in s or "precision_field" in s
    ], text
    assert any("uint_range" in s for s in failed_sources), text


def test_completed_workbook_checks_and_validates(
    workbook, released_nb, lab, course_root, artifacts
):
    page = workbook
    cells = released_nb["cells"]
    source = {_grade_id(c): c for c in _cells(course_root, SOURCE)}
    answers = _answer_cells(cells)
    assert len(answers) >= 5, f"only {len(answers)} answer cells in {WORKBOOK}"
    # A completed workbook: the instructor's answers in every answer cell,
    # written ones too (Validate fails an untouched "YOUR ANSWER HERE"). Typing
    # two dozen cells would take half a minute; the first test types, this one
    # saves the file through the server and reloads it in the page.
    completed = copy.deepcopy(released_nb)
    for index in answers + _answer_cells(cells, "markdown"):
        completed["cells"][index]["source"] = _solution(source[_grade_id(cells[index])])
    body = {"type": "notebook", "format": "json", "content": completed}
    lab.api("PUT", f"/api/contents/{WORKBOOK}", body)
    labkit.click_menu(page, "File", "Reload Notebook from Disk")
    fields = _index(cells, "answer_fields")
    labkit.wait_cell_source(page, fields, _solution(source["answer_fields"]))

    labkit.run_all_cells(page)
    assert labkit.unexecuted_cells(page) == []
    assert labkit.error_outputs(page) == []
    check_cell = _cell(page, _index(cells, "self_check"))
    out = _output_text(check_cell)
    verdicts = [ln for ln in out.splitlines() if ln[:1] in "✓✗"]
    assert verdicts and all(ln.startswith("✓") for ln in verdicts), out
    match = re.search(r"(\d+) of (\d+) answers right\.", out)
    assert match and match.group(1) == match.group(2), out
    assert "Not answered yet" not in out

    # Show the ✓ list behind the dialog in the screenshot.
    check_cell.locator(".jp-OutputArea-output").last.scroll_into_view_if_needed()
    classes, text = _validate(page, artifacts, "validate_success")
    assert "validation-success" in classes, text
    assert "Success! Your notebook passes all the tests." in text
