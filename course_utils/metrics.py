"""Error metrics of a quantized tensor: MSE, largest error, SQNR (Lesson 5).

Every metric compares ``x`` with its dequantized ``x_hat`` (a tensor, or anything
with a ``.dequantize()`` such as :class:`course_utils.quant.QuantizedTensor`), in
float64.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch  # noqa: F401 (the doctests use it)
from torch import Tensor

if TYPE_CHECKING:
    from course_utils.quant import QuantizedTensor

__all__ = ["error_report", "max_abs_error", "mse", "sqnr_db"]


def _pair(x: Tensor, x_hat: Tensor | QuantizedTensor) -> tuple[Tensor, Tensor]:
    if hasattr(x_hat, "dequantize") and not isinstance(x_hat, Tensor):
        x_hat = x_hat.dequantize()
    for name, t in (("x", x), ("x_hat", x_hat)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if x.shape != x_hat.shape:
        raise ValueError(f"x and x_hat must have the same shape, got "
                         f"{tuple(x.shape)} and {tuple(x_hat.shape)}")
    if x.numel() == 0:
        raise ValueError("x is empty")
    return x.double(), x_hat.double()


def mse(x: Tensor, x_hat: Tensor | QuantizedTensor) -> float:
    """Mean squared error between ``x`` and ``x_hat`` (Lesson 5).

    ``x_hat`` may also be a :class:`QuantizedTensor` (it is dequantized).

    >>> mse(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]))
    0.125
    """
    x, x_hat = _pair(x, x_hat)
    return float(((x - x_hat) ** 2).mean())


def max_abs_error(x: Tensor, x_hat: Tensor | QuantizedTensor) -> float:
    """Largest ``|x - x_hat|`` (Lesson 5).

    >>> max_abs_error(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]))
    0.5
    """
    x, x_hat = _pair(x, x_hat)
    return float((x - x_hat).abs().max())


def sqnr_db(x: Tensor, x_hat: Tensor | QuantizedTensor) -> float:
    """Signal-to-quantization-noise ratio ``10 log10(sum x² / sum (x - x_hat)²)``.

    In dB (Lesson 5); ``inf`` when ``x_hat == x``, ``-inf`` when ``x`` is all zero
    but ``x_hat`` is not. Each extra bit adds about 6 dB.

    >>> sqnr_db(torch.tensor([3.0, 4.0]), torch.tensor([3.0, 4.5]))
    20.0
    >>> sqnr_db(torch.tensor([3.0, 4.0]), torch.tensor([3.0, 4.0]))
    inf
    """
    x, x_hat = _pair(x, x_hat)
    noise = float(((x - x_hat) ** 2).sum())
    signal = float((x**2).sum())
    if noise == 0.0:
        return math.inf
    if signal == 0.0:
        return -math.inf
    return 10.0 * math.log10(signal / noise)


def error_report(x: Tensor, x_hat: Tensor | QuantizedTensor) -> dict[str, float]:
    """``{"mse", "max_abs", "sqnr_db"}`` of ``x_hat`` against ``x`` (Lesson 5).

    >>> error_report(torch.tensor([3.0, 4.0]), torch.tensor([3.0, 4.5]))
    {'mse': 0.125, 'max_abs': 0.5, 'sqnr_db': 20.0}
    """
    if hasattr(x_hat, "dequantize") and not isinstance(x_hat, Tensor):
        x_hat = x_hat.dequantize()
    return {"mse": mse(x, x_hat), "max_abs": max_abs_error(x, x_hat),
            "sqnr_db": sqnr_db(x, x_hat)}


