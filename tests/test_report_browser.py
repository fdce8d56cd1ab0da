"""The item-analysis report in a real browser: loads offline, figures render.

Headless Debian Chromium driven by Playwright opens the HTML report of a
synthetic class of 60 learners from file://, with every request that is not
file: or data: blocked and recorded. Screenshots: tests/artifacts/item_analysis*.
"""

from __future__ import annotations

import os
import pathlib

import pytest

from tests import report_class as rc
from tests.needs import unavailable
from tools.report.build import build_report
from tools.report.late_policy import PerDayLatePenalty
from tools.report.synthetic import course_layout, random_class

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("COURSE_CHROMIUM") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking"]
ARTIFACTS = rc.ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> pathlib.Path:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Python playwright is not installed: pip install -e '.[test]'")
    if not pathlib.Path(CHROMIUM).is_file():
        unavailable(f"Chromium not found at {CHROMIUM}: install it with "
                     "`apt-get update && apt-get install -y chromium`")
    root = rc.course(tmp_path_factory.mktemp("browser"))
    random_class(root, n_students=60, seed=3,
                 plugin=PerDayLatePenalty(grace_minutes=15))
    return build_report(root)["html"]


def test_report_loads_offline_and_its_figures_render(report, playwright):
    outside, problems = [], []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def guard(route):
            url = route.request.url
            if url.startswith(("file:", "data:")):
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        page.route("**/*", guard)
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(report.as_uri(), wait_until="load")
        assert page.title() == "Item analysis: quantization-fundamentals"
        images = page.evaluate("""() => [...document.images].map(i => ({
            ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth,
            alt: i.alt, shown: i.getBoundingClientRect().width}))""")
        assert len(images) == 3 * len(course_layout()), images  # 3 per assignment
        assert all(i["ok"] and i["shown"] > 300 for i in images), images
        assert page.locator("#students h2").inner_text() == (
            "Students (this section names students)")
        assert page.locator("#questions table").count() >= 3
        page.screenshot(path=str(ARTIFACTS / "item_analysis.png"))
        page.locator("figure").nth(2).screenshot(
            path=str(ARTIFACTS / "item_analysis_answers.png"))
        page.screenshot(path=str(ARTIFACTS / "item_analysis_full.png"),
                        full_page=True)
    finally:
        browser.close()
    assert outside == [], f"the report fetched {outside}"
    assert problems == []
