"""The integer explorer (Lesson 2): click the bits of an integer, or type it.

Choose the width and whether the bits are read unsigned or as two's complement;
see every bit's place value and their sum. CSS classes: ``cu-bit``, ``cu-value``,
``cu-input``, ``cu-width``, ``cu-signed``.
"""

from __future__ import annotations

from course_utils.integers import bits_to_int, check_n_bits, int_range
from course_utils.style import FIELD_COLOURS, FIELD_TINTS, OKABE_ITO
from course_utils.widgets.base import Explorer
from course_utils.widgets.frontend import has_widget_frontend

__all__ = ["IntExplorer", "int_explorer"]

# the sign bit as in float codes; value bits in the course blue
_COLOURS = {"sign": FIELD_COLOURS["sign"], "value": OKABE_ITO["blue"]}
_TINTS = {"sign": FIELD_TINTS["sign"], "value": FIELD_TINTS["exponent"]}


class IntExplorer(Explorer):
    """Click the bits of an integer or type its value; choose width and sign.

    Built by :func:`int_explorer` (lesson 2). Attributes: ``n_bits``, ``signed``,
    ``code`` (the bit pattern as an unsigned int), ``value``, ``bit_buttons``,
    ``value_text``, ``width_slider``, ``signed_toggle``, ``value_html``.
    Toggling signedness keeps the bits and reinterprets them; changing the width
    keeps the value when it fits, else keeps the lowest bits (overflow).
    """

    def __init__(self, n_bits: int = 8, signed: bool = True, value: int = 0,
                 static: bool | None = None):
        import ipywidgets as w

        self.n_bits = check_n_bits(n_bits)
        self.signed = bool(signed)
        self.static = not has_widget_frontend(static)
        lo, hi = int_range(n_bits, self.signed)
        if not lo <= value <= hi:
            raise ValueError(f"value {value} does not fit in {n_bits} bits "
                             f"({'signed' if signed else 'unsigned'}: [{lo}, {hi}])")
        self.code = value % (1 << n_bits)

        self.width_slider = w.IntSlider(value=n_bits, min=2, max=max(32, n_bits),
                                        description="n_bits",
                                        continuous_update=False)
        self.width_slider.add_class("cu-width")
        self.signed_toggle = w.ToggleButtons(
            options=[("unsigned", False), ("signed (two's complement)", True)],
            value=self.signed)
        self.signed_toggle.add_class("cu-signed")
        self.value_text = w.Text(description="value", continuous_update=False)
        self.value_text.add_class("cu-input")
        self._bit_readouts(w)
        self.widget = w.VBox([self.width_slider, self.signed_toggle,
                              self.value_text, self.bits_box, self.message,
                              self.value_html])
        self.widget.add_class("cu-int-explorer")
        self.width_slider.observe(self._on_width, names="value")
        self.signed_toggle.observe(self._on_signed, names="value")
        self.value_text.observe(self._on_text, names="value")
        self._build_buttons()
        self._refresh()

    @property
    def value(self) -> int:
        """The integer the bits stand for."""
        return bits_to_int(self.bits, signed=self.signed)

    @property
    def bits(self) -> str:
        """The bit string, most significant bit first."""
        return format(self.code, f"0{self.n_bits}b")

    def set_value(self, value: int | str) -> None:
        """Show the bits of an integer (a string is parsed as an int)."""
        if isinstance(value, str):
            try:
                value = int(value.strip().replace("_", ""), 0)
            except ValueError:
                raise ValueError(f"could not read {value!r} as an integer") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"value must be an int, got {type(value).__name__}")
        lo, hi = int_range(self.n_bits, self.signed)
        if not lo <= value <= hi:
            raise ValueError(f"{value} does not fit in {self.n_bits} bits "
                             f"({'signed' if self.signed else 'unsigned'}: "
                             f"[{lo}, {hi}])")
        self.code = value % (1 << self.n_bits)
        self.message.value = ""
        self._refresh()

    def toggle_bit(self, index: int) -> None:
        """Flip bit ``index`` counted from the left (0 = most significant)."""
        if not 0 <= index < self.n_bits:
            raise ValueError(f"bit index must be in [0, {self.n_bits}), got {index}")
        self.code ^= 1 << (self.n_bits - 1 - index)
        self.message.value = ""
        self._refresh()

    def set_width(self, n_bits: int) -> None:
        """Change the width, keeping the value if it fits (else the low bits)."""
        check_n_bits(n_bits)
        old = self.value
        lo, hi = int_range(n_bits, self.signed)
        self.n_bits = n_bits
        self.code = old % (1 << n_bits)
        if lo <= old <= hi:
            self.message.value = ""
        else:
            self.message.value = (f"{old} does not fit in {n_bits} bits: kept the "
                                  f"lowest {n_bits} bits, which read {self.value}")
        if self.width_slider.value != n_bits:
            with self._quietly():
                self.width_slider.value = n_bits
        self._build_buttons()
        self._refresh()

    def set_signed(self, signed: bool) -> None:
        """Read the same bits as signed or unsigned."""
        self.signed = bool(signed)
        if self.signed_toggle.value != self.signed:
            with self._quietly():
                self.signed_toggle.value = self.signed
        self.message.value = ""
        self._refresh()

    def _on_width(self, change) -> None:
        if not self._syncing:
            self.set_width(change["new"])

    def _on_signed(self, change) -> None:
        if not self._syncing:
            self.set_signed(change["new"])

    def _build_buttons(self) -> None:
        import ipywidgets as w

        n = self.n_bits
        buttons = []
        for i in range(n):
            b = w.Button(description="0", tooltip=f"bit {n - 1 - i}",
                         layout=w.Layout(width="30px" if n <= 16 else "24px",
                                         padding="0"))
            b.add_class("cu-bit")
            b.style.font_weight = "bold"
            b.on_click(lambda _b, i=i: self.toggle_bit(i))
            buttons.append(b)
        self.bit_buttons = buttons
        self.bits_box.children = tuple(buttons)

    def _weights(self) -> list[int]:
        n = self.n_bits
        return [-(1 << (n - 1)) if (self.signed and i == 0) else 1 << (n - 1 - i)
                for i in range(n)]

    def _refresh(self) -> None:
        for i, (b, bit) in enumerate(zip(self.bit_buttons, self.bits, strict=True)):
            field = "sign" if (self.signed and i == 0) else "value"
            b.description = bit
            b.style.button_color = (_COLOURS if bit == "1" else _TINTS)[field]
            b.style.text_color = "white" if bit == "1" else "#222222"
            b.tooltip = f"bit {self.n_bits - 1 - i}: worth {self._weights()[i]}"
        with self._quietly():
            self.value_text.value = str(self.value)
        self.value_html.value = self.html()

    def html(self) -> str:
        """The read-out: bits, the sum of place values, value and range."""
        terms = [w for w, bit in zip(self._weights(), self.bits, strict=True)
                 if bit == "1"]
        total = " + ".join(f"({t})" if t < 0 else str(t) for t in terms) or "0"
        lo, hi = int_range(self.n_bits, self.signed)
        kind = "signed (two's complement)" if self.signed else "unsigned"
        return (f"<div class='cu-value-box'><code>{self.bits}</code> "
                f"({self.n_bits}-bit {kind})<br>"
                f"value = {total} = <b>{self.value}</b><br>"
                f"range of this type: {lo} … {hi}</div>")

    def figure(self):
        """The bits with their place values (``viz.int_layout``)."""
        from course_utils import viz

        return viz.int_layout(self.value, self.n_bits, self.signed)



def int_explorer(n_bits: int = 8, signed: bool = True, value: int = 0,
                 static: bool | None = None) -> IntExplorer:
    """An explorer of integer bit patterns: click bits or type a value.

    Choose the width and whether the bits are read as unsigned or as two's
    complement; see every bit's place value and their sum. Introduced in
    lesson 2.

    >>> ex = int_explorer(4, signed=True, value=5, static=True)
    >>> ex.bits
    '0101'
    >>> ex.bit_buttons[0].click(); ex.value
    -3
    """
    return IntExplorer(n_bits, signed, value, static)
