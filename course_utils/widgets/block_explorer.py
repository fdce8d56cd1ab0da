"""The block explorer (Lesson 6): one block of real weights in MX, NVFP4 or NF4.

Pick a format (MXFP4 with the FLOOR or RCEIL rule, MXFP8 e4m3 or e5m2, NVFP4,
NF4) and a block of a weight matrix (layer, row, block index); see each
element's bits coloured by field, the shared scale's bits, the dequantized
values and the error, and the block on its grid (``viz.block_figure``). Only the
chosen block is quantized; it gets exactly the codes it gets when the whole
matrix is quantized (NVFP4's per-tensor scale is the whole matrix's).

Stable CSS classes for browser tests: ``cu-block-explorer`` (the box),
``cu-block-format``, ``cu-block-layer``, ``cu-block-row``, ``cu-block-index``
(the controls), ``cu-block-scale`` (the scale's bits), ``cu-block-errors`` (the
numbers), ``cu-block-table`` (one row per element; its bits are spans with
``cu-bit`` and ``cu-field-<field>``; a clipped element's row has
``cu-clipped``).
"""

from __future__ import annotations

import base64
import html

import torch

from course_utils.blocks import mx_quantize, nf4_quantize, nvfp4_quantize
from course_utils.blocks.nvfp4 import nvfp4_tensor_scale
from course_utils.blocks.view import BlockView, block_view
from course_utils.examples import demo_tensor
from course_utils.style import CODE_COLOURS, CODE_TINTS
from course_utils.widgets.base import Explorer, png
from course_utils.widgets.frontend import has_widget_frontend

__all__ = ["BLOCK_FORMATS", "BlockExplorer", "block_explorer"]

#: The formats of the explorer: ``(scheme, element format, block size, rounding)``.
BLOCK_FORMATS: dict[str, tuple[str, str, int, str | None]] = {
    "MXFP4 (FLOOR)": ("mx", "fp4_e2m1", 32, "floor"),
    "MXFP4 (RCEIL)": ("mx", "fp4_e2m1", 32, "rceil"),
    "MXFP8 e4m3": ("mx", "fp8_e4m3fn", 32, "floor"),
    "MXFP8 e5m2": ("mx", "fp8_e5m2", 32, "floor"),
    "NVFP4": ("nvfp4", "fp4_e2m1", 16, None),
    "NF4": ("nf4", "nf4", 64, None),
}
#: Bits of storage per value of each format, scales included.
_BITS_PER_VALUE = {"MXFP4 (FLOOR)": 4.25, "MXFP4 (RCEIL)": 4.25, "MXFP8 e4m3": 8.25,
                   "MXFP8 e5m2": 8.25, "NVFP4": 4.5, "NF4": 4.5}
_ROW = 64  # every row length must be a multiple of the largest block


def _matrices(weights) -> dict[str, torch.Tensor]:
    """``{name: 2-D float tensor}`` from a tensor, a dict of tensors or of layers."""
    if weights is None:
        weights = demo_tensor(8, 128)
    if isinstance(weights, torch.Tensor):
        weights = {"weights": weights}
    if not isinstance(weights, dict) or not weights:
        raise TypeError("weights must be a 2-D tensor or a non-empty dict of them "
                        f"(or of nn.Linear layers), got {type(weights).__name__}")
    out = {}
    for name, w in weights.items():
        w = getattr(w, "weight", w)
        if not isinstance(w, torch.Tensor) or w.ndim != 2 or not w.is_floating_point():
            raise ValueError(f"{name}: expected a 2-D float tensor, got "
                             f"{getattr(w, 'shape', type(w).__name__)}")
        if w.shape[1] % _ROW:
            raise ValueError(f"{name}: its rows ({w.shape[1]} values) must be a "
                             f"multiple of {_ROW} long (NF4's block)")
        if not bool(torch.isfinite(w).all()):
            raise ValueError(f"{name}: the weights must be finite")
        out[str(name)] = w.detach().float()
    return out


