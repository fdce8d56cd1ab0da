"""Every lesson notebook runs top to bottom offline without errors, and follows
the course's order.

Execution is marked ``slow``. Each run's wall time (kernel start included) is
written to ``tests/artifacts/notebook_times/<notebook>.json`` and printed, so the
time of every lesson can be reported without timing assertions. (That the
notebooks are stored clean is checked once, in ``test_repo.py``.)
"""

from __future__ import annotations

import json
import pathlib
import platform
import time

import nbformat
import pytest

from course_utils.notebook import SETUP_CELL
from tools import course

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "tests" / "artifacts" / "notebook_times"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))

#: Any HTTP(S) request from the kernel goes to a closed local port and fails fast.
NO_NETWORK = "http://127.0.0.1:9"


def _ids(paths: list[pathlib.Path]) -> list[str]:
    return [p.stem for p in paths]


def test_the_lessons_are_the_course_order():
    assert [p.stem for p in PATHS] == list(course.LESSONS)


@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_lesson_starts_with_the_setup_and_ends_with_next(path: pathlib.Path):
    nb = nbformat.read(path, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells and code_cells[0].source.strip() == SETUP_CELL
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(
        f"# {course.lesson_title(path.stem)}")
    workbook = course.workbook_after(path.stem)
    last_markdown = [c for c in nb.cells if c.cell_type == "markdown"][-1]
    if workbook:
        assert workbook in last_markdown.source


@pytest.fixture
def offline_env(monkeypatch):
    """The kernel inherits this environment: hub offline, no HTTP(S) network."""
    monkeypatch.delenv("COURSE_ONLINE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy",
                "https_proxy", "all_proxy"):
        monkeypatch.setenv(var, NO_NETWORK)
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def _problems(nb) -> list[str]:
    """Error outputs and anything written to stderr, per cell."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                found.append(f"cell {i} wrote to stderr: {out.text[:300]!r}")
    return found


def _slowest_cells(nb, n: int = 3) -> list[dict]:
    """The ``n`` slowest code cells, from the timing nbclient records in metadata."""
    from datetime import datetime

    timed = []
    for i, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        start = timing.get("iopub.execute_input")
        end = timing.get("shell.execute_reply")
        if cell.cell_type == "code" and start and end:
            seconds = (datetime.fromisoformat(end.replace("Z", "+00:00"))
                       - datetime.fromisoformat(start.replace("Z", "+00:00")))
            timed.append({"cell": i, "seconds": round(seconds.total_seconds(), 2),
                          "first_line": cell.source.splitlines()[0][:70]})
    return sorted(timed, key=lambda t: -t["seconds"])[:n]


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_notebook_runs_offline(path: pathlib.Path, offline_env):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        allow_errors=True,  # collect every error instead of stopping at the first
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    record = {
        "notebook": path.name,
        "seconds": round(seconds, 2),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "slowest_cells": _slowest_cells(nb),
    }
    (ARTIFACTS / f"{path.stem}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"\n{path.name}: executed in {seconds:.1f} s")

    problems = _problems(nb)
    assert not problems, "\n".join(problems)
    executed = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in executed)
