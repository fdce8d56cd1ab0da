"""Instructor commands for the graded workbooks: one command per step.

    python tools/instructor.py release              # source/ -> release/
    python tools/instructor.py collect DOWNLOADS    # files -> submitted/<student>/<a>/
    python tools/instructor.py collect --exchange   # or nbgrader's exchange
    python tools/instructor.py grade                # autograde all, on all cores
    python tools/instructor.py feedback             # feedback/<student>/<a>/*.html
    python tools/instructor.py export               # grades.csv
    python tools/instructor.py export --lms canvas  # grades_canvas.csv (or moodle)
    python tools/instructor.py report               # reports/item_analysis.*

``grade`` needs nothing but the repository and ``submitted/``: it fills nbgrader's
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

import argparse
import csv
import datetime as dt
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
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

ROOT = pathlib.Path(__file__).resolve().parents[1]
# run as a script, the repository root is not on sys.path: tools.report needs it
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# nbgrader runs the `alembic` command when it creates a gradebook: find the venv's
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")
STATUS_FILE = "grading_status.json"
_TOKEN = "@@course-grading-worker@@"


# ------------------------------------------------------------------------ helpers


def assignments_in(root: pathlib.Path) -> list[str]:
    """Assignment names: the folders of ``source/`` holding a same-named notebook."""
    source = root / "source"
    return sorted(p.name for p in source.iterdir()
                  if (p / f"{p.name}.ipynb").is_file()) if source.is_dir() else []


def submissions_in(root: pathlib.Path, assignments: Iterable[str]
                   ) -> list[tuple[str, str]]:
    """``(assignment, student)`` pairs found under ``submitted/``."""
    wanted = set(assignments)
    submitted = root / "submitted"
    pairs = []
    if submitted.is_dir():
        for student in sorted(p for p in submitted.iterdir() if p.is_dir()):
            for folder in sorted(p for p in student.iterdir() if p.is_dir()):
                if folder.name in wanted:
                    pairs.append((folder.name, student.name))
    return pairs


def _config(root: pathlib.Path, overrides: dict | None = None):
    """The course's nbgrader config (``root/nbgrader_config.py``) plus overrides."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    extra = Config()
    for dotted, value in (overrides or {}).items():
        section, name = dotted.rsplit(".", 1)
        extra[section][name] = value
    config.merge(extra)
    return config


def _api(root: pathlib.Path, overrides: dict | None = None):
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = _config(root, overrides)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def _gradebook(root: pathlib.Path):
    from nbgrader.api import Gradebook

    config = _config(root)
    return Gradebook(f"sqlite:///{root / 'gradebook.db'}",
                     config.CourseDirectory.course_id)


def _run_nbgrader(root: pathlib.Path, *args: str) -> None:
    """Run an ``nbgrader`` command in the course root; raise if it fails."""
    command = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"failed: nbgrader {' '.join(args)}")


# ------------------------------------------------------------------------ release


def release(root: pathlib.Path, assignments: list[str]) -> None:
    """Generate the student versions into ``release/`` (and the gradebook)."""
    api = _api(root)
    for name in assignments:
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            sys.stderr.write(result.get("log", "") + result.get("error", ""))
            raise SystemExit(f"failed to release {name}")
        print(f"released release/{name}/{name}.ipynb")


def prepare_gradebook(root: pathlib.Path, assignments: list[str],
                      students: Iterable[str]) -> None:
    """Put the assignments (with their cells) and the students into the gradebook.

    The student versions are generated into a temporary folder, so ``release/``
    is never touched by grading.
    """
    with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
        api = _api(root, {"CourseDirectory.release_directory": tmp})
        for name in assignments:
            result = api.generate_assignment(name, force=True, create=True)
            if not result["success"]:
                sys.stderr.write(result.get("log", "") + result.get("error", ""))
                raise SystemExit(f"could not add {name} to the gradebook")
    from tools.report.late_policy import apply_due_dates

    with _gradebook(root) as gb:
        for student in sorted(set(students)):
            gb.update_or_create_student(student)
        apply_due_dates(gb, _config(root), known=assignments_in(root))


# ------------------------------------------------------------------------ collect


