"""The thin nbgrader steps of a grading round: config, release, collect, feedback,
export.

Each step is nbgrader's own, run on the course root (the repository, or a copy)
with the course's ``nbgrader_config.py``. Grading itself is
:mod:`tools.grading.engine`; the command line is :mod:`tools.instructor`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable

ROOT = pathlib.Path(__file__).resolve().parents[1]
STATUS_FILE = "grading_status.json"


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


def config(root: pathlib.Path, overrides: dict | None = None):
    """The course's nbgrader config (``root/nbgrader_config.py``) plus overrides."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    settings = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    settings.CourseDirectory.root = str(root)
    settings.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    extra = Config()
    for dotted, value in (overrides or {}).items():
        section, name = dotted.rsplit(".", 1)
        extra[section][name] = value
    settings.merge(extra)
    return settings


def api(root: pathlib.Path, overrides: dict | None = None):
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    settings = config(root, overrides)
    coursedir = CourseDirectory(config=settings)
    return NbGraderAPI(coursedir=coursedir, config=settings)


def gradebook(root: pathlib.Path):
    from nbgrader.api import Gradebook

    settings = config(root)
    return Gradebook(f"sqlite:///{root / 'gradebook.db'}",
                     settings.CourseDirectory.course_id)


def run_nbgrader(root: pathlib.Path, *args: str) -> None:
    """Run an ``nbgrader`` command in the course root; raise if it fails."""
    command = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"failed: nbgrader {' '.join(args)}")


def release(root: pathlib.Path, assignments: list[str]) -> None:
    """Generate the student versions into ``release/`` (and the gradebook)."""
    nb = api(root)
    for name in assignments:
        result = nb.generate_assignment(name, force=True, create=True)
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
        nb = api(root, {"CourseDirectory.release_directory": tmp})
        for name in assignments:
            result = nb.generate_assignment(name, force=True, create=True)
            if not result["success"]:
                sys.stderr.write(result.get("log", "") + result.get("error", ""))
                raise SystemExit(f"could not add {name} to the gradebook")
    from tools.report.late_policy import apply_due_dates

    with gradebook(root) as gb:
        for student in sorted(set(students)):
            gb.update_or_create_student(student)
        apply_due_dates(gb, config(root), known=assignments_in(root))


def collect(root: pathlib.Path, folder: pathlib.Path | None, exchange: bool,
            assignments: list[str]) -> list[tuple[str, str]]:
    """Copy submissions into ``submitted/<student>/<assignment>/<assignment>.ipynb``.

    Accepted names in ``folder``: ``<student>_<assignment>.ipynb``,
    ``<student>/<assignment>.ipynb`` and ``<student>/<assignment>/<assignment>.ipynb``.
    With ``exchange``, runs ``nbgrader collect`` for each assignment instead.
    """
    if exchange:
        for name in assignments:
            run_nbgrader(root, "collect", name)
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


def feedback(root: pathlib.Path, assignments: list[str]) -> None:
    """Generate HTML feedback for every autograded submission."""
    nb = api(root)
    for name in assignments:
        if not any((root / "autograded").glob(f"*/{name}")):
            continue
        result = nb.generate_feedback(name, force=True)
        if not result["success"]:
            sys.stderr.write(result.get("log", "") + result.get("error", ""))
            raise SystemExit(f"feedback failed for {name}")
        print(f"feedback for {name} in feedback/")


EXPORT_COLUMNS = [
    "assignment", "student_id", "timestamp", "raw_score", "late_submission_penalty",
    "score", "max_score", "needs_manual_grade", "autograde_status",
]


def refresh_penalties(root: pathlib.Path) -> int:
    """Apply the late policy again to the current scores (after manual grading)."""
    from tools.report.late_policy import configured_plugin
    from tools.report.late_policy import refresh_penalties as refresh

    with gradebook(root) as gb:
        return refresh(gb, configured_plugin(config(root)))


def export(root: pathlib.Path, to: pathlib.Path) -> int:
    """Write one CSV row per student and assignment (0 when not submitted)."""
    refresh_penalties(root)
    status_path = root / "autograded" / STATUS_FILE
    status = json.loads(status_path.read_text()) if status_path.exists() else {}
    rows = []
    with gradebook(root) as gb:
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


