"""Matplotlib figures for the course: bit layouts, grids, errors, number lines.

Every function builds its figure with the object-oriented API and returns the
``Figure`` without showing it; Jupyter displays a returned figure by itself.
Colours follow the Okabe-Ito palette, which stays distinct for the common kinds
of colour blindness.
"""

from __future__ import annotations

import matplotlib

#: Okabe-Ito colour-blind-safe palette (black first, as in the original paper).
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}

#: Colours of the fields of a float code (lesson 2).
FIELD_COLORS: dict[str, str] = {
    "sign": "#D55E00",
    "exponent": "#0072B2",
    "mantissa": "#009E73",
}

_CYCLE = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9",
          "#F0E442", "#000000"]


def use_course_style() -> None:
    """Set a colour-blind-safe colour cycle and readable sizes for all figures.

    Called by the set-up cell of every lesson (``course_utils.notebook.setup``).

    >>> use_course_style()
    >>> matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0]
    '#0072B2'
    """
    from cycler import cycler

    matplotlib.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=_CYCLE),
            "figure.figsize": (8.0, 4.0),
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": False,
            "image.cmap": "viridis",
        }
    )
    _register_png_formatter()


def _register_png_formatter() -> None:
    """Let IPython show any returned ``Figure`` as a PNG (pyplot-free figures).

    The course's figures are built without pyplot, and pyplot loads its inline
    backend (which registers the formatter) only when it draws a figure of its
    own. An existing PNG formatter for figures is kept.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the course
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    from matplotlib.figure import Figure

    png = shell.display_formatter.formatters["image/png"]
    try:
        png.lookup_by_type(Figure)
        return
    except KeyError:
        pass
    from IPython.core.pylabtools import select_figure_formats

    select_figure_formats(shell, {"png"}, bbox_inches="tight")


# --------------------------------------------------------------------------
# Bits and formats (lesson 2), quantization grids and errors (lesson 5).
# Owner: lessons helper.
# --------------------------------------------------------------------------

_FIELD_LABELS = {"sign": "sign", "exponent": "exponent", "mantissa": "fraction"}


def _new_figure(figsize: tuple[float, float] | None = None, nrows: int = 1,
                ncols: int = 1, **kwargs):
    """A pyplot-free figure (no double display in Jupyter) and its axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def _axes(ax, figsize: tuple[float, float]):
    """Use the caller's axes, or make a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig, axes = _new_figure(figsize)
    return fig, axes[0, 0]


def _to_numpy(x):
    """A float64 NumPy array from a tensor, array, list or number."""
    import numpy as np

    if hasattr(x, "detach"):
        x = x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def _lighten(color: str, amount: float = 0.75) -> tuple[float, float, float]:
    """Mix a colour with white (``amount`` = share of white)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def _field_spans(fmt) -> list[tuple[str, int, int]]:
    """(field, first bit index, width) from the left (most significant) bit."""
    spans = []
    start = 0
    if fmt.signed:
        spans.append(("sign", 0, 1))
        start = 1
    if fmt.exp_bits:
        spans.append(("exponent", start, fmt.exp_bits))
        start += fmt.exp_bits
    if fmt.man_bits:
        spans.append(("mantissa", start, fmt.man_bits))
    return spans


def _draw_bits(ax, bits: str | None, spans, y: float = 0.0, height: float = 1.0,
               show_index: bool = True, n_bits: int | None = None) -> None:
    """Draw one row of bit boxes coloured by field (gid ``"bit"`` per box)."""
    from matplotlib.patches import Rectangle

    n = len(bits) if bits is not None else n_bits
    colour_of = {}
    for field, start, width in spans:
        for i in range(start, start + width):
            colour_of[i] = FIELD_COLORS[field]
    for i in range(n):
        colour = colour_of.get(i, "#999999")
        bit = bits[i] if bits is not None else None
        face = colour if bit == "1" else _lighten(colour, 0.7)
        rect = Rectangle((i, y), 1, height, facecolor=face, edgecolor="white",
                         linewidth=1.5, gid="bit")
        ax.add_patch(rect)
        if bit is not None:
            ax.text(i + 0.5, y + height / 2, bit, ha="center", va="center",
                    color="white" if bit == "1" else "#222222",
                    fontsize=11 if n <= 16 else 8 if n <= 32 else 6, fontweight="bold",
                    gid="bit-digit")
        if show_index:
            ax.text(i + 0.5, y - 0.12, str(n - 1 - i), ha="center", va="top",
                    fontsize=7, color="#555555")


