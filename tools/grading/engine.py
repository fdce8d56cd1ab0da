"""The grading engine: every submission autograded, in parallel, none lost.

It needs nothing but the course root and ``submitted/``: it fills nbgrader's
gradebook (``gradebook.db``) with the assignments from ``source/`` and the
students found in ``submitted/`` itself. It grades students in parallel: every
worker process has its own copy of the course and of the gradebook (nbgrader's
gradebook is one SQLite file, so parallel writers would collide); the results are
merged into the main gradebook afterwards, the same numbers a serial run gives
(``tests/test_grading.py`` checks this). A submission that cannot be graded
(invalid notebook, a kernel that never answers) gets 0 with the reason as the
comment, and the other students are graded as usual.
"""

from __future__ import annotations

import json
import os
import pathlib
import queue
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from tools.steps import STATUS_FILE, api, config, prepare_gradebook, submissions_in

__all__ = ["Outcome", "grade"]

_TOKEN = "@@course-grading-worker@@"


@dataclass
class Outcome:
    """What happened to one submission."""

    assignment: str
    student: str
    status: str = "graded"        # "graded" or "error"
    reason: str = ""
    seconds: float = 0.0
    worker: str = field(default="", repr=False)


def _worker_course(root: pathlib.Path, base: pathlib.Path, students: Iterable[str]
                   ) -> pathlib.Path:
    """A private copy of the course for one worker: config, source, gradebook."""
    course = pathlib.Path(tempfile.mkdtemp(prefix="worker-", dir=base))
    shutil.copy(root / "nbgrader_config.py", course)
    shutil.copytree(root / "source", course / "source",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(root / "gradebook.db", course / "gradebook.db")
    (course / "submitted").mkdir()
    for student in students:
        (course / "submitted" / student).symlink_to(root / "submitted" / student)
    return course


class _Worker:
    """A persistent grading process with its own course copy and gradebook."""

    def __init__(self, root: pathlib.Path, base: pathlib.Path, students: list[str],
                 overrides: dict) -> None:
        self.course = _worker_course(root, base, students)
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tools.grading.engine", str(self.course),
             json.dumps(overrides)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(self.course / "worker.log", "wb"),
            cwd=self.course, env=env, start_new_session=True)
        self.done: list[tuple[str, str]] = []
        self._buffer = b""

    def run(self, assignment: str, student: str, limit: float) -> Outcome:
        start = time.monotonic()
        self.proc.stdin.write((json.dumps([assignment, student]) + "\n").encode())
        self.proc.stdin.flush()
        line = self._read_line(limit)
        seconds = time.monotonic() - start
        if line is None:
            died = self.proc.poll() is not None
            self.kill()
            reason = ("the grading process died" if died else
                      f"grading took longer than {limit:.0f} s and was stopped "
                      "(a cell that never ends?)")
            return Outcome(assignment, student, "error", reason, seconds)
        result = json.loads(line)
        self.done.append((assignment, student))
        return Outcome(assignment, student, result["status"], result["reason"], seconds,
                       str(self.course))

    def _read_line(self, limit: float) -> str | None:
        deadline = time.monotonic() + limit
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            while True:
                while b"\n" in self._buffer:
                    raw, self._buffer = self._buffer.split(b"\n", 1)
                    text = raw.decode(errors="replace")
                    if text.startswith(_TOKEN):
                        return text[len(_TOKEN):]
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(timeout=left):
                    return None
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:  # the worker died
                    return None
                self._buffer += chunk
        finally:
            selector.close()

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        # the worker's kernels run in its session: make sure none is left
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def grade(root: pathlib.Path, assignments: list[str], jobs: int | None = None,
          timeout: int | None = None, submission_timeout: float | None = None,
          quiet: bool = False, unsafe_no_sandbox: bool = False) -> list[Outcome]:
    """Autograde every submission of ``assignments`` under ``submitted/``.

    Args:
        jobs: worker processes (default: all cores); 1 grades serially.
        timeout: seconds per cell (default: ``Execute.timeout`` of the config).
        submission_timeout: seconds for a whole submission before its worker is
            stopped (default: 10 cell timeouts).
        unsafe_no_sandbox: run the learners' code without the OS sandbox (only
            where it cannot be set up); every grade records it.

    Raises:
        SystemExit: the sandbox cannot be set up here (with the reason and the
            fix) and ``unsafe_no_sandbox`` was not given.

    Returns:
        One :class:`Outcome` per submission, also written to
        ``autograded/grading_status.json``.
    """
    if not unsafe_no_sandbox:
        from tools.grading.session import require_sandbox

        require_sandbox()
    pairs = submissions_in(root, assignments)
    students = sorted({student for _, student in pairs})
    prepare_gradebook(root, assignments, students)
    overrides = {} if timeout is None else {"Execute.timeout": int(timeout)}
    if unsafe_no_sandbox:
        overrides["GradeInSandbox.sandbox"] = False
    cell_timeout = timeout or config(root).Execute.get("timeout", 30)
    limit = submission_timeout or 10 * cell_timeout + 60
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(students) or 1))

    tasks: queue.Queue = queue.Queue()
    for pair in sorted(pairs, key=lambda p: (p[1], p[0])):
        tasks.put(pair)
    outcomes: list[Outcome] = []
    workers: list[_Worker] = []
    lock = threading.Lock()
    base = pathlib.Path(tempfile.mkdtemp(prefix="course-grading-"))

    def slot() -> None:
        worker = None
        while True:
            try:
                assignment, student = tasks.get_nowait()
            except queue.Empty:
                break
            if worker is None:
                worker = _Worker(root, base, students, overrides)
                with lock:
                    workers.append(worker)
            outcome = worker.run(assignment, student, limit)
            if worker.proc.poll() is not None:  # killed or died: start afresh
                worker = None
            with lock:
                outcomes.append(outcome)
                if not quiet:
                    note = f" ({outcome.reason})" if outcome.reason else ""
                    print(f"{outcome.status:6} {student}/{assignment} "
                          f"{outcome.seconds:5.1f} s{note}", flush=True)

    try:
        threads = [threading.Thread(target=slot) for _ in range(jobs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for worker in workers:
            worker.close()
        _merge(root, workers, outcomes)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    outcomes.sort(key=lambda o: (o.assignment, o.student))
    status_path = root / "autograded" / STATUS_FILE
    status_path.parent.mkdir(exist_ok=True)
    previous = json.loads(status_path.read_text()) if status_path.exists() else {}
    for outcome in outcomes:
        previous[f"{outcome.student}/{outcome.assignment}"] = {
            k: v for k, v in asdict(outcome).items() if k != "worker"}
    status_path.write_text(json.dumps(previous, indent=1, sort_keys=True) + "\n")
    return outcomes


def _merge(root: pathlib.Path, workers: list[_Worker], outcomes: list[Outcome]
           ) -> None:
    """Copy every worker's results into the main gradebook and autograded/."""
    from nbgrader.api import Gradebook

    course_id = config(root).CourseDirectory.course_id
    by_course = {str(w.course): w for w in workers}
    # nbgrader's add_submission builds its rows before adding them to the
    # session, which SQLAlchemy 2 warns about on every submission; it then adds
    # and commits them, so nothing is lost: keep the instructor's terminal clear
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Object of type <Submitted",
                                module=r"nbgrader\.api")
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id) as main:
            for outcome in outcomes:
                worker = by_course.get(outcome.worker)
                if outcome.status == "graded" and worker is not None:
                    with Gradebook(f"sqlite:///{worker.course / 'gradebook.db'}",
                                   course_id) as gb:
                        _copy_submission(gb, main, outcome.assignment, outcome.student)
                    src = (worker.course / "autograded" / outcome.student
                           / outcome.assignment)
                    dest = root / "autograded" / outcome.student / outcome.assignment
                    if dest.exists():
                        shutil.rmtree(dest)
                    shutil.copytree(src, dest)
                else:
                    _record_failure(root, main, outcome)


