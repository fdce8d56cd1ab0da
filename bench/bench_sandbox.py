"""Extra start-up time of the grading sandbox: sandboxed kernel vs a plain one.

Each measurement starts a kernel, runs a one-cell notebook (``import torch``)
and stops the kernel, as nbgrader does per submission: a plain
``AsyncKernelManager`` (TCP, what grading uses today) against
``SandboxKernelManager`` (bubblewrap, ipc sockets). Also a plain process
(``python -c "import torch"``) against ``run_command``. Interleaved medians.

With ``--memory`` it instead runs the instructor version of every workbook
(``source/*/*.ipynb``) in a sandboxed kernel and prints the kernel's peak address
space (what RLIMIT_AS must allow) with and without ``MALLOC_ARENA_MAX=2``.

Run: .venv/bin/python bench/bench_sandbox.py [repeats | --memory]
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import nbformat  # noqa: E402
from jupyter_client import AsyncKernelManager  # noqa: E402
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


def _run_kernel(km) -> None:
    """Start a kernel with ``km``, run the notebook, stop it: the same for both."""
    nb = _notebook()
    try:
        NotebookClient(nb, km=km, timeout=60).execute()
    finally:
        run_sync(km.shutdown_kernel)(now=True)
    assert "tensor(3.)" in nb.cells[0].outputs[0]["text"]


def plain_kernel() -> None:
    _run_kernel(AsyncKernelManager(kernel_name="python3"))


def sandboxed_kernel() -> None:
    _run_kernel(SandboxKernelManager())


def plain_process() -> None:
    subprocess.run([sys.executable, "-c", SOURCE], check=True, capture_output=True)


def sandboxed_process() -> None:
    result = run_command(["python", "-c", SOURCE])
    assert result.returncode == 0, result.reason


PEAK = ("s = open('/proc/self/status').read()\n"
        "print(int(s.split('VmPeak:')[1].split()[0]) * 1024)")


def _installed_course_utils() -> str:
    """Where the venv imports course_utils from (the bind target)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-c", "import importlib.util as u; print(u.find_spec("
         "'course_utils').submodule_search_locations[0])"], env=env, cwd="/",
        capture_output=True, text=True, check=True).stdout.strip()


def workbook_peaks() -> None:
    """Print each workbook's peak address space in a sandboxed kernel."""
    root = HERE.parent
    bind = [[str(root / "course_utils"), _installed_course_utils()]]
    default = str(8 * (os.cpu_count() or 1))  # glibc's own default arena cap
    for arenas in (default, "2"):
        for path in sorted((root / "source").glob("*/*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            nb.cells.append(new_code_cell(PEAK))
            km = SandboxKernelManager(binds=bind,
                                      sandbox_env={"MALLOC_ARENA_MAX": arenas})
            try:
                NotebookClient(nb, km=km, timeout=120, allow_errors=True).execute()
            finally:
                run_sync(km.shutdown_kernel)(now=True)
            errors = [o.ename for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs if o.output_type == "error"]
            peak = int(nb.cells[-1].outputs[0]["text"]) / 2**30
            print(f"{path.name:32s} MALLOC_ARENA_MAX={arenas:3s} peak {peak:.2f} "
                  f"GiB  errors: {errors or 'none'}")


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
    if sys.argv[1:] == ["--memory"]:
        workbook_peaks()
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
