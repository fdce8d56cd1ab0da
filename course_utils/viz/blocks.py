"""Figures of block-scaled formats: a block on its grid, scale rules, errors (Lesson 6).

- :func:`block_figure`: one block's values, its shared scale's bits, and the
  element grid times that scale;
- :func:`scale_ratios`: how far each block's largest value reaches on the
  element grid under two scale rules (FLOOR against RCEIL);
- :func:`error_vs_bits_per_value`: the error of each format against its storage.
"""

from __future__ import annotations

from course_utils.style import OKABE_ITO
from course_utils.viz.base import axes, new_figure, to_numpy
from course_utils.viz.bits import _draw_bits

__all__ = ["block_figure", "error_vs_bits_per_value", "scale_ratios"]

_NAMES = {"mx": "MX", "nvfp4": "NVFP4", "nf4": "NF4"}


def block_figure(view, *, title: str | None = None):
    """One block: its shared scale's bits (top) and its values on the grid (below).

    The grid lines are every value the block can hold: the element format's
    values times the block's scale; the shaded band is the range they cover.
    Each real value ``x`` (blue dot) is stored as ``x_hat`` (vermillion cross);
    a value beyond the band is clipped (circled in orange). Introduced in lesson 6.

    Args:
        view: a :class:`course_utils.blocks.view.BlockView`
            (``blocks.view.block_view(x, bq, index)``).

    Returns:
        The ``Figure``: the scale's bit boxes (gid ``"bit"``) in the first axes;
        collections labelled ``"x"``, ``"x_hat"`` and ``"grid"`` in the second.

    >>> import torch
    >>> from course_utils.blocks import mx_quantize
    >>> from course_utils.blocks.view import block_view
    >>> x = torch.tensor([[0.5, -1.0, 3.0, 7.5]])
    >>> fig = block_figure(block_view(x, mx_quantize(x, block_size=4)))
    >>> len([p for p in fig.axes[0].patches if p.get_gid() == "bit"])
    8
    """
    import numpy as np

    fig, grid = new_figure((9.0, 4.8), 2, 1, gridspec_kw={"height_ratios": [1, 3.4]})
    top, ax = grid[0, 0], grid[1, 0]
    n = view.scale_bits
    _draw_bits(top, view.scale_bit_string(), view.scale_spans, show_index=False)
    top.set_xlim(-0.2, max(n, 16) + 0.2)
    top.set_ylim(-0.2, 1.2)
    top.axis("off")
    top.set_title(f"shared scale ({view.scale_fmt}): {view.scale_name()}",
                  loc="left", fontsize=11)

    x, x_hat = to_numpy(view.x), to_numpy(view.x_hat)
    i = np.arange(len(x))
    reach = max(float(np.abs(x).max()), float(np.abs(x_hat).max()), 1e-30) * 1.12
    lines = to_numpy(view.grid)
    lines = lines[np.abs(lines) <= reach]
    top_value = view.element_max * view.scale
    if top_value == top_value:  # not a NaN scale
        ax.axhspan(-top_value, top_value, color=OKABE_ITO["sky_blue"], alpha=0.12,
                   label="representable range")
    ax.hlines(lines, -0.6, len(x) - 0.4, colors=OKABE_ITO["vermillion"],
              linewidth=0.5 if len(lines) > 40 else 0.9, alpha=0.45, label="grid")
    ax.vlines(i, x, x_hat, colors="#888888", linewidth=1.0)
    ax.scatter(i, x, color=OKABE_ITO["blue"], s=22, zorder=3, label="x")
    ax.scatter(i, x_hat, color=OKABE_ITO["vermillion"], marker="x", s=26,
               zorder=4, label="x_hat")
    beyond = np.abs(x) > top_value if top_value == top_value else np.zeros_like(x, bool)
    if beyond.any():
        ax.scatter(i[beyond], x[beyond], facecolors="none", s=120, linewidths=1.5,
                   edgecolors=OKABE_ITO["orange"], zorder=5, label="clipped")
    ax.set_xlim(-0.6, len(x) - 0.4)
    ax.set_ylim(-reach, reach)
    ax.set_xlabel("element of the block")
    ax.set_ylabel("value")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=5, frameon=False,
              fontsize=9, borderaxespad=0.1)
    if title is None:
        error = float(np.mean((x - x_hat) ** 2))
        title = (f"{_NAMES.get(view.scheme, view.scheme)} {view.fmt}, block "
                 f"{view.index}: {len(lines)} grid values in view, MSE {error:.3g}")
    ax.set_title(title, loc="left", fontsize=11, pad=22)
    return fig


