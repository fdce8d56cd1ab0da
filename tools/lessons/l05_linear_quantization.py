"""Lesson 5, linear quantization: the cells of its notebook.

``python -m tools.generate`` writes them to ``notebooks/05_linear_quantization.ipynb``;
edit them here, not in the notebook.
"""

from tools.course import next_step
from tools.lessons.l05_model import MODEL
from tools.nbbuild import SETUP_CELL as SETUP
from tools.nbbuild import code, md, text

NAME = "05_linear_quantization"

CELLS = [
    md("""
    # Lesson 5: Linear quantization

    Downcasting (lesson 3) keeps floats and drops bits of each. **Quantization**
    goes further: it stores each weight as a small *integer code* plus a few
    shared real numbers that map the codes back to values. In this lesson you:

    1. derive the **scale** and **zero point** step by step;
    2. compare **asymmetric** and **symmetric** quantization;
    3. compare **per-tensor, per-channel and per-group** scales, and the error
       against the number of bits;
    4. draw the quantization grid over the weights of a real model
       (all-MiniLM-L6-v2, shipped with the course);
    5. quantize that model's linear layers to int8 and int4 (weights only), with
       `course_utils` and with optimum-quanto, and measure size and quality;
    6. pack two 4-bit codes into each byte;
    7. quantize its **activations** too (W8A8), after *calibrating* their range
       on a few sentences;
    8. place all this among today's methods: post-training quantization against
       quantization-aware training, and LLM.int8, GPTQ, AWQ, SmoothQuant, HQQ,
       QLoRA and GGUF.

    Everything runs offline on a CPU, in well under a minute.
    """),
    code(SETUP),
    code("""
    import copy

    import torch

    from course_utils import (bits, calibration, examples, layers, metrics, models,
                              packing, quant, viz, widgets)

    # Small tensors: one thread is about as quick as two, far quicker on a busy CPU.
    torch.set_num_threads(1)
    """),
    md("""
    ## 1. Scale and zero point, step by step

    Linear quantization maps real numbers $x$ to integer codes $q$ with a straight
    line:

    $$q = \\mathrm{clamp}\\left(\\mathrm{round}\\left(\\frac{x}{s}\\right) + z,\\;
    q_{\\min},\\; q_{\\max}\\right), \\qquad \\hat{x} = s\\,(q - z).$$

    The values the codes stand for, $s\\,(q - z)$, are **evenly spaced**: one step
    $s$ apart everywhere, from the smallest to the largest. A smaller float type
    (lesson 3) is different: its values are dense near 0 and spread out further
    away, the gap doubling at every power of two. And the grid is fitted to the
    data, through $s$ and $z$, instead of being fixed by the format.

    The **scale** $s$ is the real distance between two neighbouring codes; the
    **zero point** $z$ is the code that stands for the real number 0 (so 0, very
    common in neural networks, is stored exactly). $\\hat{x}$ ("x hat") is the
    *dequantized* value, what the code gives back.

    We take a small tensor and 4-bit signed codes, so every step is easy to
    follow. (The rest of the lesson mostly uses 8 bits; the recipe is the same.)
    """),
    code("""
    x = torch.tensor([[-2.6, 0.35, 1.7], [4.9, -0.8, 3.05]])
    n_bits = 4
    q_min, q_max = bits.int_range(n_bits)      # 4-bit signed codes (lesson 2)
    print("codes from", q_min, "to", q_max)

    # Step 1: the real range to cover; it always includes 0
    x_min = min(x.min().item(), 0.0)
    x_max = max(x.max().item(), 0.0)
    print(f"real range: [{x_min}, {x_max}]")

    # Step 2: the scale maps the width of the real range onto the width of the codes
    scale = (x_max - x_min) / (q_max - q_min)
    print(f"scale = ({x_max} - ({x_min})) / ({q_max} - ({q_min})) = {scale:.4f}")

    # Step 3: the zero point is the code that x_min lands on, shifted so that
    # x_min goes to q_min; rounded, because a code is an integer
    zero_point = round(q_min - x_min / scale)
    print(f"zero_point = round({q_min} - ({x_min}) / {scale:.4f}) = {zero_point}")
    """),
    code("""
    # Step 4: quantize
    q = torch.clamp(torch.round(x / scale) + zero_point, q_min, q_max).to(torch.int8)
    # Step 5: dequantize, and measure the error
    x_hat = scale * (q.float() - zero_point)
    print("q =", q, sep="\\n")
    print("x_hat =", x_hat, sep="\\n")
    print("x - x_hat =", x - x_hat, sep="\\n")
    print(f"mean squared error: {((x - x_hat) ** 2).mean().item():.5f}")
    """),
    md("""
    **What to look at:** every error is at most half a step ($s/2$): rounding
    moves each value to the nearest grid point. The smallest value maps to
    $q_{\\min}$ and the largest close to $q_{\\max}$, so the codes are fully used.

    `course_utils.quant` does the same in one call (and per channel, per group,
    vectorised); its answer is identical:
    """),
    code("""
    qt = quant.quantize(x, n_bits=4)
    print("scale", qt.scale.item(), " zero_point", qt.zero_point.item())
    assert torch.equal(qt.q, q)
    assert torch.allclose(qt.dequantize(), x_hat)
    print(metrics.error_report(x, qt.dequantize()))
    """),
    md("""
    `error_report` gives three numbers used throughout: the **MSE** (mean squared
    error), the largest absolute error and the **SQNR**, the signal-to-noise ratio
    in decibels (higher is better; each extra bit adds about 6 dB).

    The grid below shows the 16 values the 4-bit codes can stand for (orange-red
    lines)
    and our six numbers (blue bars): each number is replaced by the nearest line.
    """),
    code("viz.grid_histogram(x, qt=qt, bins=60, log=False)"),
    md("""
    ## 2. Asymmetric and symmetric quantization

    What we just did is **asymmetric** (or *affine*): the grid covers exactly
    $[x_{\\min}, x_{\\max}]$ and needs a zero point. **Symmetric** quantization
    fixes $z = 0$ and covers $[-\\max|x|, \\max|x|]$ with
    $s = \\max|x| / q_{\\max}$. It is simpler and faster (no zero point to carry
    through a matrix multiplication), and it is what most weight quantizers use,
    but it wastes codes when the values are not centred on 0.

    Two kinds of data: weight-like values, centred on 0, and activations after a
    ReLU, which are never negative.
    """),
    code("""
    g = torch.Generator().manual_seed(5)
    weights_like = torch.randn(20_000, generator=g) * 0.05
    after_relu = torch.relu(torch.randn(20_000, generator=g) + 0.5)

    print(f"{'data':<14}{'bits':>5}{'asymmetric MSE':>16}{'symmetric MSE':>15}")
    for name, data in (("weights-like", weights_like), ("after ReLU", after_relu)):
        for n_bits in (8, 4):
            mse = [metrics.mse(
                       data, quant.quantize(data, n_bits, symmetric=s).dequantize())
                   for s in (False, True)]
            print(f"{name:<14}{n_bits:>5}{mse[0]:>16.2e}{mse[1]:>15.2e}")
    """),
    code("""
    viz.grid_comparison(after_relu, {
        "4-bit asymmetric": quant.quantize(after_relu, 4),
        "4-bit symmetric": quant.quantize(after_relu, 4, symmetric=True),
    })
    """),
    md("""
    **What to look at:** on centred data the two are about equal. After a ReLU
    all values are positive, and the symmetric grid spends half of its lines
    (everything left of 0) on values that never occur, so its steps are twice as
    wide and its MSE about four times larger.

    ## 3. Per tensor, per channel, per group

    One scale for a whole tensor must stretch to its largest value. But the rows
    of a weight matrix (its *output channels*) can differ a lot in size, so the
    small rows get only a few grid lines. Finer **granularity** gives each part its
    own scale:

    * **per channel**: one scale (and zero point) per row;
    * **per group**: one per block of `group_size` consecutive values in a row
      (32 to 128 is typical for 4-bit weights of large language models).

    The price is storage: every scale costs 16 or 32 bits. We now load the real
    model and take the query projection of its first attention layer.
    """),
    code("""
    model = models.load_model()            # all-MiniLM-L6-v2, fp32, offline
    tokenizer = models.load_tokenizer()
    W = model.encoder.layer[0].attention.self.query.weight.detach()
    row_max = W.abs().amax(dim=1)
    print(f"W: {tuple(W.shape)}; largest |w| per row from {row_max.min():.3f} "
          f"to {row_max.max():.3f}")
    """),
    code("""
    settings = {
        "per tensor": dict(granularity="per_tensor"),
        "per channel": dict(granularity="per_channel", axis=0),
        "per group of 32": dict(granularity="per_group", group_size=32),
    }
    errors = {name: {} for name in settings}
    for name, kw in settings.items():
        for n_bits in (2, 3, 4, 6, 8):
            qt = quant.quantize(W, n_bits, **kw)
            errors[name][n_bits] = metrics.mse(W, qt.dequantize())
    for name in settings:
        print(f"{name:<16} 4-bit MSE {errors[name][4]:.2e}   "
              f"8-bit MSE {errors[name][8]:.2e}")
    viz.error_vs_bits(errors, title="Query weights of layer 0, asymmetric")
    """),
    md("""
    **What to look at:** the error falls by about 4× per extra bit (each bit
    halves the step, and the MSE goes with the step squared): straight lines on
    this log scale. Finer granularity shifts the whole line down: 4 bits per
    group come close to 6 bits per tensor.

    The scales are not free. `quant` stores every scale as float32 (32 bits) and
    every zero point as int32 (32 bits, the dtype torch's kernels use); a
    symmetric quantization needs no zero points (they are all 0).
    `QuantizedTensor.bits_per_value()` adds it up, codes included:
    """),
    code("""
    for name, kw in settings.items():
        for symmetric in (False, True):
            qt = quant.quantize(W, 4, symmetric=symmetric, **kw)
            kind = "symmetric" if symmetric else "asymmetric"
            print(f"4-bit {kind:<10} {name:<16} {qt.scale.numel():>6} scales: "
                  f"{qt.bits_per_value():.4f} bits per value")
    """),
    md("""
    **What to look at:** one scale per tensor costs nothing measurable, one per
    row of 384 values a sixth of a bit or less. Per group of 32, asymmetric,
    each group adds $32 + 32 = 64$ bits, 2 bits per value: 6 bits in all, not 4.
    Formats made for storage shrink this by keeping the scale in fp16 and the
    zero point in $n$ bits ($4 + (16 + 4)/32 \\approx 4.6$ bits per value), or by
    going symmetric.

    ### The quantization playground
    Choose the bits, symmetric or asymmetric and the granularity, and watch the
    codes, the error heatmap and the error numbers change. The demo tensor has
    rows of very different sizes and a few outliers, like a real weight matrix.
    Look at where the bright (large) errors are with one scale per tensor, and
    how they move when each row or group gets its own scale. You can pass any
    2-D tensor, e.g. `widgets.quantization_playground(W[:8, :64])`.
    """),
    code("widgets.quantization_playground()"),
    md("""
    ## 4. The grid over real weights

    Here is the histogram of all 147,456 query weights (log scale), with the grid
    of a per-tensor 8-bit and 4-bit asymmetric quantization drawn over it.
    """),
    code("""
    viz.grid_comparison(W, {
        "8 bits, per tensor (256 levels)": quant.quantize(W, 8),
        "4 bits, per tensor (16 levels)": quant.quantize(W, 4),
    })
    """),
    md("""
    **What to look at:** the weights form a narrow peak around 0 with a few
    outliers far out, and the grid has to reach the outliers. With 8 bits the
    lines are still dense under the peak; with 4 bits almost all weights fall
    between a handful of lines. That is why 4-bit weights need per-group scales.

    """),
    *MODEL,
    md(text("""
    ## Summary
    * Linear quantization stores $q = \\mathrm{round}(x/s) + z$ and gives back
      $\\hat x = s(q - z)$ on an evenly spaced grid; the error of each value is
      at most half a step.
    * Asymmetric grids fit the data's range; symmetric grids drop the zero point
      and waste codes on one-sided data.
    * Per-channel and per-group scales follow the data more closely, at the cost
      of storing more scales (counted in bits per value); each extra bit divides
      the MSE by about 4.
    * Weight-only int8 (W8A32) costs almost nothing in quality on the real model;
      the codes are dequantized to compute. int4 needs per-group scales and
      packing to pay off.
    * W8A8 also quantizes the activations, with a range calibrated in advance;
      the outlier features of the activations decide which observer works.
    """) + "\n\n" + next_step(NAME)),
]