def bit_layout(code: int | str, fmt="fp16", *, ax=None, title: str | None = None,
               show_value: bool = True):
    """Draw the bits of one code of a float format, coloured by field.

    Sign in vermillion, exponent in blue, fraction (mantissa) in green; a set bit
    is drawn in the full colour, a clear bit in a light tint. Introduced in
    lesson 2.

    Args:
        code: the bit pattern as an int, or a bit string such as ``"0 01111 0000"``.
        fmt: a format name or ``bits.FloatFormat`` (see ``bits.FORMATS``).
        ax: draw into these axes instead of a new figure.
        title: figure title (default: the format name and the stored value).
        show_value: write the decoded value in the title.

    Returns:
        The matplotlib ``Figure``; each bit box is a patch with gid ``"bit"``.

    >>> fig = bit_layout(0x3C00, "fp16")
    >>> len([p for p in fig.axes[0].patches if p.get_gid() == "bit"])
    16
    """
    from course_utils import bits as cb

    fmt = cb.get_format(fmt)
    if isinstance(code, str):
        code = int(cb.parse_bits(code), 2)
    if not isinstance(code, int) or isinstance(code, bool):
        raise TypeError(f"code must be an int or a bit string, got {code!r}")
    if not 0 <= code < 2 ** fmt.n_bits:
        raise ValueError(f"code must be in [0, 2**{fmt.n_bits}) for {fmt.name}, "
                         f"got {code}")
    n = fmt.n_bits
    bits = format(code, f"0{n}b")
    fig, ax = _axes(ax, (min(16.0, max(4.0, 0.42 * n + 1.0)), 1.9))
    spans = _field_spans(fmt)
    _draw_bits(ax, bits, spans)
    for field, start, width in spans:
        ax.text(start + width / 2, 1.12, _FIELD_LABELS[field], ha="center",
                va="bottom", color=FIELD_COLORS[field], fontsize=10,
                fontweight="bold")
    ax.set_xlim(-0.2, n + 0.2)
    ax.set_ylim(-0.6, 1.6)
    ax.set_aspect("auto")
    ax.axis("off")
    if title is None:
        title = fmt.name
        if show_value:
            title += f": bits {bits} store {cb.decode(code, fmt)!r}"
    ax.set_title(title, loc="left")
    return fig


def format_layouts(fmts=("fp32", "fp16", "bf16"), x: float | None = None, *,
                   title: str | None = None):
    """Draw several float formats' bit layouts one above the other, to scale.

    Each box is one bit, so the widths of the sign, exponent and fraction fields
    can be compared by eye. With ``x``, the boxes show the bits of ``x`` once it
    is stored (rounded to nearest) in each format. Introduced in lesson 2.

    Returns:
        The ``Figure``: one row of gid-``"bit"`` patches per format.

    >>> fig = format_layouts(("fp16", "bf16"))
    >>> len([p for p in fig.axes[0].patches if p.get_gid() == "bit"])
    32
    """
    from course_utils import bits as cb

    formats = [cb.get_format(f) for f in fmts]
    if not formats:
        raise ValueError("fmts must name at least one format")
    width = max(f.n_bits for f in formats)
    fig, ax = _axes(None, (max(5.0, 0.3 * width + 2.5), 0.9 * len(formats) + 1.0))
    for row, fmt in enumerate(formats):
        y = -1.6 * row
        bits = None
        if x is not None:
            bits = format(cb.encode(float(x), fmt), f"0{fmt.n_bits}b")
        _draw_bits(ax, bits, _field_spans(fmt), y=y, show_index=False,
                   n_bits=fmt.n_bits)
        label = fmt.name
        if x is not None:
            label += f"\n{cb.decode(int(bits, 2), fmt):.8g}"
        ax.text(-0.5, y + 0.5, label, ha="right", va="center", fontsize=10)
    from matplotlib.patches import Patch

    handles = [Patch(color=FIELD_COLORS[k], label=_FIELD_LABELS[k])
               for k in ("sign", "exponent", "mantissa")]
    ax.legend(handles=handles, loc="upper center", ncols=3, frameon=False,
              bbox_to_anchor=(0.5, 1.02 + 0.1 / len(formats)))
    ax.set_xlim(-6, width + 0.5)
    ax.set_ylim(-1.6 * (len(formats) - 1) - 0.4, 1.9)
    ax.axis("off")
    if title is None:
        title = "One box per bit" + (f" (stored value of {x:g})" if x is not None
                                      else "")
    ax.set_title(title, loc="left")
    return fig


