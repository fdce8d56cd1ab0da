"""The result of block-scaled quantization: element codes, scale codes, storage.

Lesson 6: Block-scaled formats. One class for MX, NVFP4 and NF4, so that the
lesson can put them side by side: ``codes`` (one element code per value),
``scales`` (one stored scale per block, as the bits that are stored),
``dequantize()``, ``packed()``, ``nbytes`` and ``bits_per_value()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from course_utils.blocks.elements import pack_codes

#: ``x_hat`` of each scheme, registered by the module that quantizes it (so this
#: module imports none of them).
DEQUANTIZERS: dict[str, Callable[[BlockQuantized], Tensor]] = {}

__all__ = ["SCHEMES", "BlockQuantized"]

#: The schemes a :class:`BlockQuantized` can hold.
SCHEMES = ("mx", "nvfp4", "nf4")


@dataclass(frozen=True, repr=False)
class BlockQuantized:
    """Element codes plus one scale per block of the last axis (Lesson 6).

    Made by :func:`~course_utils.blocks.mx_quantize`,
    :func:`~course_utils.blocks.nvfp4_quantize` and
    :func:`~course_utils.blocks.nf4_quantize`.

    Attributes:
        codes: uint8, the shape of ``x``: one element code per value (fp4/NF4
            codes 0-15, fp6 0-63, fp8 0-255; MXINT8: the two's complement byte
            of ``q``, so ``codes.view(torch.int8)`` is ``q``).
        scales: one entry per block, shape ``(*x.shape[:-1], n_blocks)``, as
            stored: uint8 e8m0 codes (MX; ``2**(code - 127)``, 255 = NaN), uint8
            ``fp8_e4m3fn`` codes (NVFP4), float32 absmax (NF4) or, with NF4's
            double quantization, int8 codes of ``absmax - scale_mean``.
        scheme: ``"mx"``, ``"nvfp4"`` or ``"nf4"``.
        fmt: element format: ``"fp4_e2m1"``, ``"fp8_e4m3fn"``, ..., ``"int8"``,
            or ``"nf4"``.
        block_size: values per block (along the last axis).
        scale_fmt: ``"e8m0"``, ``"fp8_e4m3fn"``, ``"fp32"`` or ``"int8"``.
        dtype: dtype of ``x`` (and of ``dequantize()``).
        scale_rounding: MX only: ``"floor"`` or ``"rceil"``.
        tensor_scale: NVFP4 only: the float32 per-tensor scale (0-d), or None.
        scale_factor: NF4 double quantization only: float32, one per group of
            ``scale_block_size`` scales: ``128 / max|absmax - scale_mean|``.
        scale_mean: NF4 double quantization only: the float32 mean of absmax.
        scale_block_size: NF4 double quantization only: scales per group (256).

    >>> from course_utils.blocks import mx_quantize
    >>> bq = mx_quantize(torch.tensor([[0.5, -1.0, 3.0, 6.5]]), block_size=4)
    >>> bq
    BlockQuantized(mx, fp4_e2m1, shape=(1, 4), block_size=4, scales e8m0, floor)
    >>> bq.codes.tolist(), bq.scales.tolist()   # scale 2**(127 - 127) = 1
    ([[1, 10, 5, 7]], [[127]])
    >>> bq.dequantize()
    tensor([[ 0.5000, -1.0000,  3.0000,  6.0000]])
    >>> bq.nbytes, bq.bits_per_value()          # 2 bytes of codes + 1 scale
    (3, 6.0)
    """

    codes: Tensor
    scales: Tensor
    scheme: str
    fmt: str
    block_size: int
    scale_fmt: str
    dtype: torch.dtype = torch.float32
    scale_rounding: str | None = None
    tensor_scale: Tensor | None = None
    scale_factor: Tensor | None = None
    scale_mean: Tensor | None = None
    scale_block_size: int | None = None

    @property
    def shape(self) -> torch.Size:
        """Shape of ``x``."""
        return self.codes.shape

    @property
    def n_bits(self) -> int:
        """Bits per element code (4, 6 or 8)."""
        if self.scheme != "mx":
            return 4
        from course_utils.blocks.elements import element_format

        return element_format(self.fmt).n_bits

    @property
    def pack_order(self) -> str:
        """Nibble order of :meth:`packed` for 4-bit codes (torchao's, per scheme)."""
        return "high_first" if self.scheme == "nf4" else "low_first"

    def packed(self) -> Tensor:
        """The element codes packed as stored: 1-D uint8.

        4-bit codes: two per byte, element ``2i`` in the low nibble for MX and
        NVFP4 (torchao's ``MXTensor``/``NVFP4Tensor.qdata``), in the high nibble
        for NF4 (torchao's ``NF4Tensor.quantized_data``, bitsandbytes); fp6: four
        codes in three bytes; fp8/int8: one byte each.
        """
        return pack_codes(self.codes, self.n_bits, self.pack_order)

    def scale_nbytes(self) -> int:
        """Bytes of everything but the element codes (scales and their scales)."""
        extra = [self.tensor_scale, self.scale_factor, self.scale_mean]
        return self.scales.numel() * self.scales.element_size() + sum(
            t.numel() * t.element_size() for t in extra if t is not None)

    @property
    def nbytes(self) -> int:
        """Bytes of storage: packed element codes plus all scales."""
        n = self.codes.numel()
        code_bytes = -(-n * self.n_bits // 8) if self.n_bits != 6 else -(-n // 4) * 3
        return code_bytes + self.scale_nbytes()

    def bits_per_value(self) -> float:
        """Storage bits per value, scales included (e.g. 4.25 for MXFP4)."""
        return 8 * self.nbytes / self.codes.numel()

    def dequantize(self) -> Tensor:
        """``x_hat``: each element's value times its block's scale, in ``dtype``."""
        return DEQUANTIZERS[self.scheme](self)

    def __repr__(self) -> str:
        extra = f", {self.scale_rounding}" if self.scale_rounding else ""
        if self.tensor_scale is not None:
            extra += ", tensor_scale"
        if self.scale_factor is not None:
            extra += ", double_quant"
        return (f"BlockQuantized({self.scheme}, {self.fmt}, "
                f"shape={tuple(self.shape)}, block_size={self.block_size}, "
                f"scales {self.scale_fmt}{extra})")
