"""Widgets of course_utils.widgets, driven without a front end (clicks, typing)."""

import base64
import os
import re
import types
from fractions import Fraction

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils import bits, quant, widgets  # noqa: E402
from course_utils.widgets import frontend  # noqa: E402


@pytest.fixture(autouse=True)
def _no_mode_env(monkeypatch):
    monkeypatch.delenv(widgets.MODE_ENV, raising=False)


# -- float explorer -------------------------------------------------------------
def test_clicking_a_bit_of_fp16_one_shows_the_exact_decoded_value():
    ex = widgets.float_explorer(1.0, "fp16", static=False)
    assert ex.code == 0x3C00
    assert [b.description for b in ex.bit_buttons] == list("0011110000000000")
    ex.bit_buttons[-1].click()                     # lowest fraction bit
    assert ex.code == 0x3C01
    assert ex.exact == Fraction(1025, 1024)
    assert ex.value == 1 + 2**-10
    assert ex.bit_buttons[-1].description == "1"
    shown = ex.value_html.value
    assert "1025/1024" in shown and "1.0009765625" in shown
    assert ex.value_text.value == "1.0009765625"
    assert ex.typed is None and "clicking bits" in shown
    ex.bit_buttons[0].click()                      # sign bit
    assert ex.value == -(1 + 2**-10) and "-1025/1024" in ex.value_html.value


def test_typing_a_number_shows_code_exact_value_and_error():
    ex = widgets.float_explorer("1/3", "fp16", static=False)
    ex.value_text.value = "0.1"
    assert ex.code == 0x2E66                       # torch agrees, checked below
    expected = torch.tensor(0.1, dtype=torch.float16).view(torch.int16).item()
    assert ex.code == expected
    assert ex.exact == Fraction(819, 8192)
    err = abs(Fraction(819, 8192) - Fraction(1, 10))   # exact error vs decimal 0.1
    assert f"abs {float(err):.6g}" in ex.value_html.value
    assert "".join(b.description for b in ex.bit_buttons) == "0010111001100110"
    assert "0.0999755859375" in ex.value_html.value
    assert "next up 0.10003662109375" in ex.value_html.value


def test_format_change_restores_typed_number_and_rebuilds_bits():
    ex = widgets.float_explorer("1/3", "fp16", static=False)
    ex.format_dropdown.value = "bf16"
    assert ex.fmt.name == "bf16" and len(ex.bit_buttons) == 16
    assert ex.value == torch.tensor(1 / 3, dtype=torch.bfloat16).item()
    ex.format_dropdown.value = "fp32"
    assert len(ex.bit_buttons) == 32
    assert ex.value == torch.tensor(1 / 3, dtype=torch.float32).item()
    ex.format_dropdown.value = "fp8_e4m3fn"
    assert len(ex.bit_buttons) == 8
    f8 = torch.tensor(1 / 3).to(torch.float8_e4m3fn).view(torch.uint8).item()
    assert ex.code == f8
    assert {c for b in ex.bit_buttons for c in b._dom_classes} >= {
        "cu-bit", "cu-bit-sign", "cu-bit-exponent", "cu-bit-fraction"}


def test_every_registered_format_can_be_explored():
    ex = widgets.float_explorer("-2.75", "fp16", static=False)
    for name in bits.FORMATS:
        ex.format_dropdown.value = name
        f = bits.get_format(name)
        assert len(ex.bit_buttons) == f.n_bits
        assert ex.code == bits.encode(Fraction(-11, 4), f)
        assert f.name in ex.value_html.value


def test_a_user_defined_format_joins_the_dropdown():
    my_fmt = bits.FloatFormat("my_e3m2", exp_bits=3, frac_bits=2, bias=3)
    ex = widgets.float_explorer("1.3", my_fmt, static=False)
    assert ex.format_dropdown.value == "my_e3m2" and len(ex.bit_buttons) == 6
    assert ex.value == 1.25
    ex.format_dropdown.value = "fp16"
    ex.format_dropdown.value = "my_e3m2"
    assert ex.fmt == my_fmt and ex.value == 1.25


