"""Every lesson notebook: stored clean, and runs top to bottom offline without errors.

Execution is marked ``slow``. Each run's wall time (kernel start included) is
written to ``tests/artifacts/notebook_times/<notebook>.json`` and printed, so the
time of every lesson can be reported without timing assertions.
"""

from __future__ import annotations

import json
import pathlib
import platform
import time

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "tests" / "artifacts" / "notebook_times"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
SETUP_CELL = "from course_utils.notebook import setup\nsetup()"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

#: The graded workbook each lesson points to at its end (by lesson number).
WORKBOOK_OF = {
    "01": "01_data_types",
    "02": "01_data_types",
    "03": "02_loading_models",
    "04": "02_loading_models",
    "05": "03_linear_quantization",
}

#: Any HTTP(S) request from the kernel goes to a closed local port and fails fast.
NO_NETWORK = "http://127.0.0.1:9"


def _ids(paths: list[pathlib.Path]) -> list[str]:
    return [p.stem for p in paths]


def test_lessons_exist():
    names = {p.stem[:2] for p in PATHS}
    assert {"01", "03", "04"} <= names, f"lesson notebooks missing: {sorted(names)}"


@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_notebook_is_stored_clean(path: pathlib.Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec") == KERNELSPEC
    dirty = [
        i for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"cells with outputs or execution counts: {dirty}"
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells and code_cells[0].source.strip() == SETUP_CELL
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_lesson_points_to_its_workbook(path: pathlib.Path):
    workbook = WORKBOOK_OF.get(path.stem[:2])
    if workbook is None:
        pytest.skip(f"{path.name} is not one of the five numbered lessons")
    nb = nbformat.read(path, as_version=4)
    last_markdown = [c for c in nb.cells if c.cell_type == "markdown"][-1]
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
