"""Page and shell helpers for the JupyterHub round trip (``test_hub_round_trip``)."""

from __future__ import annotations

import json
import pwd
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import labkit

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
COURSE = "quantization-fundamentals"
ASSIGNMENT = "01_data_types"
PASSWORD = "course-demo"
LONG = 180_000


def service_url(info: dict) -> str:
    return info["service"].rstrip("/")


def login(browser, info: dict, user: str):
    """A fresh browser context for ``user``, logged in through the hub's form.

    Returns the page, on the user's JupyterLab (their server started).
    """
    context = browser.new_context(viewport={"width": 1366, "height": 900},
                                  locale="en-US", timezone_id="UTC")
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.console_log = []
    page.on("console", lambda m: page.console_log.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: page.console_log.append(f"pageerror: {e}"))
    page.goto(f"{info['url']}/hub/login", wait_until="domcontentloaded")
    page.fill("#username_input", user)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(re.compile(r"/lab"), timeout=LONG)
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for(timeout=LONG)
    return page


def open_formgrader(page, info: dict):
    """The grader service's JupyterLab with nbgrader's Formgrader tab open."""
    page.goto(f"{service_url(info)}/lab?formgrader=true&reset",
              wait_until="domcontentloaded")
    frame = page.frame_locator("iframe[src*='formgrader']")
    frame.locator("h1", has_text="Manage Assignments").wait_for(timeout=LONG)
    frame.locator("#main-table td.name").first.wait_for(timeout=LONG)
    return frame


def assignment_row(frame, name: str = ASSIGNMENT):
    return frame.locator("#main-table tr", has=frame.locator("td.name", has_text=name))


def click_and_confirm(frame, button) -> tuple[str, str]:
    """Click a formgrader action; return the result dialog's title and text."""
    button.click()
    dialog = frame.locator("#success-modal, #error-modal")
    dialog.wait_for(timeout=LONG)
    title = dialog.locator(".modal-title").inner_text()
    body = dialog.locator(".modal-body").inner_text()
    dialog.locator(".modal-footer button").first.click()
    dialog.wait_for(state="detached")
    return title, body


def open_assignment_list(page):
    """Nbgrader > Assignment List; returns the panel once it has loaded."""
    labkit.click_menu(page, "Nbgrader", "Assignment List")
    panel = page.locator(".lm-Widget", has=page.locator("#released_assignments_list"))
    panel.last.locator("#released_assignments_list_loading").wait_for(
        state="hidden", timeout=LONG)
    return panel.last


def row_in(panel, list_id: str, text: str):
    return panel.locator(f"#{list_id} .list_item", has_text=text)


def as_user(user: str, *cmd: str) -> subprocess.CompletedProcess:
    """Run ``cmd`` as the real account ``user`` (its own uid, no root)."""
    return subprocess.run(["setpriv", f"--reuid={user}", f"--regid={user}",
                           "--init-groups", "--reset-env", "--", *cmd],
                          capture_output=True, text=True)


def wait_file(path: Path, text: str, timeout: float = 300) -> str:
    """Wait until ``path`` exists and contains ``text``; return its content."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file():
            content = path.read_text(errors="replace")
            if text in content:
                return content
        time.sleep(0.5)
    raise AssertionError(f"{path} never contained {text!r}")


def notebook_cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def cell_by_id(cells: list[dict], grade_id: str) -> dict:
    for cell in cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise AssertionError(f"no cell {grade_id!r}")


def index_of(cells: list[dict], grade_id: str) -> int:
    return cells.index(cell_by_id(cells, grade_id))


def home_of(user: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir)


def terminal_autograde(page, info: dict, layout, student: str) -> str:
    """Type ``nbgrader autograde`` in a terminal of the grader's JupyterLab.

    Returns its output (``--debug``: it names the config files it loads).
    """
    log = layout.course_root / "autograde-cli.log"
    page.goto(f"{service_url(info)}/lab?reset", wait_until="domcontentloaded")
    card = page.locator(".jp-LauncherCard", has_text="Terminal").first
    card.wait_for(timeout=LONG)
    card.click()
    terminal = page.locator(".jp-Terminal").first
    terminal.wait_for(timeout=LONG)
    page.wait_for_timeout(1500)  # the shell's prompt
    terminal.click()
    page.keyboard.type(
        f"nbgrader autograde {ASSIGNMENT} --student {student} --debug "
        f"> {log.name} 2>&1; echo exit=$? >> {log.name}\n", delay=5)
    text = wait_file(log, "exit=", timeout=300)
    labkit.save_shot(page, ARTIFACTS, "hub_grader_terminal")
    return text


def _db(layout) -> sqlite3.Connection:
    path = layout.course_root / "gradebook.db"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def submission_id(layout, student: str) -> str:
    """The gradebook id of ``student``'s submitted notebook of the assignment."""
    with _db(layout) as db:
        row = db.execute(
            "SELECT sn.id FROM submitted_notebook sn "
            "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
            "JOIN assignment a ON sa.assignment_id = a.id "
            "WHERE sa.student_id = ? AND a.name = ?", (student, ASSIGNMENT)).fetchone()
    assert row, f"no submission of {student} in the gradebook"
    return row[0]


def manual_grade(layout, student: str, grade_id: str) -> tuple:
    """(manual score, manual comment) of one cell of a submission, from the db."""
    nb = submission_id(layout, student)
    with _db(layout) as db:
        score = db.execute(
            "SELECT g.manual_score FROM grade g JOIN base_cell c ON g.cell_id = c.id "
            "WHERE g.notebook_id = ? AND c.name = ?", (nb, grade_id)).fetchone()
        comment = db.execute(
            "SELECT m.manual_comment FROM comment m JOIN base_cell c "
            "ON m.cell_id = c.id WHERE m.notebook_id = ? AND c.name = ?",
            (nb, grade_id)).fetchone()
    return (score and score[0], comment and comment[0])
