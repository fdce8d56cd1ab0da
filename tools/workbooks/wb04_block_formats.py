"""Workbook 04_block_formats: lesson 6 (block-scaled formats: MX, NVFP4, NF4)."""

from __future__ import annotations

from tools.workbooks.spec import Alternative, Answer, Given, Question, Text, Written

NAME = "04_block_formats"
TITLE = "Workbook 4: block-scaled formats"

INTRO = [Text("""
Conventions (those of lesson 6): **MXFP4**, from the OCP Microscaling (MX)
specification, with the spec's **FLOOR** rule for the scale.

* A **block** is 32 consecutive values along the last axis: each row of a
  matrix is cut into blocks of 32.
* Its elements are **fp4 e2m1** numbers: a sign bit and the magnitudes 0, 0.5,
  1, 1.5, 2, 3, 4, 6 (codes `000` to `111`; the last bit is the fraction bit).
* The block shares one scale `X = 2**E`, stored as an **e8m0** code `E + 127`
  (8 exponent bits, no sign, no fraction), with `E` from -127 to 127.
* FLOOR rule: `E = floor(log2(amax)) - emax`, where `amax = max |x|` over the
  block and `emax` is the exponent of the largest power of two the element
  format can hold. `E` is clamped to [-127, 127] (an all-zero block has
  `log2(0) = -inf`, so `E = -127`).
* Each element is `P = x / X` rounded to the nearest fp4 value; a value exactly
  halfway between two fp4 values goes to the one whose code is even (fraction
  bit 0: 1.25 lies between 1 = `010` and 1.5 = `011` and goes to 1), and values
  beyond ±6 **saturate** to ±6.
* Dequantized: `x_hat = X * P`.
""")]

#: Probe seeds only the hidden tests use (the self-check has its own).
HIDDEN_SEEDS = (101, 102, 103, 104, 105, 107)

#: The block of Part A (8 values, not 32, to keep the arithmetic short).
_BLOCK = "[0.8, -15.0, 2.25, 0.4, -0.03, 5.0, 1.1, -0.6]"
_HAND = f"""
import math

from course_utils.blocks import mx_quantize

block = torch.tensor([{_BLOCK}])
bq = mx_quantize(block, "fp4_e2m1", block_size=8, scale_rounding="floor")
E = int(bq.scales) - 127
x_hat = bq.dequantize()[0]
"""

#: Storage of each format of Part C: element bits, scale bits, values per scale
#: (not the formats whose storage lesson 6 works out: MXFP4, MXFP8, NVFP4, NF4).
_FORMATS = """
formats = {"mxfp6": (6, 8, 32), "mxint8": (8, 8, 32), "nf4_bf16": (4, 16, 64),
           "int4_g128": (4, 32, 128)}
elem_bits, scale_bits, block_size = formats["{part}"]
"""


def _element(name: str, index: int, hint: str, slip: Alternative) -> Question:
    return Question(
        name, "float", hint=hint, setup=_HAND, expected=f"x_hat[{index}].item()",
        mistakes=(slip, Alternative(
            "element_not_scaled", f"x_hat[{index}].item() / 2**E",
            "this is the fp4 element P: multiply it by the block's scale 2**E",
            "the fp4 element given instead of x_hat = 2**E * P")),
        visible=f"""
        from course_utils.answers import as_float

        assert -20 < as_float({name}) < 20, "a number of about the block's size"
        """)


