"""Linear quantization kernels and bit packing (Lesson 5: Linear quantization).

The course's conventions, which are those of torch's ``fake_quantize_*_affine``
kernels and observers (asymmetric) and of optimum-quanto (symmetric):

- asymmetric: the range always includes 0, ``x_min = min(x.min(), 0)``,
  ``x_max = max(x.max(), 0)``, ``scale = (x_max - x_min) / (q_max - q_min)``,
  ``zero_point = clamp(round(q_min - x_min / scale), q_min, q_max)`` (an integer);
- symmetric: ``scale = max|x| / (2**(n_bits - 1) - 1)`` (÷127 for int8),
  ``zero_point = 0`` for signed codes (``2**(n_bits - 1)`` for unsigned codes:
  the signed codes shifted into ``[0, 2**n_bits)``);
- ``q = clamp(round(x / scale) + zero_point, q_min, q_max)``,
  ``x_hat = scale * (q - zero_point)``; ``round`` is half to even (``torch.round``).

``x / scale`` is a true division (as optimum-quanto and the lesson's formula).
torch's kernels multiply by the float32 reciprocal ``1 / scale`` instead, which
rounds differently for about one value in 10**6; ``reciprocal=True`` reproduces
torch bit for bit.

Two corner cases never divide by zero: an all-zero tensor (or channel, or group)
gets ``scale = 1``; a constant one (every value equal to ``c``) whose value the
formula would not give back exactly gets ``scale = |c|`` (codes ``zero_point ± 1``),
so a constant always quantizes exactly. NaN or infinite input is a ``ValueError``.

Kernels are vectorised torch ops on contiguous views, run block by block (16M
values per block, to bound scratch memory); no Python loop over single values.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from course_utils.quant_core import (
    GRANULARITIES,
    as_params,
    check_finite,
    check_float,
    check_quant_bits,
    code_dtype,
    dequantize_blocks,
    dequantize_plain,
    grouped,
    layout,
    min_max,
    normalise,
    q_range,
    qparams,
    quantize_blocks,
    quantize_plain,
    work_dtype,
)

__all__ = [
    "GRANULARITIES",
    "QuantizedTensor",
    "dequantize_with",
    "quantize",
    "quantize_with",
    "scale_zero_point",
]


@dataclass(repr=False)
class QuantizedTensor:
    """Integer codes plus the scale and zero point that map them back to reals.

    Made by :func:`quantize` (Lesson 5: Linear quantization). ``scale`` and
    ``zero_point`` have one entry per scale: a 0-d tensor per tensor, shape
    ``(1, .., C, .., 1)`` per channel (broadcastable to ``x``), and shape
    ``(..., n_groups, 1)`` per group (broadcastable to ``x`` viewed as
    ``(..., n_groups, group_size)``). ``q`` has the shape of ``x`` and dtype int8
    (signed) or uint8 (unsigned), whatever ``n_bits``.

    >>> qt = quantize(torch.tensor([-1.2, 0.0, 2.0]), n_bits=4, symmetric=True)
    >>> qt
    QuantizedTensor(shape=(3,), n_bits=4, signed=True, symmetric=True, per_tensor)
    >>> qt.q, qt.q_min, qt.q_max
    (tensor([-4,  0,  7], dtype=torch.int8), -8, 7)
    >>> qt.dequantize()
    tensor([-1.1429,  0.0000,  2.0000])
    """

    q: Tensor
    scale: Tensor
    zero_point: Tensor
    n_bits: int
    signed: bool
    symmetric: bool
    granularity: str
    axis: int | None
    group_size: int | None
    shape: torch.Size
    dtype: torch.dtype = torch.float32  # dtype of x, and of x_hat

    @property
    def q_min(self) -> int:
        """Smallest code, e.g. -128 for signed 8 bits."""
        return q_range(self.n_bits, self.signed)[0]

    @property
    def q_max(self) -> int:
        """Largest code, e.g. 127 for signed 8 bits."""
        return q_range(self.n_bits, self.signed)[1]

    @property
    def nbytes(self) -> int:
        """Bytes held by ``q`` (one byte per code), ``scale`` and ``zero_point``.

        Codes of fewer than 8 bits still take a byte each here; see :func:`pack`.
        """
        return sum(t.numel() * t.element_size()
                   for t in (self.q, self.scale, self.zero_point))

    def bits_per_value(self) -> float:
        """Bits of storage per value: codes, scales and zero points (Lesson 5).

        The one rule of the course (the playground and lesson 5 use it): each code
        takes ``n_bits`` (packed, see :mod:`course_utils.packing`); each scale
        takes the bits of the dtype it is stored in here (float32: 32 bits); each
        zero point likewise (int32: 32 bits) when the quantization is asymmetric.
        Symmetric zero points all equal one fixed code (0 for signed codes), so
        they need not be stored and are not counted.

        >>> x = torch.randn(4, 64)
        >>> quantize(x, 4, granularity="per_group", group_size=32).bits_per_value()
        6.0
        >>> quantize(x, 4, symmetric=True, granularity="per_group",
        ...          group_size=32).bits_per_value()
        5.0
        """
        extra = self.scale.numel() * self.scale.element_size()
        if not self.symmetric:
            extra += self.zero_point.numel() * self.zero_point.element_size()
        return self.n_bits + 8 * extra / self.q.numel()

    def dequantize(self) -> Tensor:
        """``x_hat = scale * (q - zero_point)`` in the dtype of the original ``x``."""
        view, param_view, _ = layout(self.shape, self.granularity, self.axis,
                                      self.group_size)
        qv = self.q.contiguous().reshape(view)
        scale = self.scale.reshape(param_view)
        zero_point = self.zero_point.reshape(param_view)
        x_hat = dequantize_blocks(qv, scale, zero_point, self.dtype)
        return x_hat.reshape(self.shape)

    def __repr__(self) -> str:
        how = self.granularity
        if self.granularity == "per_channel":
            how += f", axis={self.axis}"
        elif self.granularity == "per_group":
            how += f", group_size={self.group_size}"
        return (f"QuantizedTensor(shape={tuple(self.shape)}, n_bits={self.n_bits}, "
                f"signed={self.signed}, symmetric={self.symmetric}, {how})")


def quantize(x: Tensor, n_bits: int = 8, symmetric: bool = False,
             granularity: str = "per_tensor", axis: int = 0,
             group_size: int | None = None, signed: bool = True, *,
             reciprocal: bool = False) -> QuantizedTensor:
    """Linearly quantize ``x`` to ``n_bits`` integer codes (Lesson 5).

    Args:
        x: a float16/bfloat16/float32/float64 tensor of finite values.
        n_bits: 2 to 8.
        symmetric: ``zero_point = 0`` and ``scale = max|x| / (2**(n_bits-1) - 1)``;
            otherwise asymmetric (min/max, range including 0).
        granularity: ``"per_tensor"``, ``"per_channel"`` (one scale per index of
            ``axis``) or ``"per_group"`` (one scale per ``group_size`` consecutive
            values of the last axis; ``axis`` is ignored).
        axis: the channel axis for per-channel; negative values count from the end.
        group_size: for per-group, a divisor of ``x.shape[-1]``.
        signed: codes in ``[-2**(n_bits-1), 2**(n_bits-1))`` rather than
            ``[0, 2**n_bits)``.
        reciprocal: multiply by the float32 ``1 / scale`` as torch's
            ``fake_quantize_*`` kernels do (bit-exact with them) instead of dividing;
            if a scale is subnormal, where ``1 / scale`` overflows (and torch's
            kernels give wrong codes), this falls back to division.

    Returns:
        A :class:`QuantizedTensor`; ``.dequantize()`` gives ``x_hat``.

    >>> x = torch.tensor([[-1.0, 0.0, 3.0], [0.5, 0.2, 0.0]])
    >>> qt = quantize(x)
    >>> qt.scale, qt.zero_point
    (tensor(0.0157), tensor(-64, dtype=torch.int32))
    >>> qt.q
    tensor([[-128,  -64,  127],
            [ -32,  -51,  -64]], dtype=torch.int8)
    >>> quantize(x, symmetric=True, granularity="per_channel").scale.flatten()
    tensor([0.0236, 0.0039])
    >>> quantize(x, n_bits=4, granularity="per_group", group_size=3).q
    tensor([[-8, -4,  7],
            [ 7, -2, -8]], dtype=torch.int8)
    """
    check_float(x)
    check_quant_bits(n_bits)
    axis_n, group_n = normalise(x.shape, granularity, axis, group_size)
    view, param_view, public = layout(x.shape, granularity, axis_n, group_n)
    xv = x.detach().contiguous().reshape(view)  # quantizing is not differentiable
    x_min, x_max = min_max(xv, granularity, param_view)
    scale, zero_point = qparams(x_min, x_max, n_bits, bool(symmetric),
                                 bool(signed), reciprocal, work_dtype(x.dtype))
    q_min, q_max = q_range(n_bits, signed)
    q = quantize_blocks(xv, scale.reshape(param_view),
                         zero_point.reshape(param_view), q_min, q_max,
                         reciprocal, code_dtype(signed))
    return QuantizedTensor(
        q=q.reshape(x.shape), scale=scale.reshape(public),
        zero_point=zero_point.reshape(public), n_bits=n_bits, signed=bool(signed),
        symmetric=bool(symmetric), granularity=granularity, axis=axis_n,
        group_size=group_n, shape=x.shape, dtype=x.dtype)


def scale_zero_point(x: Tensor, n_bits: int = 8, symmetric: bool = False,
                     signed: bool = True, granularity: str = "per_tensor",
                     axis: int = 0, group_size: int | None = None, *,
                     reciprocal: bool = False) -> tuple[Tensor, Tensor]:
    """The ``scale`` and ``zero_point`` that :func:`quantize` would use (Lesson 5).

    Shapes are as in :class:`QuantizedTensor`; ``scale`` is float32 (float64 for
    float64 ``x``), ``zero_point`` int32.

    >>> scale_zero_point(torch.tensor([-1.0, 0.0, 3.0]), signed=False)
    (tensor(0.0157), tensor(64, dtype=torch.int32))
    >>> scale_zero_point(torch.tensor([-1.0, 0.0, 3.0]), symmetric=True)
    (tensor(0.0236), tensor(0, dtype=torch.int32))
    """
    check_float(x)
    check_quant_bits(n_bits)
    axis_n, group_n = normalise(x.shape, granularity, axis, group_size)
    view, param_view, public = layout(x.shape, granularity, axis_n, group_n)
    x_min, x_max = min_max(x.detach().contiguous().reshape(view), granularity,
                            param_view)
    scale, zero_point = qparams(x_min, x_max, n_bits, bool(symmetric),
                                 bool(signed), reciprocal, work_dtype(x.dtype))
    return scale.reshape(public), zero_point.reshape(public)



def quantize_with(x: Tensor, scale: Tensor | float, zero_point: Tensor | int,
                  n_bits: int = 8, signed: bool = True, *,
                  group_size: int | None = None, reciprocal: bool = False) -> Tensor:
    """Codes ``q = clamp(round(x / scale) + zero_point, q_min, q_max)`` (Lesson 5).

    Args:
        scale, zero_point: numbers or tensors broadcastable to ``x`` (to ``x``
            viewed as ``(..., n_groups, group_size)`` when ``group_size`` is given).
        reciprocal: multiply by ``1 / scale`` as torch's kernels do.

    Returns:
        int8 codes (uint8 when ``signed=False``), shaped like ``x``.

    >>> quantize_with(torch.tensor([-0.3, 0.0, 0.26, 5.0]), 0.1, 2, n_bits=4)
    tensor([-1,  2,  5,  7], dtype=torch.int8)
    """
    check_float(x)
    check_quant_bits(n_bits)
    check_finite(x)
    scale, zero_point = as_params(x.shape, scale, zero_point, group_size,
                                   work_dtype(x.dtype))
    q_min, q_max = q_range(n_bits, signed)
    if bool(((zero_point < q_min) | (zero_point > q_max)).any()):
        raise ValueError(f"zero_point must lie in [{q_min}, {q_max}] for "
                         f"{n_bits}-bit {'signed' if signed else 'unsigned'} codes")
    xg = x if group_size is None else x.reshape(grouped(x, group_size))
    q = quantize_plain(xg, scale, zero_point, q_min, q_max, reciprocal)
    return q.to(code_dtype(signed)).reshape(x.shape)



def dequantize_with(q: Tensor, scale: Tensor | float, zero_point: Tensor | int, *,
                    group_size: int | None = None) -> Tensor:
    """``x_hat = scale * (q - zero_point)`` (Lesson 5).

    Args:
        q: integer codes.
        scale, zero_point: as in :func:`quantize_with`.

    Returns:
        ``x_hat`` in the dtype of ``scale`` (float32 for a Python number).

    >>> dequantize_with(torch.tensor([-1, 2, 5, 7], dtype=torch.int8), 0.5, 2)
    tensor([-1.5000,  0.0000,  1.5000,  2.5000])
    """
    if not isinstance(q, Tensor):
        raise TypeError(f"q must be a torch.Tensor, got {type(q).__name__}")
    if q.is_floating_point() or q.is_complex() or q.dtype == torch.bool:
        raise TypeError(f"q must hold integer codes, got dtype {q.dtype}")
    scale, zero_point = as_params(q.shape, scale, zero_point, group_size,
                                   torch.float32)
    qg = q if group_size is None else q.reshape(grouped(q, group_size))
    return dequantize_plain(qg, scale, zero_point).reshape(q.shape)


