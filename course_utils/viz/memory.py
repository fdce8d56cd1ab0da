"""Figures of sizes and curves: model memory, errors over sizes, byte counts.

Lesson 1 (model sizes against devices), lesson 3 (errors against size, training
curves), lesson 4 (footprints, memory of loading).
"""

from __future__ import annotations

from course_utils.style import OKABE_ITO
from course_utils.viz.base import axes

__all__ = ["lines", "memory_bars", "model_memory"]


def model_memory(sizes, devices=None, *, ax=None, unit: float = 1e9,
                 unit_name: str = "GB", title: str | None = None):
    """Horizontal bars of weight memory per model and dtype, with device limits.

    Lesson 1.

    Args:
        sizes: ``{model name: {dtype name: bytes}}``, e.g.
            ``{"7B": {"fp32": 28e9, "int4": 3.5e9}}``.
        devices: ``{device name: bytes of memory}``, drawn as vertical lines.
        unit: bytes per unit of the x axis (default 1e9, decimal gigabytes).

    Returns:
        The ``Figure``; one bar per (model, dtype), the size in its label.

    >>> sizes = {"7B": {"fp32": 28e9, "bf16": 14e9}}
    >>> fig = model_memory(sizes, {"GPU 24 GiB": 24 * 2**30})
    >>> len(fig.axes[0].patches), fig.axes[0].get_xscale()
    (2, 'log')
    """
    from matplotlib.ticker import FuncFormatter, LogLocator

    if not sizes or not all(sizes.values()):
        raise ValueError("sizes must map model names to non-empty {dtype: bytes}")
    dtypes = list(dict.fromkeys(d for per in sizes.values() for d in per))
    colors = [OKABE_ITO[k] for k in ("blue", "sky_blue", "green", "orange", "purple",
                                     "vermillion")]
    n_rows = sum(len(per) for per in sizes.values()) + len(sizes) - 1
    fig, ax = axes(ax, (8.0, 1.2 + 0.3 * n_rows))
    y, ticks, labels = 0.0, [], []
    for model, per in sizes.items():
        for dtype, n_bytes in per.items():
            color = colors[dtypes.index(dtype) % len(colors)]
            ax.barh(y, n_bytes / unit, color=color, height=0.8)
            ticks.append(y)
            labels.append(f"{model} {dtype}: {n_bytes / unit:,.3g} {unit_name}")
            y -= 1
        y -= 1
    ax.set_yticks(ticks, labels)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_xlabel(f"memory for the weights ({unit_name}, log scale)")
    styles = [(OKABE_ITO["vermillion"], "--"), (OKABE_ITO["purple"], "-."),
              (OKABE_ITO["black"], ":")]
    for i, (name, n_bytes) in enumerate((devices or {}).items()):
        color, style = styles[i % len(styles)]
        ax.axvline(n_bytes / unit, color=color, linestyle=style, linewidth=1.6,
                   label=f"{name} ({n_bytes / unit:,.3g} {unit_name})")
    if devices:
        ax.legend(frameon=True, framealpha=0.95, loc="upper right", fontsize=9)
    ax.set_ylim(y + 0.5, 0.6)
    if title:
        ax.set_title(title, loc="left")
    return fig


def lines(x, ys, *, ax=None, xlabel: str = "", ylabel: str = "",
          logx: bool = False, logy: bool = False, title: str | None = None,
          note: str | None = None):
    """One line with markers per entry of ``ys``: ``{label: values over x}``.

    Lessons 3 and 4 (errors against size, training loss against step).

    >>> fig = lines([1, 2, 4], {"bf16": [1e-3, 2e-3, 3e-3]}, logx=True)
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['bf16']
    """
    import numpy as np

    if not ys:
        raise ValueError("ys must map at least one label to a list of values")
    x = np.asarray(x, dtype=np.float64)
    fig, ax = axes(ax, (7.0, 4.0))
    markers = "os^Dv<>"
    for i, (label, values) in enumerate(ys.items()):
        values = np.asarray(
            values.detach().cpu().double() if hasattr(values, "detach") else values,
            dtype=np.float64,
        )
        if values.shape != x.shape:
            raise ValueError(f"{label!r}: {values.shape[0]} values for {x.size} x's")
        ax.plot(x, values, marker=markers[i % len(markers)] if x.size <= 40 else None,
                linestyle=("-", "--", ":", "-.")[i % 4], linewidth=1.8,
                label=str(label))
    if logx:
        ax.set_xscale("log", base=2)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(frameon=False)
    if note:
        ax.text(0.01, 0.01, note, transform=ax.transAxes, fontsize=8,
                va="bottom", ha="left", color="#555555")
    if title:
        ax.set_title(title, loc="left")
    return fig


def memory_bars(values, *, ax=None, unit: float = 2**20, unit_name: str = "MiB",
                xlabel: str = "", title: str | None = None):
    """Horizontal bars of byte counts: ``{label: bytes}`` or ``{label: {part: bytes}}``.

    Lesson 4 (footprints per dtype; memory of loading). With nested dicts the parts
    are drawn side by side for each label.

    >>> fig = memory_bars({"fp32": 4 * 2**20, "bf16": 2 * 2**20})
    >>> [round(float(p.get_width()), 1) for p in fig.axes[0].patches]
    [4.0, 2.0]
    """
    if not values:
        raise ValueError("values must map at least one label to bytes")
    nested = isinstance(next(iter(values.values())), dict)
    groups = values if nested else {k: {"": v} for k, v in values.items()}
    parts = list(dict.fromkeys(p for per in groups.values() for p in per))
    colors = [OKABE_ITO[k] for k in ("blue", "orange", "green", "purple", "sky_blue",
                                     "vermillion")]
    height = 0.8 / len(parts)
    fig, ax = axes(ax, (8.0, 0.8 + 0.45 * len(groups) * max(1, len(parts) * 0.7)))
    for j, part in enumerate(parts):
        ys, widths = [], []
        for i, per in enumerate(groups.values()):
            if part in per:
                ys.append(-i - j * height + (len(parts) - 1) * height / 2)
                widths.append(per[part] / unit)
        bars = ax.barh(ys, widths, height=height * 0.95,
                       color=colors[j % len(colors)], label=part or None)
        ax.bar_label(bars, labels=[f"{w:,.1f}" for w in widths], padding=3,
                     fontsize=8)
    ax.set_yticks([-i for i in range(len(groups))], list(groups))
    ax.set_xlabel(xlabel or f"{unit_name}")
    ax.margins(x=0.15)
    if nested:
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return fig
