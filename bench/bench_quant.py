"""Speed of course_utils.quant against named torch baselines (issue 2, section 5).

Ratios (ours / baseline, median of interleaved repeats in one run; lower is better):

- ``per_channel_int8_ratio``: ``quantize(x, 8, granularity="per_channel")`` then
  ``.dequantize()`` of a 4096x4096 float32 tensor (scales included) over
  ``torch.fake_quantize_per_channel_affine`` with its scales computed from per-row
  min/max (the faster of ``torch.aminmax(dim=1)`` and ``amin`` + ``amax``).
  Goal <= 1.0.
- ``pack_int4_ratio``: ``unpack(pack(q, 4), 4, n)`` of 16M codes over
  ``q.clone()`` of the same uint8 tensor. Goal <= 10.

Run: .venv/bin/python bench/bench_quant.py
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from timing import interleaved, machine_line  # bench/timing.py

from course_utils import packing, quant

REPEATS = 9


def _interleaved(fns: dict[str, Callable[[], object]], repeats: int = REPEATS
                 ) -> dict[str, float]:
    return interleaved(fns, repeats)


def _torch_qparams(x_min: torch.Tensor, x_max: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """torch observers' asymmetric int8 scale and zero point."""
    lo, hi = x_min.clamp(max=0), x_max.clamp(min=0)
    scale = (hi - lo) / 255.0
    zero_point = (-128 - torch.round(lo / scale)).clamp(-128, 127).to(torch.int32)
    return scale, zero_point


def bench_per_channel(rows: int = 4096, cols: int = 4096) -> dict[str, float]:
    """Per-channel int8 quantize + dequantize against torch's fake quantize."""
    torch.manual_seed(0)
    x = torch.randn(rows, cols)

    def ours():
        return quant.quantize(x, 8, granularity="per_channel", axis=0).dequantize()

    def torch_aminmax():
        x_min, x_max = torch.aminmax(x, dim=1)
        scale, zp = _torch_qparams(x_min, x_max)
        return torch.fake_quantize_per_channel_affine(x, scale, zp, 0, -128, 127)

    def torch_amin_amax():
        scale, zp = _torch_qparams(x.amin(dim=1), x.amax(dim=1))
        return torch.fake_quantize_per_channel_affine(x, scale, zp, 0, -128, 127)

    t = _interleaved({"ours": ours, "aminmax": torch_aminmax,
                      "amin_amax": torch_amin_amax})
    base = min(t["aminmax"], t["amin_amax"])
    # not a timing: how far the default (true division) is from torch's kernel
    differ = int((ours() != torch_amin_amax()).sum())
    exact = quant.quantize(x, 8, granularity="per_channel", reciprocal=True)
    differ_recip = int((exact.dequantize() != torch_amin_amax()).sum())
    ratio = t["ours"] / base
    print(f"per-channel int8 q+dq {rows}x{cols} fp32: ours {t['ours'] * 1e3:.1f} ms, "
          f"torch fake_quantize_per_channel_affine + aminmax "
          f"{t['aminmax'] * 1e3:.1f} ms, + amin/amax {t['amin_amax'] * 1e3:.1f} ms")
    print(f"  x_hat values differing from torch: {differ} of {x.numel()} "
          f"(division), {differ_recip} (reciprocal=True)")
    print(f"  ratio: {ratio:.2f}  (goal <= 1.0)")
    return {"quant_per_channel_int8_ratio": ratio}


def bench_pack(n: int = 1 << 24) -> dict[str, float]:
    """int4 pack + unpack against a plain copy of the codes."""
    torch.manual_seed(0)
    q = torch.randint(0, 16, (n,), dtype=torch.uint8)
    assert torch.equal(packing.unpack(packing.pack(q, 4), 4, n), q)
    t = _interleaved({"ours": lambda: packing.unpack(packing.pack(q, 4), 4, n),
                      "clone": q.clone})
    ratio = t["ours"] / t["clone"]
    print(f"int4 pack+unpack of {n} codes: ours {t['ours'] * 1e3:.1f} ms, "
          f"clone {t['clone'] * 1e3:.1f} ms")
    print(f"  ratio: {ratio:.2f}  (goal <= 10)")
    return {"quant_pack_int4_ratio": ratio}


def main() -> dict[str, float]:
    """Run both benchmarks; return their ratios."""
    print(machine_line())
    results = bench_per_channel()
    results.update(bench_pack())
    return results


if __name__ == "__main__":
    main()
