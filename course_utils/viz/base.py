"""Figure basics for :mod:`course_utils.viz`: blank figures, arrays, tints.

Every figure of the course is built with matplotlib's object-oriented API,
without pyplot (so Jupyter shows it once), and returned, not shown.
"""

from __future__ import annotations

__all__ = ["axes", "lighten", "new_figure", "to_numpy"]


def new_figure(figsize: tuple[float, float] | None = None, nrows: int = 1,
                ncols: int = 1, **kwargs):
    """A pyplot-free figure (no double display in Jupyter) and its axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False, **kwargs)


def axes(ax, figsize: tuple[float, float]):
    """Use the caller's axes, or make a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig, grid = new_figure(figsize)
    return fig, grid[0, 0]


def to_numpy(x):
    """A float64 NumPy array from a tensor, array, list or number."""
    import numpy as np

    if hasattr(x, "detach"):
        x = x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def lighten(color: str, amount: float = 0.75) -> tuple[float, float, float]:
    """Mix a colour with white (``amount`` = share of white)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)
