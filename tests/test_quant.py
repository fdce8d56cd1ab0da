"""course_utils.quant against torch's fake-quantize kernels and observers,
optimum-quanto's int8 weights, and hypothesis properties (issue 2, section 4)."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course_utils import quant, quant_core
from course_utils.metrics import error_report, max_abs_error, mse, sqnr_db
from course_utils.quant import (
    QuantizedTensor,
    dequantize_with,
    quantize,
    quantize_with,
    scale_zero_point,
)

BITS = range(2, 9)
PROPS = settings(max_examples=60, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


def q_range(n_bits: int, signed: bool) -> tuple[int, int]:
    return ((-(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1) if signed
            else (0, 2**n_bits - 1))


def heavy(*shape: int, seed: int = 0) -> torch.Tensor:
    """Random values with outliers and mixed signs, like real weights."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=g)
    return x * torch.exp(torch.randn(*shape, generator=g))


# ------------------------------------------------------------ torch fake quantize
@pytest.mark.parametrize("n_bits", BITS)
@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("symmetric", [False, True])
def test_per_tensor_bit_exact_with_torch(n_bits, signed, symmetric):
    x = heavy(257, 33, seed=n_bits)
    qt = quantize(x, n_bits, symmetric=symmetric, signed=signed, reciprocal=True)
    q_min, q_max = q_range(n_bits, signed)
    ref = torch.fake_quantize_per_tensor_affine(
        x, float(qt.scale), int(qt.zero_point), q_min, q_max)
    x_hat = qt.dequantize()
    assert x_hat.dtype == torch.float32
    assert torch.equal(x_hat, ref)
    # the codes are those torch's kernel rounds to (its x_hat is scale*(q - zp))
    assert torch.equal((qt.q.float() - qt.zero_point) * qt.scale, ref)


@pytest.mark.parametrize("shape,axis", [((64, 300), 0), ((64, 300), 1),
                                         ((64, 300), -1), ((6, 40, 9), 1),
                                         ((6, 40, 9), -3), ((5, 4, 3, 7), 2)])
@pytest.mark.parametrize("n_bits,signed,symmetric", [
    (8, True, False), (8, False, False), (8, True, True), (4, True, False),
    (4, False, True), (2, True, False), (3, False, False)])
def test_per_channel_bit_exact_with_torch(shape, axis, n_bits, signed, symmetric):
    x = heavy(*shape, seed=len(shape) + n_bits)
    qt = quantize(x, n_bits, symmetric=symmetric, granularity="per_channel",
                  axis=axis, signed=signed, reciprocal=True)
    q_min, q_max = q_range(n_bits, signed)
    assert qt.scale.shape == tuple(n if d == axis % x.ndim else 1
                                   for d, n in enumerate(shape))
    ref = torch.fake_quantize_per_channel_affine(
        x, qt.scale.flatten(), qt.zero_point.flatten(), axis % x.ndim, q_min, q_max)
    assert torch.equal(qt.dequantize(), ref)


def test_per_group_equals_per_channel_of_the_groups_in_torch():
    x = heavy(12, 96, seed=3)
    qt = quantize(x, 4, granularity="per_group", group_size=32, reciprocal=True)
    assert qt.scale.shape == (12, 3, 1) and qt.zero_point.shape == (12, 3, 1)
    ref = torch.fake_quantize_per_channel_affine(
        x.reshape(-1, 32), qt.scale.flatten(), qt.zero_point.flatten(), 0, -8, 7)
    assert torch.equal(qt.dequantize(), ref.reshape(x.shape))
    # and its scales are those of per-channel quantization of the groups
    rows = quantize(x.reshape(-1, 32), 4, granularity="per_channel", axis=0)
    assert torch.equal(rows.scale.flatten(), qt.scale.flatten())
    assert torch.equal(rows.q.reshape(x.shape), quantize(
        x, 4, granularity="per_group", group_size=32).q)


