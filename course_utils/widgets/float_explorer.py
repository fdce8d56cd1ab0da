"""The float explorer (Lesson 2): type a number or click bits, in any format.

Built on :class:`course_utils.explain.Explanation`: the read-out is exactly the
explanation's HTML (fields, kind, exact value, error, neighbours, ULP). Stable
CSS classes for browser tests: ``cu-bit`` (every bit button, plus
``cu-bit-sign``/``cu-bit-exponent``/``cu-bit-fraction``), ``cu-value`` (the
read-out), ``cu-input`` (the number box), ``cu-format``.
"""

from __future__ import annotations

import html
from fractions import Fraction

from course_utils.codec import decode, decode_exact, encode
from course_utils.explain import Explanation
from course_utils.formats import FORMATS, get_format
from course_utils.number_text import parse_number, show_float
from course_utils.style import FIELD_COLOURS, FIELD_TINTS
from course_utils.widgets.base import Explorer, error_html
from course_utils.widgets.frontend import has_widget_frontend

__all__ = ["FloatExplorer", "float_explorer"]


class FloatExplorer(Explorer):
    """Type a number or click bits of any float format; see fields, value, error.

    Built by :func:`float_explorer` (lesson 2). Attributes for tests and code:
    ``fmt``, ``code``, ``typed`` (exact number typed, or ``None`` after clicks),
    ``bit_buttons`` (most significant first), ``value_text``, ``format_dropdown``,
    ``value_html``, ``message``, ``widget``.
    """

    def __init__(self, value="1/3", fmt="fp16", static: bool | None = None):
        import ipywidgets as w

        self.fmt = get_format(fmt)
        self.static = not has_widget_frontend(static)
        self.typed: Fraction | float | None = None
        self.typed_text = ""
        self.code = 0

        self._formats = dict(FORMATS)   # plus any user-defined FloatFormat
        self._formats.setdefault(self.fmt.name, self.fmt)
        self.format_dropdown = w.Dropdown(options=self._format_options(),
                                          value=self.fmt.name, description="format")
        self.format_dropdown.add_class("cu-format")
        self.value_text = w.Text(description="number", continuous_update=False,
                                 placeholder="0.1, 1/3, -2.5e-3, inf, nan")
        self.value_text.add_class("cu-input")
        self.down_button = w.Button(description="◀ next down",
                                    tooltip="the neighbour below")
        self.up_button = w.Button(description="next up ▶",
                                  tooltip="the neighbour above")
        self.down_button.add_class("cu-next-down")
        self.up_button.add_class("cu-next-up")
        self._bit_readouts(w)
        self.widget = w.VBox([
            w.HBox([self.format_dropdown, self.value_text]),
            w.HBox([self.down_button, self.up_button]),
            self.bits_box, self.message, self.value_html,
        ])
        self.widget.add_class("cu-float-explorer")

        self.format_dropdown.observe(self._on_format, names="value")
        self.value_text.observe(self._on_text, names="value")
        self.down_button.on_click(lambda _: self.step(-1))
        self.up_button.on_click(lambda _: self.step(+1))
        self._build_buttons()
        self.set_value(value)

    # -- state changes -----------------------------------------------------
    def set_value(self, value) -> None:
        """Store a typed number (string or number) in the current format."""
        typed = parse_number(value)
        self.code = self._encode(typed)
        self.typed = typed
        self.typed_text = value.strip() if isinstance(value, str) else repr(value)
        self._sync_text(self.typed_text)
        self.message.value = ""
        self._refresh()

    def set_code(self, code: int) -> None:
        """Show the value of a bit pattern (clears the typed number)."""
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError(f"code must be an int, got {type(code).__name__}")
        if not 0 <= code < 2 ** self.fmt.n_bits:
            raise ValueError(f"code must be in [0, 2**{self.fmt.n_bits}) for "
                             f"{self.fmt.name}, got {code}")
        self.code = code
        self.typed = None
        self._sync_text(None)
        self._refresh()

    def _format_options(self) -> list[tuple[str, str]]:
        return [(f"{n} ({f.n_bits} bits)", n) for n, f in self._formats.items()]

    def set_format(self, fmt) -> None:
        """Switch format, re-storing the typed number (or the current value)."""
        if isinstance(fmt, str) and fmt in self._formats:
            fmt = self._formats[fmt]
        fmt = get_format(fmt)
        if self._formats.get(fmt.name) != fmt:
            self._formats[fmt.name] = fmt
            with self._quietly():
                self.format_dropdown.options = self._format_options()
        value = self.typed
        if value is None:
            exact = decode_exact(self.code, self.fmt)
            value = exact if exact is not None else decode(self.code, self.fmt)
        old_fmt, old_code = self.fmt, self.code
        self.fmt = fmt
        try:
            code = self._encode(value)
        except ValueError as err:
            self.fmt, self.code = old_fmt, old_code
            self.message.value = error_html(str(err))
            self._sync_dropdown()
            return
        self._sync_dropdown()
        self._build_buttons()
        self.code = code
        self.message.value = ""
        self._refresh()

    def _sync_dropdown(self) -> None:
        if self.format_dropdown.value != self.fmt.name:
            with self._quietly():
                self.format_dropdown.value = self.fmt.name

    def toggle_bit(self, index: int) -> None:
        """Flip bit ``index`` counted from the left (0 = most significant)."""
        n = self.fmt.n_bits
        if not 0 <= index < n:
            raise ValueError(f"bit index must be in [0, {n}), got {index}")
        self.set_code(self.code ^ (1 << (n - 1 - index)))

    def step(self, direction: int) -> None:
        """Move to the next representable value up (+1) or down (-1)."""
        e = self.explanation
        target = e.next_up if direction > 0 else e.next_down
        if target is None or target != target:
            self.message.value = "no neighbour in that direction"
            return
        self.set_code(encode(float(target), self.fmt))

    @property
    def explanation(self) -> Explanation:
        """The :class:`~course_utils.explain.Explanation` of the current code.

        With a typed number it is explained as the stored form of that number
        (so it carries the exact error); after clicks, as a bare bit pattern.
        """
        return Explanation.from_code(self.code, self.fmt, self.typed)

    @property
    def value(self) -> float:
        """The value the current code stores."""
        return decode(self.code, self.fmt)

    @property
    def exact(self) -> Fraction | None:
        """The exact stored value (``None`` for inf and NaN)."""
        return decode_exact(self.code, self.fmt)

    # -- internals ---------------------------------------------------------
    def _encode(self, value: Fraction | float) -> int:
        """Round exactly (``bits.encode`` takes the Fraction itself)."""
        try:
            return encode(value, self.fmt)
        except ValueError as err:  # e.g. nan in a format without NaN (fp4)
            raise ValueError(f"{self.fmt.name} cannot store {value}: {err}") from None

    def _sync_text(self, text: str | None) -> None:
        with self._quietly():
            self.value_text.value = show_float(self.value) if text is None else text

    def _on_format(self, change) -> None:
        if self._syncing:
            return
        self.set_format(change["new"])

    def _build_buttons(self) -> None:
        import ipywidgets as w

        n = self.fmt.n_bits
        size = "30px" if n <= 16 else "24px"
        buttons = []
        for i in range(n):
            field = self.fmt.field_of_bit(i)
            b = w.Button(description="0", layout=w.Layout(width=size, padding="0"),
                         tooltip=f"bit {n - 1 - i} ({field})")
            b.add_class("cu-bit")
            b.add_class(f"cu-bit-{field}")
            b.style.font_weight = "bold"
            b.on_click(lambda _b, i=i: self.toggle_bit(i))
            buttons.append(b)
        self.bit_buttons = buttons
        self.bits_box.children = tuple(buttons)

    def _refresh(self) -> None:
        bits = format(self.code, f"0{self.fmt.n_bits}b")
        for i, (b, bit) in enumerate(zip(self.bit_buttons, bits, strict=True)):
            field = self.fmt.field_of_bit(i)
            b.description = bit
            b.style.button_color = (FIELD_COLOURS if bit == "1" else FIELD_TINTS)[field]
            b.style.text_color = "white" if bit == "1" else "#222222"
        self.value_html.value = self.html()

    # -- read-outs ---------------------------------------------------------
    def html(self) -> str:
        """The read-out: the explanation's HTML, with what was typed."""
        return self.explanation.html(note=self._typed_note())

    def _typed_note(self) -> str:
        if self.typed is None:
            return "typed: nothing (set by clicking bits)"
        shown = html.escape(self.typed_text)
        if isinstance(self.typed, Fraction) and str(self.typed) != self.typed_text:
            shown += f", read exactly as {self.typed}"
        return f"typed: <code>{shown}</code>"

    def figure(self):
        """The bit layout of the current code (``viz.bit_layout``)."""
        from course_utils import viz

        return viz.bit_layout(self.code, self.fmt)


def float_explorer(value="1/3", fmt="fp16", static: bool | None = None
                   ) -> FloatExplorer:
    """An explorer of the bits of any float format in ``bits.FORMATS``.

    Type a number (``0.1``, ``1/3``, ``-2.5e-3``, ``inf``, ``nan``) or click bits;
    see the sign, exponent and fraction fields coloured, the exact stored value
    as a fraction and as a decimal, the error against what was typed, the
    neighbours and the ULP. Introduced in lesson 2.

    Args:
        value: the starting number.
        fmt: the starting format.
        static: ``True`` for the static figure and text, ``False`` for widgets,
            ``None`` to detect (see :func:`has_widget_frontend`).

    >>> ex = float_explorer(1.0, "fp16", static=True)
    >>> ex.code == 0x3C00
    True
    >>> ex.bit_buttons[-1].click(); ex.value, ex.exact
    (1.0009765625, Fraction(1025, 1024))
    >>> ex.bit_buttons[1].click(); ex.explanation.kind  # exponent all ones
    'nan'
    """
    return FloatExplorer(value, fmt, static)
