"""Interactive explorers for the lessons: float bits, integer bits, quantization.

Each explorer is an object with a ``.widget`` (an ipywidgets box) that Jupyter
shows when the object is the last expression of a cell. With no widget front end
(a notebook executed by nbconvert/nbclient/nbgrader, a plain terminal) it shows a
static figure and text instead. The rule, in :func:`has_widget_frontend`:

1. ``static=True``/``False`` passed to the explorer wins;
2. else the environment variable ``COURSE_WIDGETS`` (``static`` or
   ``interactive``) wins;
3. else widgets are shown only inside an IPython *kernel* that has a comm
   manager, when the cell was not sent by a batch executor: nbclient (used by
   nbconvert, nbgrader and papermill) sends every cell with ``allow_stdin=False``,
   while JupyterLab, Notebook and VS Code send ``allow_stdin=True``; a kernel
   whose parent process is a known batch runner also counts as batch.

The widgets do not need a front end to work: tests drive them by clicking
(``explorer.bit_buttons[i].click()``) or typing (``explorer.value_text.value =
"0.1"``) and read ``explorer.value_html.value``. Stable CSS classes for browser
tests: ``cu-bit`` (every bit button, plus ``cu-bit-sign``/``cu-bit-exponent``/
``cu-bit-mantissa``), ``cu-value`` (the value read-out), ``cu-input`` (the
number box), ``cu-format``, ``cu-errors``.
"""

from __future__ import annotations

import base64
import html
import io
import os
from fractions import Fraction

import torch

from course_utils import bits as cb

#: Environment variable forcing a mode: ``static`` or ``interactive``.
MODE_ENV = "COURSE_WIDGETS"

_BATCH_RUNNERS = ("nbconvert", "nbclient", "papermill", "nbgrader", "pytest",
                  "nbval", "testbook")

_FIELD_CSS = {"sign": "#D55E00", "exponent": "#0072B2", "mantissa": "#009E73"}
_FIELD_TINT = {"sign": "#F7D7C0", "exponent": "#BFDBEC", "mantissa": "#BFE6DB"}


# --------------------------------------------------------------------------
# Front-end detection
# --------------------------------------------------------------------------

def _is_batch_argv(argv: list[str]) -> bool:
    """Whether a command line launches nbconvert, pytest, nbgrader, ...

    Only the program's name and a ``-m module`` or script after ``python`` are
    read, never the other arguments: a course folder called ``nbgrader-course``
    does not make JupyterLab a batch runner.

    >>> _is_batch_argv(["/usr/bin/python3", "-m", "nbgrader", "autograde", "ps1"])
    True
    >>> _is_batch_argv(["jupyter-lab", "--notebook-dir=/home/u/nbgrader-course"])
    False
    """
    if not argv:
        return False
    names = [os.path.basename(argv[0])]
    if "python" in names[0] and len(argv) > 1:
        rest = argv[1:]
        names.append(rest[1] if rest[0] == "-m" and len(rest) > 1 else rest[0])
    names = [os.path.basename(name) for name in names]
    return any(runner in name for name in names for runner in _BATCH_RUNNERS)


def _parent_is_batch_runner() -> bool:
    """Whether the kernel's parent process is a batch runner (see above)."""
    pid = os.environ.get("JPY_PARENT_PID") or str(os.getppid())
    try:
        with open(f"/proc/{int(pid)}/cmdline", "rb") as f:
            argv = f.read().decode(errors="replace").split("\0")
    except (OSError, ValueError):
        return False
    return _is_batch_argv([a for a in argv if a])


def has_widget_frontend(static: bool | None = None) -> bool:
    """Whether widgets can be shown here (see the module docstring for the rule).

    Args:
        static: ``True`` forces the static fallback, ``False`` forces widgets.

    >>> has_widget_frontend()          # a doctest runs without a front end
    False
    >>> has_widget_frontend(static=False)
    True
    """
    if static is not None:
        return not static
    mode = os.environ.get(MODE_ENV, "").strip().lower()
    if mode in {"static", "0", "off", "false"}:
        return False
    if mode in {"interactive", "1", "on", "true", "widgets"}:
        return True
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the course
        return False
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    if kernel is None or getattr(kernel, "comm_manager", None) is None:
        try:
            import comm

            if kernel is None or comm.get_comm_manager() is None:
                return False
        except Exception:
            return False
    if not getattr(kernel, "_allow_stdin", True):
        return False
    return not _parent_is_batch_runner()