def test_division_differs_from_torch_reciprocal_only_rarely_by_one_step():
    x = torch.randn(1024, 1024, generator=torch.Generator().manual_seed(1))
    qt = quantize(x, 8, granularity="per_channel")
    ref = torch.fake_quantize_per_channel_affine(
        x, qt.scale.flatten(), qt.zero_point.flatten(), 0, -128, 127)
    x_hat = qt.dequantize()
    differ = x_hat != ref
    assert int(differ.sum()) <= 1e-4 * x.numel()
    steps = ((x_hat - ref) / qt.scale)[differ]
    assert torch.allclose(steps.abs(), torch.ones_like(steps), atol=1e-3)


# --------------------------------------------------------------- torch observers
def _observer(cls, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**kw)


@pytest.mark.parametrize("n_bits", BITS)
@pytest.mark.parametrize("signed", [True, False])
def test_scale_and_zero_point_are_torch_minmax_observer(n_bits, signed):
    from torch.ao.quantization import MinMaxObserver

    q_min, q_max = q_range(n_bits, signed)
    for seed, x in enumerate([heavy(50, 20, seed=n_bits), torch.rand(100) + 0.5,
                              -torch.rand(100) - 0.1]):
        obs = _observer(MinMaxObserver, dtype=torch.qint8 if signed else torch.quint8,
                        quant_min=q_min, quant_max=q_max)
        obs(x)
        ref_scale, ref_zp = obs.calculate_qparams()
        scale, zp = scale_zero_point(x, n_bits, signed=signed)
        assert torch.equal(scale, ref_scale.reshape(())), seed
        assert torch.equal(zp, ref_zp.reshape(()).to(torch.int32)), seed


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_per_channel_scales_are_torch_per_channel_observer(axis):
    from torch.ao.quantization import PerChannelMinMaxObserver

    x = heavy(6, 7, 8, seed=axis)
    obs = _observer(PerChannelMinMaxObserver, ch_axis=axis, dtype=torch.qint8,
                    quant_min=-128, quant_max=127)
    obs(x)
    ref_scale, ref_zp = obs.calculate_qparams()
    scale, zp = scale_zero_point(x, granularity="per_channel", axis=axis)
    assert torch.equal(scale.flatten(), ref_scale)
    assert torch.equal(zp.flatten(), ref_zp.to(torch.int32))


def test_formulas_by_hand():
    x = torch.tensor([-1.0, 0.0, 0.3, 3.0])
    qt = quantize(x)
    assert float(qt.scale) == pytest.approx(4.0 / 255, rel=1e-7)
    assert int(qt.zero_point) == -128 - round(-1.0 / (4.0 / 255))  # -64
    assert qt.q.tolist() == [-128, -64, round(0.3 * 255 / 4) - 64, 127]
    sym = quantize(x, symmetric=True)
    assert float(sym.scale) == pytest.approx(3.0 / 127, rel=1e-7)
    assert int(sym.zero_point) == 0
    assert sym.q.tolist() == [-42, 0, 13, 127]
    # only positive values: the range still starts at 0
    pos = quantize(torch.tensor([1.0, 4.0]), signed=False)
    assert int(pos.zero_point) == 0 and pos.q.tolist() == [64, 255]
    # unsigned symmetric: the signed codes shifted by 2**(n_bits - 1)
    usym = quantize(x, symmetric=True, signed=False)
    assert int(usym.zero_point) == 128
    assert torch.equal(usym.q.int() - 128, sym.q.int())
    assert torch.equal(usym.dequantize(), sym.dequantize())


def test_round_half_to_even():
    x = torch.tensor([0.5, 1.5, 2.5, -0.5, -2.5])
    assert quantize_with(x, 1.0, 0).tolist() == [0, 2, 2, 0, -2]


# ------------------------------------------------------------------ optimum-quanto
@pytest.fixture(scope="module")
def quanto():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from optimum import quanto
    return quanto