def int_layout(value: int, n_bits: int = 8, signed: bool = True, *, ax=None,
               title: str | None = None):
    """Draw the bits of an integer with the place value of every bit under it.

    In two's complement the leftmost bit is worth ``-2**(n_bits-1)``, the others
    ``+2**k``; the value is the sum of the place values of the set bits.
    Introduced in lesson 2.

    >>> fig = int_layout(-3, n_bits=4)
    >>> len([p for p in fig.axes[0].patches if p.get_gid() == "bit"])
    4
    """
    from course_utils import bits as cb

    bits = cb.int_to_bits(value, n_bits, signed)
    n = len(bits)
    fig, ax = _axes(ax, (max(4.0, 0.6 * n + 1.0), 1.9))
    spans = [("sign", 0, 1), ("mantissa", 1, n - 1)] if signed else [
        ("mantissa", 0, n)]
    _draw_bits(ax, bits, spans, show_index=False)
    for i in range(n):
        k = n - 1 - i
        weight = -(2 ** k) if (signed and i == 0) else 2 ** k
        ax.text(i + 0.5, -0.12, f"{weight:+d}" if signed and i == 0 else str(weight),
                ha="center", va="top", fontsize=8 if n <= 16 else 6,
                color="#333333", rotation=0 if n <= 16 else 90)
    ax.set_xlim(-0.2, n + 0.2)
    ax.set_ylim(-0.8, 1.3)
    ax.axis("off")
    if title is None:
        kind = "signed (two's complement)" if signed else "unsigned"
        title = f"{n}-bit {kind}: {bits} = {value}"
    ax.set_title(title, loc="left")
    return fig


def number_line(fmt="fp4_e2m1", *, ax=None, log: bool = False,
                negative: bool = True, title: str | None = None):
    """Mark every finite value a small float format can store on a number line.

    Subnormals (evenly spaced near zero) in orange, normals in blue: the gap
    between neighbours doubles at every power of two. With ``log=True`` only the
    positive values are drawn, on a logarithmic axis. Introduced in lesson 2.

    Returns:
        The ``Figure``; the markers are one collection per kind, labelled
        ``"subnormal"``, ``"normal"`` (and ``"zero"``).

    >>> fig = number_line("fp4_e2m1")
    >>> sorted(c.get_label() for c in fig.axes[0].collections)
    ['normal', 'subnormal', 'zero']
    """
    import numpy as np

    from course_utils import bits as cb

    fmt = cb.get_format(fmt)
    if fmt.n_bits > 16:
        raise ValueError(f"number_line draws formats of at most 16 bits; "
                         f"{fmt.name} has {fmt.n_bits}")
    v = _to_numpy(cb.all_values(fmt))
    v = np.unique(v[np.isfinite(v)])
    if not negative or log:
        v = v[v >= 0]
    if log:
        v = v[v > 0]
    fig, ax = _axes(ax, (9.0, 1.8))
    kinds = {
        "zero": (v == 0, OKABE_ITO["black"]),
        "subnormal": ((v != 0) & (np.abs(v) < fmt.min_normal), OKABE_ITO["orange"]),
        "normal": (np.abs(v) >= fmt.min_normal, OKABE_ITO["blue"]),
    }
    for label, (mask, colour) in kinds.items():
        if mask.any():
            ax.scatter(v[mask], np.zeros(int(mask.sum())), marker="|", s=300,
                       linewidths=1.5, color=colour, label=label)
    ax.axhline(0, color="#bbbbbb", linewidth=0.8, zorder=0)
    if log:
        ax.set_xscale("log", base=2)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.legend(loc="upper left", ncols=3, frameon=False, bbox_to_anchor=(0, 1.35))
    ax.set_xlabel("value" + (" (log scale, base 2)" if log else ""))
    if title is None:
        title = f"{fmt.name}: {len(v)} distinct finite values" + (
            " (positive)" if log or not negative else "")
    ax.set_title(title, loc="right")
    return fig


def error_heatmap(x, x_hat, *, ax=None, title: str | None = None,
                  cmap: str = "magma_r"):
    """Show ``|x - x_hat|`` element by element as a heatmap with a colour bar.

    A 1-D tensor is drawn as one row. Introduced in lesson 5.

    >>> import torch
    >>> fig = error_heatmap(torch.ones(2, 3), torch.zeros(2, 3))
    >>> fig.axes[0].images[0].get_array().max()
    np.float64(1.0)
    """
    import numpy as np

    a, b = _to_numpy(x), _to_numpy(x_hat)
    if a.shape != b.shape:
        raise ValueError(f"x and x_hat must have the same shape, got {a.shape} "
                         f"and {b.shape}")
    err = np.abs(a - b)
    if err.ndim == 1:
        err = err[None, :]
    elif err.ndim != 2:
        err = err.reshape(-1, err.shape[-1])
    fig, ax = _axes(ax, (6.0, max(1.8, min(6.0, 0.35 * err.shape[0] + 1.2))))
    im = ax.imshow(err, cmap=cmap, aspect="auto", interpolation="nearest",
                   vmin=0)
    fig.colorbar(im, ax=ax, label="|x - x_hat|")
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    if title is None:
        title = f"absolute error (MSE {np.mean(err ** 2):.3g}, max {err.max():.3g})"
    ax.set_title(title, loc="left")
    return fig


