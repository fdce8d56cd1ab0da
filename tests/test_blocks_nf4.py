"""course_utils.blocks.nf4 against the published NF4 codebook, an exact nearest-level
reference, torchao's to_nf4 (double quantization) and its edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.blocks import NF4_CODEBOOK, nf4_quantize
from course_utils.blocks.agreement import compare_nf4, nf4_cases
from course_utils.blocks.nf4 import nf4_absmax, nf4_codes

# The NF4 levels as published: Dettmers et al., "QLoRA: Efficient Finetuning of
# Quantized LLMs" (NeurIPS 2023, arXiv:2305.14314), appendix "NormalFloat 4-bit
# data type", and bitsandbytes' functional.py (get_4bit_type("nf4")), index = code.
PUBLISHED_NF4 = [
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634,
    0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
    0.7229568362236023, 1.0,
]


def nearest_level(y: np.ndarray) -> np.ndarray:
    """Index of the nearest published level, exactly (float64), ties to the lower."""
    levels = np.array(PUBLISHED_NF4)
    d = np.abs(y.astype(np.float64)[..., None] - levels)
    return np.argmin(d, axis=-1).astype(np.uint8)   # argmin: first of equal minima


def test_codebook_is_the_published_one():
    assert list(NF4_CODEBOOK) == PUBLISHED_NF4
    assert torch.tensor(PUBLISHED_NF4, dtype=torch.float32).double().tolist() == \
        PUBLISHED_NF4                                 # every level is a float32


def test_codes_are_the_nearest_level():
    for name, x in nf4_cases().items():
        bq = nf4_quantize(x)
        xb = x.reshape(-1, 64).numpy()
        absmax = np.abs(xb).max(axis=1, keepdims=True)
        y = xb / np.where(absmax == 0, np.float32(1), absmax)   # float32 division
        assert np.array_equal(bq.codes.numpy().reshape(-1, 64), nearest_level(y)), name


def test_ties_go_to_the_lower_code():
    levels = torch.tensor(PUBLISHED_NF4, dtype=torch.float64)
    exact = (levels[:-1] + levels[1:]) / 2
    representable = exact.float().double() == exact
    ties = exact[representable].float()
    assert ties.numel() > 3
    codes = nf4_codes(ties)
    assert codes.tolist() == torch.nonzero(representable).flatten().tolist()
    above = torch.nextafter(ties, torch.tensor(2.0))
    assert (nf4_codes(above) == codes + 1).all()


def test_dequantize_is_level_times_absmax():
    x = torch.randn(4, 128)
    bq = nf4_quantize(x)
    levels = np.array(PUBLISHED_NF4, dtype=np.float32)[bq.codes.numpy()]
    absmax = np.abs(x.numpy().reshape(-1, 64)).max(axis=1)
    expected = levels.reshape(-1, 64) * absmax[:, None]
    assert np.array_equal(bq.dequantize().numpy().reshape(-1, 64), expected)


def test_double_quantization_arithmetic():
    x = torch.randn(4, 64 * 200) * torch.rand(4, 1)   # 800 scales: a ragged group
    bq = nf4_quantize(x, double_quant=True)
    absmax = np.abs(x.numpy().reshape(-1, 64)).max(axis=1)
    mean = np.float32(torch.from_numpy(absmax).mean().item())
    c = absmax - mean
    padded = np.concatenate([c, np.zeros((-c.size) % 256, np.float32)]).reshape(-1, 256)
    factor = np.float32(256) / (np.float32(2) * np.abs(padded).max(axis=1))
    q = np.clip(np.rint(padded * factor[:, None]), -128, 127).astype(np.int8)
    assert bq.scale_mean.item() == mean and bq.scale_block_size == 256
    assert np.array_equal(bq.scale_factor.numpy(), factor)
    assert np.array_equal(bq.scales.numpy().reshape(-1), q.reshape(-1)[: c.size])
    absmax_hat = (q / factor[:, None]).reshape(-1)[: c.size].astype(np.float32) + mean
    assert np.array_equal(nf4_absmax(bq).numpy(), absmax_hat)
    assert np.abs(absmax_hat - absmax).max() <= np.abs(c).max() / 127
    plain = nf4_quantize(x)
    assert torch.equal(bq.codes, plain.codes)          # codes use the exact absmax


def test_agrees_with_torchao_to_nf4():
    totals = {}
    for name, x in nf4_cases().items():
        counts = compare_nf4(x)
        assert counts["unexplained"] == 0, (name, counts)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    assert totals["scales_equal"] == totals["blocks"] > 5000
    assert totals["zero_block"] > 0 and totals["codebook_4_decimals"] > 0
    assert totals["codes_equal"] + totals["zero_block"] + totals[
        "codebook_4_decimals"] == totals["values"]


def test_all_zero_block_is_exactly_zero():
    x = torch.zeros(1, 64 * 256)
    x[0, 64:] = torch.randn(64 * 255)
    for dq in (False, True):
        bq = nf4_quantize(x, double_quant=dq)
        assert bq.codes[0, :64].eq(7).all()
        assert bq.dequantize()[0, :64].eq(0).all()


def test_a_group_of_equal_scales_gets_factor_one():
    bq = nf4_quantize(torch.ones(2, 64 * 256), double_quant=True)
    assert bq.scale_factor.tolist() == [1.0, 1.0]
    assert bq.dequantize().eq(1).all()


def test_bits_per_value():
    x = torch.randn(384, 1536)
    assert nf4_quantize(x).bits_per_value() == 4.5
    bits = nf4_quantize(x, double_quant=True).bits_per_value()
    assert bits == 8 * (384 * 1536 / 2 + 384 * 1536 / 64 + 4 * 36 + 4) / (384 * 1536)
    assert round(bits, 3) == 4.127


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_input_is_a_value_error(bad):
    x = torch.ones(1, 64)
    x[0, 0] = bad
    with pytest.raises(ValueError, match="finite"):
        nf4_quantize(x)


def test_double_quant_must_be_a_bool():
    with pytest.raises(TypeError, match="double_quant"):
        nf4_quantize(torch.ones(1, 64), double_quant="yes")
