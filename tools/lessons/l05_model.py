"""Lesson 5, sections 5 to 8: the real model, packing, activations, methods.

The cells of ``notebooks/05_linear_quantization.ipynb`` that work on the real
model; :mod:`tools.lessons.l05_linear_quantization` puts them after sections 1
to 4. Edit them here, not in the notebook.
"""

from tools.nbbuild import code, md

MODEL = [
    md("""
    ## 5. Quantizing the real model

    Now the whole model: every `nn.Linear` layer gets integer weights. That is
    the attention projections and feed-forward layers of the 6 transformer
    blocks, 36 layers, plus the dense layer of the *pooler* that sits on top of
    the encoder: 37 in all. The activations (the inputs flowing through the
    layers) stay float32: this is **weight-only** quantization, **W8A32** for
    8-bit weights with float32 activations (it would be W8A16 with bf16 or fp16
    activations), W4A32 for 4-bit weights. Three versions against the fp32
    original:

    * **course int8**: `course_utils.layers.quantize_linear_layers` swaps each
      linear layer for an `Int8Linear` (symmetric int8, one scale per output
      channel);
    * **quanto int8** and **quanto int4**: Hugging Face's
      [optimum-quanto](https://github.com/huggingface/optimum-quanto):
      `quantize` marks the layers, `freeze` replaces the float weights by codes.

    `print(model)` shows the model's modules (the 6 blocks are printed once, as
    `(0-5): 6 x BertLayer`):
    """),
    code("""
    print(model)
    n_linear = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
    print(n_linear, "nn.Linear layers")
    """),
    md("""
    `quantize(model, weights=qint8)` replaces each `Linear` by quanto's `QLinear`
    (activations are left alone: `activations=None` is the default):
    """),
    code("""
    from optimum.quanto import freeze, qint4, qint8
    from optimum.quanto import quantize as quanto_quantize

    quanto_int8 = copy.deepcopy(model)
    quanto_quantize(quanto_int8, weights=qint8)
    print(quanto_int8)
    print(sum(type(m).__name__ == "QLinear" for m in quanto_int8.modules()),
          "QLinear layers")
    """),
    md("""
    **What to look at:** every `Linear`, including the pooler's `(dense)`, is now
    a `QLinear`; the embeddings and LayerNorms are unchanged. But the weights are
    still float32: until `freeze`, a `QLinear` quantizes its float weight again at
    every call (what quantization-aware training needs, section 8). `freeze`
    quantizes once and keeps only the codes and scales:
    """),
    code("""
    query = quanto_int8.encoder.layer[0].attention.self.query
    print("before freeze:", type(query.weight).__name__, query.weight.dtype)
    print(query.weight.detach()[:2, :4])

    freeze(quanto_int8)
    w = query.weight
    print("after freeze: ", type(w).__name__, "| codes", w._data.dtype,
          tuple(w._data.shape), "| scales", w._scale.dtype, tuple(w._scale.shape))
    print(w._data[:2, :4])
    print("scale x code:", w.dequantize()[:2, :4])
    """),
    md("""
    **What to look at:** after `freeze` the weight is a quanto tensor that holds
    int8 codes and one float32 scale per output row (384 of them; `_data` and
    `_scale` are quanto's names for them); multiplying them back gives values
    within half a step of the original weights.

    **How does an int8 layer compute?** Here, not in int8. The activations are
    float32, so each layer turns its codes back into floats,
    $\\hat w = s\\,q$, and multiplies in float (our `Int8Linear` multiplies by
    the codes and applies the per-row scale to the result, which is the same
    thing). Linear quantization is a storage format: the codes and scales mean
    nothing to a float unit until they are *dequantized*, which costs a little
    extra work in every layer. Downcasting is different: a bf16 number *is* a
    number the hardware computes with, so a bf16 model multiplies in bf16
    directly. Integer arithmetic happens only when the activations are quantized
    too (section 7).

    The other two versions, and the fp32 original:
    """),
    code("""
    sentences = examples.SENTENCES  # lesson 6 embeds the same eight
    print(*sentences, sep="\\n")

    quanto_int4 = copy.deepcopy(model)
    quanto_quantize(quanto_int4, weights=qint4)
    freeze(quanto_int4)

    versions = {
        "fp32": model,
        "course int8": layers.quantize_linear_layers(model, inplace=False),
        "quanto int8": quanto_int8,
        "quanto int4": quanto_int4,
    }
    """),
    md("""
    Quality is the cosine similarity between each sentence embedding and the fp32
    one (1.0 = same direction), and whether the ranking of sentences by
    similarity to the first one is unchanged. An embedding is the mean of the
    model's output vectors over the tokens of a sentence, scaled to length 1
    (what `models.embed` computes). Size is the true number of bytes of the
    stored tensors (`models.memory_footprint`, which, unlike transformers'
    `get_memory_footprint()`, counts quanto's codes).
    """),
    code("""
    def embed(m):
        return models.embed(m, tokenizer, sentences)

    reference = embed(model)
    """),
    code("""
    ref_ranking = models.similarity_ranking(reference)
    base = models.memory_footprint(model)


    def linear_part(m):
        \"\"\"Bytes of everything but the embeddings: the encoder and the pooler.\"\"\"
        return models.memory_footprint(m) - models.memory_footprint(m.embeddings)


    print(f"{'method':<13}{'size MiB':>9}{'vs fp32':>8}{'encoder+pooler MiB':>20}"
          f"{'cosine mean':>13}{'cosine min':>12}  same ranking")
    for name, m in versions.items():
        e = embed(m)
        cmp = models.compare_outputs(reference, e)
        size = models.memory_footprint(m)
        same = models.similarity_ranking(e) == ref_ranking
        print(f"{name:<13}{size / 2**20:>9.2f}{size / base:>8.2f}"
              f"{linear_part(m) / 2**20:>20.2f}{cmp['cosine_mean']:>13.6f}"
              f"{cmp['cosine_min']:>12.6f}  {same}")
    """),
    md("""
    **What to look at:**

    * **Size.** The encoder and the pooler (where all the linear layers are)
      shrink to about a quarter with int8 and further with int4, but the whole
      model shrinks less: MiniLM keeps a large word-embedding table (30,522 × 384
      floats, about half of its parameters) that is not a linear layer and stays
      in fp32. int4 is not a full 8× either, because quanto stores a scale and a
      shift for every group of 128 weights.
    * **Quality.** int8 embeddings point in almost exactly the same direction as
      fp32 ones (cosine within about $10^{-3}$ of 1); int4 loses more but still
      ranks the sentences the same way here. Our `Int8Linear` and quanto's int8
      use the same recipe (symmetric, per output channel), so their quality is
      close.
    """),
    md("""
    ## 6. Packing 4-bit codes

    A tensor of 4-bit codes held in `int8` still takes a byte per code, so on its
    own int4 saves nothing over int8. **Packing** puts two codes in each byte
    (`packing.pack`): the first code in the low 4 bits, the second in the high 4
    bits. `packing.unpack` gets them back.
    """),
    code("""
    qt4 = quant.quantize(W, n_bits=4, symmetric=True, granularity="per_group",
                         group_size=32)
    packed = packing.pack(qt4.q, 4, signed=True)
    print(f"codes: {qt4.q.numel():,} int8 values = {qt4.q.numel():,} bytes; "
          f"packed: {packed.numel():,} bytes")
    first_two = qt4.q.flatten()[:2].tolist()
    byte = packed[0].item()
    print(f"first two codes {first_two} -> byte {byte:08b} "
          f"(high 4 bits: code 2, low 4 bits: code 1)")
    unpacked = packing.unpack(packed, 4, qt4.q.numel(), signed=True)
    assert torch.equal(unpacked.reshape(qt4.q.shape), qt4.q)
    print("unpack(pack(q)) == q:", True)
    """),
    md("""
    **What to look at:** each code is stored as its 4-bit two's complement
    pattern, so a negative code such as −3 appears as `1101` in its half of the
    byte.

    How much does packing save on all linear weights of the model? Per group of
    32 weights, `quant` also stores one float32 scale (symmetric: no zero point),
    as `qt4.bits_per_value()` counts.
    """),
    code("""
    linear_weights = [m.weight for m in model.modules()
                      if isinstance(m, torch.nn.Linear)]
    n = sum(w.numel() for w in linear_weights)
    n_scales = n // 32
    scale_bytes = qt4.scale.element_size()  # float32: 4 bytes
    sizes = {
        "fp32": 4 * n,
        "int8 codes (1 byte each)": n,
        "int4 codes, unpacked": n + scale_bytes * n_scales,
        "int4 codes, packed": (n + 1) // 2 + scale_bytes * n_scales,
    }
    print(f"{n:,} linear-layer weights; bits per value of qt4: "
          f"{qt4.bits_per_value():g}")
    for name, size in sizes.items():
        share = size / sizes["fp32"]
        print(f"{name:<26}{size / 2**20:>8.2f} MiB  ({share:.3f} of fp32)")
    """),
    md("""
    **What to look at:** unpacked int4 is no smaller than int8 (it is even
    larger because of its scales); packed, the codes take half as much, and the
    group scales add 32 bits per 32 weights, one bit per weight (half that with
    fp16 scales, as most storage formats keep them): 5 bits per weight in all.
    """),
    md("""
    ## 7. Quantizing activations: calibration and W8A8

    To compute in integers, the *inputs* of each layer must be integer codes too:
    **W8A8**, 8-bit weights and 8-bit activations. Then a layer multiplies int8
    codes by int8 codes, adds the products in an int32 accumulator, and scales
    only the result back to float: $y_j = s_x s_j \\sum_k (q_{x,k} - z_x)
    q_{jk}$. On hardware with int8 units (GPU tensor cores, recent CPUs) that is
    faster, and it moves half the bytes of bf16. (This CPU has no such units:
    `calibration.W8A8Linear` computes the same exact integer sums with float64
    arithmetic, which is quicker here than torch's int8 kernel.)

    Weights are known in advance; activations are not: they depend on the input.
    So the activations' scale and zero point are fixed beforehand by
    **calibration**: run a few typical inputs through the float model while an
    **observer** at the input of every linear layer records what it sees, and
    take the scale and zero point from that range. Two kinds of observer
    (`course_utils.calibration`):

    * **min-max**: the smallest and largest value seen (torch's
      `MinMaxObserver` does the same);
    * **percentile**: the $100 - p$ and $p$ percentiles of all values seen, so
      the rarest extreme values are clipped instead of stretching the grid.

    Four calibration sentences, different from the eight we evaluate on:
    """),
    code("""
    calibration_sentences = [
        "The weather was cold and windy all week.",
        "She plays the violin in a small orchestra.",
        "Our flight was delayed by two hours.",
        "He fixed the bicycle's flat tyre himself.",
    ]


    def feed(m):
        for sentence in calibration_sentences:  # one at a time: no padding tokens
            models.embed(m, tokenizer, [sentence])


    observers = {
        "min-max": calibration.calibrate(model, feed, calibration.MinMaxObserver),
        "percentile 99.99": calibration.calibrate(
            model, feed, lambda: calibration.PercentileObserver(99.99)),
        "percentile 99.9": calibration.calibrate(
            model, feed, lambda: calibration.PercentileObserver(99.9)),
    }
    name = "encoder.layer.0.intermediate.dense"
    print(f"input of {name}, {observers['min-max'][name].n_seen:,} values seen:")
    for kind, seen in observers.items():
        x_min, x_max = seen[name].range()
        scale, zero_point = seen[name].scale_zero_point()
        print(f"  {kind:<17} range [{x_min:7.3f}, {x_max:7.3f}]  scale "
              f"{scale.item():.4f}  zero_point {zero_point.item()}")
    """),
    code("""
    print(f"{'W8A8, observer':<25}{'cosine mean':>13}{'cosine min':>12}  ranking")
    print(f"{'(fp32)':<25}{1:>13.6f}{1:>12.6f}  {ref_ranking}")
    for kind, seen in observers.items():
        e = embed(calibration.quantize_w8a8(model, seen))
        cmp = models.compare_outputs(reference, e)
        print(f"{kind:<25}{cmp['cosine_mean']:>13.6f}{cmp['cosine_min']:>12.6f}"
              f"  {models.similarity_ranking(e)}")
    """),
    md("""
    **What to look at:** W8A8 with min-max calibration keeps the embeddings close
    to fp32 (a cosine around 0.99), but clearly less close than weight-only int8
    (W8A32, above): every activation is now rounded too. The ranking lists the
    other sentences from the most to the least similar to the first one; if it
    changes at all, look where: the sentences at its end are nearly tied (their
    similarities to the first are all close to 0), and there a small error can
    swap two. The percentiles behave unexpectedly: 99.99 is about as good as
    min-max, but 99.9 breaks the model: its cosines fall far below 1.

    The ranges printed above show why. The input of this layer runs from about
    −6 to 28.5, but almost all its values are small (99.8% of them lie inside
    the 99.9 range). The large ones are not noise but **outlier features**: a
    handful of the 384 dimensions take large values at some tokens ([CLS],
    [SEP], punctuation, short words), and the model relies on them (Bondarenko
    et al., 2021, describe them in BERT-like models). Clipping them loses exactly
    the information that matters; min-max keeps them, at the price of a coarse
    grid for all the other values. Handling such outliers is what several
    methods of section 8 are about.
    """),
    md("""
    ## 8. Where this sits among today's methods

    ### Post-training quantization and quantization-aware training
    Everything in this lesson is **post-training quantization (PTQ)**: a trained
    model is quantized afterwards, with no training and at most a little
    calibration data (section 7). **Quantization-aware training (QAT)** instead
    quantizes *during* training or fine-tuning: the forward pass uses
    fake-quantized weights (and activations), $\\hat x = s\\,(q - z)$ computed
    from the current float weights, so the loss sees the rounding; the backward
    pass treats `round` as if it were the identity (the *straight-through
    estimator*), and the float weights learn to sit where rounding hurts least.
    QAT recovers more quality at 4 bits and below, but it needs training data,
    compute and time; PTQ needs none of them, which is why it is tried first.
    (An unfrozen quanto `QLinear`, section 5, is such a fake-quantized layer.)

    ### A map of today's methods
    They all build on this lesson's grid, scales and zero points, and differ in
    *what* they quantize and *how* they choose the codes. **LLM.int8()**
    (Dettmers et al., 2022; the `bitsandbytes` library) runs W8A8 matrix
    multiplications with one scale per row and column, but keeps the few
    outlier feature dimensions of the activations (section 7) in fp16.
    **SmoothQuant** (Xiao et al., 2022) makes W8A8 work without such exceptions:
    it divides each activation channel by a smoothing factor and multiplies the
    matching weight column by it, which moves the outliers' difficulty from the
    activations into the weights, where it is easy to handle. **GPTQ** (Frantar
    et al., 2022) quantizes weights to 4 (or 3) bits one column at a time and
    adjusts the not-yet-quantized columns to make up for each rounding error,
    using second-order statistics of calibration inputs. **AWQ** (Lin et al.,
    2023) protects the small share of weight channels that meet large
    activations by scaling them up before 4-bit quantization, with scales
    searched on calibration data. **HQQ** (Badri and Shaji, 2023) needs no
    calibration data at all: it optimises the zero point and scale of every
    group of weights directly, so it quantizes a large model in minutes.
    **QLoRA** (Dettmers et al., 2023) fine-tunes a frozen 4-bit model (in NF4, a
    4-bit format whose levels follow a normal distribution, with the group scales
    quantized too) through small trainable low-rank adapters kept in bf16.
    **GGUF** is the file format of llama.cpp for running models on laptops and
    CPUs: weights in blocks of 32 (or super-blocks of 256) values, each block
    with its own scale (and minimum), from 8 down to 2 bits per weight. This
    course downloads none of them; each is a refinement of per-group scales,
    calibration, or both.
    """),
]
