"""The lesson notebooks, one module each: ``NAME`` and its ``CELLS``.

``python -m tools.generate`` writes ``notebooks/<NAME>.ipynb`` from each; the
notebooks are never edited by hand.
"""

from __future__ import annotations

import nbformat

from tools.lessons import (
    l01_handling_big_models,
    l02_data_types,
    l03_downcasting,
    l04_loading_models,
    l05_linear_quantization,
    l06_block_formats,
)
from tools.nbbuild import notebook

__all__ = ["LESSONS", "build"]

#: Every lesson, in course order.
LESSONS = [l01_handling_big_models, l02_data_types, l03_downcasting,
           l04_loading_models, l05_linear_quantization, l06_block_formats]


def build(lesson) -> nbformat.NotebookNode:
    """The notebook of one lesson module."""
    import copy

    return notebook(copy.deepcopy(lesson.CELLS), lesson.NAME[:2])
