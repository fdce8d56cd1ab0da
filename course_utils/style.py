"""The course's look: the Okabe-Ito palette, field colours, the figure style.

One table for figures (:mod:`course_utils.viz`), widgets and HTML read-outs. The
Okabe-Ito palette stays distinct for the common kinds of colour blindness.
"""

from __future__ import annotations

__all__ = ["CODE_COLOURS", "CODE_TINTS", "CYCLE", "FIELD_COLOURS", "FIELD_TINTS",
           "OKABE_ITO", "use_course_style"]

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

#: Colours of the fields of a float code: sign, exponent, fraction (lesson 2).
FIELD_COLOURS: dict[str, str] = {
    "sign": OKABE_ITO["vermillion"],
    "exponent": OKABE_ITO["blue"],
    "fraction": OKABE_ITO["green"],
}

#: Light tints of the field colours, for bits that are 0.
FIELD_TINTS: dict[str, str] = {
    "sign": "#F7D7C0",
    "exponent": "#BFDBEC",
    "fraction": "#BFE6DB",
}

#: Colours of every kind of bit field: the float fields, plus an integer's value
#: bits and a code that is an index into a table (NF4's codebook, lesson 6).
CODE_COLOURS: dict[str, str] = {
    **FIELD_COLOURS,
    "value": OKABE_ITO["blue"],
    "index": OKABE_ITO["purple"],
}

#: Light tints of :data:`CODE_COLOURS`, for bits that are 0.
CODE_TINTS: dict[str, str] = {**FIELD_TINTS, "value": "#BFDBEC", "index": "#F2DDE9"}

#: Colour cycle of the course's figures.
CYCLE: list[str] = [OKABE_ITO[name] for name in (
    "blue", "vermillion", "green", "orange", "purple", "sky_blue", "yellow",
    "black")]


def use_course_style() -> None:
    """Set a colour-blind-safe colour cycle and readable sizes for all figures.

    Called by the set-up cell of every lesson (``course_utils.notebook.setup``).

    >>> import matplotlib
    >>> use_course_style()
    >>> matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0]
    '#0072B2'
    """
    import matplotlib
    from cycler import cycler

    matplotlib.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=CYCLE),
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
