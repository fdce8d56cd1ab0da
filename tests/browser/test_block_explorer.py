"""Lesson 6 in a real browser: it runs, and the block explorer is a live widget.

The lesson is opened in JupyterLab and run with Run > Run All Cells. The block
explorer must be a live ipywidget (not its static fallback) whose read-outs
change when the learner picks another format or block.
"""

from __future__ import annotations

import labkit
import pytest

pytestmark = pytest.mark.browser

LESSON = "notebooks/06_block_formats.ipynb"
WIDGET_TIMEOUT = 30_000


@pytest.fixture(scope="module")
def lesson(module_page, lab, artifacts):
    """The lesson open in a tab, after Run All Cells has finished."""
    page = module_page
    labkit.open_notebook(page, lab, LESSON)
    labkit.collapse_left_sidebar(page)
    labkit.run_all_cells(page)
    return page


def _explorer(page):
    cell = (page.locator(f"{labkit.NOTEBOOK} .jp-CodeCell")
            .filter(has=page.locator(".cu-block-explorer")).first)
    cell.locator(".cu-block-explorer .cu-block-scale .cu-bit").first.wait_for(
        timeout=WIDGET_TIMEOUT)
    return cell, cell.locator(".cu-block-explorer").first


def _changed(page, locator, before: str) -> None:
    page.wait_for_function("([el, before]) => el.innerText !== before",
                           arg=[locator.element_handle(), before],
                           timeout=WIDGET_TIMEOUT)


def test_the_lesson_runs_without_error(lesson):
    assert labkit.unexecuted_cells(lesson) == [], "cells left unrun after Run All"
    assert labkit.error_outputs(lesson) == []


def test_the_block_explorer_is_live_and_follows_the_format(lesson, artifacts):
    from playwright.sync_api import expect

    cell, widget = _explorer(lesson)
    assert "jupyter-widgets" in (widget.get_attribute("class") or "")
    # the figure is drawn inside the widget (its Output), not as a static PNG
    image = widget.locator("img").first
    image.wait_for(timeout=WIDGET_TIMEOUT)
    assert image.evaluate("img => img.complete && img.naturalWidth") > 100
    scale = widget.locator(".cu-block-scale")
    table = widget.locator(".cu-block-table")
    assert "e8m0" in scale.inner_text() and "MXFP4 (FLOOR)" in scale.inner_text()
    assert table.locator("tr").count() == 33                    # header + 32
    assert table.locator(".cu-clipped").count() >= 1            # the outlier
    before = scale.inner_text()
    widget.locator(".cu-block-format select").select_option("NVFP4")
    _changed(lesson, scale, before)
    assert "e4m3" in scale.inner_text()
    # each read-out is its own widget: the table may arrive after the scale
    expect(table.locator("tr")).to_have_count(17, timeout=WIDGET_TIMEOUT)  # 1 + 16
    before = scale.inner_text()
    widget.locator(".cu-block-format select").select_option("NF4")
    _changed(lesson, scale, before)
    assert "float32 absmax" in scale.inner_text()
    expect(table.locator(".cu-field-index")).to_have_count(64 * 4,
                                                            timeout=WIDGET_TIMEOUT)
    labkit.wait_kernel_idle(lesson)                 # the figure is redrawn too
    cell.scroll_into_view_if_needed()
    labkit.save_shot(lesson, artifacts, "block_explorer", locator=cell)


def test_no_javascript_errors(lesson):
    errors = [line for line in lesson.console_log
              if line.startswith(("error:", "pageerror:"))]
    assert errors == []
