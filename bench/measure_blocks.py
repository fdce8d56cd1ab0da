"""Print lesson 6's numbers: torchao agreement counts and the MiniLM tables.

1. How many codes and scales of course_utils.blocks equal torchao 0.18's, per
   element format and scale rounding, on the adversarial cases of
   ``course_utils.blocks.agreement`` (and where they differ, under which quirk).
2. FLOOR against RCEIL for MXFP4 on MiniLM's linear weights: clipped blocks, MSE.
3. MXFP4, NVFP4, NF4 (+ double quantization), per-group int4: bits per value,
   weight MSE, embedding cosine to fp32.

Run: .venv/bin/python bench/measure_blocks.py   (about a minute)
"""

from __future__ import annotations

import time

import torch

from course_utils import models
from course_utils.blocks import ELEMENT_FORMATS
from course_utils.blocks.agreement import (
    cases,
    compare_mx,
    compare_nf4,
    compare_nvfp4,
    nf4_cases,
)
from course_utils.blocks.measure import clipping, compare_schemes


def _total(results: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in results:
        for k, v in r.items():
            out[k] = out.get(k, 0) + v
    return out


def agreement() -> None:
    """Agreement counts with torchao, per format and mode."""
    print("== agreement with torchao (codes, scales compared; quirk = blocks)")
    print(f"{'format':<12}{'mode':<7}{'codes equal':>22}{'scales equal':>18}  quirks")
    for elem in [e for e in ELEMENT_FORMATS if e != "int8"]:
        for mode in ("floor", "rceil"):
            t = _total([compare_mx(x, elem, 32, mode) for x in cases(elem).values()])
            quirks = {k: v for k, v in t.items() if k not in (
                "values", "blocks", "codes_equal", "scales_equal", "x_hat_equal",
                "unexplained") and v}
            print(f"{elem:<12}{mode:<7}{t['codes_equal']:>12}/{t['values']:<9}"
                  f"{t['scales_equal']:>9}/{t['blocks']:<8} {quirks} "
                  f"unexplained={t['unexplained']}")
    for ts in (None, "amax"):
        t = _total([compare_nvfp4(x, ts) for x in cases("fp4_e2m1", 16,
                                                        specials=False).values()])
        print(f"{'nvfp4':<12}{str(ts):<7}{t['codes_equal']:>12}/{t['values']:<9}"
              f"{t['scales_equal']:>9}/{t['blocks']:<8} packed bytes "
              f"{t['packed_equal']}, x_hat {t['x_hat_equal']}, "
              f"unexplained={t['unexplained']}")
    t = _total([compare_nf4(x) for x in nf4_cases().values()])
    print(f"{'nf4 (dq)':<12}{'':<7}{t['codes_equal']:>12}/{t['values']:<9}"
          f"{t['scales_equal']:>9}/{t['blocks']:<8} zero-block codes "
          f"{t['zero_block']}, 4-decimal codebook {t['codebook_4_decimals']}, "
          f"factors {t['factors_equal']}, mean {t['mean_equal']}, "
          f"unexplained={t['unexplained']}")


def lesson_tables() -> None:
    """The MiniLM tables."""
    model, tokenizer = models.load_model(), models.load_tokenizer()
    print("== MXFP4 scale rounding on MiniLM's linear weights")
    for rounding, r in clipping(model).items():
        print(f"{rounding:<6} blocks {r['blocks']}, largest |w| above 6 (stored as 6) "
              f"{100 * r['clipped_fraction']:.2f}%, above 7 "
              f"{100 * r['saturated_fraction']:.2f}%, weight MSE {r['mse']:.4e}, "
              f"MSE of each block's largest value {r['amax_mse']:.4e}")
    print("== block formats on MiniLM (every encoder/pooler linear weight replaced)")
    print(f"{'scheme':<26}{'bits/value':>11}{'weight MSE':>13}{'cosine mean':>13}"
          f"{'cosine min':>12}")
    for name, r in compare_schemes(model, tokenizer).items():
        print(f"{name:<26}{r['bits_per_value']:>11.4f}{r['mse']:>13.4e}"
              f"{r['cosine_mean']:>13.6f}{r['cosine_min']:>12.6f}")


def main() -> None:
    """Print both: the agreement counts, then the MiniLM tables."""
    start = time.perf_counter()
    torch.manual_seed(0)
    agreement()
    lesson_tables()
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