@pytest.mark.parametrize("shape", [(32, 64), (300, 17), (1024, 384)])
@pytest.mark.parametrize("axis", [0, -1])
def test_symmetric_int8_matches_quanto_weights(quanto, shape, axis):
    w = heavy(*shape, seed=shape[0])
    scale = quanto.AbsmaxOptimizer()(w, qtype=quanto.qint8, axis=axis)
    qw = quanto.quantize_weight(w, qtype=quanto.qint8, axis=axis, scale=scale)
    qt = quantize(w, 8, symmetric=True, granularity="per_channel", axis=axis)
    assert torch.equal(qt.q, qw._data)
    assert torch.equal(qt.scale, qw._scale)
    assert torch.equal(qt.dequantize(), qw.dequantize())


# -------------------------------------------------------------------- properties
finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)
moderate = st.floats(min_value=-1e4, max_value=1e4, width=32)


@st.composite
def settings_and_x(draw, elements=finite32):
    rows = draw(st.integers(1, 6))
    cols = draw(st.sampled_from([1, 2, 3, 4, 6, 8, 12]))
    values = draw(st.lists(elements, min_size=rows * cols, max_size=rows * cols))
    x = torch.tensor(values, dtype=torch.float32).reshape(rows, cols)
    gran = draw(st.sampled_from(quant.GRANULARITIES))
    kw = {"n_bits": draw(st.integers(2, 8)), "symmetric": draw(st.booleans()),
          "signed": draw(st.booleans()), "granularity": gran,
          "reciprocal": draw(st.booleans())}
    if gran == "per_channel":
        kw["axis"] = draw(st.sampled_from([0, 1, -1, -2]))
    if gran == "per_group":
        kw["group_size"] = draw(st.sampled_from(
            [g for g in range(1, cols + 1) if cols % g == 0]))
    return x, kw


def _broadcast(qt: QuantizedTensor, t: torch.Tensor) -> torch.Tensor:
    """A per-scale tensor (scale or zero_point) broadcast to the shape of x."""
    if qt.granularity == "per_group":
        grouped = t.expand(*t.shape[:-1], qt.group_size)
        return grouped.reshape(qt.shape)
    return t.expand(qt.shape)


@PROPS
@given(settings_and_x())
def test_codes_in_range_and_scales_positive(case):
    x, kw = case
    qt = quantize(x, **kw)
    assert qt.q.dtype == (torch.int8 if kw["signed"] else torch.uint8)
    assert qt.q.shape == x.shape
    assert int(qt.q.min()) >= qt.q_min and int(qt.q.max()) <= qt.q_max
    assert bool(((qt.scale > 0) & torch.isfinite(qt.scale)).all())
    zp = qt.zero_point
    assert bool(((zp >= qt.q_min) & (zp <= qt.q_max)).all())
    assert bool(torch.isfinite(qt.dequantize()).all())


@PROPS
@given(settings_and_x(moderate))
def test_error_at_most_half_a_step_inside_the_range(case):
    x, kw = case
    qt = quantize(x, **kw)
    x_hat = qt.dequantize()
    scale = _broadcast(qt, qt.scale)
    zp = _broadcast(qt, qt.zero_point).float()
    lo, hi = scale * (qt.q_min - zp), scale * (qt.q_max - zp)
    inside = (x >= lo - scale / 2) & (x <= hi + scale / 2)
    assert bool(inside.all())  # scales are chosen so that the grid covers x
    tol = 1e-5 * scale + 4 * torch.finfo(torch.float32).eps * x.abs()
    err = (x - x_hat).abs()
    assert bool((err[inside] <= (scale / 2 + tol)[inside]).all())


@PROPS
@given(settings_and_x())
def test_quantizing_x_hat_again_gives_the_same_codes(case):
    x, kw = case
    qt = quantize(x, **kw)
    x_hat = qt.dequantize()
    group = qt.group_size if qt.granularity == "per_group" else None
    again = quantize_with(x_hat, qt.scale, qt.zero_point, qt.n_bits, qt.signed,
                          group_size=group, reciprocal=kw["reciprocal"])
    assert torch.equal(again, qt.q)


