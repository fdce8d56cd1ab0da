"""The set-up cell every course notebook starts with: quiet, seeded, offline.

Every lesson and workbook starts with :data:`SETUP_CELL` (the generators and the
tests read it from here)::

    from course_utils.notebook import setup
    setup()
"""

from __future__ import annotations

import logging
import os
import random
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


def setup(seed_value: int = 0, threads: int | None = None) -> None:
    """Prepare a notebook: silence warnings, seed, set display defaults.

    Args:
        seed_value: seed for Python's and torch's generators.
        threads: torch intra-op threads (default: torch's own choice).

    >>> setup()
    >>> torch.get_default_dtype()
    torch.float32
    """
    silence()
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
