"""The benchmarks stay runnable: they import, and cover every workbook.

They are run by hand (``make bench``, ``make bench-grading``), never timed here;
these tests only catch a benchmark left behind by a change (a workbook added,
a module renamed).
"""

from __future__ import annotations

import importlib
import sys

import pytest

from tools.grading.samples import ASSIGNMENTS, solution

from .conftest import ROOT

BENCH = ROOT / "bench"
SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "timing")  # a helper
#: minutes long, run on their own (make bench-grading; bench_sandbox.py --memory)
ON_THEIR_OWN = {"bench_grading", "bench_sandbox"}


@pytest.fixture(scope="module", autouse=True)
def bench_on_path():
    sys.path.insert(0, str(BENCH))
    yield
    sys.path.remove(str(BENCH))


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_benchmark_imports(name):
    module = importlib.import_module(name)
    assert callable(getattr(module, "main", None)), f"bench/{name}.py has no main()"


def test_run_all_runs_every_ratio_benchmark():
    run_all = importlib.import_module("run_all")
    ratios = {name for name in SCRIPTS if name.startswith("bench_")} - ON_THEIR_OWN
    assert set(run_all.BENCHES) == ratios


def test_grading_bench_has_a_wrong_answer_for_every_workbook():
    bench_grading = importlib.import_module("bench_grading")
    assert set(bench_grading.WRONG) == set(ASSIGNMENTS)
    for assignment in ASSIGNMENTS:
        right, wrong, blank = bench_grading._submissions(assignment, 3)
        assert wrong != right and blank != right, assignment
        assert wrong.cells != solution(assignment).cells
