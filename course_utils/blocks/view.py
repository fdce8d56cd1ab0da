"""One block of a BlockQuantized, element by element: bits, values, scale, error.

Lesson 6: Block-scaled formats. What the block figure (``viz.block_figure``) and
the block explorer (``widgets.block_explorer``) show: each element's code and its
fields, its element value ``P`` and ``x_hat``, and the block's stored scale (its
bits, its format and the factor it multiplies by). Read from a
:class:`~course_utils.blocks.BlockQuantized` and the tensor it was made from.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from course_utils.blocks.container import BlockQuantized
from course_utils.blocks.elements import decode_elements, element_grid

__all__ = ["BlockView", "block_view"]

#: Field spans ``(name, first bit, width)`` of each stored format's code.
_NF4_SPANS = (("index", 0, 4),)
_INT8_SPANS = (("sign", 0, 1), ("value", 1, 7))


def _spans(fmt: str) -> tuple[tuple[str, int, int], ...]:
    if fmt == "nf4":
        return _NF4_SPANS
    if fmt in ("int8", "scale_int8"):
        return _INT8_SPANS
    from course_utils.bits import get_format

    return tuple(get_format(fmt).field_spans)


@dataclass(frozen=True)
class BlockView:
    """One block, element by element (Lesson 6). Made by :func:`block_view`.

    Attributes:
        scheme: ``"mx"``, ``"nvfp4"`` or ``"nf4"``; fmt: the element format.
        index: the block's number among all blocks (row-major).
        x: the block's real values (float64); x_hat: their dequantized values.
        codes: the element codes (ints); n_bits: bits per element code;
        spans: the fields of an element code, ``(name, first bit, width)``
            (NF4's code is an ``index`` into its codebook).
        elements: each element's value before scaling (fp4 value, NF4 level).
        scale: the factor the block's elements are multiplied by.
        scale_fmt: how the scale is stored (``e8m0``, ``fp8_e4m3fn``, ``fp32``);
        scale_code: its stored bits as an int; scale_bits: how many;
        scale_spans: its fields.
        tensor_scale: NVFP4's per-tensor float32 scale (``scale`` includes it).
        grid: every value ``x_hat`` can take in this block (sorted, finite).
        element_max: the element format's largest value.
    """

    scheme: str
    fmt: str
    index: int
    x: Tensor
    x_hat: Tensor
    codes: tuple[int, ...]
    n_bits: int
    spans: tuple[tuple[str, int, int], ...]
    elements: Tensor
    scale: float
    scale_fmt: str
    scale_code: int
    scale_bits: int
    scale_spans: tuple[tuple[str, int, int], ...]
    tensor_scale: float | None
    grid: Tensor
    element_max: float

    @property
    def error(self) -> Tensor:
        """``x - x_hat`` of every element (float64)."""
        return self.x - self.x_hat

    @property
    def amax(self) -> float:
        """The block's largest ``|x|``."""
        return float(self.x.abs().max()) if self.x.numel() else 0.0

    @property
    def clipped(self) -> bool:
        """Whether the largest ``|x| / scale`` is beyond the largest element."""
        return self.scale > 0 and self.amax / self.scale > self.element_max

    def bits(self, i: int) -> str:
        """Element ``i``'s code as a bit string (most significant bit first)."""
        return format(self.codes[i], f"0{self.n_bits}b")

    def scale_bit_string(self) -> str:
        """The stored scale's bits (most significant first)."""
        return format(self.scale_code, f"0{self.scale_bits}b")

    def scale_name(self) -> str:
        """How the scale reads, e.g. ``"2**-3 (e8m0 code 124)"``."""
        if self.scale_fmt == "e8m0":
            if self.scale_code == 255:
                return "NaN (e8m0 code 255)"
            return f"2**{self.scale_code - 127} (e8m0 code {self.scale_code})"
        if self.scale_fmt == "fp8_e4m3fn":
            s = self.scale / (self.tensor_scale or 1.0)
            extra = (f" x tensor scale {self.tensor_scale:.4g}"
                     if self.tensor_scale is not None else "")
            return f"{s:.6g} (e4m3 code {self.scale_code}){extra}"
        return f"{self.scale:.6g} (float32 absmax)"


def _scale_of(bq: BlockQuantized, index: int) -> tuple[float, int, str]:
    """The block's factor, its stored bits as an int, and their format."""
    stored = bq.scales.reshape(-1)[index]
    if bq.scheme == "mx":
        code = int(stored)
        factor = float("nan") if code == 255 else 2.0 ** (code - 127)
        return factor, code, "e8m0"
    if bq.scheme == "nvfp4":
        code = int(stored)
        factor = float(stored.view(torch.float8_e4m3fn).float())
        if bq.tensor_scale is not None:
            factor = float(bq.tensor_scale * torch.tensor(factor))
        return factor, code, "fp8_e4m3fn"
    value = stored.reshape(1).to(torch.float32)
    return float(value), int(value.view(torch.int32)) & 0xFFFFFFFF, "fp32"


def block_view(x: Tensor, bq: BlockQuantized, index: int = 0) -> BlockView:
    """Block ``index`` (counted row-major over all blocks) of ``bq``, made from ``x``.

    Lesson 6. NF4 with double quantization is not shown block by block (its
    scale is a code of a second quantization): a ValueError says so.

    >>> from course_utils.blocks import mx_quantize
    >>> x = torch.tensor([[0.5, -1.0, 3.0, 7.5]])
    >>> v = block_view(x, mx_quantize(x, block_size=4))
    >>> v.bits(3), v.x_hat.tolist(), v.scale_name(), v.clipped
    ('0111', [0.5, -1.0, 3.0, 6.0], '2**0 (e8m0 code 127)', True)
    """
    if not isinstance(bq, BlockQuantized):
        raise TypeError(f"bq must be a BlockQuantized, got {type(bq).__name__}")
    if not isinstance(x, Tensor) or tuple(x.shape) != tuple(bq.shape):
        raise ValueError(f"x must be the tensor bq was made from, of shape "
                         f"{tuple(bq.shape)}")
    if bq.scale_factor is not None:
        raise ValueError("double-quantized NF4 is not shown block by block: its "
                         "scales are codes of a second quantization")
    n_blocks = bq.codes.numel() // bq.block_size
    if isinstance(index, bool) or not isinstance(index, int) or not (
            0 <= index < n_blocks):
        raise ValueError(f"index must be an int in [0, {n_blocks}), got {index!r}")
    bs = bq.block_size
    rows = slice(index, index + 1)
    codes = bq.codes.reshape(-1, bs)[rows].reshape(-1)
    x_hat = bq.dequantize().reshape(-1, bs)[rows].reshape(-1).double()
    factor, scale_code, scale_fmt = _scale_of(bq, index)
    if bq.scheme == "nf4":
        from course_utils.blocks.nf4 import NF4_CODEBOOK

        table = torch.tensor(NF4_CODEBOOK, dtype=torch.float64)
        elements, element_max = table[codes.long()], 1.0
    else:
        table = element_grid(bq.fmt)
        elements = decode_elements(codes, bq.fmt).double()
        element_max = float(table[torch.isfinite(table)].max())
    finite = table[torch.isfinite(table)]
    grid = torch.unique(finite * factor) if factor == factor else finite[:0]
    return BlockView(
        scheme=bq.scheme, fmt=bq.fmt, index=index,
        x=x.detach().reshape(-1, bs)[rows].reshape(-1).double(), x_hat=x_hat,
        codes=tuple(int(c) for c in codes), n_bits=bq.n_bits, spans=_spans(bq.fmt),
        elements=elements, scale=factor, scale_fmt=scale_fmt, scale_code=scale_code,
        scale_bits={"e8m0": 8, "fp8_e4m3fn": 8, "fp32": 32}[scale_fmt],
        scale_spans=_spans(scale_fmt),
        tensor_scale=None if bq.tensor_scale is None else float(bq.tensor_scale),
        grid=grid, element_max=element_max)
