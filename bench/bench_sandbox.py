"""Extra start-up time of the grading sandbox: sandboxed kernel vs a plain one.

Each measurement starts a kernel, runs a one-cell notebook (``import torch``)
and stops the kernel, as nbgrader does per submission: a plain
``AsyncKernelManager`` (TCP, what grading uses today) against
``SandboxKernelManager`` (bubblewrap, ipc sockets). Also a plain process
(``python -c "import torch"``) against ``run_command``. Interleaved medians.

Run: .venv/bin/python bench/bench_sandbox.py [repeats]   (as root or a grader)
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from jupyter_core.utils import run_sync  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbformat.v4 import new_code_cell, new_notebook  # noqa: E402
from timing import interleaved  # noqa: E402

from tools.grading.kernel import SandboxKernelManager  # noqa: E402
from tools.grading.policy import sandbox_available  # noqa: E402
from tools.grading.sandbox import run_command  # noqa: E402

SOURCE = "import torch\nprint(torch.ones(3).sum())"


def _notebook():
    return new_notebook(cells=[new_code_cell(SOURCE)], metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})


def plain_kernel() -> None:
    nb = _notebook()
    NotebookClient(nb, timeout=60, shutdown_kernel="immediate").execute()
    assert "tensor(3.)" in nb.cells[0].outputs[0]["text"]


def sandboxed_kernel() -> None:
    nb = _notebook()
    km = SandboxKernelManager()
    try:
        NotebookClient(nb, km=km, timeout=60).execute()
    finally:
        run_sync(km.shutdown_kernel)(now=True)
    assert "tensor(3.)" in nb.cells[0].outputs[0]["text"]


def plain_process() -> None:
    subprocess.run([sys.executable, "-c", SOURCE], check=True, capture_output=True)


def sandboxed_process() -> None:
    result = run_command(["python", "-c", SOURCE])
    assert result.returncode == 0, result.reason


def main(repeats: int = 5) -> dict[str, float]:
    """Print medians and the sandboxed/plain ratios; return the ratios."""
    available = sandbox_available()
    if not available:
        print(f"no sandbox here: {available.reason}; fix: {available.fix}")
        return {}
    times = interleaved({"plain kernel": plain_kernel,
                         "sandboxed kernel": sandboxed_kernel,
                         "plain process": plain_process,
                         "sandboxed process": sandboxed_process}, repeats)
    for name, seconds in times.items():
        print(f"{name:20s} {seconds * 1000:8.0f} ms")
    ratios = {
        "sandbox kernel start+run / plain": times["sandboxed kernel"]
        / times["plain kernel"],
        "sandbox process / plain": times["sandboxed process"]
        / times["plain process"]}
    for name, ratio in ratios.items():
        print(f"{name:40s} {ratio:6.3f}")
    print(f"extra per kernel: "
          f"{(times['sandboxed kernel'] - times['plain kernel']) * 1000:.0f} ms, "
          f"per process: "
          f"{(times['sandboxed process'] - times['plain process']) * 1000:.0f} ms")
    return ratios


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
