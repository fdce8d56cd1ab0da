"""Probing the functions learners write: inputs, references, the usual slips.

A function answer is judged by calling it on *probe* inputs and comparing each
output with the course's reference (``course_utils.quant`` for workbook 3). The
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
    if name not in _KERNELS:
        raise KeyError(f"no probes for {name!r}; known: "
                       f"{', '.join([*_RANGE_FUNCTIONS, *_KERNELS])}")
    return [args for x, n_bits in map(_tensor, seeds)
            for args in _KERNELS[name][0](x, n_bits)]


def reference(name: str, args: tuple) -> Any:
    """The right output of ``name`` for one argument tuple."""
    if name in _RANGE_FUNCTIONS:
        from course_utils.integers import int_range

        return int_range(args[0], signed=_RANGE_FUNCTIONS[name])
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
