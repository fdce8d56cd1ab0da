"""The course's own JupyterLab settings, as a learner meets them in a lesson.

``make setup`` installs ``jupyter/overrides.json`` and ``jupyter/page_config.json``
into the venv (``tools/jupyter_settings.py``). The test server reads them from
there like ``make lab`` does (the tests add no news or nbgrader settings of their
own, see ``labkit.QUIET_SETTINGS``). A learner who opens a lesson gets no "official
Jupyter news" prompt and no nbgrader "Create Assignment" sidebar; the Nbgrader
menu still offers the Formgrader to instructors.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import labkit
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
LESSON = "notebooks/01_handling_big_models.ipynb"
#: The news prompt is emitted once the app is restored and the settings are
#: loaded; a few seconds after the kernel idles is ample.
SETTLE_SECONDS = 4.0


@pytest.fixture(scope="module")
def lesson_page(module_page, lab):
    sys.path.insert(0, str(ROOT))
    from tools import jupyter_settings

    missing = jupyter_settings.installed()
    assert not missing, (f"the course's JupyterLab settings are not installed in "
                         f"{sys.prefix}: {missing}; run `make setup`")
    labkit.open_notebook(module_page, lab, LESSON)
    time.sleep(SETTLE_SECONDS)
    return module_page


def test_no_news_prompt(lesson_page, artifacts):
    page = lesson_page
    toasts = page.locator(".Toastify__toast").all_inner_texts()
    labkit.save_shot(page, artifacts, "lesson_opened")
    assert not [t for t in toasts if "news" in t.lower()], toasts
    # Nor hidden in the notification centre: the status bar counts notifications.
    counts = page.locator(".jp-Notification-Status").all_inner_texts()
    assert counts and counts[0].strip() == "0", f"notifications: {counts}"


def test_no_create_assignment_sidebar(lesson_page):
    page = lesson_page
    tabs = page.locator(".jp-SideBar.jp-mod-right .lm-TabBar-tab").all_inner_texts()
    assert tabs, "the right sidebar has no tabs at all: is the page loaded?"
    assert not [t for t in tabs if "Create Assignment" in t], tabs
    assert page.locator("#nbgrader-create_assignemnt").count() == 0


def test_formgrader_is_still_in_the_menu(lesson_page):
    page = lesson_page
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    items = page.locator(".lm-Menu-content .lm-Menu-item:visible .lm-Menu-itemLabel")
    labels = [t.strip() for t in items.all_inner_texts()]
    page.keyboard.press("Escape")
    assert "Formgrader" in labels, labels
    assert "Create assignment" not in labels, labels
