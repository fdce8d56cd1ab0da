"""OCP Microscaling (MX): blocks of 32 elements sharing one power-of-two e8m0 scale.

Lesson 6: Block-scaled formats. The OCP Microscaling Formats (MX) Specification
v1.0 (2023) stores ``k = 32`` elements ``P_i`` (fp8, fp6, fp4 or int8) and one
scale ``X = 2**E``, ``E`` an e8m0 code minus 127 (``E`` from -127 to 127; code 255
is NaN; there is no zero and no inf). Each value is ``x_hat_i = X * P_i``.

The scale (``scale_rounding``):

- ``"floor"``, the spec's conversion (section 6.3): ``E = floor(log2(amax)) -
  emax_elem``, where ``amax = max|x_i|`` and ``emax_elem`` is the exponent of
  the element format's largest power of two (2 for fp4, 8 for e4m3). The block's
  largest value can exceed the element's max after scaling (fp4: amax 7.5 gives
  ``X = 1`` and 7.5 saturates to 6): FLOOR clips.
- ``"rceil"`` (NVIDIA, cuBLAS "round up"): ``X = amax / max_elem`` (divided in
  float32) rounded up to a power of two. Nothing saturates, but small values lose
  up to one binade of resolution.

Elements: ``P_i = x_i / X`` rounded to nearest even, saturating at +-max (see
:mod:`course_utils.blocks.elements`).

Edge cases, decided here (each one has a doctest below or a test in
``tests/test_blocks_mx.py``):

- **All-zero block**: ``amax = 0``, ``log2(0) = -inf``, so ``E`` is clamped to
  -127 (code 0) and every element code is 0 (``x_hat = 0``). torchao: same codes.
- **NaN in a block**: the scale is NaN (code 255) and, as the spec decodes a NaN
  scale, every value of the block dequantizes to NaN. The element codes of such
  a block are set to 0 (their value does not matter). torchao: scale 255 too; its
  element codes there are whatever its casts give.
- **inf in a block**: FLOOR: ``floor(log2(inf)) - emax`` is above 127, which e8m0
  cannot hold, and e8m0 has no inf: the scale is NaN (code 255), as in the spec
  authors' reference code (microsoft/microxcaling ``_quantize_mx``, overflowing
  shared exponents become NaN). torchao's FLOOR reads the float32 exponent bits
  of inf (128) and stores ``2**(128 - emax)`` instead (fp4: code 253):
  a disagreement. RCEIL: as NVIDIA's ``cvt.rp.satfinite.ue8m0`` (and torchao),
  inf saturates the scale to ``2**127`` (code 254) and the infinities to +-max.
- **Scale underflow**: ``E < -127`` (amax below about ``2**-125``) is clamped to
  -127, as the spec's e8m0 range requires; elements then round as usual (often to
  0 or subnormals). torchao disagrees when ``E`` is clamped to -127: its FLOOR
  divides by ``2**-126`` (it clamps the float32 scale to the smallest normal), its
  RCEIL multiplies by 1 (instead of ``2**127``), while both store code 0
  (``2**-127``); its dequantized values are then wrong by ``2**127`` or a factor 2.
- **Scale overflow**: impossible for finite input: the largest float32 has
  ``floor(log2) = 127``, so ``E <= 127 - emax_elem``; RCEIL's ``amax / max_elem``
  stays below ``2**127``. Only inf reaches it (above). But ``x_hat`` is float32,
  and MX holds values up to ``max_elem * 2**127`` (fp4: about 1e39): RCEIL's
  upward rounding of ``|x|`` near float32's max (``3.4e38 / 2**126`` rounds to
  fp4's 4) gives ``2**128``, which dequantizes to +-inf; FLOOR saturates instead.
- float32 subnormal inputs are kept (no flush to zero).

>>> x = torch.tensor([[7.5, 1.0, -0.3, 0.0]])
>>> mx_quantize(x, block_size=4).scales, mx_quantize(x, block_size=4).dequantize()
(tensor([[127]], dtype=torch.uint8), tensor([[ 6.0000,  1.0000, -0.5000,  0.0000]]))
>>> bq = mx_quantize(x, block_size=4, scale_rounding="rceil")   # 7.5 / 6 -> 2
>>> bq.scales, bq.dequantize()
(tensor([[128]], dtype=torch.uint8), tensor([[8., 1., -0., 0.]]))
>>> nan, inf = float("nan"), float("inf")
>>> special = torch.tensor([[0.0] * 4, [1.0, nan, 0, 0], [inf, 0, 0, 0]])
>>> mx_quantize(special, block_size=4).scales.flatten().tolist()
[0, 255, 255]
>>> mx_quantize(special, block_size=4, scale_rounding="rceil").scales.flatten().tolist()
[0, 255, 254]
"""

