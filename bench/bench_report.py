"""The item-analysis report of 300 learners x every workbook (goal: under 10 s).

    .venv/bin/python bench/bench_report.py             # 300 learners
    .venv/bin/python bench/bench_report.py --n 100     # a quicker look

A synthetic class (``tools.report.synthetic.random_class`` on the course's real
workbook layout: 300 learners, the four workbooks, right answers, catalogued and other
mistakes, blanks, late and missing submissions) is written once; then, in the
same run, interleaved, median of repeats:

- ``report_cli_s``: ``python -m tools.instructor report`` in a fresh interpreter, what
  ``make report`` runs (imports, late policy, gradebook, verdicts, figures, files);
- ``export_cli_s``, the baseline: nbgrader's own ``nbgrader export`` of the same
  gradebook (a CSV of one score per student and assignment);
- ``report_s`` / ``export_s``: the same two in this process (no start-up):
  ``build_report`` against nbgrader's ``CsvExportPlugin.export``;
- ``*_cli_cpu_s``: the CPU time (user + system) of each command, which a busy
  machine does not inflate as it does the wall time.

Prints the times and the ratios report / export.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from timing import interleaved  # noqa: E402

from tools.report.build import build_report, load_config  # noqa: E402
from tools.report.late_policy import configured_plugin  # noqa: E402
from tools.report.synthetic import COURSE_ID, course_layout, random_class  # noqa: E402

GOAL_S = 10.0


CPU: dict[str, list[float]] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], cwd: pathlib.Path, name: str) -> None:
    """Run a command; record its CPU seconds (user + system) under ``name``."""
    before = _children_cpu()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True,
                            text=True)
    if result.returncode:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    CPU.setdefault(name, []).append(_children_cpu() - before)


def main(n: int = 300, repeats: int = 3) -> dict[str, float]:
    """Build the class, time report and export both ways, print the ratios."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    base = pathlib.Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        course = base / "course"
        course.mkdir()
        shutil.copy(ROOT / "nbgrader_config.py", course)
        start = time.perf_counter()
        config = load_config(course)
        counts = random_class(course, n, seed=1, plugin=configured_plugin(config))
        print(f"synthetic class: {n} learners x {len(course_layout())} workbooks, "
              f"{counts} ({time.perf_counter() - start:.1f} s to write)")
        db = f"sqlite:///{course / 'gradebook.db'}"

        def export_in_process() -> None:
            with Gradebook(db, COURSE_ID) as gb:
                CsvExportPlugin(config=config, to=str(base / "export.csv")).export(gb)

        cli = {
            "report_cli_s": lambda: _run([sys.executable, "-m", "tools.instructor",
                                          "--root", str(course), "report"], course,
                                         "report"),
            "export_cli_s": lambda: _run([sys.executable, "-m", "nbgrader", "export",
                                          "--to", str(base / "nbgrader.csv")],
                                         course, "export"),
        }
        inproc = {"report_s": lambda: build_report(course, base / "reports", config),
                  "export_s": export_in_process}
        times = {**interleaved(cli, repeats), **interleaved(inproc, repeats)}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    times["report_cli_cpu_s"] = statistics.median(CPU["report"])
    times["export_cli_cpu_s"] = statistics.median(CPU["export"])
    load = os.getloadavg()[0]
    cli_ratio = times["report_cli_s"] / times["export_cli_s"]
    inproc_ratio = times["report_s"] / times["export_s"]
    rows = [
        ("make report (python -m tools.instructor report)", times["report_cli_s"], " s",
         f"   (goal < {GOAL_S:.0f} s)"),
        ("  its CPU time (user + system)", times["report_cli_cpu_s"], " s", ""),
        ("nbgrader export, same gradebook", times["export_cli_s"], " s", ""),
        ("  its CPU time (user + system)", times["export_cli_cpu_s"], " s", ""),
        ("ratio report / export, fresh interpreter", cli_ratio, "", ""),
        ("build_report in process", times["report_s"], " s", ""),
        ("CsvExportPlugin.export in process", times["export_s"], " s", ""),
        ("ratio report / export, in process", inproc_ratio, "", ""),
    ]
    for label, value, unit, note in rows:
        print(f"{label + ':':43s}{value:6.2f}{unit}{note}")
    print(f"load average (1 min) at the end: {load:.1f} on {os.cpu_count()} cores; "
          "wall times above CPU times mean other processes shared the cores")
    return {**times, "report_vs_export_cli": cli_ratio,
            "report_vs_export_inproc": inproc_ratio}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="learners")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    main(args.n, args.repeats)
