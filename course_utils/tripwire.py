"""The tripwire: a learner's function must not call course_utils' own kernels.

:func:`call_own` runs a learner's function while a profiler records every call
into any module of the ``course_utils`` package (found by the code's module and
by its file, however the function was imported or renamed). The self-check and
the hidden tests call learner functions through it. An audit hook, which cannot
be removed, notices a learner who switches the profiler off.

This guards the self-check on a learner's own machine. Graded marks do not rest
on it alone: when a workbook is graded, the learner's code runs in a sandbox that
holds none of course_utils' kernels at all (``tools/grading``).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["LibraryKernelUsed", "call_own"]

_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__))
_STATE = {"armed": False, "tampered": False, "hooked": False}


class LibraryKernelUsed(AssertionError):
    """A learner's function reached course_utils' own code instead of its own."""


def _is_course_code(frame: Any) -> bool:
    name = frame.f_globals.get("__name__", "")
    if isinstance(name, str) and (name == "course_utils"
                                  or name.startswith("course_utils.")):
        return name != __name__
    path = os.path.realpath(frame.f_code.co_filename)
    return path.startswith(_PACKAGE_DIR + os.sep) and path != os.path.realpath(
        __file__)


def _audit(event: str, args: tuple) -> None:
    if _STATE["armed"] and event in ("sys.setprofile", "sys.settrace"):
        _STATE["tampered"] = True


@contextlib.contextmanager
def _tripwire() -> Iterator[list[str]]:
    """Record every call into course_utils while the block runs."""
    if not _STATE["hooked"]:
        sys.addaudithook(_audit)  # cannot be removed: catches profiler switching
        _STATE["hooked"] = True
    seen: dict[Any, bool] = {}
    hits: list[str] = []

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event != "call":
            return
        code = frame.f_code
        if code not in seen:
            seen[code] = _is_course_code(frame)
        if seen[code]:
            module = frame.f_globals.get("__name__", "course_utils")
            hits.append(f"{module}.{code.co_name}")

    previous = sys.getprofile()
    _STATE["tampered"] = False
    sys.setprofile(profile)
    _STATE["armed"] = True
    try:
        yield hits
    finally:
        _STATE["armed"] = False
        current = sys.getprofile()
        sys.setprofile(previous)
        if current is not profile or _STATE["tampered"]:
            hits.append("<the profiler was switched off>")


def call_own(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a learner's function; fail if it reaches course_utils' code.

    Raises:
        LibraryKernelUsed: the call went into a module of ``course_utils``
            (``bits``, ``quant``, ``integers``, ... however imported or renamed).

    >>> call_own(lambda a: a + 1, 1)
    2
    >>> from course_utils.integers import int_range
    >>> call_own(lambda n: int_range(n), 4)
    Traceback (most recent call last):
    ...
    course_utils.tripwire.LibraryKernelUsed: <lambda> calls course_utils \
(course_utils.integers.check_n_bits, course_utils.integers.int_range); write \
the computation yourself with Python or torch operations
    """
    if not callable(fn):
        from course_utils.answers import AnswerFormatError, describe

        raise AnswerFormatError(f"expected a function, got {describe(fn)}")
    with _tripwire() as hits:
        result = fn(*args, **kwargs)
    if hits:
        name = getattr(fn, "__name__", "your function")
        raise LibraryKernelUsed(
            f"{name} calls course_utils ({', '.join(sorted(set(hits)))}); "
            "write the computation yourself with Python or torch operations")
    return result
