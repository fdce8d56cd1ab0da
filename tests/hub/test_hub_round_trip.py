"""A class on JupyterHub, end to end in a real browser, as the real accounts.

1. ``instructor`` logs in, opens the formgrader (the grader service's JupyterLab,
   Formgrader tab), generates and releases ``01_data_types``.
2. ``student1`` fetches it in the Assignments tab, answers part right, part
   wrong (and writes a line to stderr), runs the self-check, submits.
   ``student2`` submits the blank copy, and then, as its own uid, tries to hand
   in a folder in ``student1``'s name. ``student3`` submits nothing.
3. The instructor collects (the forged folder is left out), autogrades student1
   with the formgrader's button and student2 with ``nbgrader autograde`` typed in
   a JupyterLab terminal of the grader service, grades a written answer by hand,
   generates and releases feedback.
4. ``student1`` fetches the feedback and sees the marks and the comment;
   ``student2``'s uid can read none of student1's files, in the exchange or its
   home, even knowing their exact paths.

Steps done outside the browser: the forged hand-in and every isolation check
(``setpriv`` as the real student2 uid), and reading the grader's files to check
what the browser showed (as root).
"""

from __future__ import annotations

import json
import os
import re
import time

import hubkit
import labkit
import pytest
from hubkit import ARTIFACTS, ASSIGNMENT, COURSE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMMENT = "Right: PyTorch works on tensors. Say also what NumPy lacks (GPUs)."
WRITTEN_A1 = "PyTorch is a Python library for tensors and neural networks; NumPy."
#: C1: the range field right, the precision field wrong, and a note on stderr
C1_ANSWER = ('import sys\nprint("trying C1", file=sys.stderr)\n'
             'range_field = "exponent"\nprecision_field = "sign"\n')
B4_ANSWER = "value_unsigned = 213\nvalue_signed = -43\n"

state: dict = {}


def _shot(page, name: str, locator=None) -> None:
    labkit.save_shot(page, ARTIFACTS, f"hub_{name}", locator=locator)


def _csp(response) -> str:
    return response.headers.get("content-security-policy", "")


def test_1_instructor_releases(hub, browser):
    layout, info = hub
    page = hubkit.login(browser, info, "instructor")
    state["instructor"] = page
    csp = {}

    def record(response):
        url = response.url.split("?")[0]
        if "/formgrader/manage_assignments" in url:
            csp["formgrader"] = _csp(response)
        elif url.endswith(f"/services/{COURSE}/lab"):
            csp["service_lab"] = _csp(response)

    page.on("response", record)
    frame = hubkit.open_formgrader(page, info)
    row = hubkit.assignment_row(frame)
    title, body = hubkit.click_and_confirm(frame, row.locator("td.assign a"))
    assert title == "Success", body
    title, body = hubkit.click_and_confirm(frame, row.locator("td.release a"))
    assert title == "Success", body
    row.locator("td.status", has_text="released").wait_for()
    _shot(page, "formgrader_released")
    # The formgrader may be framed by its own origin; every other page keeps
    # JupyterHub's frame-ancestors 'none' (here the service's own JupyterLab).
    assert csp.get("formgrader") == "frame-ancestors 'self'", csp
    assert "frame-ancestors 'none'" in csp.get("service_lab", ""), csp
    outbound = layout.exchange / COURSE / "outbound" / ASSIGNMENT
    assert (outbound / f"{ASSIGNMENT}.ipynb").is_file()


def _fetch(page):
    panel = hubkit.open_assignment_list(page)
    released = hubkit.row_in(panel, "released_assignments_list", ASSIGNMENT)
    released.wait_for(timeout=hubkit.LONG)
    released.get_by_role("button", name="Fetch").click()
    fetched = hubkit.row_in(panel, "fetched_assignments_list", ASSIGNMENT)
    fetched.first.wait_for(timeout=hubkit.LONG)
    return panel


def _submit(page, panel):
    fetched = panel.locator("#fetched_assignments_list .list_item",
                            has_text=ASSIGNMENT).first
    fetched.get_by_role("button", name="Submit").click()
    hubkit.row_in(panel, "submitted_assignments_list", ASSIGNMENT).first.wait_for(
        timeout=hubkit.LONG)


