"""Fixtures for the JupyterHub round trip: a hub of the test's own, a Chromium.

The hub is the one ``make hub`` runs (``deploy/hub/hubctl.py``), with the real
system accounts, but on a free loopback port and with its own state, exchange and
grader course folders in a temporary directory; it is stopped at the end, with
every user's server. The course folders of the demo accounts
(``~/quantization-fundamentals`` and their nbgrader cache) are reset first.
Without root or Chromium the tests are skipped (with the command that fixes it);
under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.needs import unavailable

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT / "tests" / "hub"))
sys.path.insert(0, str(ROOT / "deploy" / "hub"))

import hubctl  # noqa: E402
import labkit  # noqa: E402
import provision  # noqa: E402
from hubkit import ARTIFACTS  # noqa: E402

VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture(scope="session")
def chromium() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Python playwright is missing: pip install -e '.[test]'")
    path = labkit.find_chromium()
    if path is None:
        unavailable(f"Chromium not found at {labkit.CHROMIUM}: install it with "
                    f"`{labkit.INSTALL_HINT}`")
    if os.geteuid() != 0:
        unavailable("the hub round trip needs root (it creates accounts and "
                    "starts servers as them): run `sudo make test`")
    return path


def reset_accounts() -> None:
    """Remove the demo accounts' course folders, so the class starts afresh."""
    provision.ensure_accounts()
    for name in provision.ACCOUNTS:
        home = Path(provision.pwd.getpwnam(name).pw_dir)
        for path in (home / provision.COURSE, home / ".local" / "share" / "jupyter" /
                     "nbgrader_cache" / provision.COURSE):
            shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def hub(chromium):
    """A running hub on a free port; yields (layout, info); stopped at the end."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="qf-hub-test-"))
    tmp.chmod(0o711)
    layout = provision.Layout(state=tmp / "state", exchange=tmp / "exchange",
                              course_root=tmp / "course")
    layout.state.mkdir()
    reset_accounts()
    started = time.monotonic()
    try:
        info = hubctl.start(layout, hubctl.free_port())
    except (RuntimeError, SystemExit) as err:
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.fail(f"the hub did not start: {err}")
    info["startup_s"] = time.monotonic() - started
    print(f"\nhub up in {info['startup_s']:.1f} s on {info['url']}")
    try:
        yield layout, info
    finally:
        hubctl.stop(layout)
        log = layout.state / "hub" / "jupyterhub.log"
        if log.is_file():
            shutil.copy(log, ARTIFACTS / "hub-jupyterhub.log")
        left = hubctl._account_pids(layout)
        shutil.rmtree(tmp, ignore_errors=True)
        assert not left, f"processes of the course accounts left running: {left}"


@pytest.fixture(scope="module")
def browser(chromium, playwright):
    """One headless Chromium; each user gets a context (own cookies) from it."""
    instance = playwright.chromium.launch(executable_path=chromium, headless=True,
                                          args=labkit.CHROMIUM_ARGS)
    try:
        yield instance
    finally:
        instance.close()
