"""Figures of linear quantization: grids over the values, codes, errors (Lesson 5)."""

from __future__ import annotations

from course_utils.integers import int_range
from course_utils.style import OKABE_ITO
from course_utils.viz.base import axes, new_figure, to_numpy

__all__ = ["error_heatmap", "error_vs_bits", "grid_comparison", "grid_histogram",
           "quantization_panels"]


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

    a, b = to_numpy(x), to_numpy(x_hat)
    if a.shape != b.shape:
        raise ValueError(f"x and x_hat must have the same shape, got {a.shape} "
                         f"and {b.shape}")
    err = np.abs(a - b)
    if err.ndim == 1:
        err = err[None, :]
    elif err.ndim != 2:
        err = err.reshape(-1, err.shape[-1])
    fig, ax = axes(ax, (6.0, max(1.8, min(6.0, 0.35 * err.shape[0] + 1.2))))
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

    a, b = to_numpy(x), to_numpy(x_hat)
    if a.ndim == 1:
        a, b = a[None, :], b[None, :]
    rows = a.shape[0]
    fig, grid = new_figure((11.0, max(2.2, min(5.0, 0.3 * rows + 1.5))), 1, 3)
    middle = to_numpy(q) if q is not None else b
    if middle.ndim == 1:
        middle = middle[None, :]
    lim = float(np.abs(a).max()) or 1.0
    panels = [
        (a, "x (real values)", "RdBu_r", -lim, lim),
        (middle, "q (integer codes)" if q is not None else "x_hat", "PuOr_r",
         None, None),
        (np.abs(a - b), "|x - x_hat|", "magma_r", 0, None),
    ]
    for ax, (data, name, cmap, lo, hi) in zip(grid[0], panels, strict=True):
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
        if to_numpy(qt.scale).size != 1:
            raise ValueError("grid_histogram draws one grid: pass a per-tensor "
                             "quantization (one scale), got "
                             f"{to_numpy(qt.scale).size} scales")
        scale, zero_point = qt.scale, qt.zero_point
        n_bits, signed = qt.n_bits, qt.signed
    if scale is None or zero_point is None:
        raise ValueError("pass scale and zero_point, or qt=QuantizedTensor")
    s = float(to_numpy(scale).reshape(-1)[0])
    z = float(to_numpy(zero_point).reshape(-1)[0])
    if not s > 0:
        raise ValueError(f"scale must be positive, got {s}")
    q_min, q_max = int_range(n_bits, signed)
    grid = s * (np.arange(q_min, q_max + 1) - z)
    v = to_numpy(x).reshape(-1)
    fig, ax = axes(ax, (9.0, 3.6))
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
    fig, ax = axes(ax, (7.0, 4.0))
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
    fig, grid = new_figure((9.0, 2.6 * len(quantized) + 0.4), len(quantized), 1,
                           sharex=True)
    limits = []
    for ax, (label, qt) in zip(grid[:, 0], quantized.items(), strict=True):
        grid_histogram(x, qt=qt, bins=bins, ax=ax, title=str(label), log=log)
        limits.append(ax.get_xlim())
    grid[0, 0].set_xlim(min(lo for lo, _ in limits), max(hi for _, hi in limits))
    for ax in grid[:-1, 0]:
        ax.set_xlabel("")
    if title:
        fig.suptitle(title)
    return fig