def test_bad_input_shows_a_message_and_keeps_state():
    ex = widgets.float_explorer("1.5", "fp4_e2m1", static=False)
    code = ex.code
    ex.value_text.value = "one point five"
    assert "could not read" in ex.message.value and ex.code == code
    ex.value_text.value = "nan"                    # fp4 has no NaN
    assert "no NaN" in ex.message.value and ex.code == code
    with pytest.raises(ValueError):
        ex.toggle_bit(4)
    with pytest.raises(ValueError):
        widgets.parse_number("1/0")


def test_neighbour_buttons_step_one_ulp():
    ex = widgets.float_explorer("1", "bf16", static=False)
    ex.up_button.click()
    assert ex.value == 1 + 2**-7
    ex.down_button.click()
    ex.down_button.click()
    assert ex.value == 1 - 2**-8


def test_exact_decimal_is_exact():
    from decimal import Decimal

    v = Fraction(bits.decode_exact(1, "fp16"))     # 2**-24
    assert Decimal(widgets.exact_decimal(v)) == Decimal(1) / Decimal(2**24)
    assert widgets.exact_decimal(Fraction(1, 3), max_digits=5).endswith("…")


# -- integer explorer ------------------------------------------------------------
def test_int_explorer_click_type_width_and_sign():
    ex = widgets.int_explorer(8, signed=True, value=45, static=False)
    assert "".join(b.description for b in ex.bit_buttons) == "00101101"
    ex.bit_buttons[0].click()                      # the -128 bit
    assert ex.value == 45 - 128
    assert ex.value_text.value == str(45 - 128)
    assert "<b>-83</b>" in ex.value_html.value
    ex.signed_toggle.value = False                 # same bits, read unsigned
    assert ex.bits == "10101101" and ex.value == 173
    ex.value_text.value = "-5"                     # out of range for unsigned
    assert "does not fit" in ex.message.value and ex.value == 173
    ex.signed_toggle.value = True
    ex.value_text.value = "-5"
    assert ex.bits == "11111011"
    ex.width_slider.value = 16                     # sign-extends
    assert ex.bits == "1" * 13 + "011" and ex.value == -5
    ex.value_text.value = "300"
    ex.width_slider.value = 4                      # does not fit: low bits kept
    assert ex.bits == "1100" and ex.value == -4 and "does not fit" in (
        ex.message.value)


# -- quantization playground -----------------------------------------------------
def test_playground_updates_error_numbers_when_bits_change():
    x = torch.randn(6, 16, generator=torch.Generator().manual_seed(3))
    pg = widgets.quantization_playground(x, static=False)
    first = dict(pg.errors)
    pg.bits_slider.value = 8
    qt = quant.quantize(x, n_bits=8)
    mse = float(((x - qt.dequantize()) ** 2).mean())
    assert pg.errors["mse"] == pytest.approx(mse, rel=1e-6)
    assert pg.errors["mse"] < first["mse"] / 100
    assert f"{mse:.3e}" in pg.error_html.value
    (shown,) = pg.figure_output.outputs                   # the redrawn figure
    assert base64.b64decode(shown["data"]["image/png"])[:4] == b"\x89PNG"
    heat = pg.last_figure.axes[2].images[0].get_array()   # |x - x_hat| panel
    assert float(heat.max()) == pytest.approx(pg.errors["max_abs"], rel=1e-6)
    assert "cu-errors" in pg.error_html._dom_classes


def test_playground_granularity_group_and_symmetry():
    pg = widgets.quantization_playground(static=False)
    assert pg.group_dropdown.disabled
    pg.granularity_dropdown.value = "per_group"
    assert not pg.group_dropdown.disabled
    pg.group_dropdown.value = 4
    assert pg.qt.granularity == "per_group" and pg.qt.group_size == 4
    assert pg.qt.scale.numel() == pg.x.numel() // 4
    pg.symmetric_toggle.value = True
    assert pg.qt.symmetric and int(pg.qt.zero_point.abs().max()) == 0
    ref = quant.quantize(pg.x, n_bits=4, symmetric=True, granularity="per_group",
                         group_size=4)
    assert torch.equal(pg.qt.q, ref.q)
    assert "groups of 4" in pg.error_html.value
    with pytest.raises(ValueError, match="2-D"):
        widgets.quantization_playground(torch.zeros(3))


# -- block explorer (lesson 6) ----------------------------------------------------
def _block_weights():
    g = torch.Generator().manual_seed(6)
    a = torch.randn(6, 128, generator=g) * torch.logspace(-3, 0, 6)[:, None]
    a[2, 70] = 7.2                                      # clipped by FLOOR (> 6)
    return {"a": a, "b": torch.randn(3, 64, generator=g) * 0.02}


