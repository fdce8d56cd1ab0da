"""Timing shared by the benchmarks: interleaved calls, median seconds."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable


def interleaved(fns: dict[str, Callable[[], object]], repeats: int
                ) -> dict[str, float]:
    """Median seconds of each function, calls interleaved so noise hits all alike."""
    for fn in fns.values():  # warm up
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def machine_line() -> str:
    """torch's version and threads and the load average, to print with ratios."""
    import torch

    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return (f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
            f"load average {load} (ratios are noisy on a busy machine)")