ITEMS = [
    Text(f"""
    ## Part A: by hand

    **A1.** The block below holds 8 values (a real MX block holds 32; the rule is
    the same). Give, as integers or floats:

    * `hand_scale_code`: the e8m0 code of its shared scale (FLOOR rule, fp4
      e2m1 elements);
    * `hand_x_hat_largest`: the dequantized value `x_hat` of its element -15.0;
    * `hand_x_hat_tie`: the dequantized value `x_hat` of its element 5.0.

    `block = [{_BLOCK.strip("[]")}]`

    Work it out by hand first; you may check your arithmetic with Python.
    """),
    Answer("answer_by_hand", """
    ### BEGIN SOLUTION
    import math

    amax = 15.0                                  # max |x|: the -15.0
    E = math.floor(math.log2(amax)) - 2          # fp4's largest power of two: 4
    hand_scale_code = E + 127
    hand_x_hat_largest = -min(15.0 / 2**E, 6.0) * 2**E   # -7.5 saturates to -6
    hand_x_hat_tie = 2.0 * 2**E                  # 5 / 2 = 2.5: a tie, to even 2
    ### END SOLUTION
    print(hand_scale_code, hand_x_hat_largest, hand_x_hat_tie)
    """),
    Question(
        "hand_scale_code", "int",
        hint="E = floor(log2(amax)) - emax, with amax = max |x|; the code adds "
             "e8m0's bias",
        setup=_HAND, expected="E + 127",
        mistakes=(
            Alternative("exponent_not_code", "E",
                        "this is the exponent E: the e8m0 code adds its bias",
                        "E given instead of the code E + 127"),
            Alternative("no_emax", "math.floor(math.log2(15.0)) + 127",
                        "subtract fp4's emax (the exponent of the largest power "
                        "of two it holds) from floor(log2(amax))",
                        "emax not subtracted"),
            Alternative("log2_rounded_up", "math.ceil(math.log2(15.0)) - 2 + 127",
                        "log2(amax) was rounded up: the FLOOR rule rounds it down",
                        "ceil instead of floor (or the RCEIL rule)"),
            Alternative("max_not_abs", "math.floor(math.log2(5.0)) - 2 + 127",
                        "amax is the largest |x|, the most negative value counts "
                        "too", "max(x) instead of max(|x|)")),
        visible="""
        from course_utils.answers import as_int

        assert 0 <= as_int(hand_scale_code) <= 254, "an e8m0 code: 0 to 254"
        """),
    _element("hand_x_hat_largest", 1,
             "divide by the block's scale, round to fp4, mind the largest fp4 "
             "value, multiply back",
             Alternative("not_saturated", "-8.0 * 2**E",
                         "x / 2**E is beyond fp4's largest value: it saturates",
                         "the largest element not saturated")),
    _element("hand_x_hat_tie", 5,
             "divide by the block's scale, round to the nearest fp4 value "
             "(halfway: the even code), multiply back",
             Alternative("tie_up", "3.0 * 2**E",
                         "x / 2**E lies exactly halfway between two fp4 values: "
                         "it goes to the one with the even code",
                         "a tie rounded up instead of to even")),
    Text("""
    ## Part B: an MXFP4 kernel

    **B1.** Write `mxfp4_quantize(x)`. `x` is a float32 matrix whose number of
    columns is a multiple of 32. Cut every row into blocks of 32 and return the
    pair `(scale_codes, x_hat)`:

    * `scale_codes`: the e8m0 code `E + 127` of every block's scale, as
      integers (any integer or float dtype), one per block: shape
      `(rows, cols // 32)`;
    * `x_hat`: the dequantized values, a float tensor of the shape of `x`.

    Use Python and torch only (no loop over the elements: `reshape` makes the
    blocks). The check below runs your function; more blocks are used when the
    workbook is graded.
    """),
    Answer("answer_mxfp4_quantize", '''
    def mxfp4_quantize(x):
        """MXFP4 (FLOOR rule) of x, blocks of 32 along each row: (codes, x_hat)."""
        ### BEGIN SOLUTION
        rows, cols = x.shape
        blocks = x.reshape(rows, cols // 32, 32)
        amax = blocks.abs().amax(dim=-1, keepdim=True)
        # fp4's largest power of two is 4 = 2**2: emax = 2; log2 in float64 is
        # exact enough just below a power of two
        E = (torch.floor(torch.log2(amax.double())) - 2).clamp(-127, 127)
        scale = torch.exp2(E).float()
        y = blocks / scale
        # the fp4 grid's step: 0.5 below 2, 1 from 2 to 4, 2 above 4
        step = torch.where(y.abs() < 2, 0.5, torch.where(y.abs() < 4, 1.0, 2.0))
        P = (torch.round(y / step) * step).clamp(-6.0, 6.0)   # ties to even
        x_hat = (P * scale).reshape(rows, cols)
        return (E + 127).squeeze(-1).long(), x_hat
        ### END SOLUTION
    '''),
    Question(
        "mxfp4_quantize", "kernel", points=3,
        hint="reshape each row into blocks of 32, E = floor(log2(amax)) - emax, "
             "round x / 2**E to fp4 (ties to even, saturating), x_hat = 2**E * P",
        mistakes=("exponent_ceil", "rceil_rule", "no_emax", "emax_of_next_power",
                  "exponent_not_code", "wrong_axis", "not_saturated", "ties_down",
                  "not_scaled"),
        seeds=HIDDEN_SEEDS,
        visible="""
        from course_utils.probes import inputs
        from course_utils.tripwire import call_own

        (x,) = inputs("mxfp4_quantize")[0]
        result = call_own(mxfp4_quantize, x)
        assert isinstance(result, (tuple, list)) and len(result) == 2, (
            "return a pair (scale_codes, x_hat)")
        scale_codes, x_hat = result
        assert torch.as_tensor(scale_codes).numel() == x.numel() // 32, (
            "one scale code per block of 32")
        assert torch.as_tensor(x_hat).shape == x.shape, "x_hat has the shape of x"
        """),
    Text("""
    ## Part C: storage

    **C1.** How many bits of storage does each value take, **scales
    included**, in these formats? Give a dict `bits_per_value` with the keys
    `"mxfp6"`, `"mxint8"`, `"nf4_bf16"` and `"int4_g128"`:

    * `mxfp6`: MXFP6, fp6 (e2m3 or e3m2) elements, one e8m0 scale per block
      of 32;
    * `mxint8`: MXINT8, 8-bit integer elements, one e8m0 scale per block of
      32;
    * `nf4_bf16`: NF4 codes (4 bits), with the absmax of each block of 64
      stored as a bfloat16 instead of a float32;
    * `int4_g128`: lesson 5's symmetric int4 codes, one float32 scale per
      group of 128 (no zero points).
    """),
    Answer("answer_bits_per_value", """
    # bits_per_value = {"mxfp6": ..., "mxint8": ..., "nf4_bf16": ..., "int4_g128": ...}
    ### BEGIN SOLUTION
    bits_per_value = {
        "mxfp6": 6 + 8 / 32,
        "mxint8": 8 + 8 / 32,
        "nf4_bf16": 4 + 16 / 64,
        "int4_g128": 4 + 32 / 128,
    }
    ### END SOLUTION
    """),
    Question(
        "bits_per_value", "float",
        parts=("mxfp6", "mxint8", "nf4_bf16", "int4_g128"),
        keys="word",
        hint="bits per value = element bits + scale bits / values per scale",
        part_hint="{part}: the element's bits plus its share of the block's scale",
        setup=_FORMATS, expected="elem_bits + scale_bits / block_size",
        mistakes=(
            Alternative("scale_forgotten", "float(elem_bits)",
                        "this counts the elements only: add each value's share "
                        "of the block's scale", "the scale's bits forgotten"),
            Alternative("scale_per_element", "float(elem_bits + scale_bits)",
                        "this counts a whole scale for every value: one scale "
                        "is shared by the whole block",
                        "the scale counted once per element"),
            Alternative("scale_in_bytes", "elem_bits + scale_bits / 8 / block_size",
                        "the scale's size is counted in bytes here: count bits",
                        "the scale's bytes added to the element's bits")),
        visible="""
        assert isinstance(bits_per_value, dict), "bits_per_value should be a dict"
        """),
    Text("## Part D: written answers"),
    Written("nvfp4_design", "**D1.** NVFP4 uses blocks of 16 and an fp8 e4m3 "
            "scale, where MXFP4 uses blocks of 32 and a power-of-two e8m0 scale. "
            "Why, and what does it cost? Use lesson 6's measurements.",
            "A smaller block follows the weights more closely: an outlier "
            "stretches the scale of 16 values instead of 32. An e4m3 scale has 3 "
            "fraction bits, so it can be amax / 6 within about 6% instead of "
            "within a factor of 2: the largest value lands close to fp4's 6, "
            "nothing clips and no binade of resolution is wasted. e4m3 covers a "
            "small range (2**-9 to 448), so a float32 per-tensor scale moves it "
            "to the tensor's size. The cost: 0.5 instead of 0.25 bits of scale "
            "per value (4.5 against 4.25), and a real multiplication by the scale "
            "instead of an exponent addition. In the lesson NVFP4's weight MSE on "
            "MiniLM was about two thirds of MXFP4's, with a higher embedding "
            "cosine."),
    Written("floor_vs_rceil", "**D2.** On MiniLM's weights, MXFP4's FLOOR rule "
            "clipped the largest value of about 4 blocks in 10, and RCEIL clipped "
            "none; yet FLOOR's weight MSE was lower. How can that be?",
            "RCEIL avoids clipping by choosing the next power of two up whenever "
            "amax / 2**E would exceed 6: the scale doubles, so the grid's steps "
            "double for all 32 values of the block and the many small values "
            "lose resolution (their error grows about 4-fold in MSE). FLOOR clips "
            "only the largest value, by less than a quarter of it, and keeps the "
            "finer grid for the other 31; summed over the block the error is "
            "smaller."),
    Text("""
    ## Check yourself

    `check_all()` checks every answer above: ✓ or ✗ with a hint.
    """),
    Given("self_check", "results = check_all()"),
]
