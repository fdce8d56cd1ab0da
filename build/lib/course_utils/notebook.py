"""The set-up cell every course notebook starts with: quiet, seeded, offline.

It also puts this Python's own ``ninja`` first on ``PATH`` (:func:`pin_ninja`), so
that optimum-quanto's C++ kernel (lesson 5) is built once, whatever ``PATH`` the
kernel was started with.

Every lesson and workbook starts with :data:`SETUP_CELL` (the generators and the
tests read it from here)::

    from course_utils.notebook import setup
    setup()
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import sys
import warnings

import torch

from course_utils.offline import is_online

#: The first code cell of every lesson and workbook.
SETUP_CELL = "from course_utils.notebook import setup\nsetup()"


def silence() -> None:
    """Silence warnings and library chatter that would reach stderr.

    nbgrader scores a test cell 0 if it writes to stderr, and a lesson should show
    the learner only what matters.

    >>> silence()
    >>> os.environ["TRANSFORMERS_VERBOSITY"]
    'error'
    """
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ["TRANSFORMERS_VERBOSITY"] = "error"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    if not is_online():
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
    for name in ("transformers", "huggingface_hub", "optimum", "torch", "torchao",
                 "matplotlib"):
        logging.getLogger(name).setLevel(logging.ERROR)


def seed(value: int = 0) -> None:
    """Seed Python's and torch's random generators.

    >>> seed(1); a = torch.rand(2); seed(1); bool((a == torch.rand(2)).all())
    True
    """
    random.seed(value)
    torch.manual_seed(value)


def ninja_dir() -> str | None:
    """The folder of the ``ninja`` that ``make setup`` installed with this Python.

    The PyPI package ``ninja`` says where its program is (``ninja.BIN_DIR``);
    without it, the folder of this Python's own scripts if it holds a ``ninja``.

    >>> folder = ninja_dir()
    >>> folder is None or os.path.isfile(os.path.join(folder, "ninja"))
    True
    """
    try:
        import ninja

        candidates = [getattr(ninja, "BIN_DIR", None)]
    except ImportError:  # pragma: no cover - ninja comes with the course
        candidates = []
    candidates.append(os.path.dirname(sys.executable))
    for folder in candidates:
        if folder and os.path.isfile(os.path.join(folder, "ninja")):
            return folder
    return None


def pin_ninja() -> str | None:
    """Put this Python's ``ninja`` first on ``PATH``; return its path (or None).

    torch builds optimum-quanto's C++ kernel (lesson 5) by running the first
    ``ninja`` on ``PATH``, and two ninja versions disagree about the build log:
    each one rebuilds (about 30 s) what the other built. The venv's ninja built it
    during ``make setup``; with it first on the kernel's ``PATH``, the kernel
    reuses that build, however JupyterLab was started.

    >>> found = pin_ninja()
    >>> found is None or shutil.which("ninja") == found
    True
    """
    folder = ninja_dir()
    if folder is None:
        return None
    parts = [p for p in os.environ.get("PATH", "").split(os.pathsep)
             if p and os.path.abspath(p) != os.path.abspath(folder)]
    os.environ["PATH"] = os.pathsep.join([folder, *parts])
    return shutil.which("ninja")


def setup(seed_value: int = 0, threads: int | None = None) -> None:
    """Prepare a notebook: silence warnings, seed, set display defaults.

    Also :func:`pin_ninja`, before any lesson can import optimum-quanto.

    Args:
        seed_value: seed for Python's and torch's generators.
        threads: torch intra-op threads (default: torch's own choice).

    >>> setup()
    >>> torch.get_default_dtype()
    torch.float32
    """
    silence()
    pin_ninja()
    seed(seed_value)
    if threads is not None:
        torch.set_num_threads(threads)
    torch.set_printoptions(precision=4, sci_mode=False, linewidth=100)
    if _in_ipython():
        _display_defaults()


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the course
        return False
    return get_ipython() is not None


def _display_defaults() -> None:
    """Inline figures at a readable size, with a colour-blind-safe cycle."""
    import matplotlib

    from course_utils.style import use_course_style

    use_course_style()
    matplotlib.rcParams["figure.dpi"] = 100