def _bits_html(bits: str, spans) -> str:
    """Bits as spans coloured by field (set bits in full colour)."""
    field = {}
    for name, start, width in spans:
        for i in range(start, start + width):
            field[i] = name
    out = []
    for i, bit in enumerate(bits):
        name = field.get(i, "value")
        colour = (CODE_COLOURS if bit == "1" else CODE_TINTS)[name]
        text = "white" if bit == "1" else "#222222"
        out.append(f"<span class='cu-bit cu-field-{name}' style='background:"
                   f"{colour};color:{text};font-family:monospace;font-weight:bold;"
                   f"padding:0 3px;margin-right:1px'>{bit}</span>")
    return "".join(out)


class BlockExplorer(Explorer):
    """A format and a block of weights -> bits, scale, x_hat and error.

    Built by :func:`block_explorer` (lesson 6). Attributes: ``weights`` (name ->
    matrix), ``view`` (the :class:`~course_utils.blocks.view.BlockView` shown),
    ``bq`` (the block's ``BlockQuantized``), ``format_dropdown``,
    ``layer_dropdown``, ``row_slider``, ``block_slider``, ``scale_html``,
    ``errors_html``, ``table_html``, ``figure_output``, ``last_figure``.
    """

    def __init__(self, weights=None, fmt: str = "MXFP4 (FLOOR)",
                 layer: str | None = None, row: int = 0, block: int = 0,
                 static: bool | None = None):
        import ipywidgets as w

        self.weights = _matrices(weights)
        if fmt not in BLOCK_FORMATS:
            raise ValueError(f"fmt must be one of {', '.join(BLOCK_FORMATS)}, got "
                             f"{fmt!r}")
        layer = next(iter(self.weights)) if layer is None else layer
        if layer not in self.weights:
            raise ValueError(f"no layer called {layer!r}; known: "
                             f"{', '.join(self.weights)}")
        self.static = not has_widget_frontend(static)
        self._tensor_scales: dict[str, torch.Tensor] = {}
        self.format_dropdown = w.Dropdown(options=list(BLOCK_FORMATS), value=fmt,
                                          description="format")
        self.format_dropdown.add_class("cu-block-format")
        self.layer_dropdown = w.Dropdown(options=list(self.weights), value=layer,
                                         description="layer",
                                         layout=w.Layout(width="420px"))
        self.layer_dropdown.add_class("cu-block-layer")
        self.row_slider = w.IntSlider(value=0, min=0, max=0, description="row",
                                      continuous_update=False)
        self.row_slider.add_class("cu-block-row")
        self.block_slider = w.IntSlider(value=0, min=0, max=0, description="block",
                                        continuous_update=False)
        self.block_slider.add_class("cu-block-index")
        self.scale_html, self.errors_html = w.HTML(), w.HTML()
        self.table_html = w.HTML()
        self.scale_html.add_class("cu-block-scale")
        self.errors_html.add_class("cu-block-errors")
        self.table_html.add_class("cu-block-table")
        self.figure_output = w.Output()
        self.widget = w.VBox([
            w.HBox([self.format_dropdown, self.layer_dropdown]),
            w.HBox([self.row_slider, self.block_slider]),
            self.scale_html, self.errors_html, self.figure_output, self.table_html])
        self.widget.add_class("cu-block-explorer")
        self.last_figure = None
        with self._quietly():
            self._set_limits()
            self.row_slider.value = min(max(0, int(row)), self.row_slider.max)
            self.block_slider.value = min(max(0, int(block)), self.block_slider.max)
        self.format_dropdown.observe(self._on_format, names="value")
        self.layer_dropdown.observe(self._on_layer, names="value")
        for control in (self.row_slider, self.block_slider):
            control.observe(self._on_change, names="value")
        self.update()

    # -- state ---------------------------------------------------------------
    @property
    def fmt(self) -> str:
        """The chosen format's name (a key of :data:`BLOCK_FORMATS`)."""
        return self.format_dropdown.value

    @property
    def block_size(self) -> int:
        """Values per block of the chosen format."""
        return BLOCK_FORMATS[self.fmt][2]

    @property
    def matrix(self) -> torch.Tensor:
        """The chosen layer's weights."""
        return self.weights[self.layer_dropdown.value]

    def _set_limits(self) -> None:
        rows, cols = self.matrix.shape
        self.row_slider.max = rows - 1
        self.block_slider.max = cols // self.block_size - 1

    def _on_format(self, change) -> None:
        if self._syncing:
            return
        old = BLOCK_FORMATS[change["old"]][2]
        start = self.block_slider.value * old          # keep the first element
        with self._quietly():
            self._set_limits()
            self.block_slider.value = min(start // self.block_size,
                                          self.block_slider.max)
        self.update()

    def _on_layer(self, _change) -> None:
        if self._syncing:
            return
        with self._quietly():
            self._set_limits()
        self.update()

    def _on_change(self, _change) -> None:
        if not self._syncing:
            self.update()

    def select(self, fmt: str | None = None, layer: str | None = None,
               row: int | None = None, block: int | None = None) -> None:
        """Change any of the settings from code, then update once.

        Without ``block``, a new format keeps the block that holds the current
        block's first value. Raises ValueError for an unknown format or layer and
        for a row or block out of range.
        """
        if fmt is not None and fmt not in BLOCK_FORMATS:
            raise ValueError(f"fmt must be one of {', '.join(BLOCK_FORMATS)}, got "
                             f"{fmt!r}")
        if layer is not None and layer not in self.weights:
            raise ValueError(f"no layer called {layer!r}; known: "
                             f"{', '.join(self.weights)}")
        start = self.block_slider.value * self.block_size
        with self._quietly():
            if fmt is not None:
                self.format_dropdown.value = fmt
            if layer is not None:
                self.layer_dropdown.value = layer
            self._set_limits()
            rows, cols = self.matrix.shape
            n_blocks = cols // self.block_size
            for what, value, top in (("row", row, rows), ("block", block, n_blocks)):
                if value is not None and not (isinstance(value, int) and
                                              not isinstance(value, bool) and
                                              0 <= value < top):
                    raise ValueError(f"{what} must be an int in [0, {top}), got "
                                     f"{value!r}")
            if row is not None:
                self.row_slider.value = row
            self.block_slider.value = (block if block is not None else
                                       min(start // self.block_size, n_blocks - 1))
        self.update()

    def _tensor_scale(self) -> torch.Tensor:
        name = self.layer_dropdown.value
        if name not in self._tensor_scales:
            self._tensor_scales[name] = nvfp4_tensor_scale(self.matrix)
        return self._tensor_scales[name]

    def update(self) -> None:
        """Quantize the chosen block and refresh the read-outs (and figure)."""
        scheme, elem, bs, rounding = BLOCK_FORMATS[self.fmt]
        b = self.block_slider.value
        x = self.matrix[self.row_slider.value, b * bs:(b + 1) * bs].reshape(1, bs)
        if scheme == "mx":
            self.bq = mx_quantize(x, elem, bs, rounding)
        elif scheme == "nvfp4":
            self.bq = nvfp4_quantize(x, tensor_scale=self._tensor_scale())
        else:
            self.bq = nf4_quantize(x, bs)
        self.view: BlockView = block_view(x, self.bq, 0)
        self.scale_html.value = self._scale_html()
        self.errors_html.value = self._errors_html()
        self.table_html.value = self._table_html()
        if not self.static:
            data = base64.b64encode(png(self.figure())).decode("ascii")
            self.figure_output.outputs = ({
                "output_type": "display_data",
                "data": {"image/png": data, "text/plain": "<block figure>"},
                "metadata": {}},)

    # -- read-outs -------------------------------------------------------------
    def _where(self) -> str:
        return (f"{html.escape(self.layer_dropdown.value)}, row "
                f"{self.row_slider.value}, block {self.block_slider.value} "
                f"(values {self.block_slider.value * self.block_size} to "
                f"{(self.block_slider.value + 1) * self.block_size - 1})")

    def _scale_html(self) -> str:
        v = self.view
        return (f"<div class='cu-block-scale-box'><b>{html.escape(self.fmt)}</b>, "
                f"{self._where()}<br>shared scale ({v.scale_fmt}, {v.scale_bits} "
                f"bits): {_bits_html(v.scale_bit_string(), v.scale_spans)} = "
                f"<b>{html.escape(v.scale_name())}</b></div>")

    def _errors_html(self) -> str:
        v = self.view
        err = v.error
        lands = v.amax / v.scale if v.scale > 0 else float("nan")
        clip = (f"; beyond the largest element {v.element_max:g}: "
                "<b>clipped</b>" if v.clipped else "")
        return (f"<div class='cu-block-errors-box'>block MSE "
                f"<b>{float((err ** 2).mean()):.3e}</b> · max |error| "
                f"{float(err.abs().max()):.3e} · largest |x| {v.amax:.4g} lands at "
                f"{lands:.4g} on the element grid{clip} · "
                f"{_BITS_PER_VALUE[self.fmt]:g} bits per value with scales</div>")

    def _table_html(self) -> str:
        v = self.view
        head = ("<tr><th>i</th><th>x</th><th>element bits</th><th>element</th>"
                "<th>x_hat</th><th>error</th></tr>")
        rows = []
        for i in range(len(v.codes)):
            x, x_hat = float(v.x[i]), float(v.x_hat[i])
            clipped = v.scale > 0 and abs(x) / v.scale > v.element_max
            rows.append(
                f"<tr{' class=cu-clipped' if clipped else ''}><td>{i}</td>"
                f"<td>{x:+.5g}</td><td>{_bits_html(v.bits(i), v.spans)}</td>"
                f"<td>{float(v.elements[i]):+.5g}</td><td>{x_hat:+.5g}</td>"
                f"<td>{x - x_hat:+.2e}</td></tr>")
        return ("<div style='max-height:340px;overflow-y:auto'><table "
                "class='cu-block-elements'>" + head + "".join(rows)
                + "</table></div>")

    def html(self) -> str:
        """The scale, the error numbers and the table of elements."""
        return self._scale_html() + self._errors_html() + self._table_html()

    def figure(self):
        """The block on its grid, with the scale's bits (``viz.block_figure``)."""
        from course_utils import viz

        v = self.view
        fig = viz.block_figure(v, title=f"{self.fmt}: {self._where()}")
        self.last_figure = fig
        return fig


def block_explorer(weights=None, fmt: str = "MXFP4 (FLOOR)", layer: str | None = None,
                   row: int = 0, block: int = 0, static: bool | None = None
                   ) -> BlockExplorer:
    """Explore one block of weights in MXFP4, MXFP8, NVFP4 or NF4, bit by bit.

    Introduced in lesson 6.

    Args:
        weights: a 2-D tensor, or ``{name: 2-D tensor or nn.Linear}`` (e.g. a
            model's linear layers); rows a multiple of 64 long. Default: a small
            demo matrix.
        fmt: a key of :data:`BLOCK_FORMATS`.
        layer, row, block: the block shown first.
        static: ``True`` for the static figure and text, ``False`` for widgets,
            ``None`` to detect (``widgets.frontend.has_widget_frontend``).

    >>> ex = block_explorer(static=True)
    >>> ex.view.scale_fmt, len(ex.view.codes)
    ('e8m0', 32)
    >>> ex.format_dropdown.value = "NF4"; ex.view.scale_fmt, len(ex.view.codes)
    ('fp32', 64)
    """
    return BlockExplorer(weights, fmt, layer, row, block, static)
