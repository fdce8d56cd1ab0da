"""course_utils.blocks.mx against torchao's MXTensor.to_mx, an independent
numpy/ml_dtypes implementation of the OCP MX v1.0 rules, and its edge cases."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
import torch

from course_utils.blocks import ELEMENT_FORMATS, element_format, mx_quantize
from course_utils.blocks.agreement import cases, compare_mx
from course_utils.blocks.reference import torchao_mx_codes

TORCHAO_ELEMS = [e for e in ELEMENT_FORMATS if e != "int8"]   # torchao: no MXINT8
MODES = ("floor", "rceil")
QUIRKS = ("nan", "inf_floor", "zero_scale_floor", "zero_scale_rceil", "log2_rceil")
ML_DTYPES = {"fp8_e4m3fn": ml_dtypes.float8_e4m3fn, "fp8_e5m2": ml_dtypes.float8_e5m2,
             "fp6_e2m3": ml_dtypes.float6_e2m3fn, "fp6_e3m2": ml_dtypes.float6_e3m2fn,
             "fp4_e2m1": ml_dtypes.float4_e2m1fn}


# ----------------------------------------------------------- an independent reference
def ocp_reference(x: torch.Tensor, elem: str, block_size: int, mode: str
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Element codes and e8m0 codes by the rules, in numpy float64 + ml_dtypes."""
    f = element_format(elem)
    xb = x.to(torch.float32).numpy().astype(np.float64).reshape(-1, block_size)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        amax = np.max(np.abs(xb), axis=1)
        if mode == "floor":
            _, ex = np.frexp(amax)
            e = np.where(amax == 0, -127, ex - 1 - f.emax)
            nan = ~np.isfinite(amax)
        else:
            ratio = amax.astype(np.float32) / np.float32(f.max)   # float32 quotient
            m, ex = np.frexp(ratio)
            e = np.where(ratio == 0, -127, ex - (m == 0.5))
            e = np.where(np.isinf(amax), 127, e)
            nan = np.isnan(amax)
        e = np.clip(np.where(nan, 0, e), -127, 127)
        y = xb / np.ldexp(1.0, e)[:, None]
        if f.is_int:
            codes = np.clip(np.rint(y * 64), -127, 127).astype(np.int8).view(np.uint8)
        else:
            codes = np.clip(y, -f.max, f.max).astype(ML_DTYPES[elem]).view(np.uint8)
    codes = np.where(nan[:, None], 0, codes)
    scales = np.where(nan, 255, e + 127).astype(np.uint8)
    return codes.reshape(x.shape), scales.reshape(*x.shape[:-1], -1)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("elem", ELEMENT_FORMATS)
def test_matches_the_ocp_rules(elem, mode):
    for name, x in cases(elem, 32).items():
        bq = mx_quantize(x, elem, 32, mode)
        codes, scales = ocp_reference(x, elem, 32, mode)
        assert np.array_equal(bq.scales.numpy(), scales), name
        assert np.array_equal(bq.codes.numpy(), codes), name


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("elem", ELEMENT_FORMATS)
def test_dequantize_is_grid_times_scale(elem, mode):
    f = element_format(elem)
    x = cases(elem, 32, specials=False)["ties"]
    bq = mx_quantize(x, elem, 32, mode)
    codes = bq.codes.numpy()
    if f.is_int:
        grid = codes.view(np.int8).astype(np.float64) / 64
    else:
        grid = codes.view(ML_DTYPES[elem]).astype(np.float64)
    e = bq.scales.numpy().astype(np.float64) - 127
    expected = grid.reshape(-1, 32) * np.exp2(e).reshape(-1, 1)
    assert np.array_equal(bq.dequantize().numpy().reshape(-1, 32),
                          expected.astype(np.float32))


# ------------------------------------------------------------------ torchao agreement
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("elem", TORCHAO_ELEMS)
def test_agrees_with_torchao_except_its_documented_quirks(elem, mode):
    totals: dict[str, int] = {}
    for name, x in cases(elem, 32).items():
        counts = compare_mx(x, elem, 32, mode)
        assert counts["unexplained"] == 0, (name, counts)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    quirk = "zero_scale_floor" if mode == "floor" else "zero_scale_rceil"
    assert totals[quirk] > 0 and totals["nan"] > 0      # the cases reach them
    assert totals["inf_floor" if mode == "floor" else "log2_rceil"] > 0
    quirk_blocks = sum(v for k, v in totals.items() if k in QUIRKS)
    assert totals["codes_equal"] >= totals["values"] - 32 * quirk_blocks
    assert totals["scales_equal"] >= totals["blocks"] - quirk_blocks


