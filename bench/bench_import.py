"""Import time of `course_utils` divided by the import time of torch (goal <= 1.5).

Run: .venv/bin/python bench/bench_import.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

REPEATS = 7


def _time(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> dict[str, float]:
    """Median wall time of a fresh interpreter importing each, and their ratio."""
    _time("import torch, course_utils.bits, course_utils.quant")  # warm the disk cache
    torch_s = statistics.median(_time("import torch") for _ in range(REPEATS))
    code = "import course_utils, course_utils.bits, course_utils.quant"
    ours_s = statistics.median(_time(code) for _ in range(REPEATS))
    ratio = ours_s / torch_s
    print(f"import course_utils (+bits, quant): {ours_s:.3f} s")
    print(f"import torch:                       {torch_s:.3f} s")
    print(f"ratio: {ratio:.2f}  (goal <= 1.5)")
    return {"import_ratio": ratio}


if __name__ == "__main__":
    main()