def _png(fig) -> bytes:
    """A figure rendered as PNG bytes (independent of the matplotlib backend)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _display_static(fig, text_html: str) -> None:
    """Show a figure (as PNG) and an HTML read-out without widgets."""
    from IPython.display import HTML, Image, display

    if fig is not None:
        display(Image(data=_png(fig), format="png"))
    display(HTML(text_html))


def _in_kernel() -> bool:
    """Whether we run in a Jupyter kernel (which can show images and HTML)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    return getattr(get_ipython(), "kernel", None) is not None


class _Explorer:
    """Shared display logic: the widget when a front end exists, else static."""

    widget = None
    static: bool = True

    def _on_text(self, change) -> None:
        """A number typed by the learner: show it, or say what was wrong."""
        if getattr(self, "_syncing", False):
            return
        try:
            self.set_value(change["new"])
        except (ValueError, TypeError) as err:
            self.message.value = (f"<span style='color:#D55E00'>"
                                  f"{html.escape(str(err))}</span>")

    def figure(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def html(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def text(self) -> str:
        """The read-out as plain text (HTML tags removed)."""
        import re

        s = re.sub(r"<br\s*/?>|</p>|</tr>|</div>", "\n", self.html())
        s = re.sub(r"</t[dh]>", "  ", s)
        return html.unescape(re.sub(r"<[^>]+>", "", s)).strip()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if not self.static:
            display(self.widget)
        elif _in_kernel():
            _display_static(self.figure(), self.html())
        else:  # terminal IPython: no images, plain text
            print(self.text())

    def __repr__(self) -> str:
        return self.text()


# --------------------------------------------------------------------------
# Float explorer (lesson 2)
# --------------------------------------------------------------------------

def parse_number(text: str | float | int | Fraction) -> Fraction | float:
    """Read what a learner typed: a decimal, a fraction, ``inf``, ``nan``, hex.

    Finite numbers come back as an exact ``Fraction`` (so ``"0.1"`` means exactly
    one tenth, not the double closest to it); ``inf``, ``nan`` and ``-0`` come
    back as floats. Introduced in lesson 2 (float explorer).

    >>> parse_number("1/3")
    Fraction(1, 3)
    >>> parse_number("0.1")
    Fraction(1, 10)
    >>> parse_number("-inf")
    -inf
    """
    if isinstance(text, Fraction):
        return text
    if isinstance(text, bool):
        raise TypeError("expected a number or a string such as '0.1', got a bool")
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        if text != text or text in (float("inf"), float("-inf")):
            return text
        if text == 0 and str(text).startswith("-"):
            return -0.0
        return Fraction(text)
    if not isinstance(text, str):
        raise TypeError(f"expected a number or a string, got {type(text).__name__}")
    s = text.strip().replace("_", "").replace(" ", "").replace("−", "-")
    low = s.lower()
    if low in {"inf", "+inf", "infinity", "+infinity", "-inf", "-infinity"}:
        return float(low)
    if low in {"nan", "+nan", "-nan"}:
        return float("nan")
    try:
        if low.lstrip("+-").startswith("0x"):
            value: Fraction | float = Fraction(float.fromhex(s))
        else:
            value = Fraction(s)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise ValueError(
            f"could not read {text!r} as a number: type e.g. 0.1, 1/3, -2.5e-3, "
            "inf or nan"
        ) from None
    if value == 0 and s.startswith("-"):
        return -0.0
    return value


def exact_decimal(value: Fraction, max_digits: int = 120) -> str:
    """Write a fraction with a power-of-two denominator as its exact decimal.

    Every float stores such a fraction, so its decimal expansion ends; it is cut
    after ``max_digits`` significant digits (marked with ``…``). Introduced in
    lesson 2.

    >>> exact_decimal(Fraction(1365, 4096))
    '0.333251953125'
    >>> exact_decimal(Fraction(-3, 2))
    '-1.5'
    """
    if not isinstance(value, Fraction):
        value = Fraction(value)
    sign = "-" if value < 0 else ""
    num, den = abs(value.numerator), value.denominator
    k = den.bit_length() - 1
    if den != 1 << k:  # not dyadic: an approximation with many digits
        from decimal import Context

        ctx = Context(prec=max_digits)
        approx = ctx.divide(num, den)
        return f"{sign}{approx:f}…"
    digits = str(num * 5 ** k)
    if k:
        digits = digits.rjust(k + 1, "0")
        int_part, frac_part = digits[:-k], digits[-k:].rstrip("0")
    else:
        int_part, frac_part = digits, ""
    out = int_part + ("." + frac_part if frac_part else "")
    significant = len(out.replace(".", "").lstrip("0"))
    if significant > max_digits:
        cut = len(out) - (significant - max_digits)
        out = out[:cut] + "…"
    return sign + out


def _fmt_float(v: float | None) -> str:
    if v is None:
        return "—"
    if v != v:
        return "nan"
    return repr(float(v))


class FloatExplorer(_Explorer):
    """Type a number or click bits of any float format; see fields, value, error.

    Built by :func:`float_explorer` (lesson 2). Attributes for tests and code:
    ``fmt``, ``code``, ``typed`` (exact number typed, or ``None`` after clicks),
    ``bit_buttons`` (most significant first), ``value_text``, ``format_dropdown``,
    ``value_html``, ``message``, ``widget``.
    """

    def __init__(self, value="1/3", fmt="fp16", static: bool | None = None):
        import ipywidgets as w

        self.fmt = cb.get_format(fmt)
        self.static = not has_widget_frontend(static)
        self.typed: Fraction | float | None = None
        self.typed_text = ""
        self.code = 0
        self._syncing = False

        self._formats = dict(cb.FORMATS)   # plus any user-defined FloatFormat
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
        self.bits_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.bit_buttons: list = []
        self.value_html = w.HTML()
        self.value_html.add_class("cu-value")
        self.message = w.HTML()
        self.message.add_class("cu-message")
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
        fmt = cb.get_format(fmt)
        if self._formats.get(fmt.name) != fmt:
            self._formats[fmt.name] = fmt
            self._syncing = True
            try:
                self.format_dropdown.options = self._format_options()
            finally:
                self._syncing = False
        value = self.typed
        if value is None:
            exact = cb.decode_exact(self.code, self.fmt)
            value = exact if exact is not None else cb.decode(self.code, self.fmt)
        old_fmt, old_code = self.fmt, self.code
        self.fmt = fmt
        try:
            code = self._encode(value)
        except ValueError as err:
            self.fmt, self.code = old_fmt, old_code
            self.message.value = (f"<span style='color:#D55E00'>"
                                  f"{html.escape(str(err))}</span>")
            self._sync_dropdown()
            return
        self._sync_dropdown()
        self._build_buttons()
        self.code = code
        self.message.value = ""
        self._refresh()

    def _sync_dropdown(self) -> None:
        if self.format_dropdown.value != self.fmt.name:
            self._syncing = True
            try:
                self.format_dropdown.value = self.fmt.name
            finally:
                self._syncing = False

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
        self.set_code(cb.encode(float(target), self.fmt))

    @property
    def explanation(self):
        """``bits.explain_code`` of the current code."""
        return cb.explain_code(self.code, self.fmt)

    @property
    def value(self) -> float:
        """The value the current code stores."""
        return cb.decode(self.code, self.fmt)

    @property
    def exact(self) -> Fraction | None:
        """The exact stored value (``None`` for inf and NaN)."""
        return cb.decode_exact(self.code, self.fmt)

    # -- internals ---------------------------------------------------------
    def _encode(self, value: Fraction | float) -> int:
        """Round exactly (``bits.encode`` takes the Fraction itself)."""
        try:
            return cb.encode(value, self.fmt)
        except ValueError as err:  # e.g. nan in a format without NaN (fp4)
            raise ValueError(f"{self.fmt.name} cannot store {value}: {err}") from None

    def _sync_text(self, text: str | None) -> None:
        self._syncing = True
        try:
            if text is None:
                text = _fmt_float(self.value)
            self.value_text.value = text
        finally:
            self._syncing = False

    def _on_format(self, change) -> None:
        if self._syncing:
            return
        self.set_format(change["new"])

    def _field_of(self, index: int) -> str:
        start = 0
        if self.fmt.signed:
            if index == 0:
                return "sign"
            start = 1
        if index < start + self.fmt.exp_bits:
            return "exponent"
        return "mantissa"

    def _build_buttons(self) -> None:
        import ipywidgets as w

        n = self.fmt.n_bits
        size = "30px" if n <= 16 else "24px"
        buttons = []
        for i in range(n):
            field = self._field_of(i)
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
            field = self._field_of(i)
            b.description = bit
            b.style.button_color = _FIELD_CSS[field] if bit == "1" else _FIELD_TINT[
                field]
            b.style.text_color = "white" if bit == "1" else "#222222"
        self.value_html.value = self.html()

    # -- read-outs ---------------------------------------------------------
    def html(self) -> str:
        """The read-out: coloured fields, exact value, error, neighbours, ULP."""
        fmt, e = self.fmt, self.explanation
        spans = []
        for field, bits in (("sign", e.sign_bits), ("exponent", e.exponent_bits),
                            ("mantissa", e.mantissa_bits)):
            if bits:
                spans.append(f"<span style='color:{_FIELD_CSS[field]};"
                             f"font-weight:bold'>{bits}</span>")
        rows = [("bits", "<code>" + " ".join(spans) + "</code>"
                 + f" &nbsp;(0x{self.code:0{(fmt.n_bits + 3) // 4}X})")]
        rows.append(("fields", self._fields_html(e)))
        exact = e.exact
        if exact is None:
            rows.append(("stored value", f"<b>{_fmt_float(e.value)}</b> ({e.kind})"))
        else:
            frac = (f"{exact.numerator}/{exact.denominator}"
                    if exact.denominator != 1 else str(exact.numerator))
            if e.kind == "zero" and str(e.value).startswith("-"):
                frac = "-0"
            rows.append(("stored value", f"<b>{_fmt_float(e.value)}</b> ({e.kind})"))
            rows.append(("exactly", f"<code>{frac}</code>"))
            rows.append(("exact decimal", f"<code>{exact_decimal(exact)}</code>"))
        rows.append(("typed", self._error_html(exact, e)))
        rows.append(("neighbours", f"next down {_fmt_float(e.next_down)}, "
                                   f"next up {_fmt_float(e.next_up)}"))
        rows.append(("ULP", f"{_fmt_float(e.ulp)} (gap to the next value up)"))
        body = "".join(f"<tr><th style='text-align:right;padding-right:8px'>{k}"
                       f"</th><td style='text-align:left'>{v}</td></tr>"
                       for k, v in rows)
        return (f"<div class='cu-value-box'><b>{fmt.name}</b> — "
                f"{html.escape(_short_description(fmt))}<br><table>{body}</table>"
                "</div>")

    def _fields_html(self, e) -> str:
        fmt = self.fmt
        parts = []
        if fmt.signed:
            parts.append(f"<span style='color:{_FIELD_CSS['sign']}'>sign "
                         f"{'−' if e.sign < 0 else '+'}</span>")
        if fmt.exp_bits:
            stored = int(e.exponent_bits, 2)
            exp = e.exponent
            txt = f"exponent {e.exponent_bits}₂ = {stored}"
            if exp is not None:
                txt += f", minus bias {fmt.bias} → 2<sup>{exp}</sup>"
            parts.append(f"<span style='color:{_FIELD_CSS['exponent']}'>{txt}"
                         "</span>")
        if fmt.man_bits:
            lead = "0" if e.kind in ("subnormal", "zero") else "1"
            parts.append(f"<span style='color:{_FIELD_CSS['mantissa']}'>fraction "
                         f"{e.mantissa_bits}₂ → significand {lead}."
                         f"{e.mantissa_bits}₂</span>")
        return " · ".join(parts)

    def _error_html(self, exact: Fraction | None, e) -> str:
        typed = self.typed
        if typed is None:
            return "— (set by clicking bits)"
        shown = html.escape(self.typed_text)
        if exact is None or not isinstance(typed, Fraction):
            return f"<code>{shown}</code> (no finite error)"
        err = abs(exact - typed)
        txt = f"<code>{shown}</code> → error {float(err):.3e}"
        if typed != 0:
            txt += f" (relative {float(err / abs(typed)):.3e})"
        if err == 0:
            txt += " — stored exactly"
        return txt

    def figure(self):
        """The bit layout of the current code (``viz.bit_layout``)."""
        from course_utils import viz

        return viz.bit_layout(self.code, self.fmt)


def _short_description(fmt) -> str:
    """Bits, bias, specials and note of a format, without the field widths.

    The widths are left for the learner to count on the coloured bits (the
    workbook asks for them).
    """
    try:
        from course_utils._float_formats import _SPECIAL_TEXT
    except ImportError:  # pragma: no cover - private table renamed
        _SPECIAL_TEXT = {}
    parts = [f"{fmt.n_bits} bits", f"bias {fmt.bias}",
             _SPECIAL_TEXT.get(fmt.special, fmt.special)]
    if not fmt.subnormals:
        parts.append("no zero, no subnormals")
    if getattr(fmt, "note", ""):
        parts.append(fmt.note)
    return "; ".join(parts)


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


# --------------------------------------------------------------------------
# Integer explorer (lesson 2)
# --------------------------------------------------------------------------

class IntExplorer(_Explorer):
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

        _check_width(n_bits)
        self.n_bits = n_bits
        self.signed = bool(signed)
        self.static = not has_widget_frontend(static)
        self._syncing = False
        lo, hi = cb.int_range(n_bits, self.signed)
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
        self.bits_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.bit_buttons: list = []
        self.value_html = w.HTML()
        self.value_html.add_class("cu-value")
        self.message = w.HTML()
        self.message.add_class("cu-message")
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
        return cb.bits_to_int(self.bits, signed=self.signed)

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
        lo, hi = cb.int_range(self.n_bits, self.signed)
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
        _check_width(n_bits)
        old = self.value
        lo, hi = cb.int_range(n_bits, self.signed)
        self.n_bits = n_bits
        self.code = old % (1 << n_bits)
        if lo <= old <= hi:
            self.message.value = ""
        else:
            self.message.value = (f"{old} does not fit in {n_bits} bits: kept the "
                                  f"lowest {n_bits} bits, which read {self.value}")
        if self.width_slider.value != n_bits:
            self._syncing = True
            try:
                self.width_slider.value = n_bits
            finally:
                self._syncing = False
        self._build_buttons()
        self._refresh()

    def set_signed(self, signed: bool) -> None:
        """Read the same bits as signed or unsigned."""
        self.signed = bool(signed)
        if self.signed_toggle.value != self.signed:
            self._syncing = True
            try:
                self.signed_toggle.value = self.signed
            finally:
                self._syncing = False
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
            field = "sign" if (self.signed and i == 0) else "exponent"
            b.description = bit
            b.style.button_color = _FIELD_CSS[field] if bit == "1" else _FIELD_TINT[
                field]
            b.style.text_color = "white" if bit == "1" else "#222222"
            b.tooltip = f"bit {self.n_bits - 1 - i}: worth {self._weights()[i]}"
        self._syncing = True
        try:
            self.value_text.value = str(self.value)
        finally:
            self._syncing = False
        self.value_html.value = self.html()

    def html(self) -> str:
        """The read-out: bits, the sum of place values, value and range."""
        terms = [w for w, bit in zip(self._weights(), self.bits, strict=True)
                 if bit == "1"]
        total = " + ".join(f"({t})" if t < 0 else str(t) for t in terms) or "0"
        lo, hi = cb.int_range(self.n_bits, self.signed)
        kind = "signed (two's complement)" if self.signed else "unsigned"
        return (f"<div class='cu-value-box'><code>{self.bits}</code> "
                f"({self.n_bits}-bit {kind})<br>"
                f"value = {total} = <b>{self.value}</b><br>"
                f"range of this type: {lo} … {hi}</div>")

    def figure(self):
        """The bits with their place values (``viz.int_layout``)."""
        from course_utils import viz

        return viz.int_layout(self.value, self.n_bits, self.signed)


def _check_width(n_bits) -> None:
    if isinstance(n_bits, bool) or not isinstance(n_bits, int):
        raise TypeError(f"n_bits must be an int, got {type(n_bits).__name__}")
    if not 2 <= n_bits <= 64:
        raise ValueError(f"n_bits must be between 2 and 64, got {n_bits}")


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


# --------------------------------------------------------------------------
# Quantization playground (lesson 5)
# --------------------------------------------------------------------------

def demo_tensor(rows: int = 8, cols: int = 32, seed: int = 0) -> torch.Tensor:
    """A small weight-like matrix: rows of different scales and a few outliers.

    Its rows differ in size like the output channels of a real layer, so per-
    channel and per-group quantization visibly beat per-tensor. Lesson 5.

    >>> demo_tensor().shape
    torch.Size([8, 32])
    """
    g = torch.Generator().manual_seed(seed)
    row_scale = torch.logspace(-1.3, 0, rows)[torch.randperm(rows, generator=g)]
    x = torch.randn(rows, cols, generator=g) * row_scale[:, None]
    idx = torch.randint(0, rows * cols, (max(1, rows * cols // 100),), generator=g)
    x.view(-1)[idx] *= 4.0
    return x


class QuantizationPlayground(_Explorer):
    """Bits, symmetric/asymmetric, granularity, group size -> codes and errors.

    Built by :func:`quantization_playground` (lesson 5). Attributes:
    ``x``, ``qt`` (the current ``quant.QuantizedTensor``), ``x_hat``, ``errors``
    (``quant.error_report``), ``bits_slider``, ``symmetric_toggle``,
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
        from course_utils import quant

        gran = self.granularity_dropdown.value
        self.group_dropdown.disabled = gran != "per_group"
        self.qt = quant.quantize(
            self.x, n_bits=self.bits_slider.value,
            symmetric=self.symmetric_toggle.value, granularity=gran, axis=0,
            group_size=self.group_dropdown.value if gran == "per_group" else None)
        self.x_hat = self.qt.dequantize()
        self.errors = quant.error_report(self.x, self.x_hat)
        self.error_html.value = self.html()
        self.codes_html.value = self._codes_html()
        if not self.static:
            # Set the Output widget's outputs directly (kernel side): no reliance on
            # the front end routing captured messages, and testable without one.
            png = base64.b64encode(_png(self.figure())).decode("ascii")
            self.figure_output.outputs = ({
                "output_type": "display_data",
                "data": {"image/png": png, "text/plain": "<quantization figure>"},
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
        """Storage per value including the fp32 scales (and zero points)."""
        n_scales = self.qt.scale.numel()
        extra = 32 * n_scales
        if not self.qt.symmetric:
            extra += self.qt.n_bits * self.qt.zero_point.numel()
        return self.qt.n_bits + extra / self.x.numel()

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
        static: see :func:`float_explorer`.

    >>> pg = quantization_playground(static=True)
    >>> mse4 = pg.errors["mse"]; pg.bits_slider.value = 8
    >>> pg.errors["mse"] < mse4
    True
    """
    return QuantizationPlayground(x, static)
