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

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = [
    "GRANULARITIES",
    "QuantizedTensor",
    "dequantize_with",
    "error_report",
    "max_abs_error",
    "pack",
    "quantization_error",
    "quantize",
    "quantize_with",
    "scale_zero_point",
    "sqnr_db",
    "unpack",
]

#: The granularities :func:`quantize` accepts.
GRANULARITIES = ("per_tensor", "per_channel", "per_group")

# Values per block. Kernels run a few whole-tensor ops per block; blocks only bound
# the scratch memory (64 MiB of float32). Cache-sized blocks (64K values) were 2x
# faster on an idle 2-core machine but up to 7x slower on a busy one (thousands of
# small ops), so big blocks it is: see bench/bench_quant.py.
_BLOCK = 1 << 24
_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


# --------------------------------------------------------------------------- checks
def _check_n_bits(n_bits: int, allowed: tuple[int, ...] = tuple(range(2, 9))) -> int:
    if isinstance(n_bits, bool) or not isinstance(n_bits, int):
        raise TypeError(f"n_bits must be an int, got {type(n_bits).__name__}")
    if n_bits not in allowed:
        raise ValueError(
            f"n_bits must be one of {', '.join(map(str, allowed))}, got {n_bits}")
    return n_bits


def _check_float(x: Tensor, name: str = "x") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__} "
                        f"(try torch.tensor({name}, dtype=torch.float32))")
    if x.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{name} must be a float16, bfloat16, float32 or float64 "
                        f"tensor, got dtype {x.dtype} (try {name}.float())")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty: there is nothing to quantize")


def _check_finite(x: Tensor, name: str = "x") -> None:
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinity; linear quantization "
                         "needs finite values")


def _q_range(n_bits: int, signed: bool) -> tuple[int, int]:
    if signed:
        return -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1
    return 0, 2**n_bits - 1


def _work_dtype(dtype: torch.dtype) -> torch.dtype:
    """Scales are float32 (as torch's kernels need), float64 for float64 input."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def _code_dtype(signed: bool) -> torch.dtype:
    return torch.int8 if signed else torch.uint8


# --------------------------------------------------------------------------- layout
def _layout(shape: torch.Size, granularity: str, axis: int | None,
            group_size: int | None) -> tuple[tuple, tuple, tuple]:
    """How a tensor of ``shape`` is viewed by the kernels.

    Returns ``(view_shape, param_view_shape, param_shape)``: the contiguous view of
    ``x`` the kernels walk along dim 0, the shape of ``scale`` against that view,
    and the public shape of ``scale`` (broadcastable to ``x``, or to ``x`` viewed
    as ``(..., n_groups, group_size)`` for per-group).
    """
    numel = math.prod(shape)
    if granularity == "per_tensor":
        return (numel,), (), ()
    if granularity == "per_channel":
        assert axis is not None
        pre, c, post = math.prod(shape[:axis]), shape[axis], math.prod(
            shape[axis + 1:])
        public = tuple(c if d == axis else 1 for d in range(len(shape)))
        if pre == 1:
            return (c, post), (c, 1), public
        if post == 1:
            return (pre, c), (1, c), public
        return (pre, c, post), (1, c, 1), public
    assert group_size is not None
    rows = numel // group_size
    public = tuple(shape[:-1]) + (shape[-1] // group_size, 1)
    return (rows, group_size), (rows, 1), public


def _normalise(x_shape: torch.Size, granularity: str, axis: int | None,
               group_size: int | None) -> tuple[int | None, int | None]:
    """Validate granularity/axis/group_size; return the normalised axis and group."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, "
                         f"got {granularity!r}")
    ndim = len(x_shape)
    if granularity != "per_group" and group_size is not None:
        raise ValueError("group_size only applies to granularity='per_group', "
                         f"got group_size={group_size} with {granularity!r}")
    if granularity == "per_tensor":
        return None, None
    if ndim == 0:
        raise ValueError(f"{granularity} quantization needs a tensor with at least "
                         "one dimension, got a 0-d tensor")
    if granularity == "per_channel":
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"axis must be an int, got {type(axis).__name__}")
        if not -ndim <= axis < ndim:
            raise ValueError(f"axis must be in [{-ndim}, {ndim - 1}] for a "
                             f"{ndim}-d tensor, got {axis}")
        return axis % ndim, None
    # per_group: always along the last axis
    if group_size is None:
        raise ValueError("granularity='per_group' needs group_size (a divisor of "
                         f"the last dimension, {x_shape[-1]})")
    if isinstance(group_size, bool) or not isinstance(group_size, int):
        raise TypeError(f"group_size must be an int, got {type(group_size).__name__}")
    if group_size < 1 or x_shape[-1] % group_size:
        raise ValueError(f"group_size must be a positive divisor of the last "
                         f"dimension {x_shape[-1]}, got {group_size}")
    return ndim - 1, group_size