def test_block_explorer_shows_the_codes_of_the_whole_matrix():
    from course_utils.blocks import mx_quantize, nf4_quantize, nvfp4_quantize

    weights = _block_weights()
    a = weights["a"]
    ex = widgets.block_explorer(weights, static=False)
    ex.row_slider.value = 2
    ex.block_slider.value = 2                           # values 64..95: the outlier
    whole = mx_quantize(a, "fp4_e2m1", 32, "floor")
    assert ex.view.scale_code == int(whole.scales[2, 2])
    assert torch.equal(ex.view.x_hat.float(), whole.dequantize()[2, 64:96])
    assert list(ex.view.codes) == whole.codes[2, 64:96].tolist()
    assert ex.view.clipped and "clipped" in ex.errors_html.value
    assert "cu-clipped" in ex.table_html.value
    code = int(whole.scales[2, 2])
    shown_bits = re.findall(r"class='cu-bit [^>]*>([01])</span>", ex.scale_html.value)
    assert "".join(shown_bits) == format(code, "08b")
    ex.format_dropdown.value = "MXFP4 (RCEIL)"          # scale up by one, no clip
    rceil = mx_quantize(a, "fp4_e2m1", 32, "rceil")
    assert ex.view.scale_code == int(rceil.scales[2, 2]) == code + 1
    assert not ex.view.clipped
    ex.format_dropdown.value = "NVFP4"                  # blocks of 16: same values
    assert ex.block_slider.max == 7 and ex.block_slider.value == 4
    nv = nvfp4_quantize(a, tensor_scale="amax")
    assert torch.equal(ex.view.x_hat.float(), nv.dequantize()[2, 64:80])
    assert ex.view.scale_code == int(nv.scales[2, 4])
    ex.format_dropdown.value = "NF4"
    assert ex.block_slider.max == 1 and ex.block_slider.value == 1
    nf = nf4_quantize(a)
    assert torch.equal(ex.view.x_hat.float(), nf.dequantize()[2, 64:128])
    assert "cu-field-index" in ex.table_html.value and ex.view.scale_bits == 32
    (shown,) = ex.figure_output.outputs                 # the redrawn figure
    assert base64.b64decode(shown["data"]["image/png"])[:4] == b"\x89PNG"


def test_block_explorer_bits_are_coloured_by_field():
    from course_utils.style import CODE_COLOURS

    ex = widgets.block_explorer(_block_weights(), fmt="MXFP8 e4m3", static=False)
    assert len(ex.view.codes) == 32 and ex.view.n_bits == 8
    table = ex.table_html.value
    for field in ("sign", "exponent", "fraction"):
        assert f"cu-field-{field}" in table
    assert CODE_COLOURS["exponent"] in ex.scale_html.value   # e8m0: exponent only
    assert ex.table_html.value.count("cu-bit ") == 32 * 8
    for control in (ex.format_dropdown, ex.layer_dropdown, ex.row_slider,
                    ex.block_slider):
        assert any(c.startswith("cu-block-") for c in control._dom_classes)
    assert "cu-block-explorer" in ex.widget._dom_classes


def test_block_explorer_layers_and_select():
    ex = widgets.block_explorer(_block_weights(), static=False)
    ex.layer_dropdown.value = "b"
    assert ex.row_slider.max == 2 and ex.block_slider.max == 1
    ex.select(fmt="NVFP4", layer="a", row=5, block=7)
    assert (ex.layer_dropdown.value, ex.row_slider.value, ex.block_slider.value) == (
        "a", 5, 7)
    assert torch.equal(ex.view.x, _block_weights()["a"][5, 112:128].double())
    with pytest.raises(ValueError, match="block must be"):
        ex.select(block=8)
    with pytest.raises(ValueError, match="no layer"):
        ex.select(layer="c")
    with pytest.raises(ValueError, match="multiple of 64"):
        widgets.block_explorer(torch.zeros(2, 32))
    with pytest.raises(ValueError, match="fmt must be"):
        widgets.block_explorer(fmt="MXFP5")