@pytest.mark.parametrize("elem", TORCHAO_ELEMS)
def test_bfloat16_input_agrees_with_torchao(elem):
    x = cases(elem, 32, specials=False)["normal"].to(torch.bfloat16)
    for mode in MODES:
        bq = mx_quantize(x, elem, 32, mode)
        codes, scales, x_hat = torchao_mx_codes(x, elem, 32, mode)
        assert torch.equal(bq.codes, codes) and torch.equal(bq.scales, scales)
        assert bq.dequantize().dtype == torch.bfloat16
        assert torch.equal(bq.dequantize().float(), x_hat)


def _block(*values: float) -> torch.Tensor:
    x = torch.zeros(1, 32)
    x[0, : len(values)] = torch.tensor(values)
    return x


def test_torchao_floor_stores_a_finite_scale_for_inf():
    x = _block(float("inf"), 1.0)
    codes, scales, x_hat = torchao_mx_codes(x, "fp4_e2m1", 32, "floor")
    assert scales.item() == 253                      # 2**126 = 2**(128 - emax)
    assert codes[0, :2].tolist() == [7, 0]           # inf -> 6, 1.0 -> 0
    assert x_hat[0, :2].tolist() == [float("inf"), 0.0]   # 6 * 2**126 > float32
    ours = mx_quantize(x, "fp4_e2m1", 32, "floor")
    assert ours.scales.item() == 255 and bool(ours.dequantize().isnan().all())


def test_torchao_divides_by_2_to_the_minus_126_when_the_floor_scale_is_minimal():
    x = _block(2.0**-125, 2.0**-127)                 # E = -125 - 2 -> -127
    codes, scales, x_hat = torchao_mx_codes(x, "fp4_e2m1", 32, "floor")
    ours = mx_quantize(x, "fp4_e2m1", 32, "floor")
    assert scales.item() == ours.scales.item() == 0  # both store 2**-127
    assert ours.codes[0, :2].tolist() == [6, 2]      # 4 and 1: x / 2**-127
    assert codes[0, :2].tolist() == [4, 1]           # 2 and 0.5: x / 2**-126
    assert ours.dequantize()[0, :2].tolist() == [2.0**-125, 2.0**-127]
    assert x_hat[0, :2].tolist() == [2.0**-126, 2.0**-128]   # half of x


def test_torchao_rceil_multiplies_by_one_when_the_scale_is_minimal():
    x = _block(6 * 2.0**-128, 2.0**-129)             # amax / 6 = 2**-128 -> -127
    codes, scales, x_hat = torchao_mx_codes(x, "fp4_e2m1", 32, "rceil")
    ours = mx_quantize(x, "fp4_e2m1", 32, "rceil")
    assert scales.item() == ours.scales.item() == 0
    assert ours.codes[0, :2].tolist() == [5, 0]      # 3 and 0.25 -> 0 (tie, even)
    assert codes[0, :2].tolist() == [0, 0]           # x * 1: everything rounds to 0
    assert ours.dequantize()[0, 0].item() == 3 * 2.0**-127
    assert x_hat[0, 0].item() == 0.0


def test_torchao_rceil_rounds_log2_to_float32_first():
    amax = torch.nextafter(torch.tensor(6 * 2.0**-20), torch.tensor(1.0)).item()
    x = _block(amax, -1e-6)
    codes, scales, _ = torchao_mx_codes(x, "fp4_e2m1", 32, "rceil")
    ours = mx_quantize(x, "fp4_e2m1", 32, "rceil")
    assert amax / 6 > 2.0**-20                       # so rounded up: 2**-19
    assert ours.scales.item() == 127 - 19 and ours.codes[0, 0].item() == 5  # 3.0
    assert scales.item() == 127 - 20 and codes[0, 0].item() == 7   # 6 (saturated)


# ----------------------------------------------------------------------- edge cases
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("elem", ELEMENT_FORMATS)
def test_all_zero_block(elem, mode):
    bq = mx_quantize(torch.zeros(2, 64), elem, 32, mode)
    assert bq.scales.tolist() == [[0, 0], [0, 0]]
    assert bq.codes.eq(0).all() and bq.dequantize().eq(0).all()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("elem", ELEMENT_FORMATS)