def test_2_student1_answers_and_submits(hub, browser):
    layout, info = hub
    page = hubkit.login(browser, info, "student1")
    state["student1"] = page
    _fetch(page)
    _shot(page, "student_fetched")
    path = f"{COURSE}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    labkit.open_notebook(page, _Server(info, "student1"), path)
    labkit.collapse_left_sidebar(page)
    cells = page.locator(f"{labkit.NOTEBOOK} .jp-Notebook-cell")
    released = hubkit.notebook_cells(
        layout.exchange / COURSE / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    for grade_id, text in (("written_pytorch", WRITTEN_A1),
                           ("answer_byte_values", B4_ANSWER),
                           ("answer_fields", C1_ANSWER)):
        labkit.set_cell_source(page, cells.nth(hubkit.index_of(released, grade_id)),
                               text)
    for grade_id in ("setup", "answer_byte_values", "answer_fields", "self_check"):
        labkit.run_cell(page, cells.nth(hubkit.index_of(released, grade_id)))
    check = cells.nth(hubkit.index_of(released, "self_check"))
    result = "\n".join(check.locator(".jp-OutputArea-output").all_inner_texts())
    assert "✓" in result and "✗" in result, result
    check.scroll_into_view_if_needed()
    _shot(page, "student_self_check")
    check.locator(".jp-InputPrompt").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    # the server wrote the student's answers into their home
    hubkit.wait_file(hubkit.home_of("student1") / path, "precision_field", 60)
    panel = hubkit.open_assignment_list(page)
    _submit(page, panel)
    _shot(page, "student_submitted")
    inbound = layout.exchange / COURSE / "inbound"
    mine = [p for p in inbound.iterdir() if p.name.startswith("student1+")]
    assert len(mine) == 1
    state["student1_submission"] = mine[0]


def _frame_of(page, path: str, timeout: float = 60):
    """The page's frame whose URL contains ``path``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if path in frame.url:
                return frame
        time.sleep(0.25)
    raise AssertionError(f"no frame at {path}: {[f.url for f in page.frames]}")


class _Server:
    """What ``labkit.open_notebook`` needs of a server: a JupyterLab URL."""

    def __init__(self, info: dict, user: str):
        self.base = info["url"].replace("://", f"://{user}.") + f"/user/{user}"

    def lab_url(self, path: str = "") -> str:
        tree = f"/tree/{path}" if path else ""
        return f"{self.base}/lab{tree}?reset"


def test_3_student2_submits_blank_and_forges(hub, browser):
    layout, info = hub
    page = hubkit.login(browser, info, "student2")
    state["student2"] = page
    panel = _fetch(page)
    _submit(page, panel)
    page.context.close()
    # student2 (its own uid) hands in a folder named as student1's, newer
    inbound = layout.exchange / COURSE / "inbound"
    forged = inbound / f"student1+{ASSIGNMENT}+2099-01-01 00:00:00.000000 UTC+forged"
    made = hubkit.as_user("student2", "mkdir", str(forged))
    assert made.returncode == 0, made.stderr
    state["forged"] = forged


def test_4_instructor_collects_grades_and_releases_feedback(hub, browser):
    layout, info = hub
    page = state["instructor"]
    frame = hubkit.open_formgrader(page, info)
    row = hubkit.assignment_row(frame)
    title, body = hubkit.click_and_confirm(frame, row.locator("td.collect a"))
    assert title == "Success", body
    assert "Not collected" in body and "owned by student2" in body, body
    submitted = layout.course_root / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["student1", "student2"]
    nb1 = submitted / "student1" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert "precision_field" in nb1.read_text(), "collect took the forged folder"

    # autograde student1 with the formgrader's button
    row.locator("td.num-submissions a").click()
    frame.locator("td.student-id", has_text="student1").wait_for()
    sub = frame.locator("tr", has=frame.locator("td.student-id", has_text="student1"))
    title, body = hubkit.click_and_confirm(frame, sub.locator("td.autograde a"))
    assert title == "Success", body
    autograded = (layout.course_root / "autograded" / "student1" / ASSIGNMENT /
                  f"{ASSIGNMENT}.ipynb")
    c1 = hubkit.cell_by_id(hubkit.notebook_cells(autograded), "answer_fields")
    streams = [o for o in c1["outputs"] if o.get("output_type") == "stream"]
    # the course's nbgrader_config.py strips stderr before scoring (IgnorePattern)
    assert not [o for o in streams if o["name"] == "stderr"], c1["outputs"]
    # and grades in the OS sandbox, as the (unprivileged) grader account
    verdicts = json.loads((autograded.parent / "verdicts.json").read_text())
    assert verdicts["sandboxed"] is True and verdicts["status"] == "graded"

    # autograde student2 from the grader's terminal (the command line)
    log = hubkit.terminal_autograde(page, info, layout, "student2")
    assert "exit=0" in log, log
    course_config = layout.course_root / "nbgrader_config.py"
    assert f"Loaded config file: {course_config}" in log, log
    # the very file of the repository (a symbolic link, or a hard link when the
    # grader cannot traverse the checkout), never a copy of it
    assert os.path.samefile(course_config, hubkit.REPO / "nbgrader_config.py")
    verdicts = json.loads((layout.course_root / "autograded" / "student2" /
                           ASSIGNMENT / "verdicts.json").read_text())
    assert verdicts["sandboxed"] is True

    # grade A1 by hand
    frame = hubkit.open_formgrader(page, info)
    frame.get_by_role("link", name="Manual Grading").wait_for()
    sub_id = hubkit.submission_id(layout, "student1")
    # the formgrader tab goes straight to student1's submission, the page its
    # Manual Grading > assignment > notebook > submission links lead to (clicking
    # the first link too raced this navigation: one interrupted the other)
    tab = _frame_of(page, "/formgrader/")
    tab.goto(f"{hubkit.service_url(info)}/formgrader/submissions/{sub_id}")
    # the page fills its fields from the gradebook once loaded: wait for that
    grading = _frame_of(page, f"/formgrader/submissions/{sub_id}")
    grading.wait_for_load_state("networkidle")
    cell = grading.locator(".nbgrader_cell", has=grading.locator(
        "input.score#written_pytorch"))
    comment = grading.locator("textarea#written_pytorch-comment")
    graded = None
    for _ in range(3):
        comment.fill(COMMENT)
        comment.press("Tab")
        cell.get_by_role("button", name="Full credit").click()
        for _ in range(20):  # each field is saved on its change event
            graded = hubkit.manual_grade(layout, "student1", "written_pytorch")
            if graded == (1.0, COMMENT):
                break
            time.sleep(0.5)
        if graded == (1.0, COMMENT):
            break
    comment.scroll_into_view_if_needed()
    _shot(page, "formgrader_manual_grade")
    assert graded == (1.0, COMMENT)

    frame = hubkit.open_formgrader(page, info)
    row = hubkit.assignment_row(frame)
    title, body = hubkit.click_and_confirm(frame, row.locator("td.generate-feedback a"))
    assert title == "Success", body
    title, body = hubkit.click_and_confirm(frame, row.locator("td.release-feedback a"))
    assert title == "Success", body
    _shot(page, "formgrader_feedback_released")


def test_5_student1_reads_feedback(hub, browser):
    layout, info = hub
    page = state["student1"]
    page.goto(_Server(info, "student1").lab_url(), wait_until="domcontentloaded")
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for()
    panel = hubkit.open_assignment_list(page)
    submitted = hubkit.row_in(panel, "submitted_assignments_list", ASSIGNMENT).first
    submitted.get_by_role("button", name="Fetch Feedback").click()
    link = panel.locator("#submitted_assignments_list a", has_text="view feedback")
    link.first.wait_for(timeout=hubkit.LONG)
    link.first.click()  # the file browser goes to the feedback folder
    item = page.locator(".jp-DirListing-item", has_text=f"{ASSIGNMENT}.html")
    item.first.wait_for(timeout=hubkit.LONG)
    item.first.dblclick()
    viewer = page.frame_locator(".jp-HTMLViewer iframe").first
    body = viewer.locator("body")
    body.get_by_text(COMMENT).first.wait_for(timeout=hubkit.LONG)
    text = body.inner_text()
    labkit.collapse_left_sidebar(page)
    _shot(page, "student_feedback")
    fetched = list((hubkit.home_of("student1") / COURSE / ASSIGNMENT / "feedback"
                    ).rglob(f"{ASSIGNMENT}.html"))
    assert len(fetched) == 1 and COMMENT in fetched[0].read_text()
    assert COMMENT in text, text[:2000]
    assert re.search(r"Score:\s*\d", text), text[:2000]
    state["feedback_text"] = text


def test_6_student2_cannot_see_student1(hub):
    layout, _info = hub
    inbound = layout.exchange / COURSE / "inbound"
    feedback = layout.exchange / COURSE / "feedback"
    sub = state["student1_submission"]
    home1 = hubkit.home_of("student1")
    fetched = home1 / COURSE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    gid1 = hubkit.pwd.getpwnam("student1").pw_gid
    released_feedback = [p for p in sorted(feedback.glob("*.html"))
                         if p.stat().st_gid == gid1]
    assert released_feedback, "no feedback of student1's (group student1) released"
    denied = {
        "list the inbound folder": ("ls", str(inbound)),
        "read student1's submission": ("cat", str(sub / f"{ASSIGNMENT}.ipynb")),
        "list student1's submission": ("ls", str(sub)),
        "delete student1's submission": ("rm", "-rf", str(sub)),
        "rename student1's submission": ("mv", str(sub), str(inbound / "x")),
        "write into student1's submission": ("touch", str(sub / "x")),
        "list the feedback folder": ("ls", str(feedback)),
        "list student1's home": ("ls", str(home1)),
        "read student1's own copy": ("cat", str(fetched)),
        "read the grader's course copy": ("ls", str(layout.course_root)),
        "read the solutions in the checkout": (
            "cat", str(hubkit.REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")),
    }
    for i, path in enumerate(released_feedback):
        denied[f"read released feedback file {i}"] = ("cat", str(path))
    report = {}
    for what, cmd in denied.items():
        result = hubkit.as_user("student2", *cmd)
        report[what] = (result.returncode, result.stderr.strip())
        assert result.returncode != 0, f"student2 could {what}: {result.stdout[:200]}"
        assert "Permission denied" in result.stderr or "Operation not permitted" in (
            result.stderr), f"{what}: {result.stderr}"
    # and student1 itself could read its feedback (it did, in the browser)
    assert sub.exists() and (sub / f"{ASSIGNMENT}.ipynb").exists()
    (ARTIFACTS / "hub_isolation.json").write_text(json.dumps(report, indent=1))