def _copy_submission(src, dest, assignment: str, student: str) -> None:
    sub = src.find_submission(assignment, student)
    target = dest.update_or_create_submission(assignment, student,
                                              timestamp=sub.timestamp,
                                              extension=sub.extension)
    del target
    for notebook in sub.notebooks:
        nb = dest.find_submission_notebook(notebook.name, assignment, student)
        nb.flagged = notebook.flagged
        nb.late_submission_penalty = notebook.late_submission_penalty
        for grade_ in notebook.grades:
            mine = dest.find_grade(grade_.name, notebook.name, assignment, student)
            mine.auto_score = grade_.auto_score
            mine.manual_score = grade_.manual_score
            mine.extra_credit = grade_.extra_credit
            mine.needs_manual_grade = grade_.needs_manual_grade
        for comment in notebook.comments:
            mine = dest.find_comment(comment.name, notebook.name, assignment, student)
            mine.auto_comment = comment.auto_comment
            mine.manual_comment = comment.manual_comment
    dest.db.commit()


def _record_failure(root: pathlib.Path, gb, outcome: Outcome) -> None:
    """A submission nbgrader could not grade: 0 everywhere, the reason as comment."""
    folder = root / "submitted" / outcome.student / outcome.assignment
    stamp = folder / "timestamp.txt"
    kwargs = {"timestamp": stamp.read_text().strip()} if stamp.exists() else {}
    gb.update_or_create_submission(outcome.assignment, outcome.student, **kwargs)
    sub = gb.find_submission(outcome.assignment, outcome.student)
    note = f"Not graded automatically: {outcome.reason}"
    for notebook in sub.notebooks:
        for grade_ in notebook.grades:
            grade_.auto_score = 0.0
            grade_.needs_manual_grade = False
        for comment in notebook.comments:
            comment.auto_comment = note
    gb.db.commit()
    dest = root / "autograded" / outcome.student / outcome.assignment
    if dest.exists():
        shutil.rmtree(dest)


