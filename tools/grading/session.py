"""One submission's sandbox: what of the course it sees, and its kernel manager.

The learner's kernel sees the system, the Python environment and, of the course,
only a *reduced package*: ``course_utils`` with nothing but the set-up modules
(:data:`SANDBOX_MODULES`) and a self-check that says it is off. None of the
course's kernels, answer hashes or catalogue, nothing of ``tools/`` (where the
workbook definitions hold the solutions), no ``source/``, no gradebook, no other
submission. The one file of the grader it gets is the answer transport
(:mod:`tools.grading.transport`), read-only.
"""

from __future__ import annotations

import pathlib
import shutil
import tempfile

import course_utils
import tools
from tools.grading import transport
from tools.grading.policy import refusal_message, sandbox_available
from tools.grading.sandbox import RESERVED

__all__ = ["SANDBOX_MODULES", "TRANSPORT", "SandboxSession", "require_sandbox"]

#: The course_utils modules a graded learner's kernel gets (its set-up).
SANDBOX_MODULES = ("__init__.py", "notebook.py", "offline.py", "style.py",
                   "workbook.py")
#: Where the answer transport is inside the sandbox.
TRANSPORT = "/opt/course-grader/transport.py"

_CHECKS_STUB = '''"""The self-check is switched off while a workbook is graded."""

_OFF = "(the self-check is off while this workbook is graded)"


def check(name, value):
    print(_OFF)
    return False


def check_all(namespace=None):
    print(_OFF)
    return {}
'''


def require_sandbox() -> None:
    """Refuse to grade without the sandbox, with the reason and the fix.

    Raises:
        SystemExit: the sandbox cannot be set up here, or the course lies in a
            path the sandbox makes itself (``RESERVED``, e.g. under /tmp).
    """
    if not sandbox_available():
        raise SystemExit(refusal_message())
    for part in (course_utils, tools):
        here = pathlib.Path(part.__file__).resolve().parent
        for top in RESERVED:
            if here == pathlib.Path(top) or pathlib.Path(top) in here.parents:
                raise SystemExit(
                    f"cannot grade in the sandbox: the course is under {top} "
                    f"({here}), which the sandbox makes anew for the learner, so "
                    f"the course cannot be bound there; fix: move the checkout "
                    f"out of {top}")


def _package_view(folder: pathlib.Path) -> pathlib.Path:
    """A copy of course_utils holding only the set-up modules (and the stub)."""
    package = pathlib.Path(course_utils.__file__).resolve().parent
    view = folder / "course_utils"
    view.mkdir()
    for name in SANDBOX_MODULES:
        shutil.copy(package / name, view / name)
    (view / "checks.py").write_text(_CHECKS_STUB)
    return view


class SandboxSession:
    """The sandbox of one submission (made by ``GradeInSandbox``).

    Args:
        folder: the submission's autograded folder; its files other than
            notebooks are copied into the kernel's working folder.
        timeout: nbgrader's cell timeout (the sandbox's wall clock is a
            multiple of it).
    """

    transport_path = TRANSPORT

    def __init__(self, folder: pathlib.Path, timeout: float | None = 30) -> None:
        require_sandbox()
        self._tmp = pathlib.Path(tempfile.mkdtemp(prefix="course-view-"))
        view = _package_view(self._tmp)
        empty = self._tmp / "empty"
        empty.mkdir()
        package = pathlib.Path(course_utils.__file__).resolve().parent
        self.binds = [
            [str(view), str(package)],
            [str(empty), str(pathlib.Path(tools.__file__).resolve().parent)],
            [str(pathlib.Path(transport.__file__).resolve()), TRANSPORT],
        ]
        self.files = {p.name: str(p) for p in sorted(folder.iterdir())
                      if p.is_file() and not p.is_symlink()
                      and p.suffix != ".ipynb" and p.name != "timestamp.txt"}
        self.wall_seconds = 10 * float(timeout or 30) + 30
        self._km = None

    def kernel_manager(self):
        """A new kernel manager for this submission's kernel."""
        from tools.grading.kernel import SandboxKernelManager

        self._km = SandboxKernelManager(binds=self.binds, files=self.files,
                                        limits={"wall_seconds": self.wall_seconds})
        return self._km

    def close(self) -> str:
        """Clean up; say which sandbox limit ended the kernel, if one did."""
        status = self._km.sandbox_status() if self._km is not None else ""
        shutil.rmtree(self._tmp, ignore_errors=True)
        return status
