"""Speed of course_utils.bits.fields against a numpy baseline (issue 2, section 5).

Ratio (ours / baseline, median of interleaved repeats in one run; lower is better):

- ``fields_fp32_ratio``: ``bits.fields(x, "fp32")`` on 4M float32 values (a torch
  tensor) over numpy's ``a.view(np.uint32)`` followed by the three shifts/masks
  ``u >> 31``, ``(u >> 23) & 0xFF``, ``u & 0x7FFFFF`` on the same values as a numpy
  array. Goal <= 1.5. Measured with torch's default thread count (the goal) and,
  for information, with one torch thread (``fields_fp32_ratio_1thread``; numpy's
  baseline is single-threaded either way).

Run: .venv/bin/python bench/bench_bits.py
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import torch
from timing import interleaved  # bench/timing.py

from course_utils import bits

REPEATS = 15
N = 4 * 1024 * 1024


def _interleaved(fns: dict[str, Callable[[], object]], repeats: int = REPEATS
                 ) -> dict[str, float]:
    return interleaved(fns, repeats)


def bench_fields(n: int = N) -> dict[str, float]:
    """fields() on n float32 values against numpy view(uint32) + shifts."""
    torch.manual_seed(0)
    x = torch.randn(n)
    a = x.numpy().copy()

    def ours():
        return bits.fields(x, "fp32")

    def numpy_baseline():
        u = a.view(np.uint32)
        return u >> 31, (u >> 23) & 0xFF, u & 0x7FFFFF

    s, e, m = ours()                       # same answer before timing
    ref = numpy_baseline()
    assert all(np.array_equal(t.numpy(), r) for t, r in zip((s, e, m), ref,
                                                               strict=True))
    ratios = {}
    threads = torch.get_num_threads()
    for label, n_threads in (("", threads), ("_1thread", 1)):
        torch.set_num_threads(n_threads)
        try:
            t = _interleaved({"ours": ours, "numpy": numpy_baseline})
        finally:
            torch.set_num_threads(threads)
        print(f"fields fp32, {n} values, torch threads {n_threads}: ours "
              f"{t['ours'] * 1e3:.2f} ms, numpy view+shift {t['numpy'] * 1e3:.2f} ms "
              f"(medians of {REPEATS})")
        ratios[f"fields_fp32_ratio{label}"] = t["ours"] / t["numpy"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(1-minute load average {load:.2f} on {os.cpu_count()} cores: torch's "
          "threads slow down sharply when other processes use the cores)")
    return ratios


def main() -> dict[str, float]:
    """Run the bits benchmarks; print and return their ratios."""
    ratios = bench_fields()
    for key, value in ratios.items():
        print(f"{key} = {value:.3f}" + (" (goal <= 1.5)" if key.endswith("ratio")
                                         else ""))
    return ratios


if __name__ == "__main__":
    main()