def collect(root: pathlib.Path, folder: pathlib.Path | None, exchange: bool,
            assignments: list[str]) -> list[tuple[str, str]]:
    """Copy submissions into ``submitted/<student>/<assignment>/<assignment>.ipynb``.

    Accepted names in ``folder``: ``<student>_<assignment>.ipynb``,
    ``<student>/<assignment>.ipynb`` and ``<student>/<assignment>/<assignment>.ipynb``.
    With ``exchange``, runs ``nbgrader collect`` for each assignment instead.
    """
    if exchange:
        for name in assignments:
            _run_nbgrader(root, "collect", name)
        return submissions_in(root, assignments)
    if folder is None or not folder.is_dir():
        raise SystemExit(f"no such folder: {folder}")
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        match = _parse_submission(path.relative_to(folder), assignments)
        if match is None:
            print(f"skipped (no assignment name): {path}", file=sys.stderr)
            continue
        student, name = match
        dest = root / "submitted" / student / name
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / f"{name}.ipynb")
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        (dest / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        found.append((name, student))
        print(f"collected {student}/{name}")
    return found


def _parse_submission(relative: pathlib.Path, assignments: list[str]
                      ) -> tuple[str, str] | None:
    stem = relative.stem
    parts = relative.parts
    for name in sorted(assignments, key=len, reverse=True):
        if len(parts) >= 2 and stem == name:
            return _student_id(parts[0]), name
        if len(parts) == 1 and stem.endswith("_" + name) and len(stem) > len(name) + 1:
            return _student_id(stem[: -len(name) - 1]), name
    return None


def _student_id(text: str) -> str:
    student = re.sub(r"[^A-Za-z0-9_.@-]+", "_", text.strip()).strip("._")
    if not student:
        raise SystemExit(f"cannot make a student id from {text!r}")
    return student


# -------------------------------------------------------------------------- grade


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
            [sys.executable, str(pathlib.Path(__file__).resolve()),
             "--root", str(self.course), "_worker",
             "--overrides", json.dumps(overrides)],
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
          quiet: bool = False) -> list[Outcome]:
    """Autograde every submission of ``assignments`` under ``submitted/``.

    Args:
        jobs: worker processes (default: all cores); 1 grades serially.
        timeout: seconds per cell (default: ``Execute.timeout`` of the config).
        submission_timeout: seconds for a whole submission before its worker is
            stopped (default: 10 cell timeouts).

    Returns:
        One :class:`Outcome` per submission, also written to
        ``autograded/grading_status.json``.
    """
    pairs = submissions_in(root, assignments)
    students = sorted({student for _, student in pairs})
    prepare_gradebook(root, assignments, students)
    overrides = {} if timeout is None else {"Execute.timeout": int(timeout)}
    cell_timeout = timeout or _config(root).Execute.get("timeout", 30)
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

    course_id = _config(root).CourseDirectory.course_id
    by_course = {str(w.course): w for w in workers}
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


def _worker_main(course: pathlib.Path, overrides: dict) -> None:
    """Grade ``[assignment, student]`` lines from stdin, one result line each."""
    import logging

    api = _api(course, overrides)
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
                result = api.autograde(assignment, student, force=True, create=True)
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


# ----------------------------------------------------------------------- feedback


def feedback(root: pathlib.Path, assignments: list[str]) -> None:
    """Generate HTML feedback for every autograded submission."""
    api = _api(root)
    for name in assignments:
        if not any((root / "autograded").glob(f"*/{name}")):
            continue
        result = api.generate_feedback(name, force=True)
        if not result["success"]:
            sys.stderr.write(result.get("log", "") + result.get("error", ""))
            raise SystemExit(f"feedback failed for {name}")
        print(f"feedback for {name} in feedback/")


# ------------------------------------------------------------------------- export

EXPORT_COLUMNS = [
    "assignment", "student_id", "timestamp", "raw_score", "late_submission_penalty",
    "score", "max_score", "needs_manual_grade", "autograde_status",
]


def refresh_penalties(root: pathlib.Path) -> int:
    """Apply the late policy again to the current scores (after manual grading)."""
    from tools.report.late_policy import configured_plugin
    from tools.report.late_policy import refresh_penalties as refresh

    with _gradebook(root) as gb:
        return refresh(gb, configured_plugin(_config(root)))