def test_nan_makes_the_whole_block_nan(elem, mode):
    x = torch.ones(1, 64)
    x[0, 5] = float("nan")
    bq = mx_quantize(x, elem, 32, mode)
    assert bq.scales.tolist() == [[255, bq.scales[0, 1].item()]]
    assert bq.codes[0, :32].eq(0).all()
    x_hat = bq.dequantize()
    assert x_hat[0, :32].isnan().all() and x_hat[0, 32:].eq(1).all()


@pytest.mark.parametrize("elem", ELEMENT_FORMATS)
def test_inf_is_nan_under_floor_and_saturates_under_rceil(elem):
    f = element_format(elem)
    x = _block(-float("inf"), 3.0)
    assert mx_quantize(x, elem, 32, "floor").scales.item() == 255
    bq = mx_quantize(x, elem, 32, "rceil")
    assert bq.scales.item() == 254                   # 2**127
    max_code = mx_quantize(_block(f.max), elem, 32).codes[0, 0].item()
    sign = 0x80 if f.n_bits == 8 and not f.is_int else 1 << (f.n_bits - 1)
    assert bq.codes[0, 0].item() == (256 - max_code if f.is_int else max_code | sign)
    # -max * 2**127 is beyond float32 (but for int8): it dequantizes to -inf
    expected = torch.tensor(-f.max * 2.0**127, dtype=torch.float64).float().item()
    assert bq.dequantize()[0, :2].tolist() == [expected, 0.0]


@pytest.mark.parametrize("mode", MODES)
def test_scale_underflow_is_clamped_and_subnormal_inputs_kept(mode):
    x = _block(2.0**-140, -(2.0**-141), 2.0**-149)   # float32 subnormals
    bq = mx_quantize(x, "fp8_e5m2", 32, mode)        # down to 2**-16 * 2**-127
    assert bq.scales.item() == 0                     # 2**-127, the smallest
    assert bq.dequantize()[0, :3].tolist() == [2.0**-140, -(2.0**-141), 0.0]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("elem", ELEMENT_FORMATS)
def test_no_scale_overflow_for_finite_input(elem, mode):
    big = torch.finfo(torch.float32).max
    bq = mx_quantize(_block(big, -big, 1e38), elem, 32, mode)
    assert bq.scales.item() <= 254
    x_hat = bq.dequantize()[0, :3]
    if mode == "floor":                              # saturates: always finite
        assert torch.isfinite(x_hat).all()
    else:   # rounds up: the MX value is 2**128, beyond float32 (int8: 127/64 * 2**127)
        f = element_format(elem)
        e = bq.scales.item() - 127
        grid = 127 / 64 if f.is_int else 2.0 ** (128 - e)
        assert x_hat[:2].isinf().all() == (not f.is_int) and grid <= f.max
        assert torch.isfinite(x_hat[2])


def test_negative_zero_keeps_its_sign():
    bq = mx_quantize(_block(4.0, -0.0, -0.1), "fp4_e2m1", 32)
    assert bq.codes[0, :3].tolist() == [6, 8, 8]
    assert torch.signbit(bq.dequantize()[0, 1:3]).all()


def test_floor_clips_and_rceil_does_not():
    x = _block(7.5, 0.2)
    floor, rceil = (mx_quantize(x, "fp4_e2m1", 32, m) for m in MODES)
    assert floor.dequantize()[0, :2].tolist() == [6.0, 0.0]     # 7.5 saturates
    assert rceil.dequantize()[0, :2].tolist() == [8.0, 0.0]     # scale 2


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_inputs_quantize_as_their_float32_values(dtype):
    x = cases("fp4_e2m1", 32, specials=False)["normal"].to(dtype)
    bq, ref = mx_quantize(x, "fp8_e4m3fn"), mx_quantize(x.float(), "fp8_e4m3fn")
    assert torch.equal(bq.codes, ref.codes) and torch.equal(bq.scales, ref.scales)
    assert torch.equal(bq.dequantize(), ref.dequantize().to(dtype))


def test_higher_dimensional_input_blocks_the_last_axis():
    x = torch.randn(3, 4, 64)
    bq = mx_quantize(x, "fp6_e3m2")
    assert bq.codes.shape == (3, 4, 64) and bq.scales.shape == (3, 4, 2)
    flat = mx_quantize(x.reshape(12, 64), "fp6_e3m2")
    assert torch.equal(bq.codes.reshape(12, 64), flat.codes)
