"""Interactive explorers for the lessons: float bits, integer bits, quantization.

Each explorer is an object with a ``.widget`` (an ipywidgets box) that Jupyter
shows when the object is the last expression of a cell. With no widget front end
(a notebook executed by nbconvert/nbclient/nbgrader, a plain terminal) it shows a
static figure and text instead (the rule: :mod:`.frontend`).

The widgets do not need a front end to work: tests drive them by clicking
(``explorer.bit_buttons[i].click()``) or typing (``explorer.value_text.value =
"0.1"``) and read ``explorer.value_html.value``.

- :mod:`.float_explorer`: any float format, built on ``explain.Explanation``;
- :mod:`.int_explorer`: unsigned and two's complement integers;
- :mod:`.playground`: linear quantization of a 2-D tensor;
- :mod:`.block_explorer`: one block of weights in MX, NVFP4 or NF4 (lesson 6).
"""

from __future__ import annotations

from course_utils.examples import demo_tensor
from course_utils.number_text import exact_decimal, parse_number
from course_utils.widgets.block_explorer import (
    BLOCK_FORMATS,
    BlockExplorer,
    block_explorer,
)
from course_utils.widgets.float_explorer import FloatExplorer, float_explorer
from course_utils.widgets.frontend import MODE_ENV, has_widget_frontend
from course_utils.widgets.int_explorer import IntExplorer, int_explorer
from course_utils.widgets.playground import (
    QuantizationPlayground,
    quantization_playground,
)

__all__ = [
    "BLOCK_FORMATS", "MODE_ENV", "BlockExplorer", "FloatExplorer", "IntExplorer",
    "QuantizationPlayground", "block_explorer", "demo_tensor", "exact_decimal",
    "float_explorer", "has_widget_frontend", "int_explorer", "parse_number",
    "quantization_playground",
]
