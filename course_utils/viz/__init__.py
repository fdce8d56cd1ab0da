"""Matplotlib figures for the course: bits, quantization grids, errors, sizes.

``from course_utils import viz`` gives every figure the lessons draw. Each
function builds its figure without pyplot and returns the ``Figure``; Jupyter
shows a returned figure by itself. Colours come from :mod:`course_utils.style`
(Okabe-Ito, distinct for the common kinds of colour blindness).

- :mod:`.base`: blank figures (the style is :mod:`course_utils.style`);
- :mod:`.bits`: float and integer bit layouts, number lines (lesson 2);
- :mod:`.quant`: grids over histograms, codes and errors (lesson 5);
- :mod:`.blocks`: one block on its grid, scale rules, error per bit (lesson 6);
- :mod:`.memory`: model sizes, curves, byte counts (lessons 1, 3, 4).
"""

from __future__ import annotations

from course_utils.style import FIELD_COLOURS, OKABE_ITO, use_course_style
from course_utils.viz.bits import bit_layout, format_layouts, int_layout, number_line
from course_utils.viz.blocks import block_figure, error_vs_bits_per_value, scale_ratios
from course_utils.viz.memory import lines, memory_bars, model_memory
from course_utils.viz.quant import (
    error_heatmap,
    error_vs_bits,
    grid_comparison,
    grid_histogram,
    quantization_panels,
)

__all__ = [
    "FIELD_COLOURS", "OKABE_ITO", "bit_layout", "block_figure", "error_heatmap",
    "error_vs_bits", "error_vs_bits_per_value", "format_layouts", "grid_comparison",
    "grid_histogram", "int_layout", "lines", "memory_bars", "model_memory",
    "number_line", "quantization_panels", "scale_ratios", "use_course_style",
]
