"""Graded workbooks: their set-up cell, with course_utils' kernels switched off.

A workbook asks what the learner can do, so in a workbook the learner's own code
cannot import the course's kernels (``bits``, ``quant``, ``integers``, ...): it
gets an ImportError that says so. Only the set-up and the self-check remain
(:data:`WORKBOOK_MODULES`). On a learner's own machine this is a courtesy that
keeps the self-check honest (a determined learner can undo it); when a workbook
is *graded*, the learner's code runs in a sandbox whose copy of the package holds
nothing but the set-up modules, so there it is a fact.

Every workbook starts with :func:`setup_cell`::

    from course_utils.workbook import setup

    setup("01_data_types")

    import torch

    from course_utils.checks import check, check_all
"""

from __future__ import annotations

import importlib.abc
import sys
from typing import Any

from course_utils import notebook

__all__ = ["WORKBOOK_MODULES", "setup", "setup_cell"]

#: The modules of course_utils a learner's code may import in a workbook: the
#: set-up, and the self-check with what the visible tests use.
WORKBOOK_MODULES = frozenset({
    "notebook", "offline", "style", "workbook", "checks", "answers", "feedback",
    "catalogue", "_catalogue", "hashing", "mistakes", "kernel_slips", "probes",
    "tripwire",
})


def setup_cell(assignment: str) -> str:
    """The first code cell of the workbook ``assignment``.

    >>> print(setup_cell("01_data_types").splitlines()[2])
    setup("01_data_types")
    """
    return "\n".join([
        "from course_utils.workbook import setup", "",
        f'setup("{assignment}")', "",
        "import torch", "",
        "from course_utils.checks import check, check_all"])


def _blocked(fullname: str) -> bool:
    parts = fullname.split(".")
    return (len(parts) > 1 and parts[0] == "course_utils"
            and parts[1] not in WORKBOOK_MODULES)


def _from_course_utils() -> bool:
    """Whether the import was asked for by course_utils itself (its lazy imports)."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not (filename.startswith("<frozen importlib") or "importlib" in filename
                or frame.f_globals.get("__name__") == __name__):
            name = frame.f_globals.get("__name__", "")
            return isinstance(name, str) and name.startswith("course_utils")
        frame = frame.f_back
    return False


class _KernelsOff(importlib.abc.MetaPathFinder):
    """Refuses imports of course_utils' kernels from the learner's code."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if _blocked(fullname) and not _from_course_utils():
            raise ImportError(
                f"{fullname} is switched off in graded workbooks: the answers "
                "must be your own code (Python and torch). The lessons' tools "
                "are there to explore with, in the lesson notebooks.",
                name=fullname)
        return None


def switch_off_kernels() -> None:
    """Keep learner code away from course_utils' kernels (see the module doc)."""
    import course_utils.checks  # noqa: F401 - the self-check keeps its own refs

    if not any(isinstance(f, _KernelsOff) for f in sys.meta_path):
        sys.meta_path.insert(0, _KernelsOff())
    package = sys.modules["course_utils"]
    for name in [n for n in sys.modules if _blocked(n)]:
        del sys.modules[name]
        if name.count(".") == 1:
            package.__dict__.pop(name.split(".")[1], None)


def setup(assignment: str, seed_value: int = 0) -> None:
    """Prepare a workbook: the lessons' set-up, then the kernels switched off.

    Args:
        assignment: the workbook's name, e.g. ``"01_data_types"``.
        seed_value: seed for Python's and torch's generators.
    """
    notebook.setup(seed_value)
    switch_off_kernels()
