"""True memory footprint of a model: the bytes its tensors really hold (Lesson 4).

Counted from ``state_dict()`` storage, bytes shared by several tensors counted
once, quantized tensor subclasses (optimum-quanto's) by the codes and scales they
hold: transformers' ``get_memory_footprint()`` is wrong for quanto-frozen models.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import nn

__all__ = ["dtype_summary", "format_bytes", "memory_footprint", "tensors_nbytes"]


def _storage_tensors(t: torch.Tensor) -> Iterator[torch.Tensor]:
    """The plain tensors holding ``t``'s data (unwraps quanto/torchao subclasses)."""
    if type(t) is nn.Parameter:
        t = t.data
    if type(t) is not torch.Tensor and hasattr(t, "__tensor_flatten__"):
        names, _ = t.__tensor_flatten__()
        for name in names:
            yield from _storage_tensors(getattr(t, name))
    else:
        yield t


def _byte_span(t: torch.Tensor) -> tuple[int, int, int]:
    """(storage key, first byte, end byte) of the bytes ``t`` occupies."""
    size = t.element_size()
    if t.numel() == 0:
        return (0, 0, 0)
    span = 1 + sum((n - 1) * abs(s) for n, s in zip(t.shape, t.stride(), strict=True))
    start = t.storage_offset() * size
    key = t.untyped_storage().data_ptr()
    if t.device.type == "meta" or key == 0:
        key = id(t)  # no real storage: count the tensor on its own
    return (key, start, start + span * size)


def tensors_nbytes(tensors: Sequence[torch.Tensor]) -> int:
    """Bytes of storage that ``tensors`` occupy, bytes shared by several counted once.

    Quantized tensor subclasses (e.g. optimum-quanto's) are counted by the integer
    codes and scales they really hold, not by their dequantized size.

    >>> w = torch.zeros(4, 4)
    >>> tensors_nbytes([w, w, w[0]]), tensors_nbytes([w.half()])
    (64, 32)
    """
    spans: dict[int, list[tuple[int, int]]] = {}
    for tensor in tensors:
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"expected tensors, got {type(tensor).__name__}")
        for t in _storage_tensors(tensor):
            key, start, end = _byte_span(t)
            if end > start:
                spans.setdefault(key, []).append((start, end))
    total = 0
    for intervals in spans.values():
        intervals.sort()
        cur_start, cur_end = intervals[0]
        for start, end in intervals[1:]:
            if start > cur_end:
                total += cur_end - cur_start
                cur_start, cur_end = start, end
            else:
                cur_end = max(cur_end, end)
        total += cur_end - cur_start
    return total


def memory_footprint(model: nn.Module, non_persistent: bool = False) -> int:
    """True bytes of a model's weights: every ``state_dict()`` tensor, shared once.

    Lesson 4. Unlike transformers' ``get_memory_footprint()``, this counts what is
    really stored: int8 codes plus scales for a quanto-frozen layer, packed bytes for
    int4, one copy of tied weights.

    Args:
        model: any ``nn.Module``.
        non_persistent: also count buffers left out of ``state_dict()`` (e.g.
            BERT's ``position_ids``).

    Returns:
        Size in bytes.

    >>> memory_footprint(nn.Linear(3, 2))  # (3 * 2 + 2) float32 numbers
    32
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected an nn.Module, got {type(model).__name__}")
    tensors = [t for t in model.state_dict(keep_vars=True).values()
               if isinstance(t, torch.Tensor)]
    if non_persistent:
        tensors += list(model.buffers())
    return tensors_nbytes(tensors)


def dtype_summary(model: nn.Module, buffers: bool = False) -> dict[str, int]:
    """Number of parameters (elements) per dtype, e.g. ``{"float32": 22713216}``.

    Lesson 4. A quanto-quantized weight is listed under its quantized type
    (``"qint8"``, ``"qint4"``) with the element count of the weight it stands for.

    >>> dtype_summary(nn.Linear(3, 2).to(torch.bfloat16))
    {'bfloat16': 8}
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected an nn.Module, got {type(model).__name__}")
    tensors = list(model.parameters())
    if buffers:
        tensors += list(model.buffers())
    counts: dict[str, int] = {}
    for t in tensors:
        qtype = getattr(t, "qtype", None)
        name = getattr(qtype, "name", None) or str(t.dtype).removeprefix("torch.")
        counts[name] = counts.get(name, 0) + t.numel()
    return counts


def format_bytes(n_bytes: int | float) -> str:
    """Readable binary size: ``format_bytes(3 * 2**20)`` is ``'3.00 MiB'``.

    >>> format_bytes(512), format_bytes(90_852_864)
    ('512 B', '86.64 MiB')
    """
    if n_bytes < 1024:
        return f"{int(n_bytes)} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n_bytes /= 1024
        if n_bytes < 1024 or unit == "TiB":
            break
    return f"{n_bytes:.2f} {unit}"