@PROPS
@given(settings_and_x())
def test_blockwise_kernels_equal_the_plain_formula(case):
    x, kw = case
    qt = quantize(x, **kw)
    group = qt.group_size if qt.granularity == "per_group" else None
    q = quantize_with(x, qt.scale, qt.zero_point, qt.n_bits, qt.signed,
                      group_size=group, reciprocal=kw["reciprocal"])
    assert torch.equal(q, qt.q)
    assert torch.equal(dequantize_with(qt.q, qt.scale, qt.zero_point,
                                       group_size=group), qt.dequantize())


@pytest.mark.parametrize("shape,kw", [
    ((3, 70001), {}),
    ((300, 517), {"granularity": "per_channel", "axis": 0}),
    ((300, 517), {"granularity": "per_channel", "axis": 1, "symmetric": True}),
    ((7, 300, 40), {"granularity": "per_channel", "axis": 1}),
    ((2, 40000, 3), {"granularity": "per_channel", "axis": -1}),
    ((70, 3000), {"granularity": "per_group", "group_size": 1000, "n_bits": 4}),
])
def test_many_blocks_equal_the_plain_formula(shape, kw, monkeypatch):
    monkeypatch.setattr(quant_core, "_BLOCK", 5000)  # many blocks, ragged last one
    x = heavy(*shape, seed=7)
    qt = quantize(x, **kw)
    group = kw.get("group_size")
    assert torch.equal(qt.q, quantize_with(x, qt.scale, qt.zero_point,
                                           qt.n_bits, group_size=group))
    assert torch.equal(qt.dequantize(), dequantize_with(
        qt.q, qt.scale, qt.zero_point, group_size=group))


@PROPS
@given(c=finite32, n_bits=st.integers(2, 8), signed=st.booleans(),
       symmetric=st.booleans(), reciprocal=st.booleans(),
       n=st.integers(1, 20))
def test_constant_tensor_quantizes_exactly(c, n_bits, signed, symmetric,
                                           reciprocal, n):
    x = torch.full((n,), c)
    qt = quantize(x, n_bits, symmetric=symmetric, signed=signed,
                  reciprocal=reciprocal)
    assert bool(torch.isfinite(qt.scale)) and float(qt.scale) > 0
    assert torch.equal(qt.dequantize(), x)


@pytest.mark.parametrize("gran,kw", [("per_channel", {"axis": 0}),
                                     ("per_channel", {"axis": 1}),
                                     ("per_group", {"group_size": 4})])
@pytest.mark.parametrize("symmetric", [False, True])
def test_all_zero_and_constant_channels(gran, kw, symmetric):
    x = heavy(4, 8, seed=2)
    x[1] = 0.0
    x[:, 2] = 0.0
    x[3] = 0.1  # 0.1 / 255 * 255 != 0.1 in float32 for some formulas
    qt = quantize(x, 8, symmetric=symmetric, granularity=gran, **kw)
    assert bool(torch.isfinite(qt.scale).all() and (qt.scale > 0).all())
    x_hat = qt.dequantize()
    assert torch.equal(x_hat[1], x[1]) and torch.equal(x_hat[:, 2], x[:, 2])
    if gran != "per_channel" or kw["axis"] == 0:
        assert torch.equal(x_hat[3], x[3])


def test_zero_tensor_and_extreme_ranges():
    qt = quantize(torch.zeros(5))
    assert float(qt.scale) == 1.0 and torch.equal(qt.dequantize(), torch.zeros(5))
    big = torch.tensor([-3e38, 0.0, 3e38])  # x_max - x_min overflows float32
    qt = quantize(big)
    assert math.isfinite(float(qt.scale))
    assert torch.allclose(qt.dequantize(), big, rtol=0.01)
    tiny = torch.tensor([0.0, 1e-45])  # the scale underflows to 0
    qt = quantize(tiny)
    assert float(qt.scale) > 0 and torch.equal(qt.dequantize(), tiny)


