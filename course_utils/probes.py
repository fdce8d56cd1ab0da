"""Probing the functions learners write: inputs, references, the usual slips.

A function answer is judged by calling it on *probe* inputs and comparing each
output with the course's reference (``course_utils.quant`` for workbook 3,
``course_utils.blocks`` for workbook 4). The
same probes and comparisons serve the self-check (probes from the package's own
seeds) and the hidden tests (those plus seeds only the instructor's notebook
holds). When an output is wrong, it is compared with the catalogued slips of
:mod:`course_utils.kernel_slips`, so the feedback can name the slip.

The references import ``course_utils.quant`` lazily. When a workbook is graded,
the grader builds the probe inputs, the learner's function is called on them in
the sandbox, and only its outputs come back to be compared here.

>>> [args for args, _ in cases("uint_range")][:3]
[(1,), (2,), (3,)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch

__all__ = ["RANGE_PROBES", "SEEDS", "cases", "inputs", "matches", "reference",
           "same"]

#: Bit widths the range functions are probed with.
RANGE_PROBES: tuple[int, ...] = tuple(range(1, 65))

#: Seeds of the self-check's probe tensors (the hidden tests add their own).
SEEDS: tuple[int, ...] = (11, 12, 13, 14, 15, 16)

_RANGE_FUNCTIONS = {"uint_range": False, "int_range": True}


def _tensor(seed: int) -> tuple[torch.Tensor, int]:
    """One probe tensor and its width, by ``seed % 6``: centred, shifted, all
    positive, all negative, 4-bit, or (5) a weight-like matrix whose rows differ
    in scale."""
    g = torch.Generator().manual_seed(seed)
    shape = seed % 6
    if shape == 5:
        rows = torch.tensor([[0.03], [0.4], [2.5], [9.0], [1.0]])
        return torch.randn(5, 48, generator=g) * rows, 8
    spread, shift, n, n_bits = {
        0: (1.5, 0.0, 1000, 8), 1: (1.5, 0.9, 1000, 8), 2: (0.4, 3.0, 1000, 8),
        3: (0.7, -2.0, 1000, 8), 4: (1.5, 0.3, 257, 4)}[shape]
    return torch.randn(n, generator=g) * spread + shift, n_bits


def inputs(name: str, seeds: tuple[int, ...] = SEEDS) -> list[tuple]:
    """The argument tuples ``name`` is called with.

    >>> [tuple(a.shape) for a, n in inputs("get_symmetric_scale", (12, 17))]
    [(1000,), (5, 48)]
    """
    if name in _RANGE_FUNCTIONS:
        return [(n,) for n in RANGE_PROBES]
    if name in _BLOCK_KERNELS:
        return [args for seed in seeds for args in _BLOCK_KERNELS[name][0](seed)]
    if name not in _KERNELS:
        raise KeyError(f"no probes for {name!r}; known: "
                       f"{', '.join([*_RANGE_FUNCTIONS, *_KERNELS, *_BLOCK_KERNELS])}")
    return [args for x, n_bits in map(_tensor, seeds)
            for args in _KERNELS[name][0](x, n_bits)]


def reference(name: str, args: tuple) -> Any:
    """The right output of ``name`` for one argument tuple."""
    if name in _RANGE_FUNCTIONS:
        from course_utils.integers import int_range

        return int_range(args[0], signed=_RANGE_FUNCTIONS[name])
    if name in _BLOCK_KERNELS:
        return _BLOCK_KERNELS[name][1](*args)
    return _KERNELS[name][1](*args)


def cases(name: str, seeds: tuple[int, ...] = SEEDS) -> Iterator[tuple[tuple, Any]]:
    """``(args, expected)`` pairs for the learner function ``name``."""
    for args in inputs(name, seeds):
        yield args, reference(name, args)


# ------------------------------------------------------------ kernel references
def _qp(x: torch.Tensor, n_bits: int, **kw: Any):
    from course_utils.quant import scale_zero_point

    return scale_zero_point(x, n_bits=n_bits, **kw)


def _args_scale(x, n_bits):
    return [(x, n_bits)]


def _args_quantize(x, n_bits):
    scale, zero_point = _qp(x, n_bits)
    # and values beyond the grid, which must be clamped
    return [(x, scale.item(), int(zero_point), n_bits),
            (x * 1.5, scale.item(), int(zero_point), n_bits)]


def _args_dequantize(x, n_bits):
    from course_utils.quant import quantize_with

    scale, zero_point = _qp(x, n_bits)
    return [(quantize_with(x, scale, zero_point, n_bits=n_bits), scale.item(),
             int(zero_point))]


def _args_rows(x, n_bits):
    if x.dim() != 2:
        return []
    return [(rows, n_bits) for rows in (x, x[:3] * 0.5, x.T[:7].contiguous())]


def _ref_quantize(x, scale, zero_point, n_bits=8):
    from course_utils.quant import quantize_with

    return quantize_with(x, scale, zero_point, n_bits=n_bits)


def _ref_dequantize(q, scale, zero_point):
    from course_utils.quant import dequantize_with

    return dequantize_with(q, scale, zero_point)


_KERNELS: dict[str, tuple[Callable, Callable]] = {
    "get_scale_zero_point": (_args_scale, lambda x, n_bits=8: _qp(x, n_bits)),
    "linear_quantize": (_args_quantize, _ref_quantize),
    "linear_dequantize": (_args_dequantize, _ref_dequantize),
    "get_symmetric_scale": (_args_scale, lambda x, n_bits=8: _qp(
        x, n_bits, symmetric=True)[0]),
    "per_channel_scales": (_args_rows, lambda w, n_bits=8: _qp(
        w, n_bits, symmetric=True, granularity="per_channel")[0]),
}


# ------------------------------------------------------------------ comparison
def same(name: str, got: Any, expected: Any) -> tuple[bool, str]:
    """Whether a learner's output ``got`` matches the reference ``expected``.

    Returns ``(ok, why)``; ``why`` says what differs, never the expected value.
    """
    try:
        if name in _RANGE_FUNCTIONS:
            from course_utils.answers import as_range

            return (as_range(got) == expected, "the range differs")
        if name in _BLOCK_KERNELS:
            return _BLOCK_KERNELS[name][2](got, expected)
        if name == "get_scale_zero_point":
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                return False, "return a pair (scale, zero_point)"
            ok_scale, why = _close(got[0], expected[0], "scale")
            if not ok_scale:
                return False, why
            zero_point = torch.as_tensor(got[1]).reshape(())
            if zero_point.is_floating_point() and zero_point != zero_point.round():
                return False, "zero_point should be a whole number"
            if int(zero_point) != int(expected[1]):
                return False, "zero_point differs"
            return True, ""
        if name == "linear_quantize":
            return _codes(got, expected)
        if name == "per_channel_scales":
            return _scales(got, expected)
        return _close(got, expected, "result")
    except (TypeError, ValueError, RuntimeError) as error:
        return False, f"could not compare: {error}"


def _close(got: Any, expected: torch.Tensor, what: str) -> tuple[bool, str]:
    got = torch.as_tensor(got)
    if got.is_complex() or got.dtype == torch.bool:
        return False, f"{what} should be real numbers"
    expected = torch.as_tensor(expected)
    if got.numel() != expected.numel():
        return False, (f"{what} should have {expected.numel()} value(s), "
                       f"got {got.numel()}")
    got = got.detach().double().flatten()
    expected = expected.double().flatten()
    if not torch.allclose(got, expected, rtol=1e-5, atol=1e-7 * float(
            expected.abs().max())):
        return False, f"{what} differs from the reference"
    return True, ""


def _scales(got: Any, expected: torch.Tensor) -> tuple[bool, str]:
    got = torch.as_tensor(got)
    rows = expected.numel()
    if got.numel() == rows and tuple(got.shape) not in ((rows,), (rows, 1)):
        return False, (f"the scales have shape {tuple(got.shape)}: one per row "
                       f"broadcasts against the matrix as ({rows}, 1)")
    return _close(got, expected, "scales")


def _codes(got: Any, expected: torch.Tensor) -> tuple[bool, str]:
    got = torch.as_tensor(got)
    if got.shape != expected.shape:
        return False, f"codes should have shape {tuple(expected.shape)}"
    if got.is_floating_point() and not bool((got == got.round()).all()):
        return False, "codes should be whole numbers"
    diff = (got.double() - expected.double()).abs()
    # float rounding at exact .5 ties may move a rare code by one
    if float(diff.max()) > 1 or int((diff > 0).sum()) > max(1, expected.numel() // 500):
        return False, "codes differ from the reference"
    return True, ""


# ============================================ workbook 4: MXFP4 blocks (lesson 6)
# ``mxfp4_quantize(x)``: x is a float32 (rows, cols) tensor, cols a multiple of
# 32; each row is cut into blocks of 32 consecutive values. It returns
# ``(scale_codes, x_hat)``: the e8m0 code E + 127 of each block's shared scale
# 2**E (FLOOR rule, OCP MX spec), as integers, one per block in row-major order,
# and the dequantized values in x's shape. Probes: 32 rows, so that blocks down
# the columns exist too (the wrong-axis slip); every third seed a tensor of
# hand-made blocks (zeros, fp4 ties, a largest value that saturates, ...).
_MX_BLOCK = 32
_FP4_TIES = (0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0)


def _mx_special(g: torch.Generator) -> torch.Tensor:
    """32 blocks of 32 (one per row) with the cases an MXFP4 kernel must get right.

    Row 0 is all zeros; rows 1-8 hold exact fp4 ties (their largest value is
    6 * 2**k, so E = k); rows 9-12 have a largest |x| between 7 and 8 times 2**k
    (it saturates to 6 * 2**k; two of them negative); row 13's largest value is
    exactly a power of two; the other rows are random, 2**k apart in size.
    """
    n = _MX_BLOCK
    power = torch.exp2(torch.randint(-8, 9, (32, 1), generator=g).float())
    sign = torch.randint(0, 2, (32, n), generator=g).float() * 2 - 1
    x = torch.randn(32, n, generator=g) * power
    pick = torch.randint(0, len(_FP4_TIES), (32, n), generator=g)
    ties = torch.tensor(_FP4_TIES)[pick]
    ties[:, 0] = 6.0
    x[1:9] = (ties * sign * power)[1:9]
    low = (torch.rand(32, n, generator=g) * 8 - 4) * power
    top = (torch.rand(32, generator=g) * 0.9 + 7.05) * power[:, 0]
    x[9:14] = low[9:14]
    x[9:13, 5] = top[9:13] * torch.tensor([1.0, -1.0, 1.0, -1.0])
    x[13, 3] = -4.0 * power[13, 0]
    x[0] = 0.0
    return x


def _mx_inputs(seed: int) -> list[tuple]:
    g = torch.Generator().manual_seed(seed)
    if seed % 3 == 2:
        return [(_mx_special(g),)]
    rows = torch.exp(torch.randn(32, 1, generator=g) * 1.5)
    x = torch.randn(32, 64, generator=g) * rows
    heavy = torch.rand(32, 64, generator=g) < 0.03      # a few outliers per row
    return [(torch.where(heavy, x * 6.0, x),)]


def _ref_mxfp4(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    from course_utils.blocks import mx_quantize

    bq = mx_quantize(x, "fp4_e2m1", _MX_BLOCK, "floor")
    return bq.scales.to(torch.int64), bq.dequantize()


def _same_mxfp4(got: Any, expected: tuple) -> tuple[bool, str]:
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return False, "return a pair (scale_codes, x_hat)"
    codes, x_hat = torch.as_tensor(got[0]), torch.as_tensor(got[1])
    want_codes, want_x_hat = expected
    if codes.numel() != want_codes.numel():
        return False, (f"scale_codes should have {want_codes.numel()} entries (one "
                       f"per block of {_MX_BLOCK}), got {codes.numel()}")
    if codes.is_complex() or codes.dtype == torch.bool:
        return False, "scale_codes should be whole numbers"
    codes = codes.detach().double().flatten()
    if not (bool(torch.isfinite(codes).all())
            and bool((codes == codes.round()).all())):
        return False, "scale_codes should be whole numbers (some are not, or inf/NaN)"
    if not torch.equal(codes, want_codes.double().flatten()):
        return False, "scale_codes differ from the reference"
    if tuple(x_hat.shape) != tuple(want_x_hat.shape):
        return False, (f"x_hat should have the shape of x, {tuple(want_x_hat.shape)}, "
                       f"got {tuple(x_hat.shape)}")
    return _close(x_hat, want_x_hat, "x_hat")


#: name -> (probe arguments of one seed, reference, comparison)
_BLOCK_KERNELS: dict[str, tuple[Callable, Callable, Callable]] = {
    "mxfp4_quantize": (_mx_inputs, _ref_mxfp4, _same_mxfp4),
}


# ------------------------------------------------------------------ helpers
def _numbers(value: Any) -> torch.Tensor:
    if isinstance(value, (tuple, list)):
        return torch.cat([_numbers(v) for v in value])
    return torch.as_tensor(value).detach().double().flatten()


def matches(got: Any, other: Any) -> bool:
    """Whether two outputs hold the same numbers (no check of their form): how a
    wrong output is compared with a catalogued slip's output."""
    try:
        a, b = _numbers(got), _numbers(other)
    except (TypeError, ValueError, RuntimeError):
        return False
    if a.shape != b.shape or a.is_complex() or b.is_complex():
        return False
    return bool(torch.allclose(a, b, rtol=1e-5, atol=1e-7 * float(
        b.abs().max() if b.numel() else 1.0), equal_nan=True))
