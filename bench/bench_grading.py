"""Grading speed: the sandbox's cost, and parallel grading on all cores.

    .venv/bin/python bench/bench_grading.py        # 30 per workbook: make bench-grading
    .venv/bin/python bench/bench_grading.py --n 6  # a quicker look

The same submissions of every workbook (a third right, a third partly wrong, a
third blank) are graded, in one run:

- ``sandboxed_s``: ``grade`` on all cores, learners' code in the OS sandbox;
- ``unsafe_s``: the same with ``--unsafe-no-sandbox`` (the baseline); the goal
  is ``sandbox_ratio = sandboxed_s / unsafe_s <= 1.15``;
- ``serial_s``: sandboxed with one worker; the goal is ``speedup = serial_s /
  sandboxed_s >= 1.7`` on 2 cores;
- ``per_notebook_s``: sandboxed serial time / submissions.

The two parallel runs alternate in halves (sandboxed, unsafe, unsafe, sandboxed)
so that a machine that gets busier or quieter during the run favours neither.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.grading import engine  # noqa: E402
from tools.grading.samples import (  # noqa: E402
    ASSIGNMENTS,
    answered,
    make_course,
    read,
    solution,
    submit,
)
from tools.steps import prepare_gradebook  # noqa: E402

WRONG = {
    "01_data_types": {"answer_byte_values": "value_unsigned = 1\nvalue_signed = 2"},
    "02_loading_models": {"answer_cast": "model_bf16 = model.to(torch.bfloat16)"},
    "03_linear_quantization": {
        "answer_by_hand": "hand_scale = 0.5\nhand_zero_point = 3"},
    "04_block_formats": {  # the e8m0 bias forgotten
        "answer_by_hand": "hand_scale_code = 1\nhand_x_hat_largest = -12.0\n"
                          "hand_x_hat_tie = 4.0"},
}


def _submissions(assignment: str, n: int) -> list:
    kinds = [solution(assignment), answered(assignment, **WRONG[assignment]),
             read("release", assignment)]
    return [kinds[i % 3] for i in range(n)]


def _course(base: pathlib.Path, n: int, first: int = 0) -> pathlib.Path:
    course = make_course(base)
    for assignment in ASSIGNMENTS:
        for i, nb in enumerate(_submissions(assignment, n)):
            submit(course, f"student{first + i:02d}", assignment, nb)
    return course


def _grade_seconds(base: pathlib.Path, n: int, jobs: int, unsafe: bool,
                   first: int = 0) -> float:
    course = _course(base, n, first)
    # the gradebook is filled first, outside the timing, as it is once per class
    prepare_gradebook(course, ASSIGNMENTS,
                      [f"student{first + i:02d}" for i in range(n)])
    start = time.perf_counter()
    outcomes = engine.grade(course, ASSIGNMENTS, jobs=jobs, quiet=True,
                            unsafe_no_sandbox=unsafe)
    seconds = time.perf_counter() - start
    failed = [o for o in outcomes if o.status != "graded"]
    if failed or len(outcomes) != n * len(ASSIGNMENTS):
        raise SystemExit(f"grading failed: {failed[:3]}")
    return seconds


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="submissions per workbook")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    half = max(1, args.n // 2)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = pathlib.Path(tmp)
        sandboxed = _grade_seconds(base / "s1", half, cores, unsafe=False)
        unsafe = _grade_seconds(base / "u1", half, cores, unsafe=True)
        unsafe += _grade_seconds(base / "u2", args.n - half, cores, unsafe=True,
                                 first=half)
        sandboxed += _grade_seconds(base / "s2", args.n - half, cores, unsafe=False,
                                    first=half)
        serial = _grade_seconds(base / "serial", args.n, 1, unsafe=False)
    count = args.n * len(ASSIGNMENTS)
    load = os.getloadavg()[0]
    result = {
        "submissions": count, "cores": cores,
        "sandboxed_s": round(sandboxed, 1), "unsafe_s": round(unsafe, 1),
        "sandbox_ratio": round(sandboxed / unsafe, 3),
        "serial_s": round(serial, 1), "speedup": round(serial / sandboxed, 2),
        "per_notebook_s": round(serial / count, 2),
    }
    print(f"grading {count} submissions ({args.n} per workbook) on {cores} cores, "
          f"load average {load:.1f}")
    print(f"  sandboxed, parallel {result['sandboxed_s']:8.1f} s")
    print(f"  unsafe,    parallel {result['unsafe_s']:8.1f} s   sandbox ratio "
          f"{result['sandbox_ratio']:.3f}  (goal <= 1.15)")
    print(f"  sandboxed, serial   {result['serial_s']:8.1f} s   speedup "
          f"{result['speedup']:.2f}x  (goal >= 1.7x on 2 cores)")
    print(f"  per notebook (sandboxed, serial): {result['per_notebook_s']:.2f} s")
    return result


if __name__ == "__main__":
    main()
