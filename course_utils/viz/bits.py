"""Figures of bits: float layouts by field, integers with place values (Lesson 2).

Sign in vermillion, exponent in blue, fraction in green (``palette``); a set bit
is drawn in the full colour, a clear bit in a light tint. Integer bits are
coloured sign / value.
"""

from __future__ import annotations

from course_utils.codec import check_code, decode, encode
from course_utils.formats import FIELDS, get_format
from course_utils.integers import int_to_bits
from course_utils.style import CODE_COLOURS, FIELD_COLOURS, OKABE_ITO
from course_utils.tensor_codec import all_values
from course_utils.viz.base import axes, lighten, to_numpy

__all__ = ["bit_layout", "format_layouts", "int_layout", "number_line"]

#: Box colours by span key: the float fields, an integer's value bits, an index.
_COLOURS = CODE_COLOURS


def _draw_bits(ax, bits: str | None, spans, y: float = 0.0, height: float = 1.0,
               show_index: bool = True, n_bits: int | None = None) -> None:
    """Draw one row of bit boxes coloured by field (gid ``"bit"`` per box).

    ``spans`` are ``(colour key, first bit, width)``, keys of :data:`_COLOURS`.
    """
    from matplotlib.patches import Rectangle

    n = len(bits) if bits is not None else n_bits
    colour_of = {}
    for field, start, width in spans:
        for i in range(start, start + width):
            colour_of[i] = _COLOURS[field]
    for i in range(n):
        colour = colour_of.get(i, "#999999")
        bit = bits[i] if bits is not None else None
        face = colour if bit == "1" else lighten(colour, 0.7)
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

    Sign in vermillion, exponent in blue, fraction (others call it mantissa) in
    green; a set bit is drawn in the full colour, a clear bit in a light tint.
    Introduced in lesson 2.

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
    fmt = get_format(fmt)
    code = check_code(code, fmt)
    n = fmt.n_bits
    bits = format(code, f"0{n}b")
    fig, ax = axes(ax, (min(16.0, max(4.0, 0.42 * n + 1.0)), 1.9))
    spans = fmt.field_spans
    _draw_bits(ax, bits, spans)
    for field, start, width in spans:
        ax.text(start + width / 2, 1.12, field, ha="center",
                va="bottom", color=FIELD_COLOURS[field], fontsize=10,
                fontweight="bold")
    ax.set_xlim(-0.2, n + 0.2)
    ax.set_ylim(-0.6, 1.6)
    ax.set_aspect("auto")
    ax.axis("off")
    if title is None:
        title = fmt.name
        if show_value:
            title += f": bits {bits} store {decode(code, fmt)!r}"
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
    formats = [get_format(f) for f in fmts]
    if not formats:
        raise ValueError("fmts must name at least one format")
    width = max(f.n_bits for f in formats)
    fig, ax = axes(None, (max(5.0, 0.3 * width + 2.5), 0.9 * len(formats) + 1.0))
    for row, fmt in enumerate(formats):
        y = -1.6 * row
        bits = None
        if x is not None:
            bits = format(encode(float(x), fmt), f"0{fmt.n_bits}b")
        _draw_bits(ax, bits, fmt.field_spans, y=y, show_index=False,
                   n_bits=fmt.n_bits)
        label = fmt.name
        if x is not None:
            label += f"\n{decode(int(bits, 2), fmt):.8g}"
        ax.text(-0.5, y + 0.5, label, ha="right", va="center", fontsize=10)
    from matplotlib.patches import Patch

    handles = [Patch(color=FIELD_COLOURS[k], label=k) for k in FIELDS]
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
    bits = int_to_bits(value, n_bits, signed)
    n = len(bits)
    fig, ax = axes(ax, (max(4.0, 0.6 * n + 1.0), 1.9))
    spans = [("sign", 0, 1), ("value", 1, n - 1)] if signed else [("value", 0, n)]
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

    fmt = get_format(fmt)
    if fmt.n_bits > 16:
        raise ValueError(f"number_line draws formats of at most 16 bits; "
                         f"{fmt.name} has {fmt.n_bits}")
    v = to_numpy(all_values(fmt))
    v = np.unique(v[np.isfinite(v)])
    if not negative or log:
        v = v[v >= 0]
    if log:
        v = v[v > 0]
    fig, ax = axes(ax, (9.0, 1.8))
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
