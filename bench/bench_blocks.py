"""Speed of course_utils.blocks' MXFP4 kernel against torchao's, in one run.

Ratio (ours / baseline, median of interleaved repeats; lower is better):

- ``blocks_mxfp4_ratio``: ``mx_quantize(x, "fp4_e2m1")`` then ``.dequantize()`` of a
  4096x4096 float32 tensor (FLOOR scales) over torchao 0.18's CPU
  ``MXTensor.to_mx(x, torch.float4_e2m1fn_x2, 32)`` then ``.dequantize()``: both
  produce packed-or-unpacked codes plus e8m0 scales, then x_hat, so quantize plus
  dequantize is the like-for-like round trip. Quantize alone and dequantize alone
  are printed too. Goal <= 1.0.

Run: .venv/bin/python bench/bench_blocks.py
"""

from __future__ import annotations

import torch
from timing import interleaved, machine_line  # bench/timing.py

from course_utils.blocks import mx_quantize
from course_utils.blocks.reference import quiet, torchao_mx

REPEATS = 9


def bench_mxfp4(rows: int = 4096, cols: int = 4096) -> dict[str, float]:
    """MXFP4 quantize + dequantize: ours against torchao's CPU path."""
    ao = torchao_mx()
    torch.manual_seed(0)
    x = torch.randn(rows, cols)
    fp4 = torch.float4_e2m1fn_x2

    def ours_q():
        return mx_quantize(x, "fp4_e2m1")

    def ao_q():
        return ao.MXTensor.to_mx(x, fp4, 32)

    bq, t = ours_q(), ao_q()
    assert torch.equal(bq.packed(), t.qdata.view(torch.uint8).reshape(-1))
    assert torch.equal(bq.dequantize(), t.dequantize(torch.float32))
    with quiet():
        times = interleaved({
            "ours": lambda: ours_q().dequantize(),
            "torchao": lambda: ao_q().dequantize(torch.float32),
            "ours_q": ours_q, "torchao_q": ao_q,
            "ours_dq": bq.dequantize, "torchao_dq": lambda: t.dequantize(torch.float32),
        }, REPEATS)
    ratio = times["ours"] / times["torchao"]
    ms = {k: v * 1e3 for k, v in times.items()}
    print(f"MXFP4 {rows}x{cols} fp32, quantize + dequantize: ours {ms['ours']:.1f} ms, "
          f"torchao {ao.version} to_mx + dequantize {ms['torchao']:.1f} ms")
    print(f"  quantize: ours {ms['ours_q']:.1f} ms, torchao {ms['torchao_q']:.1f} ms; "
          f"dequantize: ours {ms['ours_dq']:.1f} ms, torchao {ms['torchao_dq']:.1f} ms")
    print("  codes, scales and x_hat identical to torchao's for this tensor")
    print(f"  ratio: {ratio:.2f}  (goal <= 1.0)")
    return {"blocks_mxfp4_ratio": ratio}


def main() -> dict[str, float]:
    """Run the benchmark; return its ratio."""
    print(machine_line())
    return bench_mxfp4()


if __name__ == "__main__":
    main()
