"""Instructor path in a real browser: nbgrader's formgrader lists the assignments.

The formgrader is opened the way an instructor does it, from JupyterLab's
Nbgrader menu; it reads the course's ``nbgrader_config.py`` and ``source/``.
"""

from __future__ import annotations

import labkit
import pytest

pytestmark = pytest.mark.browser

#: The assignments the course ships (fixed names, see the team brief).
ASSIGNMENTS = {"01_data_types", "02_loading_models", "03_linear_quantization"}


def test_formgrader_lists_the_assignments(lab_page, lab, course_root, artifacts):
    page = lab_page
    page.goto(lab.lab_url(), wait_until="domcontentloaded")
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for(
        timeout=labkit.LOAD_TIMEOUT
    )
    labkit.collapse_left_sidebar(page)
    labkit.click_menu(page, "Nbgrader", "Formgrader")

    frame = page.frame_locator("iframe[src*='formgrader']")
    heading = frame.locator("h1", has_text="Manage Assignments")
    heading.wait_for(timeout=labkit.LOAD_TIMEOUT)
    # The table is filled by the page's script from /formgrader/api/assignments.
    names = frame.locator("#main-table td.name")
    names.first.wait_for(timeout=labkit.LOAD_TIMEOUT)
    listed = {text.strip() for text in names.all_inner_texts()}
    labkit.save_shot(page, artifacts, "formgrader")

    on_disk = {p.name for p in (course_root / "source").iterdir() if p.is_dir()}
    assert ASSIGNMENTS <= on_disk, f"source/ lacks {sorted(ASSIGNMENTS - on_disk)}"
    assert listed == on_disk, (
        f"formgrader lists {sorted(listed)}, source/ has {sorted(on_disk)}"
    )
    # No "Error" dialog from the page's script (it shows API failures that way).
    assert frame.locator(".modal-dialog:visible").count() == 0
