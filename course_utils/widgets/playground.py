"""The quantization playground (Lesson 5): bits, symmetry, granularity, errors.

Quantize a 2-D tensor with sliders for ``n_bits``, symmetric or asymmetric, and
per tensor / channel / group; see the codes, the error heatmap and the MSE, max
error and SQNR, updated as the settings change. CSS classes: ``cu-bits``,
``cu-symmetric``, ``cu-granularity``, ``cu-group-size``, ``cu-errors``,
``cu-codes``.
"""

from __future__ import annotations

import base64

import torch

from course_utils.examples import demo_tensor
from course_utils.metrics import error_report
from course_utils.quant import quantize
from course_utils.widgets.base import Explorer, png
from course_utils.widgets.frontend import has_widget_frontend

__all__ = ["QuantizationPlayground", "quantization_playground"]


class QuantizationPlayground(Explorer):
    """Bits, symmetric/asymmetric, granularity, group size -> codes and errors.

    Built by :func:`quantization_playground` (lesson 5). Attributes:
    ``x``, ``qt`` (the current ``quant.QuantizedTensor``), ``x_hat``, ``errors``
    (``metrics.error_report``), ``bits_slider``, ``symmetric_toggle``,
    ``granularity_dropdown``, ``group_dropdown``, ``error_html``,
    ``figure_output``, ``last_figure``.
    """

    def __init__(self, x: torch.Tensor | None = None, static: bool | None = None):
        import ipywidgets as w

        if x is None:
            x = demo_tensor()
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim != 2 or not x.is_floating_point():
            raise ValueError(f"x must be a 2-D float tensor, got {x.ndim}-D "
                             f"{x.dtype}")
        self.x = x.detach().float()
        self.static = not has_widget_frontend(static)
        cols = x.shape[-1]
        groups = [g for g in (2, 4, 8, 16, 32, 64, 128) if cols % g == 0 and g < cols]
        if not groups:
            groups = [cols]
        self.bits_slider = w.IntSlider(value=4, min=2, max=8, description="n_bits",
                                       continuous_update=False)
        self.bits_slider.add_class("cu-bits")
        self.symmetric_toggle = w.ToggleButtons(
            options=[("asymmetric", False), ("symmetric", True)], value=False)
        self.symmetric_toggle.add_class("cu-symmetric")
        self.granularity_dropdown = w.Dropdown(
            options=[("per tensor", "per_tensor"), ("per channel (row)",
                                                     "per_channel"),
                     ("per group", "per_group")],
            value="per_tensor", description="granularity")
        self.granularity_dropdown.add_class("cu-granularity")
        self.group_dropdown = w.Dropdown(options=groups,
                                         value=8 if 8 in groups else groups[0],
                                         description="group size", disabled=True)
        self.group_dropdown.add_class("cu-group-size")
        self.error_html = w.HTML()
        self.error_html.add_class("cu-errors")
        self.codes_html = w.HTML()
        self.codes_html.add_class("cu-codes")
        self.figure_output = w.Output()
        self.widget = w.VBox([
            w.HBox([self.bits_slider, self.symmetric_toggle]),
            w.HBox([self.granularity_dropdown, self.group_dropdown]),
            self.error_html, self.figure_output, self.codes_html,
        ])
        self.widget.add_class("cu-playground")
        for control in (self.bits_slider, self.symmetric_toggle,
                        self.granularity_dropdown, self.group_dropdown):
            control.observe(self._on_change, names="value")
        self.last_figure = None
        self.update()

    def _on_change(self, _change) -> None:
        self.update()

    def update(self) -> None:
        """Quantize with the current settings and refresh numbers and figure."""
        gran = self.granularity_dropdown.value
        self.group_dropdown.disabled = gran != "per_group"
        self.qt = quantize(
            self.x, n_bits=self.bits_slider.value,
            symmetric=self.symmetric_toggle.value, granularity=gran, axis=0,
            group_size=self.group_dropdown.value if gran == "per_group" else None)
        self.x_hat = self.qt.dequantize()
        self.errors = error_report(self.x, self.x_hat)
        self.error_html.value = self.html()
        self.codes_html.value = self._codes_html()
        if not self.static:
            # Set the Output widget's outputs directly (kernel side): no reliance on
            # the front end routing captured messages, and testable without one.
            data = base64.b64encode(png(self.figure())).decode("ascii")
            self.figure_output.outputs = ({
                "output_type": "display_data",
                "data": {"image/png": data, "text/plain": "<quantization figure>"},
                "metadata": {},
            },)

    def settings(self) -> dict:
        """The current settings as keyword arguments of ``quant.quantize``."""
        gran = self.granularity_dropdown.value
        return {"n_bits": self.bits_slider.value,
                "symmetric": self.symmetric_toggle.value,
                "granularity": gran, "axis": 0,
                "group_size": self.group_dropdown.value if gran == "per_group"
                else None}

    def bits_per_value(self) -> float:
        """Storage per value with the scales and zero points: the one rule,
        ``QuantizedTensor.bits_per_value``."""
        return self.qt.bits_per_value()

    def html(self) -> str:
        """The error numbers of the current settings."""
        e = self.errors
        s = self.settings()
        how = (f"{s['n_bits']}-bit {'symmetric' if s['symmetric'] else 'asymmetric'}"
               f", {s['granularity'].replace('_', ' ')}")
        if s["group_size"]:
            how += f" (groups of {s['group_size']})"
        return (f"<div class='cu-errors-box'><b>{how}</b>: "
                f"MSE <b>{e['mse']:.3e}</b> · max |error| {e['max_abs']:.3e} · "
                f"SQNR {e['sqnr_db']:.1f} dB · {self.qt.scale.numel()} scale(s), "
                f"{self.bits_per_value():.2f} bits per value with scales</div>")

    def _codes_html(self) -> str:
        q = self.qt.q
        rows = min(4, q.shape[0])
        cols = min(16, q.shape[1])
        lines = "\n".join(" ".join(f"{int(v):4d}" for v in row)
                          for row in q[:rows, :cols].tolist())
        return (f"<details><summary>first {rows}×{cols} codes q "
                f"(range {self.qt.q_min} … {self.qt.q_max})</summary>"
                f"<pre>{lines}</pre></details>")

    def figure(self):
        """x, the codes q and the error, side by side (``viz``)."""
        from course_utils import viz

        fig = viz.quantization_panels(self.x, self.x_hat, q=self.qt.q)
        self.last_figure = fig
        return fig


def quantization_playground(x: torch.Tensor | None = None,
                            static: bool | None = None) -> QuantizationPlayground:
    """Quantize a 2-D tensor with sliders for bits, symmetry and granularity.

    Shows the codes, the error heatmap and the MSE, max error and SQNR, updated
    as the settings change. Introduced in lesson 5.

    Args:
        x: a 2-D float tensor (default: :func:`demo_tensor`).
        static: ``True`` for the static figure and text, ``False`` for widgets,
            ``None`` to detect (``widgets.frontend.has_widget_frontend``).

    >>> pg = quantization_playground(static=True)
    >>> mse4 = pg.errors["mse"]; pg.bits_slider.value = 8
    >>> pg.errors["mse"] < mse4
    True
    """
    return QuantizationPlayground(x, static)