def quantization_panels(x, x_hat, q=None, *, title: str | None = None):
    """Three heatmaps side by side: ``x``, the codes ``q`` (or ``x_hat``), error.

    The figure the quantization playground redraws (lesson 5).

    >>> import torch
    >>> x = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    >>> len(quantization_panels(x, x, q=torch.tensor([[0, 1], [2, 3]])).axes)
    6
    """
    import numpy as np

    a, b = _to_numpy(x), _to_numpy(x_hat)
    if a.ndim == 1:
        a, b = a[None, :], b[None, :]
    rows = a.shape[0]
    fig, axes = _new_figure((11.0, max(2.2, min(5.0, 0.3 * rows + 1.5))), 1, 3)
    middle = _to_numpy(q) if q is not None else b
    if middle.ndim == 1:
        middle = middle[None, :]
    lim = float(np.abs(a).max()) or 1.0
    panels = [
        (a, "x (real values)", "RdBu_r", -lim, lim),
        (middle, "q (integer codes)" if q is not None else "x_hat", "PuOr_r",
         None, None),
        (np.abs(a - b), "|x - x_hat|", "magma_r", 0, None),
    ]
    for ax, (data, name, cmap, lo, hi) in zip(axes[0], panels, strict=True):
        im = ax.imshow(data, cmap=cmap, vmin=lo, vmax=hi, aspect="auto",
                       interpolation="nearest")
        fig.colorbar(im, ax=ax, shrink=0.9)
        ax.set_title(name, loc="left")
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    return fig


def grid_histogram(x, scale=None, zero_point=None, n_bits: int = 8,
                   signed: bool = True, *, qt=None, bins: int = 120, ax=None,
                   title: str | None = None, log: bool = True):
    """Histogram of ``x`` with the quantization grid drawn over it.

    Every grid line is one value ``x_hat = scale * (q - zero_point)`` that a code
    ``q`` can stand for; values outside the shaded band are clipped. Pass either
    ``scale``/``zero_point``/``n_bits``/``signed`` or a per-tensor
    ``quant.QuantizedTensor`` as ``qt``. Introduced in lesson 5.

    Returns:
        The ``Figure``; grid lines are in a collection labelled ``"grid"``.

    >>> import torch
    >>> fig = grid_histogram(torch.linspace(-1, 1, 50), 0.25, 0, n_bits=3)
    >>> len([c for c in fig.axes[0].collections if c.get_label() == "grid"])
    1
    """
    import numpy as np

    if qt is not None:
        if _to_numpy(qt.scale).size != 1:
            raise ValueError("grid_histogram draws one grid: pass a per-tensor "
                             "quantization (one scale), got "
                             f"{_to_numpy(qt.scale).size} scales")
        scale, zero_point = qt.scale, qt.zero_point
        n_bits, signed = qt.n_bits, qt.signed
    if scale is None or zero_point is None:
        raise ValueError("pass scale and zero_point, or qt=QuantizedTensor")
    s = float(_to_numpy(scale).reshape(-1)[0])
    z = float(_to_numpy(zero_point).reshape(-1)[0])
    if not s > 0:
        raise ValueError(f"scale must be positive, got {s}")
    q_min, q_max = (-(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1) if signed else (
        0, 2 ** n_bits - 1)
    grid = s * (np.arange(q_min, q_max + 1) - z)
    v = _to_numpy(x).reshape(-1)
    fig, ax = _axes(ax, (9.0, 3.6))
    ax.axvspan(grid[0], grid[-1], color=OKABE_ITO["sky_blue"], alpha=0.12,
               label="representable range")
    counts, edges = np.histogram(v, bins=bins)
    # one filled step patch (much faster to draw than one bar per bin)
    base = 0.5 if log else 0.0
    ax.stairs(np.maximum(counts, base), edges, baseline=base, fill=True,
              color=OKABE_ITO["blue"], alpha=0.9, label="x")
    if log:
        from matplotlib.ticker import LogLocator, NullLocator

        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(numticks=6))
        ax.yaxis.set_minor_locator(NullLocator())
        lo, hi = base, max(1.0, counts.max()) * 2.0
    else:
        lo, hi = 0.0, max(1.0, counts.max()) * 1.05
    ax.vlines(grid, lo, hi, colors=OKABE_ITO["vermillion"],
              linewidth=0.6 if len(grid) > 40 else 1.0, alpha=0.7, label="grid")
    ax.set_ylim(lo, hi)
    span = max(v.max(), grid[-1]) - min(v.min(), grid[0])
    ax.set_xlim(min(v.min(), grid[0]) - 0.03 * span,
                max(v.max(), grid[-1]) + 0.03 * span)
    ax.set_xlabel("value")
    ax.set_ylabel("count" + (" (log)" if log else ""))
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=3,
              frameon=False, fontsize=9, borderaxespad=0.1)
    if title is None:
        title = f"{n_bits}-bit grid: {len(grid)} values, step {s:.3g}"
    ax.set_title(title, loc="left")
    return fig