def _row_blocks(view_shape: tuple) -> Iterator[slice]:
    """Slices along dim 0 holding about ``_BLOCK`` values each."""
    n_rows = view_shape[0]
    per_row = max(1, math.prod(view_shape[1:]))
    step = max(1, _BLOCK // per_row)
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _rows(param: Tensor, rows: slice) -> Tensor:
    return param[rows] if param.ndim and param.shape[0] > 1 else param


# ------------------------------------------------------------------ scale and zero
def _min_max(xv: Tensor, granularity: str, param_view: tuple) -> tuple[Tensor, Tensor]:
    """Per-scale minimum and maximum of the view ``xv`` (shape ``param_view``)."""
    if granularity == "per_tensor":
        return xv.amin(), xv.amax()
    dims = tuple(d for d, n in enumerate(param_view) if n == 1)
    return xv.amin(dim=dims, keepdim=True), xv.amax(dim=dims, keepdim=True)


def _qparams(x_min: Tensor, x_max: Tensor, n_bits: int, symmetric: bool,
             signed: bool, reciprocal: bool, work: torch.dtype
             ) -> tuple[Tensor, Tensor]:
    """Scale and zero point from the per-scale minima and maxima of ``x``."""
    q_min, q_max = _q_range(n_bits, signed)
    x_min, x_max = x_min.to(work), x_max.to(work)
    if not bool(torch.isfinite(x_min).all() and torch.isfinite(x_max).all()):
        raise ValueError("x contains NaN or infinity; linear quantization needs "
                         "finite values")
    lo, hi = x_min.clamp(max=0), x_max.clamp(min=0)  # the range includes 0
    if symmetric:
        steps = 2 ** (n_bits - 1) - 1
        span = torch.maximum(-lo, hi)
        scale = span / steps
    else:
        steps = q_max - q_min
        span = hi - lo
        scale = span / steps
        # hi - lo can overflow near the float maximum: split the division
        scale = torch.where(torch.isinf(scale), hi / steps - lo / steps, scale)
    # an all-zero range, or a scale that underflowed to 0
    scale = torch.where(scale > 0, scale, torch.where(span > 0, span, 1.0))

    def zero_point_of(scale: Tensor) -> Tensor:
        if symmetric:
            zp = 0 if signed else 2 ** (n_bits - 1)
            return torch.full_like(scale, zp, dtype=torch.int32)
        # q_min - round(x_min / scale) == round(q_min - x_min / scale) (q_min even)
        zp = q_min - torch.round(lo / scale)
        return zp.clamp(q_min, q_max).to(torch.int32)

    zero_point = zero_point_of(scale)
    # near the float maximum, scale * (q - zero_point) may round up to inf
    for _ in range(4):
        ends = torch.stack(torch.broadcast_tensors(scale * (q_max - zero_point),
                                                   scale * (q_min - zero_point)))
        over = torch.isinf(ends).any(dim=0)
        if not bool(over.any()):
            break
        scale = torch.where(over, torch.nextafter(scale, torch.zeros_like(scale)),
                            scale)
        zero_point = zero_point_of(scale)
    # a constant tensor/channel/group must come back exactly
    const = x_min == x_max
    if bool(const.any()):
        c = x_max
        c_hat = _dequantize_plain(
            _quantize_plain(c, scale, zero_point, q_min, q_max, reciprocal),
            scale, zero_point)
        bad = const & (c_hat != c)
        scale = torch.where(bad, c.abs(), scale)
        zero_point = zero_point_of(scale)
    return scale, zero_point


def _use_reciprocal(reciprocal: bool, scale: Tensor) -> bool:
    """``1 / scale`` overflows for subnormal scales: divide there instead."""
    return reciprocal and not bool((scale < torch.finfo(scale.dtype).tiny).any())


def _quantize_plain(x: Tensor, scale: Tensor, zero_point: Tensor, q_min: int,
                    q_max: int, reciprocal: bool) -> Tensor:
    """The formula in plain broadcasting torch (float result)."""
    reciprocal = _use_reciprocal(reciprocal, scale)
    y = x * (1.0 / scale) if reciprocal else x / scale
    return torch.clamp(torch.round(y) + zero_point, q_min, q_max)


def _dequantize_plain(q: Tensor, scale: Tensor, zero_point: Tensor) -> Tensor:
    return (q.to(scale.dtype) - zero_point.to(scale.dtype)) * scale


def _quantize_blocks(xv: Tensor, scale: Tensor, zero_point: Tensor, q_min: int,
                     q_max: int, reciprocal: bool, code_dtype: torch.dtype
                     ) -> Tensor:
    """Codes of the contiguous view ``xv``, one block of rows at a time."""
    q = torch.empty(xv.shape, dtype=code_dtype, device=xv.device)
    reciprocal = _use_reciprocal(reciprocal, scale)
    by = 1.0 / scale if reciprocal else scale
    zero_point = zero_point.to(scale.dtype)  # same-dtype in-place ops are fastest
    op = torch.mul if reciprocal else torch.div
    first = next(_row_blocks(xv.shape))
    buf = torch.empty((first.stop,) + tuple(xv.shape[1:]), dtype=scale.dtype,
                      device=xv.device)
    shift = bool((zero_point != 0).any())
    for rows in _row_blocks(xv.shape):
        b = buf[: rows.stop - rows.start]
        op(xv[rows], _rows(by, rows), out=b)
        b.round_()
        if shift:
            b.add_(_rows(zero_point, rows))
        q[rows].copy_(b.clamp_(q_min, q_max))
    return q


def _dequantize_blocks(qv: Tensor, scale: Tensor, zero_point: Tensor,
                       dtype: torch.dtype) -> Tensor:
    """``scale * (q - zero_point)`` of the contiguous view ``qv``, in ``dtype``."""
    out = torch.empty(qv.shape, dtype=dtype, device=qv.device)
    zero_point = zero_point.to(scale.dtype)  # exact: small integers
    direct = dtype == scale.dtype
    buf = None
    if not direct:
        first = next(_row_blocks(qv.shape))
        buf = torch.empty((first.stop,) + tuple(qv.shape[1:]), dtype=scale.dtype,
                          device=qv.device)
    shift = bool((zero_point != 0).any())
    for rows in _row_blocks(qv.shape):
        o = out[rows] if direct else buf[: rows.stop - rows.start]
        if shift:
            torch.sub(qv[rows], _rows(zero_point, rows), out=o)
        else:
            o.copy_(qv[rows])
        o.mul_(_rows(scale, rows))
        if not direct:
            out[rows].copy_(o)
    return out


# --------------------------------------------------------------------- public API
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
        return _q_range(self.n_bits, self.signed)[0]

    @property
    def q_max(self) -> int:
        """Largest code, e.g. 127 for signed 8 bits."""
        return _q_range(self.n_bits, self.signed)[1]

    @property
    def nbytes(self) -> int:
        """Bytes held by ``q`` (one byte per code), ``scale`` and ``zero_point``.

        Codes of fewer than 8 bits still take a byte each here; see :func:`pack`.
        """
        return sum(t.numel() * t.element_size()
                   for t in (self.q, self.scale, self.zero_point))

    def dequantize(self) -> Tensor:
        """``x_hat = scale * (q - zero_point)`` in the dtype of the original ``x``."""
        view, param_view, _ = _layout(self.shape, self.granularity, self.axis,
                                      self.group_size)
        qv = self.q.contiguous().reshape(view)
        scale = self.scale.reshape(param_view)
        zero_point = self.zero_point.reshape(param_view)
        x_hat = _dequantize_blocks(qv, scale, zero_point, self.dtype)
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
    _check_float(x)
    _check_n_bits(n_bits)
    axis_n, group_n = _normalise(x.shape, granularity, axis, group_size)
    view, param_view, public = _layout(x.shape, granularity, axis_n, group_n)
    xv = x.detach().contiguous().reshape(view)  # quantizing is not differentiable
    x_min, x_max = _min_max(xv, granularity, param_view)
    scale, zero_point = _qparams(x_min, x_max, n_bits, bool(symmetric),
                                 bool(signed), reciprocal, _work_dtype(x.dtype))
    q_min, q_max = _q_range(n_bits, signed)
    q = _quantize_blocks(xv, scale.reshape(param_view),
                         zero_point.reshape(param_view), q_min, q_max,
                         reciprocal, _code_dtype(signed))
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
    _check_float(x)
    _check_n_bits(n_bits)
    axis_n, group_n = _normalise(x.shape, granularity, axis, group_size)
    view, param_view, public = _layout(x.shape, granularity, axis_n, group_n)
    x_min, x_max = _min_max(x.detach().contiguous().reshape(view), granularity,
                            param_view)
    scale, zero_point = _qparams(x_min, x_max, n_bits, bool(symmetric),
                                 bool(signed), reciprocal, _work_dtype(x.dtype))
    return scale.reshape(public), zero_point.reshape(public)


def _as_params(x_shape: torch.Size, scale: Tensor | float, zero_point: Tensor | int,
               group_size: int | None, work: torch.dtype
               ) -> tuple[Tensor, Tensor]:
    if not isinstance(scale, Tensor):
        scale = torch.tensor(float(scale), dtype=work)
    if not scale.is_floating_point():
        raise TypeError(f"scale must be a float tensor or number, got {scale.dtype}")
    if not isinstance(zero_point, Tensor):
        if isinstance(zero_point, float) and not zero_point.is_integer():
            raise ValueError(f"zero_point must be an integer, got {zero_point}")
        zero_point = torch.tensor(int(zero_point), dtype=torch.int32)
    if zero_point.is_floating_point():
        if not bool((zero_point == torch.round(zero_point)).all()):
            raise ValueError("zero_point must hold integers")
    elif zero_point.dtype == torch.bool or zero_point.is_complex():
        raise TypeError(f"zero_point must be an integer tensor, got {zero_point.dtype}")
    if not bool((torch.isfinite(scale) & (scale > 0)).all()):
        raise ValueError("scale must be positive and finite")
    shape = tuple(x_shape)
    if group_size is not None:
        if x_shape[-1] % group_size:
            raise ValueError(f"group_size {group_size} does not divide the last "
                             f"dimension {x_shape[-1]}")
        shape = shape[:-1] + (x_shape[-1] // group_size, group_size)
    try:
        full = torch.broadcast_shapes(shape, scale.shape, zero_point.shape)
    except RuntimeError as err:
        raise ValueError(f"scale {tuple(scale.shape)} and zero_point "
                         f"{tuple(zero_point.shape)} must broadcast to {shape}"
                         ) from err
    if tuple(full) != shape:
        raise ValueError(f"scale {tuple(scale.shape)} and zero_point "
                         f"{tuple(zero_point.shape)} must broadcast to {shape} "
                         f"without growing it (got {tuple(full)})")
    return scale, zero_point


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
    _check_float(x)
    _check_n_bits(n_bits)
    _check_finite(x)
    scale, zero_point = _as_params(x.shape, scale, zero_point, group_size,
                                   _work_dtype(x.dtype))
    q_min, q_max = _q_range(n_bits, signed)
    if bool(((zero_point < q_min) | (zero_point > q_max)).any()):
        raise ValueError(f"zero_point must lie in [{q_min}, {q_max}] for "
                         f"{n_bits}-bit {'signed' if signed else 'unsigned'} codes")
    xg = x if group_size is None else x.reshape(_grouped(x, group_size))
    q = _quantize_plain(xg, scale, zero_point, q_min, q_max, reciprocal)
    return q.to(_code_dtype(signed)).reshape(x.shape)


def _grouped(t: Tensor, group_size: int) -> tuple:
    return tuple(t.shape[:-1]) + (t.shape[-1] // group_size, group_size)


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
    scale, zero_point = _as_params(q.shape, scale, zero_point, group_size,
                                   torch.float32)
    qg = q if group_size is None else q.reshape(_grouped(q, group_size))
    return _dequantize_plain(qg, scale, zero_point).reshape(q.shape)


def _pair(x: Tensor, x_hat: Tensor | QuantizedTensor) -> tuple[Tensor, Tensor]:
    if isinstance(x_hat, QuantizedTensor):
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


def quantization_error(x: Tensor, x_hat: Tensor | QuantizedTensor) -> float:
    """Mean squared error between ``x`` and ``x_hat`` (Lesson 5).

    ``x_hat`` may also be a :class:`QuantizedTensor` (it is dequantized).

    >>> quantization_error(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]))
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
    if isinstance(x_hat, QuantizedTensor):
        x_hat = x_hat.dequantize()
    return {"mse": quantization_error(x, x_hat), "max_abs": max_abs_error(x, x_hat),
            "sqnr_db": sqnr_db(x, x_hat)}


# -------------------------------------------------------------------------- packing
_PACK_BITS = (1, 2, 4)


def pack(q: Tensor, n_bits: int, *, signed: bool = False) -> Tensor:
    """Pack ``n_bits`` codes (1, 2 or 4) into bytes, element 0 in the lowest bits.

    Lesson 5 (storing 4-bit and 2-bit weights). The layout is that of torch's
    ``quint4x2``: byte ``i`` holds codes ``i*k ... i*k + k-1`` (``k = 8 // n_bits``)
    from the least significant bits up. ``q`` is flattened in row-major order; a
    length that is not a multiple of ``k`` is padded with zero codes.

    Args:
        q: integer codes. With ``signed=False`` (default) they must lie in
            ``[0, 2**n_bits)``; add ``2**(n_bits - 1)`` to signed codes first, or
            pass ``signed=True`` to store codes in ``[-2**(n_bits-1), 2**(n_bits-1))``
            as their ``n_bits`` two's complement pattern (-1 -> ``0b1111``).
        n_bits: 1, 2 or 4 (8-bit codes need no packing: ``q.to(torch.uint8)``).

    Returns:
        A 1-D uint8 tensor of ``ceil(q.numel() / k)`` bytes.

    >>> pack(torch.tensor([1, 2, 15]), 4)  # 0x21, 0x0F
    tensor([33, 15], dtype=torch.uint8)
    >>> pack(torch.tensor([-1, 1]), 4, signed=True)  # 0b0001_1111
    tensor([31], dtype=torch.uint8)
    """
    _check_n_bits(n_bits, _PACK_BITS)
    if not isinstance(q, Tensor):
        raise TypeError(f"q must be a torch.Tensor, got {type(q).__name__}")
    if q.is_floating_point() or q.is_complex():
        raise TypeError(f"q must hold integer codes, got dtype {q.dtype}")
    flat = q.reshape(-1)
    lo, hi = (-(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1) if signed else (
        0, 2**n_bits - 1)
    if flat.numel():
        if flat.dtype == torch.bool:
            flat = flat.to(torch.uint8)
        q_lo, q_hi = torch.aminmax(flat)
        if int(q_lo) < lo or int(q_hi) > hi:
            hint = (" (signed codes: pass signed=True or add "
                    f"{2 ** (n_bits - 1)})" if not signed and int(q_lo) < 0 else "")
            raise ValueError(f"{n_bits}-bit codes must lie in [{lo}, {hi}], got "
                             f"values in [{int(q_lo)}, {int(q_hi)}]{hint}")
    per = 8 // n_bits
    codes = flat.to(torch.uint8)  # two's complement wraps: -1 -> 255
    if signed:
        codes = codes & (2**n_bits - 1)
    pad = (-codes.numel()) % per
    if pad:
        codes = torch.cat([codes, codes.new_zeros(pad)])
    codes = codes.reshape(-1, per)
    packed = codes[:, 0].clone()
    for j in range(1, per):  # over bit positions in a byte, not over elements
        packed |= codes[:, j] << (j * n_bits)
    return packed


def unpack(packed: Tensor, n_bits: int, numel: int, *, signed: bool = False
           ) -> Tensor:
    """Undo :func:`pack`: the first ``numel`` codes as a 1-D tensor (Lesson 5).

    Args:
        packed: the uint8 tensor from :func:`pack` (``ceil(numel / k)`` bytes).
        n_bits: 1, 2 or 4, as packed.
        numel: how many codes to return (drops the padding).
        signed: read each code as ``n_bits`` two's complement (int8 result);
            otherwise codes are in ``[0, 2**n_bits)`` (uint8 result).

    >>> unpack(torch.tensor([33, 15], dtype=torch.uint8), 4, 3)
    tensor([ 1,  2, 15], dtype=torch.uint8)
    >>> unpack(torch.tensor([31], dtype=torch.uint8), 4, 2, signed=True)
    tensor([-1,  1], dtype=torch.int8)
    """
    _check_n_bits(n_bits, _PACK_BITS)
    if not isinstance(packed, Tensor) or packed.dtype != torch.uint8:
        got = packed.dtype if isinstance(packed, Tensor) else type(packed).__name__
        raise TypeError(f"packed must be a uint8 tensor from pack(), got {got}")
    if isinstance(numel, bool) or not isinstance(numel, int) or numel < 0:
        raise ValueError(f"numel must be a non-negative int, got {numel!r}")
    per = 8 // n_bits
    need = -(-numel // per)
    if packed.numel() != need:
        raise ValueError(f"{numel} codes of {n_bits} bits take {need} "
                         f"byte{'s' * (need != 1)}, got {packed.numel()}")
    flat = packed.reshape(-1)
    mask = 2**n_bits - 1
    if per == 2:  # the common int4 case, two cheap ops
        codes = torch.stack((flat & mask, flat >> 4), dim=1)
    else:
        shifts = torch.arange(0, 8, n_bits, dtype=torch.uint8, device=flat.device)
        codes = (flat[:, None] >> shifts) & mask
    codes = codes.reshape(-1)[:numel]
    if signed:
        half = 2 ** (n_bits - 1)
        # (c ^ half) - half sign-extends an n_bits two's complement pattern
        return ((codes ^ half).to(torch.int8) - half).to(torch.int8)
    return codes
