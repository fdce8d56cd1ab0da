"""The usual slips in the quantization functions learners write (workbooks 3, 4).

Each slip is a small, deliberately wrong version of a kernel, written with plain
torch: when a learner's output is wrong but equals a slip's output on the same
probes, the feedback names the slip. Descriptions are for the instructor's
report; messages are for the learner and never give the formula's result.

>>> sorted(SLIPS["get_symmetric_scale"])
['divide_by_128', 'max_not_abs']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["SLIPS", "Slip"]


@dataclass(frozen=True)
class Slip:
    """One wrong way to write a kernel: ``fn`` takes the kernel's arguments."""

    id: str
    description: str
    message: str
    fn: Callable


def _q_range(n_bits: int) -> tuple[int, int]:
    return -(1 << (n_bits - 1)), (1 << (n_bits - 1)) - 1


def _min_max(x: torch.Tensor, with_zero: bool = True) -> tuple[float, float]:
    lo, hi = x.min().item(), x.max().item()
    return (min(lo, 0.0), max(hi, 0.0)) if with_zero else (lo, hi)


def _asym(x, n_bits=8, *, span=None, with_zero=True, rounded=True, clamped=True,
          sign=-1):
    q_min, q_max = _q_range(n_bits)
    lo, hi = _min_max(x, with_zero)
    scale = (hi - lo if span is None else span(lo, hi)) / (q_max - q_min)
    zero_point = q_min + sign * lo / scale
    if rounded:
        zero_point = round(zero_point)
    if clamped:
        zero_point = max(q_min, min(q_max, zero_point))
    return scale, zero_point


def _quantize(x, scale, zero_point, n_bits=8, *, order="after", rounding="round",
              clamp=True):
    q_min, q_max = _q_range(n_bits)
    y = x / scale
    if order == "inside":
        y = y + zero_point
    y = {"round": torch.round, "trunc": torch.trunc, "floor": torch.floor}[
        rounding](y)
    if order == "after":
        y = y + zero_point
    return y.clamp(q_min, q_max) if clamp else y


def _symmetric(x, n_bits=8, *, steps=None, absolute=True):
    top = (x.abs() if absolute else x).max().item()
    return top / ((1 << (n_bits - 1)) - 1 if steps is None else steps(n_bits))


def _per_row(w, n_bits=8, *, dim=1):
    return w.abs().amax(dim=dim, keepdim=True) / ((1 << (n_bits - 1)) - 1)


_ALL = {
    "get_scale_zero_point": [
        Slip("scale_from_max", "the scale taken from max instead of max - min",
             "the scale must cover the whole range, from the minimum to the "
             "maximum, not just up to the maximum",
             lambda x, n_bits=8: _asym(x, n_bits, span=lambda lo, hi: hi)),
        Slip("range_without_zero", "the range not extended to include 0",
             "the range must include 0 (x_min = min(x.min(), 0), x_max = "
             "max(x.max(), 0)), so that 0 is stored exactly",
             lambda x, n_bits=8: _asym(x, n_bits, with_zero=False)),
        Slip("zero_point_not_rounded", "the zero point not rounded",
             "the zero point is an integer code: round it",
             lambda x, n_bits=8: _asym(x, n_bits, rounded=False)),
        Slip("zero_point_not_clamped",
             "the range not extended to 0, and the zero point not clamped",
             "the zero point must be a valid code: include 0 in the range, and "
             "clamp the zero point to [q_min, q_max]",
             lambda x, n_bits=8: _asym(x, n_bits, with_zero=False, clamped=False)),
        Slip("zero_point_sign", "the zero point with the wrong sign",
             "check the sign in the zero point: x_min must map to q_min",
             lambda x, n_bits=8: _asym(x, n_bits, sign=+1)),
    ],
    "linear_quantize": [
        Slip("truncated", "x / scale truncated (int()) instead of rounded",
             "the codes are cut towards zero: round to the nearest code instead",
             lambda x, s, z, n_bits=8: _quantize(x, s, z, n_bits, rounding="trunc")),
        Slip("floored", "x / scale floored instead of rounded",
             "the codes are rounded down: round to the nearest code instead",
             lambda x, s, z, n_bits=8: _quantize(x, s, z, n_bits, rounding="floor")),
        Slip("not_clamped", "the codes not clamped to [q_min, q_max]",
             "some codes are outside the n-bit range: clamp them",
             lambda x, s, z, n_bits=8: _quantize(x, s, z, n_bits, clamp=False)),
        Slip("zero_point_subtracted", "the zero point subtracted instead of added",
             "check the sign of the zero point: q = round(x / scale) + zero_point",
             lambda x, s, z, n_bits=8: _quantize(x, s, -z, n_bits)),
    ],
    "linear_dequantize": [
        Slip("zero_point_added", "q + zero_point instead of q - zero_point",
             "check the sign: x_hat = scale * (q - zero_point)",
             lambda q, s, z: s * (q.float() + z)),
        Slip("zero_point_outside", "scale * q - zero_point",
             "subtract the zero point from the code before scaling",
             lambda q, s, z: s * q.float() - z),
        Slip("divided", "q / scale instead of q * scale",
             "dequantizing multiplies the code by the scale",
             lambda q, s, z: (q.float() - z) / s),
    ],
    "get_symmetric_scale": [
        Slip("divide_by_128", "max|x| / 128 instead of / 127 (int8)",
             "symmetric codes go from -q_max to q_max: divide by q_max, not by "
             "2**(n_bits - 1)",
             lambda x, n_bits=8: _symmetric(x, n_bits, steps=lambda n: 1 << (n - 1))),
        Slip("max_not_abs", "max(x) instead of max(|x|)",
             "the scale must cover the most negative value too: use |x|",
             lambda x, n_bits=8: _symmetric(x, n_bits, absolute=False)),
    ],
    "per_channel_scales": [
        Slip("wrong_axis", "one scale per column instead of per row",
             "these are scales along the other axis: one scale per row (output "
             "channel)",
             lambda w, n_bits=8: _per_row(w, n_bits, dim=0)),
        Slip("divide_by_128", "max|w_row| / 128 instead of / 127 (int8)",
             "symmetric codes go from -q_max to q_max: divide by q_max, not by "
             "2**(n_bits - 1)",
             lambda w, n_bits=8: w.abs().amax(dim=1, keepdim=True) / (
                 1 << (n_bits - 1))),
    ],
}


