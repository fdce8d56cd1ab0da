"""Block-scaled quantization: MX, NVFP4 and NF4 kernels (Lesson 6).

A small element format plus one shared scale per block of the last axis:

- ``mx_quantize``: OCP Microscaling (MXFP8, MXFP6, MXFP4, MXINT8), 32 elements
  per power-of-two e8m0 scale (``course_utils.blocks.mx``);
- ``nvfp4_quantize``: NVIDIA's NVFP4, fp4 e2m1 in blocks of 16 with an fp8 e4m3
  scale and an optional float32 per-tensor scale (``course_utils.blocks.nvfp4``);
- ``nf4_quantize``: QLoRA's 4-bit NormalFloat, absmax per block of 64 and optional
  double quantization of the absmax values (``course_utils.blocks.nf4``).

All three return a :class:`BlockQuantized` (``codes``, ``scales``, ``dequantize()``,
``packed()``, ``nbytes``, ``bits_per_value()``).

>>> import torch
>>> x = torch.linspace(-1, 1, 64).reshape(1, 64)
>>> [round(f(x).bits_per_value(), 3) for f in (mx_quantize, nvfp4_quantize)]
[4.25, 4.5]
"""

from course_utils.blocks.container import SCHEMES, BlockQuantized
from course_utils.blocks.elements import ELEMENT_FORMATS, element_format, element_grid
from course_utils.blocks.mx import SCALE_ROUNDINGS, mx_quantize, shared_exponent
from course_utils.blocks.nf4 import NF4_CODEBOOK, nf4_quantize
from course_utils.blocks.nvfp4 import nvfp4_quantize

__all__ = [
    "ELEMENT_FORMATS", "NF4_CODEBOOK", "SCALE_ROUNDINGS", "SCHEMES", "BlockQuantized",
    "element_format", "element_grid", "mx_quantize", "nf4_quantize",
    "nvfp4_quantize", "shared_exponent",
]
