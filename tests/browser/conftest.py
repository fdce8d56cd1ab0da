"""Fixtures for the browser tests: a JupyterLab server and a headless Chromium.

Each pytest process (each xdist worker) starts one JupyterLab on a copy of the
course in a temporary directory, and one Chromium with a fresh profile. Without
Chromium the tests are skipped with the install command; under CI (``CI=true``) a
missing Chromium fails them instead, so they can never pass silently.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import labkit
import pytest

from tests.needs import unavailable

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"

VIEWPORT = {"width": 1366, "height": 900}
ACTION_TIMEOUT = 30_000


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Path of Debian's Chromium; skip (or fail under CI) when it is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable(
            "Python playwright is not installed: pip install -e '.[test]' "
            "to run the browser tests"
        )
    path = labkit.find_chromium()
    if path is None:
        unavailable(
            f"Chromium not found at {labkit.CHROMIUM}: install it with "
            f"`{labkit.INSTALL_HINT}` to run the browser tests"
        )
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where the tests save screenshots (``tests/artifacts/``, git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab_tmp() -> Path:
    """A temporary directory for the server's files, removed at the end.

    Not under pytest's own temporary directory: nothing the kernel can see (its
    working directory, its connection file) should say "pytest", as a learner's
    kernel would not.
    """
    path = Path(tempfile.mkdtemp(prefix="course-lab-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def course_root(lab_tmp) -> Path:
    """A throw-away copy of the course (notebooks, source, release, config)."""
    return labkit.copy_course(ROOT, lab_tmp / "course")


@pytest.fixture(scope="session")
def lab(chromium_executable, course_root, lab_tmp, artifacts):
    """A running JupyterLab serving ``course_root``; shut down at the end."""
    server = labkit.LabServer(course_root, lab_tmp / "jupyter")
    try:
        server.start()
    except RuntimeError as err:
        pytest.fail(str(err))
    yield server
    server.stop()
    log = server.log_tail(200_000)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (artifacts / f"jupyterlab-{worker}.log").write_text(log)


@pytest.fixture(scope="session")
def browser_context(chromium_executable, lab_tmp, playwright):
    """Headless Chromium with a fresh profile (one per test session)."""
    profile = lab_tmp / "chromium-profile"
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=chromium_executable,
        headless=True,
        args=labkit.CHROMIUM_ARGS,
        viewport=VIEWPORT,
        device_scale_factor=1,
        locale="en-US",
        timezone_id="UTC",
    )
    context.set_default_timeout(ACTION_TIMEOUT)
    try:
        yield context
    finally:
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def _evidence_on_failure(request, artifacts):
    """When a test fails, save a screenshot of every open tab and the console."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    if "browser_context" not in request.fixturenames:
        return
    context = request.getfixturevalue("browser_context")
    for i, page in enumerate(context.pages):
        name = f"FAILED-{request.node.name}-{i}"
        try:
            labkit.save_shot(page, artifacts, name)
        except Exception as err:  # noqa: BLE001 - best effort, keep the real error
            print(f"no screenshot of tab {i}: {err}")
        log = getattr(page, "console_log", [])
        (artifacts / f"{name}-console.txt").write_text("\n".join(log))


def _new_page(context):
    page = context.new_page()
    page.console_log = []
    page.on("console", lambda msg: page.console_log.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: page.console_log.append(f"pageerror: {err}"))
    return page


@pytest.fixture
def lab_page(browser_context, lab):
    """A fresh browser tab for one test."""
    page = _new_page(browser_context)
    yield page
    page.close()


@pytest.fixture(scope="module")
def module_page(browser_context, lab, artifacts, request):
    """A browser tab shared by the tests of one module (they run in order).

    Its console is saved as ``tests/artifacts/console-<module>.txt``.
    """
    page = _new_page(browser_context)
    yield page
    name = request.module.__name__.rsplit(".", 1)[-1]
    (artifacts / f"console-{name}.txt").write_text("\n".join(page.console_log))
    page.close()