# ============================================ workbook 4: MXFP4 blocks (lesson 6)
# The slips of ``mxfp4_quantize(x) -> (scale_codes, x_hat)`` (see
# ``course_utils.probes``), in plain torch: each differs from the right kernel in
# exactly one step. ``_fp4`` rounds |y| on fp4's grid with the step of its binade
# (0.5 below 2, 1 up to 4, 2 above), so torch.round's ties to even give the even
# code.
def _fp4(y: torch.Tensor, *, saturate: bool = True, ties: str = "even"
         ) -> torch.Tensor:
    a = y.abs()
    step = torch.where(a < 2, 0.5, torch.where(a < 4, 1.0, 2.0))
    steps = torch.round(a / step) if ties == "even" else torch.ceil(a / step - 0.5)
    p = steps * step
    return torch.copysign(p.clamp(max=6.0) if saturate else p, y)


def _mx_exponent(amax: torch.Tensor, rule: str, emax: int) -> torch.Tensor:
    log2 = torch.log2(amax.double())
    e = {"floor": lambda: torch.floor(log2) - emax,
         "ceil": lambda: torch.ceil(log2) - emax,
         "rceil": lambda: torch.ceil(torch.log2(amax.double() / 6.0))}[rule]()
    return e.clamp(-127, 127)                       # amax = 0: -inf -> -127


def _mxfp4(x: torch.Tensor, *, rule: str = "floor", emax: int = 2,
           columns: bool = False, saturate: bool = True, ties: str = "even",
           bias: int = 127, scaled: bool = True):
    rows, cols = x.shape
    blocks = x.reshape(rows // 32, 32, cols) if columns else x.reshape(rows, -1, 32)
    axis = 1 if columns else 2
    e = _mx_exponent(blocks.abs().amax(dim=axis, keepdim=True), rule, emax)
    scale = torch.exp2(e)
    p = _fp4(blocks / scale, saturate=saturate, ties=ties)
    x_hat = (p * scale if scaled else p).float().reshape(rows, cols)
    return (e + bias).squeeze(axis).long(), x_hat


_ALL["mxfp4_quantize"] = [
    Slip("exponent_ceil", "ceil(log2(amax)) - emax: the FLOOR rule's log2 rounded up",
         "some blocks' shared exponent is one too large: the FLOOR rule rounds "
         "log2(amax) down before it subtracts emax",
         lambda x: _mxfp4(x, rule="ceil")),
    Slip("rceil_rule", "the RCEIL rule (amax / 6 rounded up to a power of two)",
         "this is the RCEIL rule (amax / 6 rounded up to a power of two): the "
         "question asks for the OCP spec's FLOOR rule, which rounds down",
         lambda x: _mxfp4(x, rule="rceil")),
    Slip("no_emax", "emax not subtracted: E = floor(log2(amax))",
         "the scale is too large: subtract the element format's emax (the "
         "exponent of the largest power of two fp4 holds) from floor(log2(amax))",
         lambda x: _mxfp4(x, emax=0)),
    Slip("emax_of_next_power", "emax 3: the exponent of the power of two above 6",
         "every scale is twice too large: emax is the exponent of the largest power "
         "of two fp4 can hold, not of the power of two above its largest value",
         lambda x: _mxfp4(x, emax=3)),
    Slip("exponent_not_code", "E returned instead of its e8m0 code E + 127",
         "the scale codes are off by a constant: an e8m0 code stores E plus its "
         "bias",
         lambda x: _mxfp4(x, bias=0)),
    Slip("wrong_axis", "blocks of 32 taken down the columns instead of along rows",
         "the blocks run along the wrong axis: a block is 32 consecutive values of "
         "one row (the last axis)",
         lambda x: _mxfp4(x, columns=True)),
    Slip("not_saturated", "elements beyond +-6 not saturated (7.5 rounded to 8)",
         "some elements are beyond fp4's largest value: saturate them at +-6 (with "
         "the FLOOR rule a block's largest |x / 2**E| can be up to 8)",
         lambda x: _mxfp4(x, saturate=False)),
    Slip("ties_down", "halfway values rounded to the smaller magnitude (argmin)",
         "values exactly halfway between two fp4 values must go to the one with "
         "the even code (fraction bit 0), as torch.round does; argmin over the "
         "grid picks the first of two equal distances",
         lambda x: _mxfp4(x, ties="down")),
    Slip("not_scaled", "x_hat returned as the fp4 elements P, not 2**E * P",
         "x_hat should be each fp4 element times its block's scale 2**E",
         lambda x: _mxfp4(x, scaled=False)),
]

#: Slips by kernel name, then by slip id.
SLIPS: dict[str, dict[str, Slip]] = {
    name: {slip.id: slip for slip in slips} for name, slips in _ALL.items()}