# ------------------------------------------------------------------------ dtypes
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_other_float_dtypes(dtype):
    x32 = heavy(16, 8, seed=5)
    x = x32.to(dtype)
    qt = quantize(x, granularity="per_channel", reciprocal=True)
    assert qt.dequantize().dtype == dtype
    assert qt.scale.dtype == (torch.float64 if dtype == torch.float64
                              else torch.float32)
    if dtype != torch.float64:  # torch's kernel takes a float32 scale
        ref = torch.fake_quantize_per_channel_affine(
            x, qt.scale.flatten(), qt.zero_point.flatten(), 0, -128, 127)
        assert torch.equal(qt.dequantize(), ref)
    # the codes are those of the same values in float32
    assert torch.equal(qt.q, quantize(x.float(), granularity="per_channel",
                                      reciprocal=True).q)


# ------------------------------------------------------------------ public pieces
def test_quantized_tensor_fields():
    x = heavy(6, 8)
    qt = quantize(x, 4, granularity="per_group", group_size=4, signed=False)
    assert (qt.n_bits, qt.signed, qt.symmetric) == (4, False, False)
    assert (qt.granularity, qt.axis, qt.group_size) == ("per_group", 1, 4)
    assert qt.shape == x.shape and (qt.q_min, qt.q_max) == (0, 15)
    assert qt.nbytes == 48 + 12 * 4 + 12 * 4
    assert "group_size=4" in repr(qt)
    qc = quantize(x, granularity="per_channel", axis=-1)
    assert qc.axis == 1 and qc.scale.shape == (1, 8)
    assert quantize(x).axis is None and quantize(x).scale.shape == ()


def test_parameters_that_require_grad_are_fine():
    w = torch.nn.Parameter(heavy(4, 6))
    qt = quantize(w, granularity="per_channel")
    assert torch.equal(qt.q, quantize(w.detach(), granularity="per_channel").q)
    assert not qt.dequantize().requires_grad


def test_quantize_with_examples_and_clipping():
    x = torch.tensor([-10.0, -0.04, 0.06, 10.0])
    q = quantize_with(x, 0.1, 0, n_bits=4)
    assert q.tolist() == [-8, 0, 1, 7]
    assert dequantize_with(q, 0.1, 0).tolist() == pytest.approx([-0.8, 0, 0.1, 0.7])
    scale = torch.tensor([[0.5], [2.0]])
    zp = torch.tensor([[1], [-1]])
    x2 = torch.tensor([[1.0, -1.0], [4.0, 0.0]])
    assert quantize_with(x2, scale, zp).tolist() == [[3, -1], [1, -1]]
    assert quantize_with(x2, 1.0, 3, signed=False).dtype == torch.uint8


def test_error_metrics():
    x = torch.tensor([1.0, -2.0, 3.0, 0.0])
    x_hat = torch.tensor([1.0, -2.5, 3.0, 0.25])
    assert mse(x, x_hat) == pytest.approx(
        float(torch.nn.functional.mse_loss(x_hat, x)))
    assert max_abs_error(x, x_hat) == 0.5
    assert sqnr_db(x, x_hat) == pytest.approx(
        10 * math.log10(14 / (0.25 + 0.0625)))
    assert sqnr_db(x, x) == math.inf
    assert sqnr_db(torch.zeros(2), torch.ones(2)) == -math.inf
    rep = error_report(x, x_hat)
    assert rep == {"mse": mse(x, x_hat), "max_abs": 0.5,
                   "sqnr_db": sqnr_db(x, x_hat)}
    qt = quantize(x)
    assert error_report(x, qt) == error_report(x, qt.dequantize())


