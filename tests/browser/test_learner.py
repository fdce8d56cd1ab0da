"""Learner path in a real browser: lesson 2 runs, its figures and widgets work.

The lesson is opened in JupyterLab and run with Run > Run All Cells, as a learner
does. The tests then look at the page: every cell ran without an error, every
figure cell shows a decoded image, and the float and integer explorers are live
ipywidgets (not their static fallback) that answer a click on a bit.
"""

from __future__ import annotations

import json
import re

import labkit
import pytest

pytestmark = pytest.mark.browser

LESSON = "notebooks/02_data_types.ipynb"
WIDGET_TIMEOUT = 30_000


@pytest.fixture(scope="module")
def lesson(module_page, lab, course_root, artifacts):
    """The lesson open in a tab, after Run All Cells has finished."""
    page = module_page
    labkit.open_notebook(page, lab, LESSON)
    labkit.collapse_left_sidebar(page)
    labkit.run_all_cells(page)
    labkit.save_shot(page, artifacts, "lesson_run_all")
    return page


def _code_sources(course_root) -> list[str]:
    nb = json.loads((course_root / LESSON).read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_every_cell_runs_without_error(lesson, course_root):
    n_code = len(_code_sources(course_root))
    assert labkit.code_cells(lesson).count() == n_code
    assert labkit.unexecuted_cells(lesson) == [], "cells left unrun after Run All"
    assert labkit.error_outputs(lesson) == []


def test_every_figure_cell_shows_an_image(lesson, course_root, artifacts):
    sources = _code_sources(course_root)
    figure_cells = [i for i, src in enumerate(sources) if src.startswith("viz.")]
    assert figure_cells, "the lesson shows no figure (no cell starting with viz.)"
    cells = labkit.code_cells(lesson)
    for i in figure_cells:
        images = cells.nth(i).locator(".jp-OutputArea-output img")
        assert images.count() >= 1, f"no image under code cell {i}: {sources[i]!r}"
        for j in range(images.count()):
            decoded = images.nth(j).evaluate("img => img.complete && img.naturalWidth")
            assert decoded > 100, f"image {j} of code cell {i} did not decode"
    # For the docs: the fp32/fp16/bf16 layouts if the lesson has them.
    shown = next(
        (i for i in figure_cells if "format_layouts" in sources[i]), figure_cells[0]
    )
    cell = cells.nth(shown)
    cell.scroll_into_view_if_needed()
    labkit.save_shot(lesson, artifacts, "lesson_figure", locator=cell)


def _explorer(page, kind: str):
    """The code cell whose output holds the (first) ``cu-<kind>-explorer``."""
    cell = (
        page.locator(f"{labkit.NOTEBOOK} .jp-CodeCell")
        .filter(has=page.locator(f".cu-{kind}-explorer"))
        .first
    )
    cell.locator(f".cu-{kind}-explorer .cu-bit").first.wait_for(timeout=WIDGET_TIMEOUT)
    return cell


def _button_bits(widget) -> str:
    return "".join(t.strip() for t in widget.locator(".cu-bit").all_inner_texts())


def test_float_explorer_is_a_live_widget(lesson):
    cell = _explorer(lesson, "float")
    widget = cell.locator(".cu-float-explorer").first
    # A live ipywidget: rendered by the widget manager, with the course's hooks.
    assert "jupyter-widgets" in (widget.get_attribute("class") or "")
    assert widget.locator(".cu-bit.widget-button, .cu-bit.jupyter-button").count() > 0
    assert widget.locator(".cu-input input").count() == 1
    # ... and not the static fallback (a PNG and an HTML read-out) or a repr.
    outputs = cell.locator(".jp-OutputArea-output")
    assert outputs.count() == 1
    assert outputs.locator("img").count() == 0
    assert "Explorer(" not in outputs.inner_text()
    bits = _button_bits(widget)
    assert re.fullmatch("[01]{4,}", bits), f"bit buttons read {bits!r}"
    readout = widget.locator(".cu-value").inner_text()
    assert "stored" in readout and "decimal" in readout


def _readout_bits(widget) -> str:
    """The bit string the read-out shows, coloured by field (fields spaced)."""
    shown = widget.locator(".cu-value .cu-bits").first.inner_text()
    match = re.search(r"([01][01 ]*[01])", shown)
    assert match, f"no bits in the read-out {shown!r}"
    return match.group(1).replace(" ", "")


def test_clicking_a_float_bit_changes_the_value(lesson, artifacts):
    cell = _explorer(lesson, "float")
    widget = cell.locator(".cu-float-explorer").first
    before_bits = _button_bits(widget)
    before = widget.locator(".cu-value").inner_text()
    assert _readout_bits(widget) == before_bits

    widget.locator(".cu-bit").last.click()  # the lowest fraction bit
    value = widget.locator(".cu-value")
    lesson.wait_for_function(
        "([el, before]) => el.innerText !== before",
        arg=[value.element_handle(), before],
        timeout=WIDGET_TIMEOUT,
    )
    after_bits = _button_bits(widget)
    flipped = before_bits[:-1] + ("1" if before_bits[-1] == "0" else "0")
    assert after_bits == flipped, f"{before_bits} -> {after_bits}"
    assert _readout_bits(widget) == after_bits
    stored = [ln for ln in value.inner_text().splitlines() if ln.startswith("stored")]
    assert stored and stored[0] not in before, "the stored value did not change"
    assert "set by clicking bits" in value.inner_text()
    cell.scroll_into_view_if_needed()
    labkit.save_shot(lesson, artifacts, "float_explorer", locator=cell)


def test_clicking_an_integer_bit_changes_the_value(lesson):
    cell = _explorer(lesson, "int")
    widget = cell.locator(".cu-int-explorer").first
    value = widget.locator(".cu-value")
    before = value.inner_text()
    before_bits = _button_bits(widget)
    widget.locator(".cu-bit").first.click()  # the sign bit of a signed integer
    lesson.wait_for_function(
        "([el, before]) => el.innerText !== before",
        arg=[value.element_handle(), before],
        timeout=WIDGET_TIMEOUT,
    )
    after_bits = _button_bits(widget)
    assert after_bits[0] != before_bits[0] and after_bits[1:] == before_bits[1:]
    assert after_bits in value.inner_text().replace(" ", "")


def test_no_javascript_errors(lesson):
    # The widget manager reports a widget it cannot render in the console.
    errors = [
        line for line in lesson.console_log if line.startswith(("error:", "pageerror:"))
    ]
    assert errors == []
