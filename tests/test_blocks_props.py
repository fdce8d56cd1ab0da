"""Hypothesis properties of course_utils.blocks: round trips, values on the block's
grid, nearest grid value, packing."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_utils.blocks import (
    ELEMENT_FORMATS,
    NF4_CODEBOOK,
    element_format,
    element_grid,
    mx_quantize,
    nf4_quantize,
    nvfp4_quantize,
)
from course_utils.blocks.elements import pack_codes, unpack_codes
from course_utils.blocks.nf4 import nf4_absmax

PROPS = settings(max_examples=60, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])
FLOATS = st.floats(width=32, allow_nan=False, allow_infinity=False)
MAGNITUDE = st.integers(-140, 120)


@st.composite
def blocks(draw, block_size: int, max_blocks: int = 3):
    """float32 (rows, n_blocks * block_size): raw floats or normals times 2**k."""
    rows = draw(st.integers(1, 3))
    n = block_size * draw(st.integers(1, max_blocks))
    if draw(st.booleans()):
        arr = draw(hnp.arrays(np.float32, (rows, n), elements=FLOATS))
        return torch.from_numpy(arr.copy())
    seed, k = draw(st.integers(0, 2**31)), draw(MAGNITUDE)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, n, generator=g, dtype=torch.float64) * 2.0**k
    x[torch.rand(rows, n, generator=g) < 0.1] = 0.0
    return x.float()


def _on_grid(x_hat: torch.Tensor, grid: torch.Tensor, scale: torch.Tensor,
             block_size: int) -> bool:
    """Every x_hat equals float32(g * scale) for some grid value g of its block."""
    candidates = (grid.float()[None, :] * scale.reshape(-1, 1))     # (blocks, G)
    xb = x_hat.reshape(-1, block_size)
    hit = (xb[:, :, None] == candidates[:, None, :]).any(dim=-1)
    return bool(hit.all())


@PROPS
@given(data=st.data(), elem=st.sampled_from(ELEMENT_FORMATS),
       mode=st.sampled_from(["floor", "rceil"]))
def test_mx_round_trip_and_grid(data, elem, mode):
    x = data.draw(blocks(32))
    bq = mx_quantize(x, elem, 32, mode)
    x_hat = bq.dequantize()
    if not torch.isfinite(x_hat).all():     # RCEIL near float32's max: 2**128
        assert mode == "rceil" and x.abs().max() > 2.0**127
        return
    again = mx_quantize(x_hat, elem, 32, mode)
    assert torch.equal(again.dequantize(), x_hat)
    if mode == "floor":                          # FLOOR: codes and scales come back
        assert torch.equal(again.codes, bq.codes)
        assert torch.equal(again.scales, bq.scales)
    else:                                        # RCEIL may drop a binade, no more
        step = bq.scales.int() - again.scales.int()
        assert bool(((step == 0) | (step == 1)).all())
        same = (step == 0).reshape(-1)
        assert torch.equal(again.codes.reshape(-1, 32)[same],
                           bq.codes.reshape(-1, 32)[same])
    f = element_format(elem)
    grid = element_grid(f)
    grid = grid[torch.isfinite(grid) & (grid.abs() <= f.max)]
    scale = torch.ldexp(torch.ones(bq.scales.numel(), dtype=torch.float64),
                        bq.scales.reshape(-1).double() - 127).float()
    assert _on_grid(x_hat, grid, scale, 32)


@PROPS
@given(data=st.data(), elem=st.sampled_from(ELEMENT_FORMATS))
def test_mx_floor_picks_the_nearest_grid_value(data, elem):
    x = data.draw(blocks(32, max_blocks=2))
    bq = mx_quantize(x, elem, 32, "floor")
    f = element_format(elem)
    grid = element_grid(f)
    grid = grid[torch.isfinite(grid) & (grid.abs() <= f.max)]
    scale = torch.ldexp(torch.ones(bq.scales.numel(), dtype=torch.float64),
                        bq.scales.reshape(-1).double() - 127)
    xb = x.double().reshape(-1, 32)
    values = grid[None, None, :] * scale[:, None, None]          # exact, float64
    best = (xb[:, :, None] - values).abs().min(dim=-1).values
    mine = (xb - bq.dequantize().double().reshape(-1, 32)).abs()
    assert bool((mine <= best).all())


@PROPS
@given(data=st.data(), calibrated=st.booleans())
def test_nvfp4_values_on_grid_and_full_blocks_round_trip(data, calibrated):
    x = data.draw(blocks(16))
    t = 0.5 if calibrated else None
    bq = nvfp4_quantize(x, tensor_scale=t)
    x_hat = bq.dequantize()
    scale = bq.scales.reshape(-1).view(torch.float8_e4m3fn).float()
    if t is not None:
        scale = bq.tensor_scale * scale
    grid = element_grid("fp4_e2m1")
    assert not torch.isfinite(x_hat).all() or _on_grid(x_hat, grid, scale, 16)
    again = nvfp4_quantize(x_hat, tensor_scale=t) if torch.isfinite(
        x_hat).all() else None
    if again is not None:                   # blocks holding +-6 come back exactly
        full = (bq.codes.reshape(-1, 16) & 7).amax(dim=1) == 7
        assert torch.equal(again.scales.reshape(-1)[full], bq.scales.reshape(-1)[full])
        assert torch.equal(again.codes.reshape(-1, 16)[full],
                           bq.codes.reshape(-1, 16)[full])


@PROPS
@given(data=st.data(), double_quant=st.booleans())
def test_nf4_round_trip_and_grid(data, double_quant):
    x = data.draw(blocks(64))
    x = x.clamp(-1e30, 1e30)                # x / absmax and back stay finite
    bq = nf4_quantize(x, double_quant=double_quant)
    x_hat = bq.dequantize()
    again = nf4_quantize(x_hat, double_quant=double_quant)
    if not double_quant:
        assert torch.equal(again.codes, bq.codes)
        assert torch.equal(again.scales, bq.scales)
    else:   # a block far below its group's largest absmax can get absmax_hat <= 0
        kept = nf4_absmax(bq) > 0
        assert torch.equal(again.codes.reshape(-1, 64)[kept],
                           bq.codes.reshape(-1, 64)[kept])
    grid = torch.tensor(NF4_CODEBOOK, dtype=torch.float64)
    assert _on_grid(x_hat, grid, nf4_absmax(bq), 64)


@PROPS
@given(codes=hnp.arrays(np.uint8, st.integers(0, 50), elements=st.integers(0, 63)),
       n_bits=st.sampled_from([4, 6, 8]), order=st.sampled_from(["low_first",
                                                                 "high_first"]))
def test_pack_unpack_round_trip(codes, n_bits, order):
    q = torch.from_numpy(codes) & ((1 << n_bits) - 1)
    packed = pack_codes(q, n_bits, order)
    assert torch.equal(unpack_codes(packed, n_bits, q.numel(), order), q)