def worker_main(course: pathlib.Path, overrides: dict) -> None:
    """Grade ``[assignment, student]`` lines from stdin, one result line each."""
    import logging

    nb = api(course, overrides)
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    out = os.fdopen(os.dup(1), "w")
    # nbgrader and kernels must not write into the result channel
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    for line in sys.stdin:
        if not line.strip():
            continue
        assignment, student = json.loads(line)
        status, reason = "graded", ""
        try:
            path = course / "submitted" / student / assignment / f"{assignment}.ipynb"
            reason = _unreadable(path)
            if reason:
                status = "error"
            else:
                result = nb.autograde(assignment, student, force=True, create=True)
                if not result["success"]:
                    status, reason = "error", _reason(result)
        except Exception as error:  # never let one submission stop the batch
            status, reason = "error", f"{type(error).__name__}: {error}"
        out.write(_TOKEN + json.dumps({"status": status, "reason": reason}) + "\n")
        out.flush()


def _unreadable(path: pathlib.Path) -> str:
    """Why a submitted notebook cannot be graded ("" if it can be read)."""
    import nbformat

    if not path.exists():
        return ""  # nbgrader scores a missing notebook 0 by itself
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:
        return f"the notebook file is not a valid notebook ({type(error).__name__})"
    if not isinstance(nb.get("cells"), list):
        return "the notebook file has no cells"
    return ""


def _reason(result: dict) -> str:
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    for pattern, reason in (
        (r"kernel became unresponsive", "the kernel stopped answering"),
        (r"DeadKernelError|Kernel died", "the kernel died"),
        (r"failed to validate|ValidationError", "the notebook's nbgrader metadata is "
         "damaged"),
        (r"CellTimeoutError", "a cell never finished"),
    ):
        if re.search(pattern, text):
            return reason
    errors = re.findall(r"^\s*([\w.]+(?:Error|Exception): .*)$", text, re.MULTILINE)
    errors = [e for e in errors if "NbGraderException" not in e]
    lines = errors or [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip()[:200] if lines else "nbgrader could not grade it"




if __name__ == "__main__":  # a worker: python -m tools.grading.engine COURSE OVERRIDES
    worker_main(pathlib.Path(sys.argv[1]), json.loads(sys.argv[2]))
