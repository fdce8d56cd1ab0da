"""The vectorised kernels behind :mod:`course_utils.quant` (Lesson 5).

Layouts (how a tensor is viewed per tensor, channel or group), the scale and
zero point from each slice's minimum and maximum, and block-by-block quantize
and dequantize over contiguous views. :mod:`course_utils.quant` is the public
API; its docstring states the conventions.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch import Tensor

from course_utils.integers import check_n_bits, int_range

__all__ = [
    "GRANULARITIES",
    "as_params",
    "check_finite",
    "check_float",
    "check_quant_bits",
    "code_dtype",
    "dequantize_blocks",
    "dequantize_plain",
    "grouped",
    "layout",
    "min_max",
    "normalise",
    "q_range",
    "qparams",
    "quantize_blocks",
    "quantize_plain",
    "work_dtype",
]

GRANULARITIES = ("per_tensor", "per_channel", "per_group")

# Values per block. Kernels run a few whole-tensor ops per block; blocks only bound
# the scratch memory (64 MiB of float32). Cache-sized blocks (64K values) were 2x
# faster on an idle 2-core machine but up to 7x slower on a busy one (thousands of
# small ops), so big blocks it is: see bench/bench_quant.py.
_BLOCK = 1 << 24
_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


# --------------------------------------------------------------------------- checks
def check_quant_bits(n_bits: int) -> int:
    """The widths linear quantization accepts: 2 to 8 bits (int8 codes)."""
    return check_n_bits(n_bits, 2, 8)


def check_float(x: Tensor, name: str = "x") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__} "
                        f"(try torch.tensor({name}, dtype=torch.float32))")
    if x.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{name} must be a float16, bfloat16, float32 or float64 "
                        f"tensor, got dtype {x.dtype} (try {name}.float())")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty: there is nothing to quantize")


def check_finite(x: Tensor, name: str = "x") -> None:
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinity; linear quantization "
                         "needs finite values")


def q_range(n_bits: int, signed: bool) -> tuple[int, int]:
    """``(q_min, q_max)`` of ``n_bits`` codes: :func:`integers.int_range`."""
    return int_range(n_bits, signed)


def work_dtype(dtype: torch.dtype) -> torch.dtype:
    """Scales are float32 (as torch's kernels need), float64 for float64 input."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def code_dtype(signed: bool) -> torch.dtype:
    return torch.int8 if signed else torch.uint8


# --------------------------------------------------------------------------- layout
def layout(shape: torch.Size, granularity: str, axis: int | None,
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


def normalise(x_shape: torch.Size, granularity: str, axis: int | None,
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
def min_max(xv: Tensor, granularity: str, param_view: tuple) -> tuple[Tensor, Tensor]:
    """Per-scale minimum and maximum of the view ``xv`` (shape ``param_view``)."""
    if granularity == "per_tensor":
        return xv.amin(), xv.amax()
    dims = tuple(d for d, n in enumerate(param_view) if n == 1)
    return xv.amin(dim=dims, keepdim=True), xv.amax(dim=dims, keepdim=True)


def qparams(x_min: Tensor, x_max: Tensor, n_bits: int, symmetric: bool,
             signed: bool, reciprocal: bool, work: torch.dtype
             ) -> tuple[Tensor, Tensor]:
    """Scale and zero point from the per-scale minima and maxima of ``x``."""
    q_min, q_max = q_range(n_bits, signed)
    x_min, x_max = x_min.to(work), x_max.to(work)
    if not bool(torch.isfinite(x_min).all() and torch.isfinite(x_max).all()):
        raise ValueError("x contains NaN or infinity; linear quantization needs "
                         "finite values")
    lo, hi = x_min.clamp(max=0), x_max.clamp(min=0)  # the range includes 0
    if symmetric:
        steps = int_range(n_bits, True)[1]   # 127 for int8: the symmetric range
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
    # near the float maximum, scale * (q - zero_point) may overflow to inf: shrink
    # the scale until the farthest code from the zero point is finite (the values
    # beyond it are then clipped, as any value outside the grid is)
    top = torch.finfo(scale.dtype).max
    for _ in range(8):
        steps_out = torch.maximum(q_max - zero_point, zero_point - q_min).to(
            scale.dtype)
        over = torch.isinf(scale * steps_out)
        if not bool(over.any()):
            break
        limit = torch.nextafter(top / steps_out, torch.zeros_like(scale))
        scale = torch.where(over, torch.minimum(scale, limit), scale)
        zero_point = zero_point_of(scale)
    else:  # pragma: no cover - the zero point settles within a step or two
        raise ValueError("x is too close to the float maximum to quantize")
    # a constant tensor/channel/group must come back exactly
    const = x_min == x_max
    if bool(const.any()):
        c = x_max
        c_hat = dequantize_plain(
            quantize_plain(c, scale, zero_point, q_min, q_max, reciprocal),
            scale, zero_point)
        bad = const & (c_hat != c)
        scale = torch.where(bad, c.abs(), scale)
        zero_point = zero_point_of(scale)
    return scale, zero_point


def _use_reciprocal(reciprocal: bool, scale: Tensor) -> bool:
    """``1 / scale`` overflows for subnormal scales: divide there instead."""
    return reciprocal and not bool((scale < torch.finfo(scale.dtype).tiny).any())


def quantize_plain(x: Tensor, scale: Tensor, zero_point: Tensor, q_min: int,
                    q_max: int, reciprocal: bool) -> Tensor:
    """The formula in plain broadcasting torch (float result)."""
    reciprocal = _use_reciprocal(reciprocal, scale)
    y = x * (1.0 / scale) if reciprocal else x / scale
    return torch.clamp(torch.round(y) + zero_point, q_min, q_max)


def dequantize_plain(q: Tensor, scale: Tensor, zero_point: Tensor) -> Tensor:
    return (q.to(scale.dtype) - zero_point.to(scale.dtype)) * scale


def quantize_blocks(xv: Tensor, scale: Tensor, zero_point: Tensor, q_min: int,
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


def dequantize_blocks(qv: Tensor, scale: Tensor, zero_point: Tensor,
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

def as_params(x_shape: torch.Size, scale: Tensor | float, zero_point: Tensor | int,
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


def grouped(t: Tensor, group_size: int) -> tuple:
    return tuple(t.shape[:-1]) + (t.shape[-1] // group_size, group_size)
