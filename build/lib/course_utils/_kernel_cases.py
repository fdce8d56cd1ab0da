"""Test cases for the kernels learners write in workbook 03_linear_quantization.

Each learner function is called (under :func:`course_utils.checks.call_own`) on
deterministic tensors and compared with ``course_utils.quant``, the reference.
Used by the workbook's hidden tests and by the self-check, so both agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch


def _x(seed: int, n: int = 1000, spread: float = 1.5, shift: float = 0.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, generator=g) * spread + shift


def _w(seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    rows = torch.tensor([[0.03], [0.4], [2.5], [9.0], [1.0]])
    return torch.randn(5, 48, generator=g) * rows


def _tensors() -> list[tuple[torch.Tensor, int]]:
    """(x, n_bits): centred, shifted, all positive, all negative, 4-bit, a matrix."""
    return [
        (_x(11), 8),
        (_x(12, shift=0.9), 8),
        (_x(13, spread=0.4, shift=3.0), 8),
        (_x(14, spread=0.7, shift=-2.0), 8),
        (_x(15, n=257, shift=0.3), 4),
        (_w(16), 8),
    ]


def cases(name: str) -> Iterator[tuple[tuple, Any]]:
    """``(args, expected)`` pairs for the learner function ``name``."""
    from course_utils import quant

    for x, n_bits in _tensors():
        if name == "get_scale_zero_point":
            yield (x, n_bits), quant.scale_zero_point(x, n_bits=n_bits)
        elif name == "linear_quantize":
            scale, zero_point = quant.scale_zero_point(x, n_bits=n_bits)
            args = (x, scale.item(), int(zero_point), n_bits)
            yield args, quant.quantize_with(x, scale, zero_point, n_bits=n_bits)
        elif name == "linear_dequantize":
            scale, zero_point = quant.scale_zero_point(x, n_bits=n_bits)
            q = quant.quantize_with(x, scale, zero_point, n_bits=n_bits)
            yield (q, scale.item(), int(zero_point)), quant.dequantize_with(
                q, scale, zero_point)
        elif name == "get_symmetric_scale":
            yield (x, n_bits), quant.scale_zero_point(x, n_bits, symmetric=True)[0]
        elif name == "per_channel_scales":
            if x.dim() == 2:
                for rows in (x, x[:3] * 0.5, x.T[:7].contiguous()):
                    yield (rows, n_bits), quant.scale_zero_point(
                        rows, n_bits, symmetric=True, granularity="per_channel")[0]
        else:
            raise KeyError(f"no kernel cases for {name!r}")


def same(name: str, got: Any, expected: Any) -> tuple[bool, str]:
    """Whether a learner's result ``got`` matches the reference ``expected``."""
    try:
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
        if name in ("linear_dequantize", "get_symmetric_scale", "per_channel_scales"):
            return _close(got, expected, "result")
    except (TypeError, ValueError, RuntimeError) as error:
        return False, f"could not compare: {error}"
    raise KeyError(f"no kernel cases for {name!r}")


def _close(got: Any, expected: torch.Tensor, what: str) -> tuple[bool, str]:
    got = torch.as_tensor(got)
    if got.is_complex() or got.dtype == torch.bool:
        return False, f"{what} should be real numbers"
    if got.numel() != expected.numel():
        return False, (f"{what} should have {expected.numel()} value(s), "
                       f"got {got.numel()}")
    got = got.detach().double().flatten()
    expected = expected.double().flatten()
    if not torch.allclose(got, expected, rtol=1e-5, atol=1e-7 * float(
            expected.abs().max())):
        return False, f"{what} differs from the reference"
    return True, ""


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


def agrees(name: str, fn: Any) -> tuple[bool, str]:
    """Whether the learner function ``fn`` agrees with the reference on all cases.

    Returns:
        ``(ok, why)``; ``why`` names what differs, never the expected value.
    """
    from course_utils.checks import call_own

    for number, (args, expected) in enumerate(cases(name), 1):
        ok, why = same(name, call_own(fn, *args), expected)
        if not ok:
            return False, f"test tensor {number}: {why}"
    return True, ""
