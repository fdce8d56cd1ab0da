"""Whether widgets can be shown here, or the static fallback must be used.

The rule, in :func:`has_widget_frontend`:

1. ``static=True``/``False`` passed to an explorer wins;
2. else the environment variable ``COURSE_WIDGETS`` (``static`` or
   ``interactive``) wins;
3. else widgets are shown only inside an IPython *kernel* that has a comm
   manager, when the cell was not sent by a batch executor: nbclient (used by
   nbconvert, nbgrader and papermill) sends every cell with ``allow_stdin=False``,
   while JupyterLab, Notebook and VS Code send ``allow_stdin=True``; a kernel
   whose parent process is a known batch runner also counts as batch.
"""

from __future__ import annotations

import os

__all__ = ["MODE_ENV", "has_widget_frontend", "in_kernel"]

#: Environment variable forcing a mode: ``static`` or ``interactive``.
MODE_ENV = "COURSE_WIDGETS"

_BATCH_RUNNERS = ("nbconvert", "nbclient", "papermill", "nbgrader", "pytest",
                  "nbval", "testbook")


def _is_batch_argv(argv: list[str]) -> bool:
    """Whether a command line launches nbconvert, pytest, nbgrader, ...

    Only the program's name and a ``-m module`` or script after ``python`` are
    read, never the other arguments: a course folder called ``nbgrader-course``
    does not make JupyterLab a batch runner.

    >>> _is_batch_argv(["/usr/bin/python3", "-m", "nbgrader", "autograde", "ps1"])
    True
    >>> _is_batch_argv(["jupyter-lab", "--notebook-dir=/home/u/nbgrader-course"])
    False
    """
    if not argv:
        return False
    names = [os.path.basename(argv[0])]
    if "python" in names[0] and len(argv) > 1:
        rest = argv[1:]
        names.append(rest[1] if rest[0] == "-m" and len(rest) > 1 else rest[0])
    names = [os.path.basename(name) for name in names]
    return any(runner in name for name in names for runner in _BATCH_RUNNERS)


def _parent_is_batch_runner() -> bool:
    """Whether the kernel's parent process is a batch runner (see above)."""
    pid = os.environ.get("JPY_PARENT_PID") or str(os.getppid())
    try:
        with open(f"/proc/{int(pid)}/cmdline", "rb") as f:
            argv = f.read().decode(errors="replace").split("\0")
    except (OSError, ValueError):
        return False
    return _is_batch_argv([a for a in argv if a])


def has_widget_frontend(static: bool | None = None) -> bool:
    """Whether widgets can be shown here (see this module's docstring for the rule).

    Args:
        static: ``True`` forces the static fallback, ``False`` forces widgets.

    >>> has_widget_frontend()          # a doctest runs without a front end
    False
    >>> has_widget_frontend(static=False)
    True
    """
    if static is not None:
        return not static
    mode = os.environ.get(MODE_ENV, "").strip().lower()
    if mode in {"static", "0", "off", "false"}:
        return False
    if mode in {"interactive", "1", "on", "true", "widgets"}:
        return True
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the course
        return False
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    if kernel is None or getattr(kernel, "comm_manager", None) is None:
        try:
            import comm

            if kernel is None or comm.get_comm_manager() is None:
                return False
        except Exception:
            return False
    if not getattr(kernel, "_allow_stdin", True):
        return False
    return not _parent_is_batch_runner()


def in_kernel() -> bool:
    """Whether we run in a Jupyter kernel (which can show images and HTML)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    return getattr(get_ipython(), "kernel", None) is not None
