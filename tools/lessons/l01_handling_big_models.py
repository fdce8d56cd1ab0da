"""Lesson 1, handling big models: the cells of its notebook.

``python -m tools.generate`` writes them to ``notebooks/01_handling_big_models.ipynb``;
edit them here, not in the notebook.
"""

from tools.course import next_step
from tools.nbbuild import SETUP_CELL as SETUP
from tools.nbbuild import code, md, text

NAME = "01_handling_big_models"

CELLS = [
    md("""
    # Lesson 1: Handling big models

    Large language models have billions of parameters, and every parameter is a
    number stored in memory. This course is about how those numbers are stored
    (their *data types*) and how to store them in fewer bits without spoiling the
    model: downcasting and quantization. This lesson starts with the tool and then
    answers three questions with real numbers:

    - **PyTorch and tensors** (section 0): the library the course uses, and the
      object that holds a model's numbers.
    - **How big is a model?** (sections 1 and 2) Parameters × bytes per
      parameter, checked on a real model that you load in a second.
    - **Does it fit?** (section 3) A 7-billion and a 70-billion parameter model
      in fp32, bf16, int8 and int4, against the memory of a laptop and of common
      GPUs.
    - **How do we make it smaller?** (sections 4 and 5) Quantization, pruning
      and knowledge distillation, and what each one gives up.

    Run the cells from top to bottom (Shift+Enter). Everything runs offline on a CPU
    in a few seconds.
    """),
    code(SETUP),
    code("""
    import copy

    import torch

    from course_utils import models, viz

    # Small tensors: one thread is about as quick as two, far quicker on a busy CPU.
    torch.set_num_threads(1)
    """),
    md("""
    ## 0. PyTorch and tensors

    **PyTorch** is a Python library for deep learning. It stores numbers in
    tensors and does arithmetic on them, on a CPU or a GPU; it computes gradients
    by itself (*autograd*), which is what training needs; and it provides the
    building blocks of neural networks (`torch.nn`: linear layers, attention,
    optimizers). The model of this course is a PyTorch module. Other libraries
    do the same job: **TensorFlow** (with Keras) and **JAX**, both from Google;
    for the tensors alone, without gradients or layers, **NumPy**'s arrays are
    the classic (PyTorch tensors convert to and from them).

    A **tensor** is a multi-dimensional array of numbers that all have the same
    type: a single number (0 dimensions), a vector (1), a matrix (2) or more
    dimensions, such as a batch of sentences × tokens × features (3). Every torch
    tensor carries three facts about itself:

    - its **dtype**: how each number is stored (`torch.float32`, `torch.int64`,
      ...), which fixes the bytes per number;
    - its **shape**: how many numbers it has along each dimension;
    - its **device**: where its memory is, `cpu` here (a GPU would be `cuda:0`).
    """),
    code("""
    t = torch.tensor([[1.5, -2.0, 0.25], [3.0, 0.0, 8.0]])
    print(t)
    print("dtype:", t.dtype, "| shape:", tuple(t.shape), "| device:", t.device)
    print(f"{t.numel()} numbers x {t.element_size()} bytes = {t.nbytes} bytes")

    ids = torch.tensor([101, 7592, 102])      # whole numbers get an integer dtype
    print("ids:", ids.dtype, tuple(ids.shape), "| as NumPy:", repr(ids.numpy()))
    print("the same numbers in 16 bits:", t.to(torch.bfloat16).dtype,
          t.to(torch.bfloat16).nbytes, "bytes")
    """),
    md("""
    **What to look at:** the same six numbers take 24 bytes as `float32` and 12
    as `bfloat16`: the dtype alone decides the memory. Changing a tensor's dtype
    is what the rest of the course is about.

    ## 1. Size = parameters × bytes per parameter

    Data types say how many bits a number takes and how those bits are read
    (integer or floating point, signed or not); together that fixes which numbers
    can be stored (the range), how finely (the precision) and how much memory
    they take. The ones this lesson uses are fp32, bf16 (16-bit floats), int8
    and int4. A parameter's **dtype** (data type) fixes how many bits store it.
    PyTorch tells you the bits of every floating-point type with `torch.finfo`
    and of every integer type with `torch.iinfo`; divide by 8 to get bytes.
    PyTorch has no 4-bit arithmetic type: 4-bit codes are stored two to a byte
    (lesson 5 packs them), so an int4 parameter takes half a byte.
    """),
    code("""
    bytes_per_param = {
        "fp32": torch.finfo(torch.float32).bits / 8,
        "bf16": torch.finfo(torch.bfloat16).bits / 8,
        "int8": torch.iinfo(torch.int8).bits / 8,
        "int4": 4 / 8,
    }
    for dtype, n_bytes in bytes_per_param.items():
        print(f"{dtype:>5}: {n_bytes:g} bytes per parameter")
    """),
    md("""
    ## 2. A real model: all-MiniLM-L6-v2

    The course uses a real pretrained model, **all-MiniLM-L6-v2**, which turns a
    sentence into a vector of 384 numbers (an *embedding*) so that sentences with
    similar meanings get similar vectors. It is small enough for any laptop and
    ships inside a Python package, so it loads without internet.

    Count its parameters, multiply by 4 bytes (it is stored in fp32), and compare
    with the bytes the weights really occupy in memory (`models.memory_footprint`
    adds up the bytes of every stored tensor) and with the size of the file on disk.
    """),
    code("""
    model = models.load_model()  # fp32, from the course package, offline
    n_params = sum(p.numel() for p in model.parameters())
    measured = models.memory_footprint(model)
    on_disk = (models.packaged_model_path() / "model.safetensors").stat().st_size

    print(f"parameters           {n_params:>12,}")
    print(f"parameters x 4 bytes {n_params * 4:>12,} bytes")
    print(f"measured in memory   {measured:>12,} bytes "
          f"= {models.format_bytes(measured)}")
    print(f"file on disk         {on_disk:>12,} bytes "
          f"({on_disk - measured:,} bytes more)")
    """),
    md("""
    The formula is exact: the weights take precisely 4 bytes per parameter. The
    file is about 15 KB larger because it also holds a header (the name, shape and
    dtype of every tensor) and a small table of position ids that the model
    rebuilds by itself.

    This model is tiny by today's standards: 23 million parameters, under 100 MB.
    The models people want to run are 300 to 3000 times larger.

    ## 3. Big models against real memory

    Take a **7B** model (7 billion parameters, the size of Llama-2-7B or Mistral-7B)
    and a **70B** model (the size of Llama-2-70B). The names are rounded (Llama-2-7B
    has 6.7 billion parameters); round numbers keep the arithmetic visible.

    Memory chips are sold in binary units: a "24 GB" GPU has 24 GiB = 24 × 2³⁰
    bytes = 25.8 billion bytes. Below, model sizes are in decimal GB (10⁹ bytes) and
    every device is converted to bytes first, so the comparison is fair.
    """),
    code("""
    n_params_of = {"7B": 7e9, "70B": 70e9}
    GiB = 2**30
    devices = {
        "laptop, 16 GiB RAM": 16 * GiB,
        "gaming GPU, 24 GiB": 24 * GiB,
        "data-centre GPU, 80 GiB": 80 * GiB,
    }
    sizes = {
        name: {dtype: n * b for dtype, b in bytes_per_param.items()}
        for name, n in n_params_of.items()
    }

    print(f"{'model':<6}{'dtype':<6}{'weights':>10}   "
          + "  ".join(f"{d.split(',')[0]:>16}" for d in devices))
    for name, per_dtype in sizes.items():
        for dtype, n_bytes in per_dtype.items():
            fits = ["fits" if n_bytes <= cap else "too big" for cap in devices.values()]
            print(f"{name:<6}{dtype:<6}{n_bytes / 1e9:>7.1f} GB   "
                  + "  ".join(f"{f:>16}" for f in fits))
    """),
    code("""
    viz.model_memory(sizes, devices, title="Weights alone, per model and dtype")
    """),
    md("""
    **What to look at:** the bars are on a log scale, so every step down the list
    of dtypes (fp32 → bf16 → int8 → int4) is the same distance: the size halves
    each time. A bar that ends left of a vertical line fits in that device's
    memory. A 7B model needs bf16 to fit a 24 GiB gaming GPU; on a 16 GiB laptop
    bf16 fits only just (14 of 17.2 GB, and the operating system needs its share),
    so int8 or int4 is the practical choice. A 70B model fits one 80 GiB GPU only
    in int8 or int4, and a 16 GiB laptop in none of these dtypes.

    These are the weights alone. *Running* a model also needs memory for the
    activations and, for a chatbot, the cache of past tokens. *Training* needs far
    more: with the usual recipe (mixed precision and the Adam optimizer, lesson 3)
    each parameter costs about 16 bytes: 2 for bf16 weights, 2 for bf16
    gradients, 4 for an fp32 master copy of the weights and 4 + 4 for Adam's two
    running averages (Rajbhandari et al., *ZeRO*, 2020).
    """),
    code("""
    train_bytes_per_param = 2 + 2 + 4 + 4 + 4
    for name, n in n_params_of.items():
        print(f"training {name}: about {n * train_bytes_per_param / 1e9:,.0f} GB, "
              f"before any activations")
    """),
    md("""
    Even the 7B model cannot be trained this way on one 80 GiB GPU. Memory, not
    arithmetic, is what first stops you from using a big model.

    ## 4. Three ways to make a model smaller

    1. **Quantization** stores each parameter in fewer bits (bf16, int8, int4)
       and keeps all of them. It is the subject of this course.
    2. **Pruning** removes parameters: weights, neurons, attention heads or whole
       layers that matter least.
    3. **Knowledge distillation** trains a small *student* model to imitate the
       outputs of a large *teacher* model.

    ### Pruning, tried on the real model

    The simplest pruning sets the half of the weights with the smallest magnitude
    to zero in every linear layer of the encoder. Try it on a copy of the model
    and ask two questions: did memory shrink, and do the embeddings change?
    """),
    code("""
    pruned = copy.deepcopy(model)
    with torch.no_grad():
        for module in pruned.encoder.modules():
            if isinstance(module, torch.nn.Linear):
                w = module.weight
                threshold = w.abs().flatten().kthvalue(w.numel() // 2).values
                w[w.abs() <= threshold] = 0.0

    layer = pruned.encoder.layer[0].intermediate.dense.weight
    print(f"zeros in one pruned layer: {(layer == 0).float().mean():.0%}")
    for name, m in (("before", model), ("after", pruned)):
        size = models.format_bytes(models.memory_footprint(m))
        print(f"memory {name} pruning: {size}")
    """),
    md("""
    Nothing was saved: a zero in an fp32 tensor still takes 4 bytes. To save memory
    the zeros must not be stored, for example in a *sparse* format that keeps only
    the non-zero values and their positions. Here is the same layer in PyTorch's
    compressed sparse row (CSR) format:
    """),
    code("""
    sparse = layer.to_sparse_csr()
    sparse_bytes = models.tensors_nbytes(
        [sparse.values(), sparse.col_indices(), sparse.crow_indices()]
    )
    print(f"dense layer:  {models.tensors_nbytes([layer]):>9,} bytes")
    print(f"sparse (CSR): {sparse_bytes:>9,} bytes  "
          f"(index dtype {sparse.col_indices().dtype})")
    """),
    md("""
    The sparse layer is *bigger*: every kept value needs its 4 bytes plus an 8-byte
    column index. Unstructured pruning pays off only at much higher sparsity, with
    small indices, or on hardware with special sparse support. That is why practical
    pruning usually removes whole structures (heads, neurons, layers), so the
    remaining tensors are simply smaller.

    And the model's behaviour? Embed a few sentences with both models and measure
    the *cosine similarity* of each pair of embeddings (1.0 = same direction).
    """),
    code("""
    tokenizer = models.load_tokenizer()
    sentences = [
        "The train to the airport leaves every ten minutes.",
        "Fresh basil makes the tomato sauce taste better.",
        "The committee postponed its decision until next spring.",
    ]
    reference = models.embed(model, tokenizer, sentences)
    after_pruning = models.embed(pruned, tokenizer, sentences)
    result = models.compare_outputs(reference, after_pruning)
    print(f"cosine similarity to the original: mean {result['cosine_mean']:.3f}, "
          f"worst {result['cosine_min']:.3f}")
    """),
    md("""
    Pruning half the weights without retraining moves the embeddings visibly.
    Real pruning methods therefore fine-tune the model afterwards to win the
    quality back, which costs training time and data.

    ### Knowledge distillation: our model is a student

    all-MiniLM-L6-v2 is itself a product of distillation. MiniLM (Wang et al.,
    2020) was trained to imitate the self-attention of a larger BERT teacher; the
    "L6" version keeps 6 of its layers and a width of 384. BERT-base, the classic
    teacher, has 12 layers, a width of 768 and 110 million parameters (Devlin et
    al., 2019).
    """),
    code("""
    cfg = model.config
    print(f"student: {cfg.num_hidden_layers} layers, width {cfg.hidden_size}, "
          f"{n_params / 1e6:.1f} M parameters")
    print(f"BERT-base: 12 layers, width 768, 110 M parameters "
          f"-> {110e6 / n_params:.1f} x larger")
    """),
    md("""
    Distillation gives a genuinely smaller model, but it needs a full training run
    with a teacher and lots of data. Quantization needs neither: it works on the
    trained model you already have. That makes it the first tool to reach for.

    ## 5. What quantization trades

    Fewer bits per parameter means fewer different values a parameter can take.
    A bit pattern of *n* bits has 2ⁿ possible values:
    """),
    code("""
    for dtype, n_bytes in bytes_per_param.items():
        n_bits = int(n_bytes * 8)
        print(f"{dtype:>5}: {n_bits:>2} bits -> {2**n_bits:>13,} different values")
    """),
    md("""
    Every weight has to be rounded to the nearest value that the format can hold.
    You can see this on a real layer: count how many *different* numbers one weight
    matrix of the model contains, and how many are left after casting it to bf16.
    """),
    code("""
    w = model.encoder.layer[0].attention.self.query.weight.detach()
    print(f"weights in the matrix:        {w.numel():>7,}")
    print(f"different values in fp32:     {torch.unique(w).numel():>7,}")
    w_bf16 = w.to(torch.bfloat16)
    print(f"different values after bf16:  {torch.unique(w_bf16).numel():>7,}")
    """),
    md(text("""
    In fp32 almost every weight is a different number; in bf16 they share a few
    thousand values. So quantization trades **precision** for **memory** (and, on
    hardware that supports the smaller types, for speed, because less data has to
    move from memory to the arithmetic units). The rest of the course measures that
    trade:

    - Lesson 2 looks inside the bits of integer and floating-point types.
    - Lesson 3 measures the error of downcasting fp32 to bf16 and fp16.
    - Lesson 4 loads this model in other dtypes and compares the outputs.
    - Lesson 5 quantizes it to 8 and 4 bits.

    ## Summary

    - PyTorch is a library of tensors and neural-network layers; a tensor is an
      array of numbers with a dtype, a shape and a device.
    - Weight memory = number of parameters × bytes per parameter; it matched the
      real model to the byte.
    - 7B and 70B models exceed common GPU and laptop memory in fp32; halving the
      bytes per parameter again and again is what makes them fit.
    - Pruning and knowledge distillation are the two other ways to shrink a model;
      plain unstructured pruning saved no memory here, and both usually need
      retraining.
    - Quantization keeps every parameter but gives each fewer possible values.
    """) + "\n\n" + next_step(NAME)),
]
