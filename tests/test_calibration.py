"""Tests of course_utils.calibration against independent references.

Observers against torch's own ``MinMaxObserver`` and ``numpy.quantile``; the
W8A8 layer against torch's ``fake_quantize_per_tensor_affine`` of the input and
the dequantized weights multiplied in float64; the int8 product against int64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.ao.quantization.observer import MinMaxObserver as TorchMinMax

from course_utils import calibration

finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=32)


def _batches(seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(5, 7, generator=g) * s + m
            for s, m in ((1.0, 0.0), (3.0, 2.0), (0.5, -4.0))]


def test_min_max_matches_torch_observer():
    ours = calibration.MinMaxObserver()
    theirs = TorchMinMax(dtype=torch.qint8, qscheme=torch.per_tensor_affine)
    for batch in _batches():
        ours(batch)
        theirs(batch)
    assert ours.range() == (theirs.min_val.item(), theirs.max_val.item())
    scale, zero_point = ours.scale_zero_point()
    t_scale, t_zero_point = theirs.calculate_qparams()
    assert torch.allclose(scale, t_scale.reshape(()), rtol=1e-6)
    assert int(zero_point) == int(t_zero_point)
    assert ours.n_seen == sum(b.numel() for b in _batches())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(finite, min_size=1, max_size=40), min_size=1, max_size=4),
       st.floats(50.5, 100.0))
def test_percentile_matches_numpy(batches, percentile):
    observer = calibration.PercentileObserver(percentile)
    for values in batches:
        observer(torch.tensor(values, dtype=torch.float32))
    everything = np.concatenate([np.asarray(v, dtype=np.float32) for v in batches])
    low, high = observer.range()
    p = percentile / 100.0
    expected = np.quantile(everything.astype(np.float64), [1.0 - p, p])
    assert low == pytest.approx(expected[0], rel=1e-5, abs=1e-3)
    assert high == pytest.approx(expected[1], rel=1e-5, abs=1e-3)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=1, max_size=200), st.floats(0.0, 1.0))
def test_quantile_matches_numpy(values, q):
    x = torch.tensor(values, dtype=torch.float64)
    assert calibration.quantile(x, q).item() == pytest.approx(
        float(np.quantile(np.asarray(values, dtype=np.float64), q)), rel=1e-9,
        abs=1e-9)


def test_percentile_100_is_min_max():
    minmax, percentile = calibration.MinMaxObserver(), calibration.PercentileObserver(
        100.0)
    for batch in _batches(3):
        minmax(batch)
        percentile(batch)
    assert minmax.range() == percentile.range()


def test_observers_reject_bad_input():
    with pytest.raises(ValueError, match="seen no data"):
        calibration.MinMaxObserver().range()
    with pytest.raises(ValueError, match="NaN"):
        calibration.MinMaxObserver()(torch.tensor([1.0, float("nan")]))
    with pytest.raises(TypeError):
        calibration.MinMaxObserver()(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="percentile"):
        calibration.PercentileObserver(40.0)
    with pytest.raises(ValueError):
        calibration.quantile(torch.tensor([1.0]), 1.5)


def test_int8_matmul_is_exact():
    g = torch.Generator().manual_seed(1)
    a = torch.randint(-128, 128, (19, 300), dtype=torch.int8, generator=g)
    b = torch.randint(-128, 128, (300, 33), dtype=torch.int8, generator=g)
    out = calibration.int8_matmul(a, b)
    assert out.dtype == torch.int32
    assert torch.equal(out.long(), a.long() @ b.long())
    with pytest.raises(TypeError):
        calibration.int8_matmul(a.float(), b)


def _reference(linear: nn.Linear, x: torch.Tensor, scale, zero_point):
    """x fake-quantized by torch, weights dequantized, product in float64."""
    x_hat = torch.fake_quantize_per_tensor_affine(x, float(scale), int(zero_point),
                                                  -128, 127)
    w = linear.weight.detach()
    w_scale = w.abs().amax(dim=1, keepdim=True) / 127
    w_hat = torch.clamp(torch.round(w / w_scale), -128, 127) * w_scale
    return x_hat.double() @ w_hat.double().T + linear.bias.detach().double()


@pytest.mark.parametrize("shift", [0.0, 3.0])
def test_w8a8_layer_matches_reference(shift):
    torch.manual_seed(0)
    linear = nn.Linear(48, 10)
    x = torch.randn(2, 6, 48) + shift
    observers = calibration.calibrate(linear, lambda m: m(x))
    scale, zero_point = observers[""].scale_zero_point()
    layer = calibration.W8A8Linear.from_linear(linear, scale, zero_point)
    out = layer(x)
    assert out.shape == (2, 6, 10) and out.dtype == torch.float32
    ref = _reference(linear, x.reshape(-1, 48), scale, zero_point).reshape(2, 6, 10)
    # torch's kernel multiplies by 1/scale, which moves a rare value by one code
    one_code = float(scale) * linear.weight.abs().max().item() * 1.01
    assert torch.allclose(out.double(), ref, rtol=1e-5, atol=one_code)
    assert (out.double() - ref).abs().median() < 1e-5


def test_w8a8_clips_inputs_outside_the_calibrated_range():
    torch.manual_seed(1)
    linear = nn.Linear(8, 3)
    observers = calibration.calibrate(linear, lambda m: m(torch.rand(4, 8)))
    layer = calibration.W8A8Linear.from_linear(linear,
                                               *observers[""].scale_zero_point())
    big = torch.full((1, 8), 100.0)
    x_max = observers[""].range()[1]
    assert torch.allclose(layer(big), layer(torch.full((1, 8), x_max)), atol=1e-4)


def test_calibrate_and_swap_a_model():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(6, 16), nn.GELU(), nn.Linear(16, 4))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(32, 6)
    observers = calibration.calibrate(model, lambda m: m(x),
                                      lambda: calibration.PercentileObserver(99.0))
    assert set(observers) == {"0", "2"}
    assert all(isinstance(o, calibration.PercentileObserver)
               for o in observers.values())
    assert not model[0]._forward_pre_hooks, "calibrate must remove its hooks"
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    quantized = calibration.quantize_w8a8(model, observers)
    assert [type(m).__name__ for m in quantized] == ["W8A8Linear", "GELU",
                                                     "W8A8Linear"]
    assert type(model[0]) is nn.Linear, "the original model is left alone"
    minmax = calibration.quantize_w8a8(model, calibration.calibrate(
        model, lambda m: m(x)))
    with torch.no_grad():
        cos = nn.functional.cosine_similarity(model(x), minmax(x)).min()
    assert cos > 0.999  # min-max clips nothing it has seen
    partial = calibration.quantize_w8a8(model, {"2": observers["2"]})
    assert [type(m).__name__ for m in partial] == ["Linear", "GELU", "W8A8Linear"]


def test_calibrate_errors():
    with pytest.raises(ValueError, match="no nn.Linear"):
        calibration.calibrate(nn.ReLU(), lambda m: m(torch.ones(2)))
    with pytest.raises(TypeError):
        calibration.calibrate("model", lambda m: None)
    never_run = calibration.calibrate(nn.Linear(2, 2), lambda m: None)
    with pytest.raises(ValueError, match="seen no data"):
        never_run[""].scale_zero_point()
    with pytest.raises(ValueError, match="act_scale"):
        calibration.W8A8Linear.from_linear(nn.Linear(2, 2), 0.0, 0)
    layer = calibration.W8A8Linear.from_linear(nn.Linear(2, 2), 0.1, 0)
    with pytest.raises(ValueError, match="last dimension"):
        layer(torch.ones(1, 3))
