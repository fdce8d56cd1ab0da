"""Figures of course_utils.viz: the expected artists, labels and numbers."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course_utils import bits, quant, viz  # noqa: E402


def _bit_patches(ax):
    return [p for p in ax.patches if p.get_gid() == "bit"]


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_use_course_style_sets_okabe_ito_cycle():
    viz.use_course_style()
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert set(colours) <= set(viz.OKABE_ITO.values())
    assert len(colours) == 8
    assert matplotlib.rcParams["font.size"] >= 10


@pytest.mark.parametrize("fmt", ["fp32", "fp16", "bf16", "fp8_e4m3fn", "fp4_e2m1",
                                 "e8m0"])
def test_bit_layout_has_one_box_per_bit_and_field_labels(fmt):
    f = bits.get_format(fmt)
    code = bits.encode(-1.5 if f.signed else 1.5, f)
    fig = viz.bit_layout(code, fmt)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    boxes = _bit_patches(ax)
    assert len(boxes) == f.n_bits
    labels = _texts(ax)
    assert ("sign" in labels) == f.signed
    assert "exponent" in labels
    assert ("fraction" in labels) == (f.frac_bits > 0)
    # the bit digits written in the boxes are the bits of the code
    digits = "".join(t.get_text() for t in ax.texts if t.get_gid() == "bit-digit")
    assert digits == format(code, f"0{f.n_bits}b")


def test_bit_layout_colours_fields_and_set_bits():
    code = 0xBC00  # fp16 -1.0: sign 1, exponent 01111, fraction 0
    boxes = _bit_patches(viz.bit_layout(code, "fp16").axes[0])
    faces = [to_hex(b.get_facecolor()) for b in boxes]
    assert faces[0] == viz.FIELD_COLOURS["sign"].lower()          # set sign bit
    assert faces[2] == viz.FIELD_COLOURS["exponent"].lower()      # a set exp bit
    assert faces[1] != viz.FIELD_COLOURS["exponent"].lower()      # clear: a tint
    assert all(f != viz.FIELD_COLOURS["fraction"].lower() for f in faces[6:])
    assert "-1.0" in viz.bit_layout(code, "fp16").axes[0].get_title(loc="left")


def test_bit_layout_accepts_bit_strings_and_rejects_bad_codes():
    a = viz.bit_layout("0 01111 0000000000", "fp16").axes[0].get_title(loc="left")
    b = viz.bit_layout(0x3C00, "fp16").axes[0].get_title(loc="left")
    assert a == b
    with pytest.raises(ValueError, match="code is an int from 0 to"):
        viz.bit_layout(1 << 16, "fp16")
    with pytest.raises(TypeError):
        viz.bit_layout(1.0, "fp16")


def test_format_layouts_rows_to_scale_and_stored_values():
    fig = viz.format_layouts(("fp32", "fp16", "bf16"), x=1 / 3)
    ax = fig.axes[0]
    assert len(_bit_patches(ax)) == 32 + 16 + 16
    labels = " ".join(_texts(ax))
    for name in ("fp32", "fp16", "bf16"):
        assert name in labels
    assert f"{bits.decode(bits.encode(1 / 3, 'bf16'), 'bf16'):.8g}" in labels
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["sign", "exponent", "fraction"]


def test_int_layout_place_values():
    fig = viz.int_layout(-3, n_bits=4, signed=True)
    ax = fig.axes[0]
    assert len(_bit_patches(ax)) == 4
    labels = _texts(ax)
    assert "-8" in labels and "4" in labels and "1" in labels
    assert "1101" in ax.get_title(loc="left")
    unsigned = viz.int_layout(13, n_bits=4, signed=False).axes[0]
    assert "8" in _texts(unsigned) and "-8" not in _texts(unsigned)


def test_number_line_marks_every_finite_value():
    fig = viz.number_line("fp4_e2m1")
    ax = fig.axes[0]
    xs = np.sort(np.concatenate([c.get_offsets()[:, 0] for c in ax.collections]))
    expected = np.unique(bits.all_values("fp4_e2m1").numpy())
    np.testing.assert_array_equal(xs, expected)   # 15 values: +-0 merge
    sub = next(c for c in ax.collections if c.get_label() == "subnormal")
    assert sorted(sub.get_offsets()[:, 0]) == [-0.5, 0.5]
    log = viz.number_line("fp8_e4m3fn", log=True).axes[0]
    assert log.get_xscale() == "log"
    assert min(c.get_offsets()[:, 0].min() for c in log.collections) > 0
    with pytest.raises(ValueError, match="at most 16 bits"):
        viz.number_line("fp32")


def test_error_heatmap_shows_absolute_error():
    x = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    x_hat = torch.tensor([[0.0, 1.5], [2.0, 2.0]])
    fig = viz.error_heatmap(x, x_hat)
    img = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(img, [[0, 0.5], [0, 1.0]])
    assert len(fig.axes) == 2                               # heatmap + colour bar
    assert "MSE 0.312" in fig.axes[0].get_title(loc="left")           # (0.25 + 1) / 4
    with pytest.raises(ValueError, match="same shape"):
        viz.error_heatmap(x, x_hat[0])


def test_grid_histogram_draws_every_grid_value():
    x = torch.randn(2000, generator=torch.Generator().manual_seed(0))
    qt = quant.quantize(x, n_bits=3)
    fig = viz.grid_histogram(x, qt=qt)
    ax = fig.axes[0]
    grid = next(c for c in ax.collections if c.get_label() == "grid")
    xs = sorted(seg[0, 0] for seg in grid.get_segments())
    codes = torch.arange(qt.q_min, qt.q_max + 1)
    expected = (qt.scale * (codes - qt.zero_point)).tolist()
    np.testing.assert_allclose(xs, expected, rtol=1e-6, atol=1e-7)
    assert len(xs) == 8
    with pytest.raises(ValueError, match="per-tensor"):
        viz.grid_histogram(x.reshape(40, 50),
                           qt=quant.quantize(x.reshape(40, 50),
                                             granularity="per_channel"))


def test_grid_comparison_one_panel_per_quantization_shared_limits():
    x = torch.relu(torch.randn(3000, generator=torch.Generator().manual_seed(2)))
    fig = viz.grid_comparison(x, {"asym": quant.quantize(x, 4),
                                  "sym": quant.quantize(x, 4, symmetric=True)})
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["asym", "sym"]
    sym_grid = next(c for c in fig.axes[1].collections if c.get_label() == "grid")
    lowest = min(seg[0, 0] for seg in sym_grid.get_segments())
    assert lowest < 0                                     # symmetric: wasted half
    assert fig.axes[0].get_xlim()[0] <= lowest            # both panels show it
    with pytest.raises(ValueError):
        viz.grid_comparison(x, {})


def test_error_vs_bits_one_curve_per_method():
    errors = {"per tensor": {2: 1e-1, 4: 1e-2, 8: 1e-4},
              "per channel": {2: 5e-2, 4: 5e-3, 8: 5e-5}}
    fig = viz.error_vs_bits(errors)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == list(errors)
    assert list(ax.lines[1].get_ydata()) == [5e-2, 5e-3, 5e-5]
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError):
        viz.error_vs_bits({})


def test_quantization_panels_three_heatmaps():
    x = torch.randn(4, 8, generator=torch.Generator().manual_seed(1))
    qt = quant.quantize(x, n_bits=4)
    fig = viz.quantization_panels(x, qt.dequantize(), q=qt.q)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 3
    np.testing.assert_array_equal(images[1].get_array(), qt.q.numpy())
    np.testing.assert_allclose(images[2].get_array(),
                               (x - qt.dequantize()).abs().numpy(), rtol=1e-6)


def test_figures_do_not_touch_pyplot_state():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    viz.bit_layout(0, "fp16")
    viz.error_vs_bits({"a": {2: 1.0, 3: 0.5}})
    assert plt.get_fignums() == before


# -- block formats (lesson 6) ------------------------------------------------------
def test_block_figure_shows_the_scale_bits_values_and_grid():
    from course_utils.blocks import mx_quantize, nf4_quantize
    from course_utils.blocks.view import block_view

    x = torch.tensor([[0.5, -1.0, 3.0, 7.5] * 8])
    view = block_view(x, mx_quantize(x))
    fig = viz.block_figure(view)
    top, ax = fig.axes
    boxes = _bit_patches(top)
    assert len(boxes) == 8                                    # e8m0: 8 bits
    exponent = viz.FIELD_COLOURS["exponent"].lower()       # code 127: 0111 1111
    assert [to_hex(b.get_facecolor()) == exponent for b in boxes] == [
        False] + [True] * 7
    labels = {c.get_label(): c for c in ax.collections}
    assert {"x", "x_hat", "grid", "clipped"} <= set(labels)
    np.testing.assert_array_equal(labels["x"].get_offsets()[:, 1], view.x.numpy())
    np.testing.assert_array_equal(labels["x_hat"].get_offsets()[:, 1],
                                  view.x_hat.numpy())
    assert "2**0" in top.get_title(loc="left")
    view = block_view(torch.randn(1, 64), nf4_quantize(torch.randn(1, 64)))
    assert len(_bit_patches(viz.block_figure(view).axes[0])) == 32


def test_scale_ratios_and_error_vs_bits_per_value():
    fig = viz.scale_ratios({"FLOOR": torch.tensor([4.5, 6.5, 7.9, 5.0]),
                            "RCEIL": torch.tensor([3.1, 5.9])})
    assert [p.get_label() for p in fig.axes[0].patches] == [
        "FLOOR (50.0% beyond 6)", "RCEIL (0.0% beyond 6)"]
    rows = {"fp32": {"bits_per_value": 32.0, "mse": 0.0},
            "MXFP4": {"bits_per_value": 4.25, "mse": 5e-5},
            "NVFP4": {"bits_per_value": 4.5, "mse": 3e-5}}
    fig = viz.error_vs_bits_per_value(rows)
    ax = fig.axes[0]
    assert [c.get_label() for c in ax.collections] == ["MXFP4", "NVFP4"]  # no 0
    assert ax.collections[1].get_offsets().tolist() == [[4.5, 3e-5]]
    with pytest.raises(ValueError):
        viz.error_vs_bits_per_value({"fp32": rows["fp32"]})
    with pytest.raises(ValueError):
        viz.scale_ratios({})
