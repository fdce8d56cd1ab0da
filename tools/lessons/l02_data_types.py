"""Lesson 2, data types and sizes: the cells of its notebook.

``python -m tools.generate`` writes them to ``notebooks/02_data_types.ipynb``;
edit them here, not in the notebook.
"""

from tools.course import next_step
from tools.nbbuild import SETUP_CELL as SETUP
from tools.nbbuild import code, md, text

NAME = "02_data_types"

CELLS = [
    md("""
    # Lesson 2: Data types and sizes

    Every number inside a model is stored in a fixed number of bits. How those
    bits are read decides which numbers can be stored (the **range**), how close
    neighbouring numbers are (the **precision**) and how much memory a model takes.
    In this lesson you open up the bits:

    1. **Integers**: unsigned and two's complement, decimal to binary and back by
       hand, the range formulas derived step by step, overflow.
    2. **Floating point**: sign, exponent and fraction; fp32, fp16 and bf16 side by
       side; what 1/3 becomes in each; subnormals, infinity and NaN.
    3. **The formats of today's accelerators**: fp8 (e4m3, e5m2), fp6, fp4 (e2m1)
       and the e8m0 scales of block formats.

    Two explorers let you click bits and type numbers. In JupyterLab they are
    interactive; when the notebook runs without a widget front end (exported, or
    run by a script) they show a static picture instead.

    Run the cells from top to bottom. Everything runs offline on a CPU.
    """),
    code(SETUP),
    code("""
    from fractions import Fraction

    import torch

    from course_utils import bits, viz, widgets
    """),
    md("""
    ## 1. Integers

    ### Unsigned integers
    A pattern of bits $b_{n-1} \\dots b_1 b_0$ read as an **unsigned** integer is
    the sum of the powers of two whose bit is set: bit $k$ is worth $2^k$. In 8
    bits the places are worth 128, 64, 32, 16, 8, 4, 2 and 1.

    **Binary to decimal:** add the place values of the bits that are 1. For
    `1011 0110`: $128 + 32 + 16 + 4 + 2 = 182$.

    **Decimal to binary, by hand:** go through the places from the highest down.
    Whenever the place value fits into what is left, write a 1 and subtract it;
    otherwise write a 0. Here is 77 in 8 bits, one place per line:
    """),
    code("""
    value, left, written = 77, 77, ""
    for place in (128, 64, 32, 16, 8, 4, 2, 1):
        if place <= left:
            print(f"{left:>3} - {place:>3} = {left - place:>3}   -> 1")
            left, written = left - place, written + "1"
        else:
            print(f"{left:>3} < {place:>3}         -> 0")
            written += "0"
    print(f"{value} = {written[:4]} {written[4:]}  (check: {int(written, 2)}; "
          f"Python's format(77, '08b') = {format(value, '08b')})")
    """),
    md("""
    **What to look at:** 77 = 64 + 8 + 4 + 1, so the bits for 64, 8, 4 and 1 are
    1 and the others 0. The highest places are 0 because 77 is smaller than 128:
    every unused high place is still written, so the string has all 8 bits.

    ### Two's complement
    Signed integers in every modern computer use **two's complement**: the same
    sum, except that the leftmost bit is worth a *negative* power of two,
    $-2^{n-1}$. The table lists all sixteen 4-bit patterns both ways.
    """),
    code("""
    print("bits   unsigned   signed (two's complement)")
    for code in range(16):
        pattern = format(code, "04b")
        unsigned = bits.bits_to_int(pattern, signed=False)
        signed = bits.bits_to_int(pattern, signed=True)
        print(f"{pattern}   {unsigned:>8}   {signed:>8}")
    """),
    md("""
    **What to look at:** the two columns agree while the leftmost bit is 0. When it
    is 1, the signed value is the unsigned one minus 16, because that bit counts as
    $-8$ instead of $+8$. So `1111` is $-1$, and counting up from `1000` (the most
    negative value) runs through the negative numbers to `1111`, then wraps to
    `0000`.

    To negate a two's complement number, invert every bit and add 1. Here is 45
    in 8 bits:
    """),
    code("""
    x = 45
    pattern = bits.int_to_bits(x, 8)
    inverted = "".join("1" if b == "0" else "0" for b in pattern)
    plus_one = bits.int_to_bits((int(inverted, 2) + 1) % 256, 8, signed=False)
    print(f"{x:>4}: {pattern}")
    print(f"invert: {inverted}")
    print(f"  + 1 : {plus_one} = {bits.bits_to_int(plus_one)}")
    assert bits.bits_to_int(plus_one) == -x
    """),
    code("viz.int_layout(-45, n_bits=8, signed=True)"),
    md("""
    **What to look at:** under each bit is its place value. Add up the place
    values of the dark (set) bits and you get the number in the title; the only
    negative place value is the leftmost one, and it sits in the vermillion box.

    ### Ranges, derived step by step
    The range of a type is its smallest and its largest value. Find the patterns
    that give them, then add up their place values. First **4 bits**:

    - **Unsigned**: the smallest pattern is `0000` = 0. The largest is `1111` =
      8 + 4 + 2 + 1 = 15. That sum is one less than the next place value, 16:
      adding 1 to `1111` carries through every place to `1 0000` = $2^4$. So the
      largest is $2^4 - 1$.
    - **Two's complement**: the leftmost place is worth $-8 = -2^3$. The smallest
      value takes that place and nothing positive: `1000` = $-8 = -2^3$. The
      largest leaves it out and takes every other place: `0111` = 4 + 2 + 1 = 7 =
      $2^3 - 1$.

    The same steps for **16 bits**: unsigned from `0000 0000 0000 0000` = 0 to
    sixteen 1s = $2^{16} - 1$ = 65535; two's complement from a 1 and fifteen 0s,
    $-2^{15}$ = −32768, to a 0 and fifteen 1s, $2^{15} - 1$ = 32767. For any
    width $n$:

    $$\\text{unsigned: } [0,\\; 2^n - 1], \\qquad
    \\text{two's complement: } [-2^{n-1},\\; 2^{n-1} - 1].$$

    Both hold $2^n$ different integers, one per pattern. Two's complement gives
    the half whose leftmost bit is 1 to the negative numbers, so its positive side
    ends one short of its negative side (0 takes a place among the patterns that
    start with 0). `bits.int_range` and torch's `torch.iinfo` agree:
    """),
    code("""
    for n_bits in (4, 16, 32):
        print(f"{n_bits:>2} bits: unsigned {bits.int_range(n_bits, signed=False)}, "
              f"signed {bits.int_range(n_bits, signed=True)}")

    for dtype in (torch.int16, torch.int32, torch.int64):
        info = torch.iinfo(dtype)
        print(f"{str(dtype):12} bits={info.bits:>2}  min={info.min}  max={info.max}")
        assert (info.min, info.max) == bits.int_range(info.bits)
    """),
    md("""
    **Your turn (not graded here):** what are the ranges of `torch.uint8` and
    `torch.int8`? Work them out with the steps above before asking
    `torch.iinfo`. The workbook asks for them, with your steps, and for the
    general rule.

    ### Reading a byte both ways
    The same 8 bits mean different numbers to the two types. Unsigned, the
    leftmost place is worth $+128$; in two's complement it is worth $-128$, so a
    byte whose leftmost bit is 1 reads 256 less as a signed number. For
    `1011 0110`: unsigned 182 (above), signed $-128 + 32 + 16 + 4 + 2 = -74 =
    182 - 256$. torch agrees when it reinterprets the same byte (`view` changes
    the dtype without touching the bits):
    """),
    code("""
    byte = torch.tensor([0b1011_0110], dtype=torch.uint8)
    print("unsigned:", byte.item(), "  signed:", byte.view(torch.int8).item())
    """),
    md("""
    ### Overflow
    An integer that does not fit wraps around: the carry out of the leftmost bit
    is lost, and the result is taken modulo $2^n$. torch does not warn you.
    """),
    code("""
    a = torch.tensor([60, 120, -125], dtype=torch.int8)
    print(a, "+ 10 ->", a + 10)
    print(a, "- 10 ->", a - 10)
    """),
    md("""
    **What to look at:** 60 + 10 is fine, but 120 + 10 = 130 does not fit in a
    signed byte (its largest value is 127) and comes back as 130 − 256 = −126.
    At the bottom of the range it wraps the other way: −125 − 10 = −135 is below
    the smallest value, −128, and comes back as −135 + 256 = 121. (−125 + 10 =
    −115 fits, so it does not wrap.)

    ### Integer explorer
    Click a bit to flip it and watch the sum of place values change; type a value
    to see its bits. Switch between *unsigned* and *signed*: the bits stay the
    same, only their meaning changes. Move the `n_bits` slider: a value that fits
    is sign-extended (the leftmost bit is copied), a value that does not fit keeps
    only its lowest bits, as in the overflow above. Try the bit patterns you meet
    in the workbook here.
    """),
    code("widgets.int_explorer(n_bits=8, signed=True, value=45)"),
    md("""
    ## 2. Floating point

    Integers cannot store 0.1, or $6 \\times 10^{-8}$, or $3 \\times 10^{38}$.
    **Floating-point** types store real numbers, fractions included, over a huge
    range, each rounded to a fixed number of significant bits. A floating-point
    number stores three fields: a **sign** bit $s$, an
    **exponent** field $E$ and a **fraction** (mantissa) field $F$ of $m$ bits.
    A normal number is

    $$x = (-1)^s \\times 2^{E - \\text{bias}}
    \\times \\left(1 + \\frac{F}{2^m}\\right).$$

    The exponent picks a power-of-two interval $[2^e, 2^{e+1})$; the fraction
    picks one of $2^m$ evenly spaced values inside it. So the spacing between
    neighbouring floats doubles from one interval to the next, and the *relative*
    spacing stays about the same everywhere.

    **What floats:** the binary point. The fraction holds the significant digits
    and the exponent says where the point goes among them. With the digits
    $1.01_2$ (that is 1.25): $1.01_2 \\times 2^{2} = 101_2 = 5$ and
    $1.01_2 \\times 2^{-2} = 0.0101_2 = 0.3125$. The same digits, with the point
    moved two places right or left, so one format covers tiny and huge numbers
    with the same relative precision. `bits.explain` shows the fields of one
    number:
    """),
    code('bits.explain(-6.5, "fp16")'),
    md("""
    **What to look at:** $-6.5 = -1.625 \\times 2^2$: the sign bit is 1, the
    exponent field minus the bias gives 2, and the fraction field holds
    $0.625 = 640/1024$. The neighbours show the spacing around $-6.5$.

    ### fp32, fp16 and bf16 side by side
    The three formats of deep learning: fp32 (single precision, 32 bits), fp16
    (IEEE half precision, 16 bits) and bf16 (bfloat16, 16 bits, from Google
    Brain). Each box below is one bit, coloured by field; the boxes hold the bits
    of 1/3 as each format stores it.
    """),
    code('viz.format_layouts(("fp32", "fp16", "bf16"), x=1 / 3)'),
    md("""
    **What to look at:** fp16 and bf16 both take 16 bits but split them
    differently between the blue exponent and the green fraction; bf16 keeps
    exactly the exponent of fp32 and drops fraction bits. Count the boxes of each
    field: the workbook asks for them.

    torch describes each float type with `torch.finfo`: the largest value (`max`),
    the smallest normal value (`tiny`) and `eps`, the gap between 1 and the next
    float. Here it is for fp32 and fp16, checked against the formats in
    `course_utils.bits`:
    """),
    code("""
    for dtype in (torch.float32, torch.float16):
        info = torch.finfo(dtype)
        fmt = bits.get_format(dtype)
        print(f"{fmt.name}: max {info.max:.6g}, smallest normal {info.tiny:.6g}, "
              f"eps {info.eps:.3g}")
        assert (info.max, info.tiny, info.eps) == (fmt.max, fmt.min_normal, fmt.eps)
    """),
    md("""
    **Your turn:** print `torch.finfo` of `torch.bfloat16` and compare it with
    fp16. Which format reaches larger numbers? Which one has the finer steps near
    1? Compare with the field lengths in the figure: which field goes with range,
    which with precision?

    ### 1/3 in each format
    1/3 has no finite binary expansion ($0.010101\\dots_2$), so every format
    rounds it. `bits.explain` takes the exact fraction and reports the exact
    stored value and the error; torch's own casts give the same values.
    """),
    code("""
    third = Fraction(1, 3)
    print(f"{'format':<11}{'stored value (exact fraction)':>31}{'abs error':>11}"
          f"{'rel error':>11}")
    for name in ("fp32", "bf16", "fp16", "fp8_e4m3fn", "fp8_e5m2", "fp4_e2m1"):
        e = bits.explain(third, name)
        print(f"{name:<11}{str(e.exact):>31}{e.abs_error:>11.2e}{e.rel_error:>11.2e}")
        if e.fmt.torch_dtype is not None:
            assert torch.tensor(1 / 3).to(e.fmt.torch_dtype).item() == e.value
    print("fp16's 1/3 in decimal, exactly:",
          widgets.exact_decimal(bits.explain(third, "fp16").exact))
    """),
    md("""
    **What to look at:** each fraction has a power of two below the line, so its
    decimal expansion ends; the relative error shrinks by about half for every
    extra fraction bit. fp4 has a single fraction bit and can only offer 0.5.

    ### Float explorer
    Type a number (try `0.1`, `1/3`, `65504`, `65520`, `1e-7`, `-0`, `inf`) or
    click bits, and switch formats (every format of `bits.FORMATS`, from fp64 down
    to fp4 and e8m0). Look at the exact stored value, the error against what you
    typed (computed exactly, so `0.1` means one tenth, not the double nearest to
    it), the neighbours and the **ULP** (the gap to the next value). Use the
    *next up / next down* buttons to walk along the representable values.
    """),
    code('widgets.float_explorer("0.1", "fp16")'),
    md("""
    ### Subnormals, infinity and NaN
    Two exponent values are special in IEEE formats:

    * **Exponent field all zeros: zero and subnormals.** There is no implicit
      leading 1, and the exponent stays at its smallest value. The subnormals fill
      the gap between 0 and the smallest normal number with evenly spaced values
      (*gradual underflow*), at the cost of precision.
    * **Exponent field all ones: infinity** (fraction 0) **or NaN** (not a number,
      fraction not 0). Overflow gives infinity; undefined operations such as
      $\\infty - \\infty$ give NaN, and NaN is not equal even to itself.
    """),
    code("""
    fp16 = bits.get_format("fp16")
    info = torch.finfo(torch.float16)
    print("smallest normal:   ", fp16.min_normal, "=", info.tiny)
    lowest_bit = torch.tensor(1, dtype=torch.int16).view(torch.float16).item()
    print("smallest subnormal:", fp16.min_subnormal, "=", lowest_bit,
          "(the bits 0...01 viewed as fp16)")
    print("1e-5, 1e-7, 1e-8 stored in fp16:",
          torch.tensor([1e-5, 1e-7, 1e-8]).to(torch.float16).tolist())
    big = torch.tensor([60000.0, 70000.0]).to(torch.float16)
    print("60000, 70000 stored in fp16:", big.tolist())
    print("inf - inf =", (big[1] - big[1]).item(),
          "; nan == nan:", bool(torch.tensor(float("nan")) == float("nan")))
    print()
    for code in (0x0000, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0x7C00, 0x7E00, 0x8000):
        e = bits.explain_code(code, "fp16")
        print(f"{bits.format_bits(code, 'fp16')}  {e.kind:<9} {e.value!r}")
    """),
    md("""
    **What to look at:** $10^{-5}$ is stored as a subnormal (less precisely),
    $10^{-8}$ underflows to 0, and 70000 is beyond fp16's largest value 65504, so
    it becomes `inf`. In the list of codes, the exponent field (middle group)
    is all zeros for zero and the subnormals and all ones for `inf` and NaN.

    A 4-bit float is small enough to draw every value it has:
    """),
    code('viz.number_line("fp4_e2m1")'),
    md("""
    **What to look at:** fp4 e2m1 has only 15 distinct values. The two orange
    subnormals ($\\pm 0.5$) are evenly spaced around 0; among the blue normal
    values the gap doubles at every power of two (0.5 between 1 and 2, 1 between
    2 and 4, 2 between 4 and 6).

    On a logarithmic axis a format's normal values are spread evenly: a float
    keeps about the same *relative* precision over its whole range. Here are the
    positive values of fp8 e4m3:
    """),
    code('viz.number_line("fp8_e4m3fn", log=True)'),
    md("""
    **What to look at:** eight values in every factor of two (3 fraction bits),
    from $2^{-6}$ up to 448, and the orange subnormals below $2^{-6}$, which get
    sparser on this axis because they are evenly spaced on a linear one.

    ## 3. The formats of today's accelerators
    Recent GPUs and accelerators compute in formats far smaller than fp16:

    | format | used for |
    |---|---|
    | **fp8 e4m3** (`fp8_e4m3fn`) | weights and activations (more precision) |
    | **fp8 e5m2** | gradients in training (more range) |
    | **fp6** (e2m3, e3m2), **fp4 e2m1** | weights, in the *microscaling* (MX) formats |
    | **e8m0** | the shared scale of a block: just an exponent, a power of two |

    The "fn" formats have **no infinity** and use fewer codes for NaN, to keep
    more finite values; fp6 and fp4 have neither. `course_utils.bits` knows them
    all:
    """),
    code("""
    print(f"{'format':<13}{'bits':>5}{'max':>10}{'smallest normal':>17}{'eps':>8}"
          "  torch dtype")
    for name in ("fp8_e4m3fn", "fp8_e5m2", "fp6_e2m3", "fp6_e3m2", "fp4_e2m1", "e8m0"):
        f = bits.get_format(name)
        print(f"{name:<13}{f.n_bits:>5}{f.max:>10g}{f.min_normal:>17g}{f.eps:>8g}"
              f"  {f.torch_dtype}")
    """),
    md("""
    torch has fp8 dtypes, so we can check our rounding against torch's on a
    thousand random numbers:
    """),
    code("""
    x = torch.randn(1000, generator=torch.Generator().manual_seed(7)) * 50
    for name in ("fp8_e4m3fn", "fp8_e5m2"):
        fmt = bits.get_format(name)
        ours = bits.decode_tensor(bits.encode_tensor(x, fmt), fmt)
        theirs = x.to(fmt.torch_dtype).double()
        rel = ((ours - x) / x).abs()
        print(f"{name}: same as torch: {torch.equal(ours, theirs)}; "
              f"median relative error {rel.median():.3f}, worst {rel.max():.3f}")
    """),
    md("""
    **What to look at:** e4m3 has one more fraction bit than e5m2, so its typical
    relative error is about half; e5m2's extra exponent bit buys range instead
    (its max is 57344 against 448).

    ### Block scaling: fp4 values with an e8m0 scale
    Four bits alone cannot cover the range of a weight matrix. The MX formats
    store blocks of 32 values: each value in fp4 e2m1, plus **one shared e8m0
    scale** (a power of two) per block, chosen so that the largest value of the
    block lands near the top of the fp4 range. Scaling by a power of two only
    changes exponents, so it adds no rounding of its own.
    """),
    code("""
    block = torch.randn(32, generator=torch.Generator().manual_seed(11)) * 0.03
    fp4 = bits.get_format("fp4_e2m1")
    emax = 2                                   # fp4's largest value, 6, is 1.5 * 2**2
    shared_exp = int(torch.floor(torch.log2(block.abs().max()))) - emax
    scale = 2.0**shared_exp                    # an e8m0 number
    codes = bits.encode_tensor(block / scale, fp4)         # 4 bits per value
    x_hat = bits.decode_tensor(codes, fp4) * scale
    print(f"shared scale 2**{shared_exp}, stored as e8m0 code "
          f"{bits.encode(scale, 'e8m0')}")
    print("first values:", block[:4].tolist())
    print("stored as:   ", x_hat[:4].tolist())
    rel = (x_hat - block).norm() / block.norm()
    print(f"relative error of the block: {rel:.3f}; "
          f"bits per value: 4 + 8/32 = {4 + 8 / 32}")
    """),
    md(text("""
    **What to look at:** each value keeps only one of 15 fp4 levels, times the
    shared power of two; the block costs 4.25 bits per value instead of 16 or 32.
    Lesson 5 builds the same idea with integers: linear quantization with a scale
    per tensor, per channel or per group.

    ## Summary
    * An $n$-bit integer type has $2^n$ values: $[0, 2^n - 1]$ unsigned and
      $[-2^{n-1}, 2^{n-1} - 1]$ in two's complement, whose leftmost bit has a
      negative weight, so one adder serves signed and unsigned numbers; overflow
      wraps around silently, at both ends of the range.
    * A float is sign × power of two × (1 + fraction). Both 16-bit formats save
      half the memory of fp32, but split their bits differently, which decides
      what they are good at.
    * Every stored float is an exact fraction with a power-of-two denominator; the
      error of storing a number is at most half an ULP (relative error about
      `eps / 2`).
    * Subnormals, infinity and NaN take the two extreme exponent codes; the small
      accelerator formats give up some of them for more finite values, and block
      formats share one e8m0 scale among many small values.

    The explorers above are a good place to check your reasoning while you work
    on the workbook.
    """) + "\n\n" + next_step(NAME)),
]