def error_vs_bits(errors, *, ax=None, ylabel: str = "mean squared error",
                  log: bool = True, title: str | None = None):
    """Plot error against the number of bits, one curve per method.

    Args:
        errors: ``{method name: {n_bits: error}}``.
        log: logarithmic error axis (each extra bit divides the error by ~4).

    Returns:
        The ``Figure``; one line per method, labelled with its name.

    >>> fig = error_vs_bits({"per-tensor": {2: 0.1, 4: 0.01, 8: 0.0001}})
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['per-tensor']
    """
    if not errors:
        raise ValueError("errors must map at least one method to {n_bits: error}")
    fig, ax = _axes(ax, (7.0, 4.0))
    markers = "osD^v<>"
    for i, (name, curve) in enumerate(errors.items()):
        n = sorted(curve)
        ax.plot(n, [curve[k] for k in n], marker=markers[i % len(markers)],
                label=str(name))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("bits per value (n_bits)")
    ax.set_ylabel(ylabel)
    all_bits = sorted({k for c in errors.values() for k in c})
    ax.set_xticks(all_bits)
    ax.legend(frameon=False)
    ax.grid(True, which="major", alpha=0.3)
    if title:
        ax.set_title(title, loc="left")
    return fig


def grid_comparison(x, quantized, *, bins: int = 120, log: bool = True,
                    title: str | None = None):
    """One :func:`grid_histogram` per quantization, stacked, same x axis.

    Args:
        x: the real values (any shape).
        quantized: ``{label: per-tensor quant.QuantizedTensor of x}``.

    Returns:
        The ``Figure``; one axes per entry, titled with its label.

    Lesson 5 (symmetric against asymmetric; 8 bits against 4 on real weights).

    >>> import torch
    >>> from course_utils import quant
    >>> x = torch.linspace(0, 1, 100)
    >>> fig = grid_comparison(x, {"a": quant.quantize(x, 3),
    ...                           "b": quant.quantize(x, 3, symmetric=True)})
    >>> [ax.get_title(loc="left") for ax in fig.axes]
    ['a', 'b']
    """
    if not quantized:
        raise ValueError("quantized must map at least one label to a "
                         "QuantizedTensor")
    fig, axes = _new_figure((9.0, 2.6 * len(quantized) + 0.4), len(quantized), 1,
                            sharex=True)
    limits = []
    for ax, (label, qt) in zip(axes[:, 0], quantized.items(), strict=True):
        grid_histogram(x, qt=qt, bins=bins, ax=ax, title=str(label), log=log)
        limits.append(ax.get_xlim())
    axes[0, 0].set_xlim(min(lo for lo, _ in limits), max(hi for _, hi in limits))
    for ax in axes[:-1, 0]:
        ax.set_xlabel("")
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------
# Model sizes (lesson 1), downcasting errors (lesson 3), loading memory (lesson 4).
# Owner: models helper.
# --------------------------------------------------------------------------


def _mh_axes(ax, figsize: tuple[float, float]):
    """The caller's axes, or a new pyplot-free figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


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
    colors = ["#0072B2", "#56B4E9", "#009E73", "#E69F00", "#CC79A7", "#D55E00"]
    n_rows = sum(len(per) for per in sizes.values()) + len(sizes) - 1
    fig, ax = _mh_axes(ax, (8.0, 1.2 + 0.3 * n_rows))
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
    styles = [("#D55E00", "--"), ("#CC79A7", "-."), ("#000000", ":")]
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
    fig, ax = _mh_axes(ax, (7.0, 4.0))
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
    colors = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
    height = 0.8 / len(parts)
    fig, ax = _mh_axes(ax, (8.0, 0.8 + 0.45 * len(groups) * max(1, len(parts) * 0.7)))
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