def test_sqnr_grows_about_6_db_per_bit():
    x = torch.rand(100_000, generator=torch.Generator().manual_seed(0)) * 2 - 1
    db = [sqnr_db(x, quantize(x, n, symmetric=True).dequantize())
          for n in range(4, 9)]
    gains = [b - a for a, b in zip(db, db[1:], strict=False)]
    # 2**(n-1) - 1 positive levels: (2**n - 1) / (2**(n-1) - 1) -> 2, i.e. 6.02 dB
    assert all(6.0 < g < 6.7 for g in gains), gains
    assert gains[-1] == pytest.approx(20 * math.log10(255 / 127), abs=0.1)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call,err,match", [
    (lambda: quantize(torch.randn(4), n_bits=1), ValueError, "n_bits"),
    (lambda: quantize(torch.randn(4), n_bits=9), ValueError, "n_bits"),
    (lambda: quantize(torch.randn(4), n_bits=8.0), TypeError, "n_bits"),
    (lambda: quantize(torch.randn(4), granularity="per_row"), ValueError,
     "granularity"),
    (lambda: quantize(torch.randn(4, 6), granularity="per_group", group_size=4),
     ValueError, "divisor"),
    (lambda: quantize(torch.randn(4, 6), granularity="per_group"), ValueError,
     "group_size"),
    (lambda: quantize(torch.randn(4, 6), group_size=3), ValueError, "per_group"),
    (lambda: quantize(torch.randn(4, 6), granularity="per_channel", axis=2),
     ValueError, "axis"),
    (lambda: quantize(torch.tensor(1.0), granularity="per_channel"), ValueError,
     "0-d"),
    (lambda: quantize(torch.arange(4)), TypeError, "float"),
    (lambda: quantize([1.0, 2.0]), TypeError, "torch.Tensor"),
    (lambda: quantize(torch.empty(0)), ValueError, "empty"),
    (lambda: quantize(torch.tensor([1.0, float("nan")])), ValueError, "NaN"),
    (lambda: quantize(torch.tensor([1.0, float("inf")]), symmetric=True),
     ValueError, "infinity"),
    (lambda: quantize(torch.tensor([[1.0, -float("inf")]]),
                      granularity="per_channel"), ValueError, "NaN"),
    (lambda: quantize_with(torch.tensor([float("nan")]), 1.0, 0), ValueError,
     "NaN"),
    (lambda: quantize_with(torch.ones(3), 0.0, 0), ValueError, "positive"),
    (lambda: quantize_with(torch.ones(3), 1.0, 200), ValueError, "zero_point"),
    (lambda: quantize_with(torch.ones(3), 1.0, 0.5), ValueError, "integer"),
    (lambda: quantize_with(torch.ones(3), torch.ones(2, 1), 0), ValueError,
     "broadcast"),
    (lambda: quantize_with(torch.ones(3), torch.ones(2), 0), ValueError,
     "broadcast"),
    (lambda: dequantize_with(torch.ones(3), 1.0, 0), TypeError, "integer"),
    (lambda: mse(torch.ones(3), torch.ones(4)), ValueError,
     "same shape"),
])
def test_bad_input_is_a_clear_error(call, err, match):
    with pytest.raises(err, match=match):
        call()


# -- storage per value ---------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_bits_per_value_counts_what_quant_stores(dtype):
    x = torch.randn(6, 64, dtype=dtype)
    scale_bits = 64 if dtype == torch.float64 else 32
    cases = [
        (dict(), 1, 1),
        (dict(granularity="per_channel", axis=0), 6, 6),
        (dict(granularity="per_group", group_size=32), 12, 12),
    ]
    for how, n_scales, n_zero_points in cases:
        for symmetric in (False, True):
            qt = quant.quantize(x, 4, symmetric=symmetric, **how)
            stored = n_scales * scale_bits + (0 if symmetric else n_zero_points * 32)
            assert qt.scale.numel() == n_scales
            assert qt.zero_point.dtype == torch.int32
            assert qt.bits_per_value() == pytest.approx(4 + stored / x.numel())


def test_playground_uses_the_same_bits_per_value():
    from course_utils import widgets

    pg = widgets.quantization_playground(static=True)
    pg.granularity_dropdown.value = "per_group"
    assert pg.bits_per_value() == pg.qt.bits_per_value()
    assert f"{pg.qt.bits_per_value():.2f} bits per value" in pg.html()
