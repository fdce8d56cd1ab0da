"""optimum-quanto's C++ kernel is built once, whatever ninja comes first on PATH.

torch builds the kernel with the first ``ninja`` on ``PATH``; Debian's ninja and
the venv's (PyPI) ninja disagree about the build log, so each rebuilds what the
other built (about 30 s on an idle machine, far more on a busy one).
``course_utils.notebook.setup`` puts the venv's ninja first, so a lesson's kernel
reuses the build of ``make setup`` even when JupyterLab was started with another
ninja first on ``PATH``. This checks that fact, not a speed: the built library's
file is not rewritten.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.notebook import ninja_dir

ROOT = Path(__file__).resolve().parents[1]

_LESSON_KERNEL = """
import shutil
from course_utils.notebook import setup
setup()
print(shutil.which("ninja"))
from optimum.quanto.library.extensions.cpp import ext
ext.lib
"""


def _run(code: str, path: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=path, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_another_ninja_first_on_path_does_not_rebuild_the_kernel():
    ours = ninja_dir()
    assert ours is not None, "the venv has no ninja: `make setup` installs it"
    other = shutil.which("ninja", path=os.pathsep.join(["/usr/bin", "/bin"]))
    if other is None or Path(other).resolve() == (Path(ours) / "ninja").resolve():
        pytest.skip("no second ninja on this machine (Debian's is /usr/bin/ninja: "
                    "apt-get install -y ninja-build)")
    from optimum.quanto.library.extensions.cpp import ext

    library = Path(ext.build_directory) / "quanto_cpp.so"
    venv_first = os.pathsep.join([ours, os.environ.get("PATH", "")])
    if not library.exists():  # build it once, as `make setup` does
        built = _run("from optimum.quanto.library.extensions.cpp import ext; ext.lib",
                     venv_first)
        assert built.returncode == 0, built.stderr[-2000:]
    before = library.stat().st_mtime_ns

    debian_first = os.pathsep.join(["/usr/bin", "/bin", ours])
    run = _run(_LESSON_KERNEL, debian_first)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == str(Path(ours) / "ninja")
    assert library.stat().st_mtime_ns == before, (
        "the kernel was rebuilt although the set-up put the venv's ninja first")