def export(root: pathlib.Path, to: pathlib.Path) -> int:
    """Write one CSV row per student and assignment (0 when not submitted)."""
    refresh_penalties(root)
    status_path = root / "autograded" / STATUS_FILE
    status = json.loads(status_path.read_text()) if status_path.exists() else {}
    rows = []
    with _gradebook(root) as gb:
        for assignment in gb.assignments:
            for student in gb.students:
                try:
                    sub = gb.find_submission(assignment.name, student.id)
                except Exception:  # MissingEntry: not submitted
                    rows.append([assignment.name, student.id, "", 0.0, 0.0, 0.0,
                                 assignment.max_score, False, "not submitted"])
                    continue
                penalty = sub.late_submission_penalty or 0.0
                entry = status.get(f"{student.id}/{assignment.name}", {})
                rows.append([
                    assignment.name, student.id, sub.timestamp or "",
                    sub.score, penalty, max(0.0, sub.score - penalty),
                    sub.max_score, sub.needs_manual_grade,
                    entry.get("status", "graded") + (
                        f": {entry['reason']}" if entry.get("reason") else ""),
                ])
    with open(to, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {to}")
    return len(rows)


def export_lms(root: pathlib.Path, lms: str, mapping: pathlib.Path,
               to: pathlib.Path, assignment_map: pathlib.Path | None = None) -> int:
    """Write the grades in Canvas's or Moodle's import layout (see tools.report.lms).

    Raises SystemExit naming the students missing from ``mapping``; nothing is
    written then.
    """
    from tools.report.build import student_rows
    from tools.report.lms import MappingError, write_lms

    try:
        count = write_lms(student_rows(root, _config(root)), lms, mapping, to,
                          assignment_map)
    except MappingError as error:
        raise SystemExit(f"export --lms {lms}: {error}") from None
    print(f"wrote {count} students to {to} ({lms} import layout)")
    return count


def report(root: pathlib.Path, out: pathlib.Path, catalogue: pathlib.Path | None,
           include_students: bool) -> dict[str, pathlib.Path]:
    """Write the item-analysis report (tools.report.build)."""
    from tools.report.build import build_report
    from tools.report.verdicts import VerdictsError

    try:
        paths = build_report(root, out, _config(root), catalogue, include_students)
    except VerdictsError as error:
        raise SystemExit(f"report: {error}") from None
    for path in paths.values():
        print(f"wrote {path}")
    return paths


# ---------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path, default=ROOT,
                        help="course root (default: this repository)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("release", "generate release/ from source/"),
                       ("feedback", "generate HTML feedback into feedback/")):
        p = sub.add_parser(name, help=text)
        p.add_argument("assignments", nargs="*")
    p = sub.add_parser("collect", help="copy submissions into submitted/")
    p.add_argument("folder", nargs="?", type=pathlib.Path)
    p.add_argument("--exchange", action="store_true",
                   help="collect from nbgrader's exchange instead")
    p.add_argument("--assignment", action="append", dest="assignments", default=[])
    p = sub.add_parser("grade", help="autograde every submission, in parallel")
    p.add_argument("assignments", nargs="*")
    p.add_argument("--jobs", type=int, default=None, help="workers (default: cores)")
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell")
    p = sub.add_parser("export", help="write the grades as CSV")
    p.add_argument("--to", type=pathlib.Path, default=None,
                   help="CSV file (default: grades.csv, or grades_<lms>.csv)")
    p.add_argument("--lms", choices=["canvas", "moodle"], default=None,
                   help="write the LMS's grade-import layout instead")
    p.add_argument("--map", type=pathlib.Path, default=None,
                   help="student mapping CSV for --lms (default: lms_students.csv)")
    p.add_argument("--assignments", type=pathlib.Path, default=None,
                   dest="assignment_map",
                   help="optional CSV assignment,lms_column naming the columns")
    p = sub.add_parser("report", help="write reports/item_analysis.html and .csv")
    p.add_argument("--out", type=pathlib.Path, default=None,
                   help="folder (default: reports/ in the course root)")
    p.add_argument("--catalogue", type=pathlib.Path, default=None,
                   help="catalogue of mistakes (JSON; default: the built-in one)")
    p.add_argument("--without-students", action="store_true",
                   help="leave out the per-student section (a report to share)")
    p = sub.add_parser("_worker")
    p.add_argument("--overrides", default="{}")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.command == "_worker":
        _worker_main(root, json.loads(args.overrides))
        return 0
    known = assignments_in(root)
    chosen = getattr(args, "assignments", None) or known
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise SystemExit(f"unknown assignment(s): {', '.join(unknown)}; "
                         f"known: {', '.join(known)}")
    if args.command == "release":
        release(root, chosen)
    elif args.command == "collect":
        collect(root, args.folder, args.exchange, chosen)
    elif args.command == "grade":
        outcomes = grade(root, chosen, jobs=args.jobs, timeout=args.timeout)
        failed = [o for o in outcomes if o.status != "graded"]
        print(f"graded {len(outcomes) - len(failed)} submission(s); "
              f"{len(failed)} could not be graded (0 points, reason in the gradebook)")
    elif args.command == "feedback":
        feedback(root, chosen)
    elif args.command == "export" and args.lms:
        export_lms(root, args.lms, args.map or root / "lms_students.csv",
                   args.to or root / f"grades_{args.lms}.csv", args.assignment_map)
    elif args.command == "export":
        export(root, args.to or root / "grades.csv")
    elif args.command == "report":
        report(root, args.out or root / "reports", args.catalogue,
               not args.without_students)
    return 0


if __name__ == "__main__":
    sys.exit(main())
