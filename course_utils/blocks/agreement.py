"""How exactly course_utils.blocks agrees with torchao: test tensors and counts.

Lesson 6 and ``tests/test_blocks_*.py``. :func:`cases` builds random and
adversarial tensors; :func:`compare_mx`, :func:`compare_nvfp4` and
:func:`compare_nf4` quantize them with both libraries and count what agrees.
Where torchao's CPU path departs from the rules we follow (see
:mod:`course_utils.blocks.mx`), the comparison predicts torchao's exact output
from its documented quirk and counts the block under that quirk; anything else
that differs is counted as ``unexplained`` (the tests require 0).

MX quirks of torchao 0.18 (CPU):

- ``zero_scale_floor``: blocks with scale code 0 (``2**-127``): torchao divides
  by ``2**-126`` instead (it clamps the float32 scale to the smallest normal).
- ``zero_scale_rceil``: same blocks under RCEIL: torchao multiplies by 1.
- ``log2_rceil``: torchao computes ``ceil(log2(amax / max))`` with a float32
  ``log2``; where ``amax / max`` is a few float32 steps above a power of two
  ``2**k`` (one step: for ``k <= -5`` or ``k >= 4``; the band widens with
  ``|k|``), ``log2`` rounds to ``k`` and torchao picks ``2**k`` instead of
  ``2**(k+1)``: one binade too small, so its largest elements saturate.
- ``inf_floor``: blocks holding inf: torchao's FLOOR stores
  ``2**(128 - emax_elem)`` (code ``255 - emax_elem``) instead of NaN.
- ``nan``: NaN blocks: both store scale 255; element codes are not compared.
"""

from __future__ import annotations

import torch
from torch import Tensor

from course_utils.blocks._checks import block_amax
from course_utils.blocks.elements import element_format, element_grid, encode_elements
from course_utils.blocks.mx import mx_quantize
from course_utils.blocks.nf4 import nf4_quantize
from course_utils.blocks.nvfp4 import nvfp4_quantize
from course_utils.blocks.reference import (
    torchao_mx_codes,
    torchao_nf4_codes,
    torchao_nvfp4_codes,
)

__all__ = ["TORCHAO_NF4_LEVELS", "cases", "compare_mx", "compare_nf4",
           "compare_nvfp4", "nf4_cases"]

#: torchao 0.18's NF4 levels (``NF4Tensor.from_tensor``): ours to 4 decimals.
TORCHAO_NF4_LEVELS = (-1.0, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848, -0.0911,
                      0.0, 0.0796, 0.1609, 0.2461, 0.3379, 0.4407, 0.5626, 0.7230,
                      1.0)


def _ties(elem: str, block_size: int, rows: int, g: torch.Generator) -> Tensor:
    """Blocks of exact rounding ties: ``max * X`` first (so the scale is ``X``),
    then midpoints between neighbouring element values times ``X``."""
    f = element_format(elem)
    grid = element_grid(f)
    grid = torch.unique(grid[torch.isfinite(grid) & (grid.abs() <= f.max)])
    mids = (grid[:-1] + grid[1:]) / 2
    pick = mids[torch.randint(0, mids.numel(), (rows, block_size - 1), generator=g)]
    scale = 2.0 ** torch.randint(-100, 100, (rows, 1), generator=g).to(torch.float64)
    first = torch.full((rows, 1), f.max, dtype=torch.float64)
    return (torch.cat([first, pick], dim=1) * scale).to(torch.float32)


def _powers_of_two(elem: str, block_size: int) -> Tensor:
    """Blocks whose amax is ``2**k`` (FLOOR's boundaries) or ``max * 2**k``
    (RCEIL's), exactly or one float32 step above or below."""
    f = element_format(elem)
    k = 2.0 ** torch.arange(-124, 124, dtype=torch.float64)
    base = torch.cat([k, f.max * k]).float()
    amax = torch.stack([base, torch.nextafter(base, torch.tensor(float("inf"))),
                        torch.nextafter(base, torch.tensor(0.0))], 1).reshape(-1, 1)
    fill = torch.linspace(-1, 1, block_size - 1).reshape(1, -1) * amax * 0.7
    return torch.cat([amax, fill], dim=1)