from __future__ import annotations

import torch
from torch import Tensor

from course_utils.blocks._checks import (
    CHUNK,
    as_blocks,
    block_amax,
    check_block_size,
    chunks,
    pow2_float32,
)
from course_utils.blocks.container import DEQUANTIZERS, BlockQuantized
from course_utils.blocks.elements import (
    ElementFormat,
    decode_into,
    element_format,
    encode_into,
)

__all__ = ["SCALE_ROUNDINGS", "mx_dequantize", "mx_quantize", "shared_exponent"]

#: Scale roundings of :func:`mx_quantize`.
SCALE_ROUNDINGS = ("floor", "rceil")
E8M0_BIAS, E8M0_NAN = 127, 255


def _check_rounding(scale_rounding: object) -> str:
    key = scale_rounding.lower() if isinstance(scale_rounding, str) else None
    if key not in SCALE_ROUNDINGS:
        raise ValueError(f"scale_rounding must be one of {SCALE_ROUNDINGS}, got "
                         f"{scale_rounding!r}")
    return key


def shared_exponent(amax: Tensor, elem: str | ElementFormat = "fp4_e2m1",
                    scale_rounding: str = "floor") -> tuple[Tensor, Tensor]:
    """The exponent ``E`` of each block's scale ``2**E`` and whether it is NaN.

    Lesson 6. See the module docstring for the rules and edge cases.

    Args:
        amax: float32 ``max|x|`` of each block.
        elem: the element format.
        scale_rounding: ``"floor"`` (OCP spec) or ``"rceil"`` (NVIDIA).

    Returns:
        ``(E, is_nan)``: int32 exponents in [-127, 127] (arbitrary where NaN) and
        a bool tensor of NaN scales; the e8m0 code is ``E + 127`` (255 if NaN).

    >>> amax = torch.tensor([6.0, 7.5, 8.0, 0.0])
    >>> shared_exponent(amax, "fp4_e2m1", "floor")[0].tolist()   # floor(log2) - 2
    [0, 0, 1, -127]
    >>> shared_exponent(amax, "fp4_e2m1", "rceil")[0].tolist()   # ceil(amax / 6)
    [0, 1, 1, -127]
    """
    f = elem if isinstance(elem, ElementFormat) else element_format(elem)
    rounding = _check_rounding(scale_rounding)
    if not isinstance(amax, Tensor) or amax.dtype != torch.float32:
        raise TypeError("amax must be a float32 tensor")
    is_nan = torch.isnan(amax)
    is_inf = torch.isinf(amax)
    if rounding == "floor":
        _, ex = torch.frexp(amax)                  # amax = m * 2**ex, m in [.5, 1)
        e = ex - 1 - f.emax                        # floor(log2(amax)) - emax_elem
        e = torch.where(amax == 0, -E8M0_BIAS, e)  # log2(0) = -inf: clamped
        is_nan = is_nan | is_inf                   # beyond e8m0: NaN
    else:
        ratio = amax / f.max                       # float32, as NVIDIA computes it
        m, ex = torch.frexp(ratio)
        e = ex - (m == 0.5).to(ex.dtype)           # ceil(log2(ratio)), exactly
        e = torch.where(ratio == 0, -E8M0_BIAS, e)  # 0, or underflowed to 0
        e = torch.where(is_inf, E8M0_BIAS, e)      # satfinite: inf -> 2**127
    e = e.clamp(-E8M0_BIAS, E8M0_BIAS).to(torch.int32)
    return torch.where(is_nan, 0, e), is_nan


