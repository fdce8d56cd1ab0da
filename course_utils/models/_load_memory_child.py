"""The fresh process behind :mod:`course_utils.models.load_memory` (Lesson 4).

Run as ``python -m course_utils.models._load_memory_child CASES_JSON``: loads the
model once to warm up, then measures each case and prints one JSON list (one
result per case) as its last line. Linux only (``/proc/self``).
"""

from __future__ import annotations

import ctypes
import gc
import json
import sys

import torch

from course_utils.dtypes import torch_dtype
from course_utils.models.footprint import memory_footprint
from course_utils.models.loading import load_model

try:
    _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
except (OSError, AttributeError):  # not glibc
    _TRIM = None


def release() -> None:
    """Free garbage and hand freed heap pages back to the system."""
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)


def status(field: str) -> int:
    """A size field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``) in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field + " not in /proc/self/status")


def read_all(model: torch.nn.Module) -> None:
    """Touch every weight once, so memory-mapped weights become resident."""
    with torch.no_grad():
        for p in model.parameters():
            p.sum()


def measure(case: dict) -> dict:
    """Resident sizes around loading one case (see ``measure_load_memories``)."""
    release()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak (VmHWM) to the current resident size
    before = status("VmRSS")
    first = case["dtype"] if case["via"] == "direct" else case["via"]
    model = load_model(case["name"], dtype=first, online=case["online"])
    if case["via"] != "direct":
        model = model.to(torch_dtype(case["dtype"]))
    gc.collect()
    peak, after = status("VmHWM"), status("VmRSS")
    read_all(model)
    out = {"before": before, "peak": peak, "after": after,
           "after_use": status("VmRSS"), "footprint": memory_footprint(model)}
    del model
    release()
    return out


def main(argv: list[str]) -> int:
    """Measure the cases given as JSON in ``argv[0]``; print the results."""
    cases = json.loads(argv[0])
    # Warm-up: load each model once and throw it away, so that code run on the
    # first load (lazy imports, library pages, thread pools) is not counted.
    for name in dict.fromkeys(case["name"] for case in cases):
        read_all(load_model(name, online=cases[0]["online"]))
    results = []
    for case in cases:
        try:
            results.append(measure(case))
        except Exception as err:  # reported by the parent process
            results.append({"error": f"{type(err).__name__}: {err}"})
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