def cases(elem: str = "fp4_e2m1", block_size: int = 32, seed: int = 0,
          specials: bool = True) -> dict[str, Tensor]:
    """Named float32 test tensors whose last dimension is a multiple of block_size.

    Random normals at five magnitudes (down into float32 subnormals), exact
    rounding ties, amax at and next to powers of two times the element max,
    all-zero and single-value blocks, signed zeros, the largest float32, and
    (``specials``) NaN and +-inf.

    >>> sorted(cases(block_size=4, specials=False))[:3]
    ['float32_max', 'huge', 'large']
    """
    g = torch.Generator().manual_seed(seed)
    n = block_size * 8

    def randn(rows: int) -> Tensor:
        return torch.randn(rows, n, generator=g)

    zeros = torch.zeros(16, n)
    zeros[1::4, 3] = 1.0                          # a single value in a zero block
    zeros[2::4] = -0.0                            # negative zeros
    zeros[3::4, ::5] = -3.0
    out = {
        "normal": randn(128),
        "small": randn(64) * 1e-3,
        "large": randn(64) * 1e4,
        "huge": randn(32) * 1e36,
        "tiny": randn(32) * 1e-36,
        "subnormal": randn(32) * 1e-41,
        "ties": _ties(elem, n, 128, g),
        "powers_of_two": _powers_of_two(elem, block_size),
        "zeros": zeros,
        "float32_max": torch.tensor([[3.4028234663852886e38, -1e38] * (n // 2)]),
    }
    if specials:
        sp = randn(8)
        sp[0, 1], sp[1, 0], sp[2, 2], sp[3, 0] = float("nan"), float("inf"), \
            -float("inf"), float("inf")
        sp[3, 1] = float("nan")
        out["specials"] = sp
    return out


def nf4_cases(seed: int = 0) -> dict[str, Tensor]:
    """:func:`cases` for NF4: each flattened and zero-padded to rows of 64 * 256
    values (torchao's ``to_nf4`` needs whole groups of 256 blocks), so every
    case also holds all-zero blocks.

    >>> {k: tuple(v.shape) for k, v in nf4_cases().items()}["normal"]
    (4, 16384)
    """
    row = 64 * 256
    out = {}
    for name, x in cases("fp4_e2m1", 64, seed, specials=False).items():
        flat = x.reshape(-1)
        out[name] = torch.cat([flat, flat.new_zeros((-flat.numel()) % row)]
                              ).reshape(-1, row)
    return out


def _blocks(t: Tensor, block_size: int) -> Tensor:
    return t.reshape(-1, block_size)


def compare_mx(x: Tensor, elem: str = "fp4_e2m1", block_size: int = 32,
               scale_rounding: str = "floor") -> dict[str, int]:
    """Counts of codes and scales where ours and torchao's ``to_mx`` agree.

    Returns ``values``, ``blocks``, ``codes_equal``, ``scales_equal``,
    ``x_hat_equal``, one count of blocks per quirk (module docstring) and
    ``unexplained`` (values or blocks that differ in a way no quirk predicts).
    """
    f = element_format(elem)
    ours = mx_quantize(x, elem, block_size, scale_rounding)
    ao_codes, ao_scales, ao_x_hat = torchao_mx_codes(x, elem, block_size,
                                                     scale_rounding)
    xb = _blocks(x.to(torch.float32), block_size)
    codes, scales = _blocks(ours.codes, block_size), ours.scales.reshape(-1)
    ao_c, ao_s = _blocks(ao_codes, block_size), ao_scales.reshape(-1)
    e = scales.to(torch.int32) - 127
    has_nan = torch.isnan(xb).any(dim=1)
    has_inf = torch.isinf(xb).any(dim=1) & ~has_nan
    zero_scale = (scales == 0) & ~has_nan & ~has_inf
    expect_s, expect_c = scales.clone(), codes.clone()
    quirks: dict[str, Tensor] = {"nan": has_nan}
    if scale_rounding == "floor":
        quirks["inf_floor"] = has_inf
        k = 128 - f.emax
        expect_s[has_inf] = 127 + k
        expect_c[has_inf] = encode_elements(xb[has_inf] * 2.0**-k, f)
        quirks["zero_scale_floor"] = zero_scale
        expect_c[zero_scale] = encode_elements(xb[zero_scale] * 2.0**126, f)
    else:
        ratio = block_amax(xb) / f.max
        log2 = torch.ceil(torch.log2(ratio))
        band = (log2 == (e - 1)) & (ratio > 0) & torch.isfinite(ratio) & ~zero_scale
        quirks["log2_rceil"] = band
        expect_s[band] = scales[band] - 1
        inv = (2.0 ** -(e[band] - 1).to(torch.float64)).to(torch.float32)
        expect_c[band] = encode_elements(xb[band] * inv[:, None], f)
        quirks["zero_scale_rceil"] = zero_scale
        expect_c[zero_scale] = encode_elements(xb[zero_scale].clone(), f)
    expect_s[has_nan] = 255
    checked = ~has_nan[:, None].expand_as(codes)
    mine_hat = ours.dequantize().reshape(-1, block_size)
    ao_hat = ao_x_hat.reshape(-1, block_size)
    same_hat = (mine_hat == ao_hat) | (torch.isnan(mine_hat) & torch.isnan(ao_hat))
    plain = ~torch.stack(list(quirks.values())).any(dim=0)
    out = {
        "values": codes.numel(), "blocks": scales.numel(),
        "codes_equal": int((codes == ao_c).sum()),
        "scales_equal": int((scales == ao_s).sum()),
        "x_hat_equal": int(same_hat.sum()),
        "unexplained": int(((expect_c != ao_c) & checked).sum())
        + int((expect_s != ao_s).sum())
        + int((~same_hat[plain]).sum()),
    }
    out.update({name: int(mask.sum()) for name, mask in quirks.items()})
    return out


def compare_nvfp4(x: Tensor, tensor_scale: str | None = None) -> dict[str, int]:
    """Counts where ours and torchao's ``NVFP4Tensor.to_nvfp4`` agree.

    ``tensor_scale`` None or ``"amax"`` (the same per-tensor scale is given to
    torchao). Returns ``values``, ``blocks``, ``codes_equal``, ``scales_equal``,
    ``packed_equal`` (bytes), ``x_hat_equal`` and ``unexplained``.
    """
    ours = nvfp4_quantize(x, tensor_scale=tensor_scale)
    codes, scales, packed, x_hat = torchao_nvfp4_codes(x, ours.tensor_scale)
    mine = ours.dequantize()
    out = {
        "values": x.numel(), "blocks": ours.scales.numel(),
        "codes_equal": int((ours.codes == codes).sum()),
        "scales_equal": int((ours.scales == scales).sum()),
        "packed_equal": int((ours.packed() == packed.reshape(-1)).sum()),
        "x_hat_equal": int((mine == x_hat).sum()),
    }
    out["unexplained"] = (2 * out["values"] + out["blocks"] + packed.numel()
                          - out["codes_equal"] - out["scales_equal"]
                          - out["packed_equal"] - out["x_hat_equal"])
    return out


def _nearest(y: Tensor, levels: Tensor) -> Tensor:
    """Index of the nearest level in float64, ties to the lower index."""
    d = (y.to(torch.float64)[..., None] - levels.to(torch.float64)).abs()
    return d.argmin(dim=-1).to(torch.uint8)     # argmin takes the first minimum


def compare_nf4(x: Tensor) -> dict[str, int]:
    """Counts where ours (double-quantized) and torchao's ``to_nf4`` agree.

    torchao's codebook is ours rounded to 4 decimals and an all-zero block gets
    its code 0: codes that differ for either reason are counted as
    ``codebook_4_decimals`` and ``zero_block`` values. Scales (int8 codes),
    second-level factors and the mean are compared exactly.
    """
    ours = nf4_quantize(x, double_quant=True)
    ao = torchao_nf4_codes(x)
    xb = _blocks(x, 64)
    absmax = block_amax(xb)
    zero = (absmax == 0)[:, None].expand_as(xb)
    y = xb / torch.where(absmax == 0, 1.0, absmax)[:, None]
    ao_expected = _nearest(y, torch.tensor(TORCHAO_NF4_LEVELS))
    codes, ao_c = _blocks(ours.codes, 64), _blocks(ao.codes, 64)
    differ = codes != ao_c
    decimals = differ & ~zero & (ao_expected == ao_c)
    out = {
        "values": x.numel(), "blocks": ours.scales.numel(),
        "codes_equal": int((~differ).sum()),
        "zero_block": int((differ & zero).sum()),
        "codebook_4_decimals": int(decimals.sum()),
        "scales_equal": int((ours.scales.reshape(-1) == ao.scales).sum()),
        "factors_equal": int((ours.scale_factor == ao.factor).sum()),
        "mean_equal": int(bool(ours.scale_mean == ao.mean)),
    }
    out["unexplained"] = (int((differ & ~zero & ~decimals).sum())
                          + out["blocks"] - out["scales_equal"]
                          + ours.scale_factor.numel() - out["factors_equal"]
                          + 1 - out["mean_equal"])
    return out

