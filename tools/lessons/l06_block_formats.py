"""Lesson 6, block-scaled formats (MX, NVFP4, NF4): the cells of its notebook.

``python -m tools.generate`` writes them to ``notebooks/06_block_formats.ipynb``;
edit them here, not in the notebook.
"""

from tools.course import next_step
from tools.nbbuild import SETUP_CELL as SETUP
from tools.nbbuild import code, md

NAME = "06_block_formats"

CELLS = [
    md("""
    # Lesson 6: Block-scaled formats

    Lesson 5 ended with 4-bit integer codes and one scale per group of 32
    weights. New accelerators go one step further and store 4- to 8-bit weights
    in **block-scaled formats**: a tiny *float* per value, plus one scale shared
    by a small block of values, laid out so the hardware can read it directly.
    In this lesson you:

    1. see why one scale per tensor or per channel is not enough at 4 bits, and
       how a shared power-of-two scale per block fixes it (**MX**);
    2. work out an MX block's shared exponent by hand, and compare the two rules
       for it, **FLOOR** and **RCEIL**, on the real weights of all-MiniLM-L6-v2;
    3. compare **MXFP4**, **NVFP4**, **NF4** and lesson 5's per-group int4 on
       all of MiniLM's linear weights: bits per value, error, embedding quality;
    4. look at any block of the real weights bit by bit with the **block
       explorer**;
    5. read what accelerators do with these formats.

    Everything runs offline on a CPU, in well under a minute; no GPU is needed.
    """),
    code(SETUP),
    code("""
    import math

    import torch

    from course_utils import blocks, metrics, models, quant, viz, widgets
    from course_utils.blocks.measure import linear_weights
    from course_utils.examples import SENTENCES
    from course_utils.blocks.view import block_view

    # Small tensors: one thread is about as quick as two, far quicker on a busy CPU.
    torch.set_num_threads(1)
    """),
    md("""
    ## 1. Why 4 bits need small blocks

    A 4-bit symmetric integer code has only 15 levels, $-7$ to $7$ times the
    scale. Whatever shares one scale must fit under its largest value, so one
    outlier stretches the step for everyone that shares it. Take the second
    feed-forward layer of MiniLM's fourth transformer block: its weights are
    around $\\pm 0.04$, with a few far larger.
    """),
    code("""
    model = models.load_model()            # all-MiniLM-L6-v2, fp32, offline
    tokenizer = models.load_tokenizer()
    layers = linear_weights(model)         # its 37 nn.Linear layers, by name
    W = layers["encoder.layer.3.output.dense"].weight.detach()
    print(f"W: {tuple(W.shape)}, std {W.std():.4f}, largest |w| {W.abs().max():.3f}")

    settings = {
        "per tensor": dict(granularity="per_tensor"),
        "per channel": dict(granularity="per_channel", axis=0),
        "per group of 32": dict(granularity="per_group", group_size=32),
    }
    for name, how in settings.items():
        qt = quant.quantize(W, 4, symmetric=True, **how)
        zeros = (qt.q == 0).float().mean().item()
        print(f"int4 {name:<16} MSE {metrics.mse(W, qt.dequantize()):.2e}, "
              f"weights stored as 0: {zeros:.0%}")
    """),
    md("""
    **What to look at:** with one scale for the whole matrix the step is about
    $3.5 / 7 = 0.5$, more than ten times the typical weight: every weight is
    stored as 0. A scale per row (output channel) helps, but a row still holds
    1,536 weights and its own outliers. A scale per group of 32 follows the
    weights closely; its price is the scales themselves, one float for every 32
    values (a float32 scale adds a whole bit per value).

    **MX** (the Open Compute Project's *Microscaling* formats, 2023) makes that
    price small. A block of 32 elements shares one scale $X = 2^E$ stored as an
    **e8m0** number: 8 exponent bits, no sign, no fraction (lesson 2). So the
    scale costs $8/32 = 0.25$ bits per value, and multiplying by it only adds
    $E$ to each element's exponent: no multiplier needed. The elements are tiny
    floats: **fp4 e2m1** in MXFP4, fp6 in MXFP6, fp8 (e4m3 or e5m2) in MXFP8.
    fp4 e2m1 holds these magnitudes, each with a sign:
    """),
    code("""
    grid = blocks.element_grid("fp4_e2m1")
    print("fp4 e2m1 magnitudes:", grid[:8].tolist())
    print("e8m0 codes 124, 127, 130 stand for",
          [2.0 ** (code - 127) for code in (124, 127, 130)])
    """),
    md("""
    The values are spaced like a float's: dense near zero (steps of 0.5) and
    sparse further out (4 to 6). That suits weights, which crowd around zero.
    Here is one block of `W` in MXFP4: the shared scale's 8 bits on top, and
    below, the block's 32 weights (blue dots) with the fp4 grid times the scale
    (orange-red lines). Each weight is stored as the nearest line (crosses).
    """),
    code("""
    amax = W.reshape(-1, 32).abs().amax(dim=1)      # each block's largest |w|
    per_row = W.shape[1] // 32
    row, outlier_block = divmod(int(amax.argmax()), per_row)
    x = W[row:row + 1]                               # the row with the largest weight
    bq = blocks.mx_quantize(x, "fp4_e2m1", block_size=32, scale_rounding="floor")
    typical = outlier_block - 1 if outlier_block else 1
    viz.block_figure(block_view(x, bq, typical))
    """),
    md("""
    **What to look at:** the scale is a power of two chosen for this block
    alone, so its 15 grid values reach just about as far as its largest weight;
    most weights land on a line close by. The error of each value is at most half
    the gap between its two neighbouring lines, and the gaps are smallest near 0.

    ## 2. The shared exponent: FLOOR and RCEIL

    How is $E$ chosen? The MX specification's rule (**FLOOR**) is

    $$E = \\lfloor \\log_2 \\mathrm{amax} \\rfloor - e_{\\max}, \\qquad
    P_i = \\mathrm{round}(x_i / 2^E), \\qquad \\hat x_i = 2^E P_i,$$

    where $\\mathrm{amax} = \\max_i |x_i|$ over the block and $e_{\\max}$ is the
    exponent of the largest power of two the element format holds (fp4:
    $6 = 1.5 \\cdot 2^2$, so $e_{\\max} = 2$; fp8 e4m3: $448 = 1.75 \\cdot 2^8$, so
    $e_{\\max} = 8$). The elements round to the nearest fp4 value (ties to the
    even code) and **saturate** at $\\pm 6$. $E$ is stored as the e8m0 code
    $E + 127$.

    FLOOR puts the block's largest value between 4 and 8 on the element grid,
    but fp4 stops at 6: when $\\mathrm{amax}/2^E > 6$ the largest value is
    **clipped**. NVIDIA's **RCEIL** rule avoids that: $X = \\mathrm{amax}/6$
    rounded *up* to a power of two, so nothing clips, but the scale is then up
    to twice as large and every other value of the block loses resolution. A
    small block by hand:
    """),
    code("""
    x = torch.tensor([[0.3, -0.7, 3.6, 1.3]])
    amax = x.abs().max().item()
    E = math.floor(math.log2(amax)) - 2             # floor(log2 3.6) = 1, emax = 2
    print(f"amax {amax}, E = {E}, x / 2**E = {(x / 2**E).tolist()}  (7.2 > 6: clipped)")

    for rule in ("floor", "rceil"):
        bq = blocks.mx_quantize(x, "fp4_e2m1", block_size=4, scale_rounding=rule)
        code = bq.scales.item()
        x_hat = bq.dequantize()
        print(f"{rule:<6} scale code {code} = 2**{code - 127}, x_hat {x_hat.tolist()}, "
              f"MSE {metrics.mse(x, x_hat):.4f}")
    """),
    md("""
    **What to look at:** FLOOR keeps the finer grid (scale $2^{-1}$): the three
    small values are stored within 0.05, but 3.6 is clipped to 3.0. RCEIL takes
    the scale $2^0$: 3.6 becomes 4.0, and each small value is off by 0.2. Which
    rule wins depends on how much the largest values matter against all the
    others. On MiniLM's real weights (all 37 linear layers, blocks of 32 along
    each row, the input axis, as the hardware reads them):
    """),
    code("""
    weights = {name: layer.weight.detach().clone() for name, layer in layers.items()}
    block_amax = torch.cat([w.reshape(-1, 32).abs().amax(dim=1)
                            for w in weights.values()])
    n_values = sum(w.numel() for w in weights.values())
    print(f"{len(weights)} weight matrices, {n_values:,} values, "
          f"{block_amax.numel():,} blocks of 32")

    ratios = {}
    for rule in ("floor", "rceil"):
        E, _ = blocks.shared_exponent(block_amax, "fp4_e2m1", rule)
        ratios[rule.upper()] = block_amax * torch.exp2(-E.float())   # amax / 2**E
        squared = sum(((w - blocks.mx_quantize(w, scale_rounding=rule).dequantize())
                       ** 2).sum().item() for w in weights.values())
        clipped = (ratios[rule.upper()] > 6).float().mean().item()
        print(f"{rule.upper():<6} largest value clipped in {clipped:.2%} of blocks, "
              f"weight MSE {squared / n_values:.4e}")
    viz.scale_ratios(ratios)
    """),
    md("""
    **What to look at:** under FLOOR the largest value of a block lands anywhere
    from 4 to 8 on the grid, and beyond 6 (about 4 blocks in 10) it is clipped.
    RCEIL puts it between 3 and 6: nothing clips, but in those blocks the grid
    is twice as coarse for all 32 values. The weight MSE is lower with FLOOR:
    one clipped value costs less than 31 coarser ones. (Section 3 shows the
    effect on the model's output too.)

    ## 3. MXFP4, NVFP4, NF4 and int4 on the whole model

    Two other 4-bit block formats:

    * **NVFP4** (NVIDIA, Blackwell GPUs): fp4 e2m1 elements in blocks of **16**,
      each with an **fp8 e4m3** scale, plus one float32 scale for the whole
      tensor. e4m3 has 3 fraction bits, so a block's scale can be
      $\\mathrm{amax}/6$ within about 6% instead of within a factor of 2: the
      largest value lands close to 6, nothing clips and no resolution is lost.
      It costs $8/16 = 0.5$ bits of scale per value.
    * **NF4** (QLoRA, 2023): 16 fixed levels in $[-1, 1]$ spaced like the
      quantiles of a normal distribution, times a float32 **absmax** per block
      of 64 ($32/64 = 0.5$ bits per value). *Double quantization* stores the
      absmax values themselves in 8 bits (about 0.13 bits per value).

    We replace every linear weight of MiniLM by its dequantized version in each
    format, and measure the storage (element codes and every scale, in bits per
    value), the weight MSE, and the cosine similarity of the sentence embeddings
    to the fp32 model's (lesson 5's sentences, 1.0 = same direction). For
    comparison: lesson 5's symmetric int4 per group of 32 (with its float32
    scales, as `course_utils.quant` stores them; fp16 scales would make it 4.5
    bits), MXFP8 (e4m3 elements) and int8 per channel.
    """),
    code("""
    def stored(bq):
        return bq.dequantize(), 8 * bq.nbytes       # x_hat, bits of storage

    def integer(w, n_bits, **how):
        qt = quant.quantize(w, n_bits, symmetric=True, **how)
        return qt.dequantize(), n_bits * w.numel() + 32 * qt.scale.numel()

    formats = {
        "int4 per group 32": lambda w: integer(w, 4, granularity="per_group",
                                               group_size=32),
        "MXFP4 (FLOOR)": lambda w: stored(blocks.mx_quantize(w, "fp4_e2m1")),
        "MXFP4 (RCEIL)": lambda w: stored(blocks.mx_quantize(
            w, "fp4_e2m1", scale_rounding="rceil")),
        "NVFP4": lambda w: stored(blocks.nvfp4_quantize(w, tensor_scale="amax")),
        "NF4": lambda w: stored(blocks.nf4_quantize(w)),
        "NF4 + double quant": lambda w: stored(blocks.nf4_quantize(
            w, double_quant=True)),
        "MXFP8 (e4m3)": lambda w: stored(blocks.mx_quantize(w, "fp8_e4m3fn")),
        "int8 per channel": lambda w: integer(w, 8, granularity="per_channel",
                                              axis=0),
    }

    reference = models.embed(model, tokenizer, SENTENCES)

    def evaluate(quantize):
        squared, bits = 0.0, 0
        with torch.no_grad():
            for name, layer in layers.items():
                w_hat, n_bits = quantize(weights[name])
                squared += ((weights[name] - w_hat) ** 2).sum().item()
                bits += n_bits
                layer.weight.copy_(w_hat)
            cmp = models.compare_outputs(reference,
                                         models.embed(model, tokenizer, SENTENCES))
            for name, layer in layers.items():         # back to fp32
                layer.weight.copy_(weights[name])
        return {"bits_per_value": bits / n_values, "mse": squared / n_values,
                "cosine_mean": cmp["cosine_mean"], "cosine_min": cmp["cosine_min"]}

    table = {name: evaluate(quantize) for name, quantize in formats.items()}
    print(f"{'format':<20}{'bits/value':>11}{'weight MSE':>12}{'cosine mean':>13}"
          f"{'cosine min':>12}")
    for name, r in table.items():
        print(f"{name:<20}{r['bits_per_value']:>11.3f}{r['mse']:>12.2e}"
              f"{r['cosine_mean']:>13.4f}{r['cosine_min']:>12.4f}")
    """),
    code("""
    viz.error_vs_bits_per_value(
        table, title="MiniLM's linear weights: error against storage")
    """),
    md("""
    **What to look at:**

    * **At about 4.5 bits, NVFP4 and NF4 are the most accurate** 4-bit formats
      here, with about two thirds of MXFP4's weight MSE and the embeddings closest
      to fp32's: small blocks and a scale that follows each block's amax closely.
    * **MXFP4 is the cheapest** (4.25 bits): its power-of-two scale can waste
      up to a binade of the grid (RCEIL) or clip (FLOOR). FLOOR beats RCEIL in
      weight MSE and in cosine here.
    * **int4 per group of 32 costs more and does worse** than NVFP4 and NF4:
      its float32 scales cost a whole bit per value, and its grid is evenly
      spaced, while the weights crowd near zero where fp4 and NF4 are dense.
    * **Double quantization** takes NF4 from 4.5 to about 4.13 bits per value
      at almost the same error.
    * **At 8 bits** the error is far lower, for twice the storage: MXFP8's
      about 15 times and int8 per channel's over 100 times below MXFP4's (at 8
      bits, int8's 255 evenly spaced levels per row beat MXFP8 here).
    * Every number here is measured in this notebook. `make measure-blocks`
      (`bench/measure_blocks.py`) measures the 4-bit formats the same way, and
      how `course_utils.blocks` agrees with torchao's kernels.

    ## 4. The block explorer

    Pick a format and a block of MiniLM's weights (layer, row, block index) and
    see each element's bits coloured by field (sign, exponent, fraction; NF4's
    code is an index into its table of 16 levels), the shared scale's bits, the
    dequantized values and the error. It starts on the block with the largest
    weight of section 1's matrix: in MXFP4 (FLOOR) that weight is clipped (its
    row in the table is marked) and most of the block's other values are stored
    as 0. Switch to RCEIL, then NVFP4 (whose block of 16 no longer holds all of
    those neighbours), and watch the scale's bits and the error change; then try
    a typical block.
    """),
    code("""
    widgets.block_explorer(weights, layer="encoder.layer.3.output.dense", row=row,
                           block=outlier_block)
    """),
    md("""
    ## 5. What accelerators do with these formats

    These formats are hardware formats. NVIDIA's Blackwell-class GPUs (such as
    the B200) have tensor cores that read MXFP8, MXFP6, MXFP4 and NVFP4
    natively: a matrix multiplication takes the packed elements and
    their block scales as they are stored and applies each block's scale inside
    the tensor core, so the weights are never expanded to 16 bits in memory, and
    fp4 runs at twice fp8's throughput. AMD's MI350-series accelerators support
    MXFP4 and MXFP6 too. Older GPUs without fp4 tensor cores dequantize the
    blocks in software, as this lesson does, to save memory but not compute. NF4
    was designed for storage (fine-tuning with QLoRA) rather than for tensor
    cores: its 16 levels are a table lookup, not a float, and it is always
    dequantized before the multiplication. Nothing in this lesson needs a GPU:
    `course_utils.blocks` computes the same codes on the CPU (checked against
    torchao's implementations).

    ## Summary
    * At 4 bits a scale must be shared by few values: one outlier stretches the
      grid of everything that shares its scale.
    * MX formats share one power-of-two e8m0 scale per 32 elements (0.25 bits per
      value); FLOOR sets $E = \\lfloor \\log_2 \\mathrm{amax} \\rfloor - e_{\\max}$
      and may clip the largest value, RCEIL never clips but coarsens the block.
    * NVFP4 (blocks of 16, e4m3 scale) and NF4 (blocks of 64, normal-quantile
      levels) spend 0.5 bits per value on scales and come closest to fp32 at 4
      bits; MXFP4 is the cheapest.
    * Blackwell-class tensor cores compute on MX and NVFP4 directly.
    """),
    md(next_step(NAME)),
]