def mx_quantize(x: Tensor, elem: str = "fp4_e2m1", block_size: int = 32,
                scale_rounding: str = "floor") -> BlockQuantized:
    """Quantize ``x`` to an MX format along its last axis (Lesson 6).

    Args:
        x: float32, bfloat16 or float16; the last dimension a multiple of
            ``block_size``. NaN and inf are allowed (see the module docstring).
        elem: ``"fp4_e2m1"`` (MXFP4), ``"fp6_e2m3"``, ``"fp6_e3m2"`` (MXFP6),
            ``"fp8_e4m3fn"``, ``"fp8_e5m2"`` (MXFP8) or ``"int8"`` (MXINT8);
            aliases such as ``"e2m1"`` or ``torch.float8_e4m3fn`` work too.
        block_size: values per shared scale (32 in the spec).
        scale_rounding: ``"floor"`` (the spec) or ``"rceil"``.

    Returns:
        A :class:`BlockQuantized` with e8m0 scale codes (``scales``).

    >>> bq = mx_quantize(torch.tensor([[0.1, 0.2, 0.3, 0.4]]), "fp8_e4m3fn", 4)
    >>> bq.scales.item() - 127    # X = 2**-10: 0.4 / X = 409.6, stored as 416
    -10
    >>> bq.dequantize()
    tensor([[0.1016, 0.2031, 0.3125, 0.4062]])
    """
    f = element_format(elem)
    rounding = _check_rounding(scale_rounding)
    block_size = check_block_size(block_size)
    xb = as_blocks(x, block_size)
    e, is_nan = shared_exponent(block_amax(xb), f, rounding)
    inv_scale = pow2_float32(-e)                   # exact 2**-E
    codes = torch.empty(xb.shape, dtype=torch.uint8)
    size = min(xb.numel(), max(block_size, CHUNK))
    y, flag = torch.empty(size), torch.empty(size, dtype=torch.bool)
    for rows in chunks(xb.shape[0], block_size):
        n = (rows.stop - rows.start) * block_size
        yc = y[:n].view(-1, block_size)
        torch.mul(xb[rows], inv_scale[rows, None], out=yc)
        encode_into(yc, f, codes[rows], flag[:n].view(-1, block_size))
    if bool(is_nan.any()):
        codes.masked_fill_(is_nan[:, None], 0)
    scale_codes = torch.where(is_nan, E8M0_NAN, e + E8M0_BIAS).to(torch.uint8)
    return BlockQuantized(
        codes=codes.reshape(x.shape),
        scales=scale_codes.reshape(*x.shape[:-1], x.shape[-1] // block_size),
        scheme="mx", fmt=f.name, block_size=block_size, scale_fmt="e8m0",
        dtype=x.dtype, scale_rounding=rounding)


def mx_dequantize(bq: BlockQuantized) -> Tensor:
    """``x_hat = 2**(code - 127) * P_i`` for every block (NaN for scale 255).

    Lesson 6. Called by ``BlockQuantized.dequantize()``; exact in float32.

    >>> bq = mx_quantize(torch.tensor([[1.0, -2.0, 100.0, 0.01]]), block_size=4)
    >>> mx_dequantize(bq)
    tensor([[  0.,  -0.,  96.,   0.]])
    """
    f = element_format(bq.fmt)
    bs = bq.block_size
    codes = bq.codes.reshape(-1, bs)
    e = bq.scales.reshape(-1).to(torch.int32) - E8M0_BIAS
    is_nan = bq.scales.reshape(-1) == E8M0_NAN
    x_hat = torch.empty(codes.shape, dtype=torch.float32)
    scratch = torch.empty(min(codes.numel(), max(bs, CHUNK)), dtype=torch.uint8)
    k = 0
    for rows in chunks(codes.shape[0], bs):
        s = scratch[: (rows.stop - rows.start) * bs].view(-1, bs)
        k = decode_into(codes[rows], f, x_hat[rows], s)
    if x_hat.numel() and int(e.max()) + k > 127:   # 2**(E + k) would overflow
        x_hat.mul_(2.0**k)
        k = 0
    scale = pow2_float32(torch.where(is_nan, 0, e + k))
    scale = torch.where(is_nan, torch.nan, scale)
    for rows in chunks(codes.shape[0], bs):
        x_hat[rows].mul_(scale[rows, None])
    x_hat = x_hat.reshape(bq.shape)
    return x_hat if bq.dtype == torch.float32 else x_hat.to(bq.dtype)


DEQUANTIZERS["mx"] = mx_dequantize
