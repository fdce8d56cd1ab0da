"""torchao's MX, NVFP4 and NF4 kernels, imported quietly, as codes we can compare.

Lesson 6 and the tests compare :mod:`course_utils.blocks` with torchao (pinned to
0.18.0 in ``constraints.txt``). Importing torchao on a CPU-only machine logs
"Failed to load ... .so" for its CUDA extensions and torch warns about
deprecated pytree registrations; :func:`torchao_mx` silences both, once, and
leaves the logging levels as they were. Every function returns plain uint8
codes laid out as :class:`~course_utils.blocks.BlockQuantized` holds them.

torchao is optional: without it these functions raise ImportError with the
install command.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import warnings
from collections.abc import Iterator
from types import SimpleNamespace

import torch
from torch import Tensor

__all__ = ["torchao_mx", "torchao_mx_codes", "torchao_nf4_codes",
           "torchao_nvfp4_codes"]

TORCHAO_PIN = "torchao==0.18.0"
_LOGGERS = ("torchao", "torch.utils._pytree")


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence torchao's import-time log lines and warnings inside the block."""
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.CRITICAL)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


@functools.cache
def torchao_mx() -> SimpleNamespace:
    """torchao's ``MXTensor``, ``NVFP4Tensor``, ``ScaleCalculationMode``, ``to_nf4``.

    Raises:
        ImportError: torchao is not installed (``pip install torchao==0.18.0``).
    """
    try:
        with quiet():
            mx = importlib.import_module("torchao.prototype.mx_formats.mx_tensor")
            nv = importlib.import_module("torchao.prototype.mx_formats.nvfp4_tensor")
            cfg = importlib.import_module("torchao.prototype.mx_formats.config")
            nf4 = importlib.import_module(
                "torchao.quantization.quantize_.workflows.nf4.nf4_tensor")
            torchao = importlib.import_module("torchao")
    except ImportError as err:
        raise ImportError(f"torchao is needed for this comparison: pip install "
                          f"{TORCHAO_PIN} (with -c constraints.txt)") from err
    return SimpleNamespace(MXTensor=mx.MXTensor, NVFP4Tensor=nv.NVFP4Tensor,
                           per_tensor_amax_to_scale=nv.per_tensor_amax_to_scale,
                           ScaleCalculationMode=cfg.ScaleCalculationMode,
                           to_nf4=nf4.to_nf4, version=torchao.__version__)


_TORCHAO_ELEM = {"fp8_e4m3fn": "float8_e4m3fn", "fp8_e5m2": "float8_e5m2",
                 "fp6_e2m3": "fp6_e2m3", "fp6_e3m2": "fp6_e3m2",
                 "fp4_e2m1": "float4_e2m1fn_x2"}


def torchao_mx_codes(x: Tensor, elem: str = "fp4_e2m1", block_size: int = 32,
                     scale_rounding: str = "floor") -> tuple[Tensor, Tensor, Tensor]:
    """torchao ``MXTensor.to_mx``: (element codes, e8m0 codes, its dequantize()).

    Codes are uint8 in our layout (fp4 unpacked, low nibble first).

    >>> codes, scales, x_hat = torchao_mx_codes(torch.ones(1, 32))
    >>> codes[0, :2].tolist(), scales.tolist(), x_hat[0, 0].item()  # 1 = 4 * 2**-2
    ([6, 6], [[125]], 1.0)
    """
    ao = torchao_mx()
    name = _TORCHAO_ELEM[elem]
    elem_dtype = getattr(torch, name, name)
    mode = getattr(ao.ScaleCalculationMode, scale_rounding.upper())
    with quiet():
        t = ao.MXTensor.to_mx(x.contiguous(), elem_dtype, block_size, mode)
        x_hat = t.dequantize(torch.float32)
    q = t.qdata.view(torch.uint8)
    if elem == "fp4_e2m1":
        q = torch.stack((q & 0x0F, q >> 4), dim=-1).reshape(x.shape)
    return q.reshape(x.shape), t.scale.view(torch.uint8), x_hat


def torchao_nvfp4_codes(x: Tensor, tensor_scale: Tensor | None = None
                        ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """torchao ``NVFP4Tensor.to_nvfp4``: (codes, e4m3 codes, packed qdata, x_hat)."""
    ao = torchao_mx()
    with quiet():
        t = ao.NVFP4Tensor.to_nvfp4(x.contiguous(), per_tensor_scale=tensor_scale)
        x_hat = t.dequantize(torch.float32)
    packed = t.qdata.view(torch.uint8)
    codes = torch.stack((packed & 0x0F, packed >> 4), dim=-1).reshape(x.shape)
    return codes, t.scale.view(torch.uint8), packed, x_hat


def torchao_nf4_codes(x: Tensor, block_size: int = 64, scale_block_size: int = 256
                      ) -> SimpleNamespace:
    """torchao ``to_nf4`` (always double-quantized): its codes and scales."""
    ao = torchao_mx()
    with quiet():
        t = ao.to_nf4(x.contiguous(), block_size, scale_block_size)
        x_hat = t.get_original_weight()
    packed = t.quantized_data
    codes = torch.stack((packed >> 4, packed & 0x0F), dim=-1).reshape(x.shape)
    return SimpleNamespace(codes=codes, packed=packed, scales=t.quantized_scalers,
                           factor=t.quantization_factor, mean=t.scaler_mean,
                           x_hat=x_hat)
