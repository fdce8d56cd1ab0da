"""Grading speed: 30 submissions of every workbook, serial against parallel.

    .venv/bin/python bench/bench_grading.py            # 30 per workbook
    .venv/bin/python bench/bench_grading.py --n 6      # a quicker look

Prints, and returns from ``main()``:

- ``serial_s``: ``tools/instructor.py grade --jobs 1`` on all submissions;
- ``parallel_s``: the same with one worker per core (goal: serial / parallel
  >= 1.7 on 2 cores);
- ``grade_per_notebook_s``: serial time / submissions;
- ``plain_per_notebook_s``: executing the same notebooks with nbclient alone
  (no nbgrader: kernel start, all cells, kernel stop);
- ``overhead_ratio``: grade_per_notebook_s / plain_per_notebook_s (goal <= 2).

The submissions are a third right, a third partly wrong, a third blank.
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

from tests.grading_helpers import (  # noqa: E402
    ASSIGNMENTS,
    answered,
    instructor,
    make_course,
    read,
    solution,
    submit,
)

WRONG = {
    "01_data_types": {"answer_byte_values": "value_unsigned = 1\nvalue_signed = 2"},
    "02_loading_models": {"answer_cast": "model_bf16 = model.to(torch.bfloat16)"},
    "03_linear_quantization": {
        "answer_by_hand": "hand_scale = 0.5\nhand_zero_point = 3"},
}


def _submissions(assignment: str, n: int) -> list:
    kinds = [solution(assignment), answered(assignment, **WRONG[assignment]),
             read("release", assignment)]
    return [kinds[i % 3] for i in range(n)]


def _course(base: pathlib.Path, n: int) -> pathlib.Path:
    course = make_course(base)
    for assignment in ASSIGNMENTS:
        for i, nb in enumerate(_submissions(assignment, n)):
            submit(course, f"student{i:02d}", assignment, nb)
    return course


def _plain_seconds(n: int) -> float:
    """Mean time to execute one submission with nbclient alone."""
    import nbclient

    runs = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for assignment in ASSIGNMENTS:
            for nb in _submissions(assignment, n):
                client = nbclient.NotebookClient(
                    nb, timeout=30, kernel_name="python3", allow_errors=True,
                    resources={"metadata": {"path": tmp}})
                client.execute()
                runs += 1
    return (time.perf_counter() - start) / runs


def _grade_seconds(base: pathlib.Path, n: int, jobs: int) -> float:
    course = _course(base, n)
    tool = instructor()
    # the gradebook is filled first, outside the timing, as it is once per class
    tool.prepare_gradebook(course, ASSIGNMENTS, [f"student{i:02d}" for i in range(n)])
    start = time.perf_counter()
    outcomes = tool.grade(course, ASSIGNMENTS, jobs=jobs, quiet=True)
    seconds = time.perf_counter() - start
    failed = [o for o in outcomes if o.status != "graded"]
    if failed or len(outcomes) != n * len(ASSIGNMENTS):
        raise SystemExit(f"grading failed: {failed[:3]}")
    return seconds


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="submissions per workbook")
    parser.add_argument("--plain-n", type=int, default=3,
                        help="notebooks per workbook for the plain execution time")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = pathlib.Path(tmp)
        serial = _grade_seconds(base / "serial", args.n, jobs=1)
        parallel = _grade_seconds(base / "parallel", args.n, jobs=cores)
    plain = _plain_seconds(args.plain_n)
    count = args.n * len(ASSIGNMENTS)
    result = {
        "submissions": count,
        "cores": cores,
        "serial_s": round(serial, 1),
        "parallel_s": round(parallel, 1),
        "speedup": round(serial / parallel, 2),
        "grade_per_notebook_s": round(serial / count, 2),
        "plain_per_notebook_s": round(plain, 2),
        "overhead_ratio": round(serial / count / plain, 2),
    }
    print(f"grading {count} submissions ({args.n} per workbook) on {cores} cores")
    print(f"  serial   {result['serial_s']:8.1f} s")
    print(f"  parallel {result['parallel_s']:8.1f} s   speedup "
          f"{result['speedup']:.2f}x  (goal >= 1.7x on 2 cores)")
    print(f"  per notebook: grading {result['grade_per_notebook_s']:.2f} s, plain "
          f"execution {result['plain_per_notebook_s']:.2f} s, ratio "
          f"{result['overhead_ratio']:.2f}  (goal <= 2)")
    return result


if __name__ == "__main__":
    main()