def scale_ratios(ratios, *, element_max: float = 6.0, title: str | None = None):
    """Histograms of each block's ``amax / scale``, one per scale rule.

    A block's largest value lands at ``amax / scale`` on the element grid; beyond
    ``element_max`` (fp4: 6) it is clipped to ``element_max``, below about half
    of it the top of the grid is left unused. Introduced in lesson 6.

    Args:
        ratios: ``{rule name: tensor of amax / scale per block}``.

    Returns:
        The ``Figure``; one step histogram per rule, labelled with its name and
        the share of blocks beyond ``element_max``.

    >>> import torch
    >>> fig = scale_ratios({"floor": torch.tensor([1.5, 7.0]),
    ...                     "rceil": torch.tensor([3.5, 5.0])})
    >>> [p.get_label() for p in fig.axes[0].patches]
    ['floor (50.0% beyond 6)', 'rceil (0.0% beyond 6)']
    """
    import numpy as np

    if not ratios:
        raise ValueError("ratios must map at least one rule to a tensor of ratios")
    fig, ax = axes(None, (8.0, 3.4))
    values = {name: to_numpy(r).reshape(-1) for name, r in ratios.items()}
    top = max(float(v.max()) for v in values.values() if v.size) if any(
        v.size for v in values.values()) else element_max
    edges = np.linspace(0.0, max(top, element_max) * 1.05, 85)
    colours = [OKABE_ITO[c] for c in ("blue", "vermillion", "green", "orange")]
    for k, (name, v) in enumerate(values.items()):
        share = 100 * float((v > element_max).mean()) if v.size else 0.0
        counts, _ = np.histogram(v, bins=edges)
        ax.stairs(counts / max(v.size, 1), edges, color=colours[k % len(colours)],
                  linewidth=1.6, label=f"{name} ({share:.1f}% beyond "
                  f"{element_max:g})")
    ax.axvline(element_max, color=OKABE_ITO["black"], linewidth=1.0, linestyle="--")
    ax.text(element_max, ax.get_ylim()[1], f" largest element {element_max:g}",
            va="top", ha="left", fontsize=9)
    ax.set_xlabel("amax / scale: where each block's largest value lands")
    ax.set_ylabel("share of blocks")
    ax.legend(frameon=False, loc="upper left")
    ax.set_title(title or "Where the largest value of each block lands", loc="left")
    return fig


def error_vs_bits_per_value(rows, *, metric: str = "mse", log: bool = True,
                            ylabel: str | None = None, title: str | None = None):
    """Each format's error against its storage, one marker per format.

    Args:
        rows: ``{format name: {"bits_per_value": b, metric: value, ...}}`` (what
            ``blocks.measure.compare_schemes`` returns; an entry with error 0,
            such as fp32, is left out on a log scale).
        metric: the key of the error to plot (``"mse"``, ...).

    Returns:
        The ``Figure``; one point (a collection labelled with the format's name)
        per format, named in the legend.

    Introduced in lesson 6.

    >>> fig = error_vs_bits_per_value({"a": {"bits_per_value": 4.25, "mse": 1e-4},
    ...                                "b": {"bits_per_value": 8.25, "mse": 1e-6}})
    >>> [c.get_label() for c in fig.axes[0].collections]
    ['a', 'b']
    """
    from course_utils.style import CYCLE

    shown = {name: r for name, r in rows.items()
             if not (log and not r[metric] > 0)}
    if not shown:
        raise ValueError(f"rows must hold at least one format with a {metric} to "
                         "plot")
    fig, ax = axes(None, (8.5, 4.2))
    markers = "osD^vP*Xhp<>"
    for k, (name, r) in enumerate(shown.items()):
        ax.scatter([float(r["bits_per_value"])], [float(r[metric])], s=48,
                   marker=markers[k % len(markers)], color=CYCLE[k % len(CYCLE)],
                   zorder=3, label=str(name))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("bits per value (scales included)")
    ax.set_ylabel(ylabel or {"mse": "weight MSE"}.get(metric, metric))
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5),
              fontsize=9)
    if title:
        ax.set_title(title, loc="left")
    return fig
