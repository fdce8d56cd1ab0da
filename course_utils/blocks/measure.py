"""Lesson 6's measurements: block formats on MiniLM's real linear weights.

Lesson 6: Block-scaled formats. Every ``nn.Linear`` weight of the encoder and the
pooler of the packaged all-MiniLM-L6-v2 is quantized along its input axis (the
last axis, as the formats' hardware reads it) and dequantized:

- :func:`clipping`: FLOOR against RCEIL for MXFP4: the fraction of blocks whose
  largest ``|w|`` lands above fp4's 6 after scaling (and is stored as +-6), and
  the weight MSE of each;
- :func:`compare_schemes`: MXFP4, NVFP4, NF4 (with and without double
  quantization) and per-group int4 (``course_utils.quant``, symmetric, group 32
  and 64): storage bits per value, weight MSE, and the cosine similarity of the
  sentence embeddings to fp32's when every linear weight is replaced by its
  dequantized version.

``bench/measure_blocks.py`` prints both tables. transformers is imported only here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import Tensor, nn

from course_utils.blocks.mx import mx_quantize, shared_exponent
from course_utils.blocks.nf4 import nf4_quantize
from course_utils.blocks.nvfp4 import nvfp4_quantize
from course_utils.examples import SENTENCES

__all__ = ["clipping", "compare_schemes", "linear_weights", "schemes"]


# name -> function(w) returning (x_hat, storage bits)
Scheme = Callable[[Tensor], tuple[Tensor, int]]


def linear_weights(model: nn.Module) -> dict[str, nn.Linear]:
    """Every ``nn.Linear`` of the model's encoder and pooler, by qualified name.

    >>> from course_utils import models
    >>> layers = linear_weights(models.load_model())
    >>> len(layers), tuple(layers["encoder.layer.0.intermediate.dense"].weight.shape)
    (37, (1536, 384))
    """
    parts = [(p, getattr(model, p, None)) for p in ("encoder", "pooler")]
    return {f"{prefix}.{name}": m for prefix, part in parts if part is not None
            for name, m in part.named_modules() if isinstance(m, nn.Linear)}


def _block(fn: Callable[[Tensor], object]) -> Scheme:
    def run(w: Tensor) -> tuple[Tensor, int]:
        bq = fn(w)
        return bq.dequantize(), 8 * bq.nbytes
    return run


def _int4(group_size: int) -> Scheme:
    from course_utils import quant

    def run(w: Tensor) -> tuple[Tensor, int]:
        qt = quant.quantize(w, 4, symmetric=True, granularity="per_group",
                            group_size=group_size)
        # 4-bit codes plus one float32 scale per group (the zero points are 0)
        return qt.dequantize(), 4 * w.numel() + 32 * qt.scale.numel()
    return run


def schemes() -> dict[str, Scheme]:
    """The compared schemes, by the name the lesson's table shows.

    >>> list(schemes())[:3]
    ['MXFP4 (FLOOR)', 'MXFP4 (RCEIL)', 'NVFP4']
    """
    return {
        "MXFP4 (FLOOR)": _block(lambda w: mx_quantize(w, "fp4_e2m1", 32, "floor")),
        "MXFP4 (RCEIL)": _block(lambda w: mx_quantize(w, "fp4_e2m1", 32, "rceil")),
        "NVFP4": _block(lambda w: nvfp4_quantize(w, tensor_scale="amax")),
        "NVFP4 (no tensor scale)": _block(nvfp4_quantize),
        "NF4": _block(nf4_quantize),
        "NF4 + double quant": _block(lambda w: nf4_quantize(w, double_quant=True)),
        "int4 per-group 32": _int4(32),
        "int4 per-group 64": _int4(64),
    }


def clipping(model: nn.Module) -> dict[str, dict[str, float]]:
    """FLOOR against RCEIL for MXFP4 on the model's linear weights.

    Returns, per rounding: ``blocks``, ``clipped_fraction`` (blocks whose
    ``amax / scale`` exceeds 6, so their largest value is stored as +-6),
    ``saturated_fraction`` (those above 7, the midpoint to the 8 that one more
    binade would hold: there clamping, not rounding, sets the value),
    ``mse`` (mean of ``(w - w_hat)**2`` over all weights) and
    ``amax_mse`` (the same over each block's largest value only).
    """
    out = {}
    for rounding in ("floor", "rceil"):
        blocks = clipped = saturated = n = 0
        sq = amax_sq = 0.0
        for layer in linear_weights(model).values():
            w = layer.weight.detach().float()
            bq = mx_quantize(w, "fp4_e2m1", 32, rounding)
            wb = w.reshape(-1, 32)
            amax = wb.abs().amax(dim=1)
            e, _ = shared_exponent(amax, "fp4_e2m1", rounding)
            ratio = amax * torch.exp2(-e.float())          # exact: a power of two
            clipped += int((ratio > 6.0).sum())
            saturated += int((ratio > 7.0).sum())
            blocks += amax.numel()
            err = (w - bq.dequantize()).reshape(-1, 32).double() ** 2
            sq += float(err.sum())
            n += w.numel()
            at = wb.abs().argmax(dim=1, keepdim=True)
            amax_sq += float(err.gather(1, at).sum())
        out[rounding] = {"blocks": blocks, "clipped_fraction": clipped / blocks,
                         "saturated_fraction": saturated / blocks,
                         "mse": sq / n, "amax_mse": amax_sq / blocks}
    return out


def _replaced(model: nn.Module, scheme: Scheme) -> tuple[nn.Module, float, float]:
    """A copy of ``model`` with dequantized linear weights; its MSE and bits/value."""
    m = copy.deepcopy(model)
    sq = 0.0
    n = bits = 0
    with torch.no_grad():
        for layer in linear_weights(m).values():
            w = layer.weight.detach()
            w_hat, n_bits = scheme(w.float())
            sq += float(((w.double() - w_hat.double()) ** 2).sum())
            n += w.numel()
            bits += n_bits
            layer.weight.copy_(w_hat.to(w.dtype))
    return m, sq / n, bits / n


def compare_schemes(model: nn.Module, tokenizer, sentences: list[str] | None = None
                    ) -> dict[str, dict[str, float]]:
    """Bits per value, weight MSE and embedding cosine of each scheme.

    Returns, per scheme name (and ``"fp32"``): ``bits_per_value``, ``mse``,
    ``cosine_mean`` and ``cosine_min`` (embeddings of ``sentences`` against the
    fp32 model's, :func:`course_utils.models.compare_outputs`).
    """
    from course_utils import models

    sentences = SENTENCES if sentences is None else sentences
    reference = models.embed(model, tokenizer, sentences)
    rows = {"fp32": {"bits_per_value": 32.0, "mse": 0.0, "cosine_mean": 1.0,
                     "cosine_min": 1.0}}
    for name, scheme in schemes().items():
        m, mse, bits = _replaced(model, scheme)
        cmp = models.compare_outputs(reference, models.embed(m, tokenizer, sentences))
        rows[name] = {"bits_per_value": bits, "mse": mse,
                      "cosine_mean": cmp["cosine_mean"],
                      "cosine_min": cmp["cosine_min"]}
    return rows