# -- static fallback and front-end detection --------------------------------------
def test_static_fallback_gives_figure_and_text():
    from matplotlib.figure import Figure

    for ex in (widgets.float_explorer("0.1", "bf16", static=True),
               widgets.int_explorer(6, value=-7, static=True),
               widgets.quantization_playground(static=True),
               widgets.block_explorer(static=True)):
        assert ex.static
        assert isinstance(ex.figure(), Figure)
        text = repr(ex)
        assert text and "<" not in text
    assert "0.10009765625" in repr(widgets.float_explorer("0.1", "bf16",
                                                           static=True))


def test_static_display_emits_png_and_html(monkeypatch, capsys):
    shown = []
    import IPython.display as ipd

    monkeypatch.setattr(ipd, "display", lambda obj, **kw: shown.append(obj))
    ex = widgets.float_explorer("2", "fp8_e5m2", static=True)
    ex._ipython_display_()                       # terminal IPython: plain text
    assert not shown and "fp8_e5m2" in capsys.readouterr().out
    monkeypatch.setattr(widgets.base, "in_kernel", lambda: True)
    ex._ipython_display_()                       # kernel without widgets
    assert isinstance(shown[0], ipd.Image) and shown[0].data[:4] == b"\x89PNG"
    assert isinstance(shown[1], ipd.HTML) and "fp8_e5m2" in shown[1].data
    shown.clear()
    ex = widgets.int_explorer(static=False)
    ex._ipython_display_()
    assert shown == [ex.widget]


def test_frontend_detection_rule(monkeypatch):
    import IPython

    assert widgets.has_widget_frontend() is False              # no kernel here
    assert widgets.has_widget_frontend(static=False) is True
    monkeypatch.setenv(widgets.MODE_ENV, "interactive")
    assert widgets.has_widget_frontend() is True
    monkeypatch.setenv(widgets.MODE_ENV, "static")
    assert widgets.has_widget_frontend() is False
    monkeypatch.delenv(widgets.MODE_ENV)

    kernel = types.SimpleNamespace(comm_manager=object(), _allow_stdin=True)
    shell = types.SimpleNamespace(kernel=kernel)
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setattr(frontend, "_parent_is_batch_runner", lambda: False)
    assert widgets.has_widget_frontend() is True               # JupyterLab-like
    kernel._allow_stdin = False                                # nbclient-like
    assert widgets.has_widget_frontend() is False
    kernel._allow_stdin = True
    monkeypatch.setattr(frontend, "_parent_is_batch_runner", lambda: True)
    assert widgets.has_widget_frontend() is False              # launched by a runner
    monkeypatch.setattr(IPython, "get_ipython",                # terminal IPython
                        lambda: types.SimpleNamespace())
    assert widgets.has_widget_frontend() is False


@pytest.mark.parametrize("argv, expected", [
    (["jupyter-nbconvert", "--execute", "lesson.ipynb"], True),
    (["/venv/bin/python", "-m", "nbgrader", "autograde", "ps1"], True),
    (["/venv/bin/python", "/venv/bin/pytest", "tests"], True),
    (["jupyter-lab", "--notebook-dir=/home/u/nbgrader-course"], False),
    (["python", "-m", "jupyterlab", "/srv/pytest-notes"], False),
    ([], False),
])
def test_batch_runner_is_told_by_the_launcher_name(argv, expected):
    assert frontend._is_batch_argv(argv) is expected


@pytest.mark.parametrize("name, expected", [("jupyter-nbconvert", True),
                                            ("jupyter-lab", False)])
def test_parent_process_check_reads_the_launcher_command_line(
        monkeypatch, name, expected):
    import subprocess
    import time

    if not os.path.exists(f"/proc/{os.getpid()}/cmdline"):
        pytest.skip("needs /proc")
    # `exec -a NAME` gives the sleeping process the launcher's argv[0]
    parent = subprocess.Popen(["bash", "-c", f"exec -a {name} sleep 30"])
    try:
        for _ in range(200):  # wait until bash has exec'd into sleep
            with open(f"/proc/{parent.pid}/cmdline", "rb") as f:
                if f.read().split(b"\0")[0] == name.encode():
                    break
            time.sleep(0.01)
        monkeypatch.setenv("JPY_PARENT_PID", str(parent.pid))
        assert frontend._parent_is_batch_runner() is expected
    finally:
        parent.kill()
        parent.wait()
