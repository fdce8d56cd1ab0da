"""Lesson 4, loading in other dtypes: the cells of its notebook.

``python -m tools.generate`` writes them to ``notebooks/04_loading_models.ipynb``;
edit them here, not in the notebook.
"""

from tools.course import next_step
from tools.nbbuild import SETUP_CELL as SETUP
from tools.nbbuild import code, md, text

NAME = "04_loading_models"

CELLS = [
    md("""
    # Lesson 4: Loading models in other dtypes

    Lesson 3 downcast single tensors. Now whole models: first a small one you build
    yourself, then the real pretrained all-MiniLM-L6-v2 loaded in fp32, bf16 and
    fp16. The sections:

    1. **A small model, built in code**: the dtype of every parameter, its true
       memory footprint counted by hand, and casting a copy to fp16 (`.to()`
       changes a model in place);
    2. **`torch.set_default_dtype`**: the dtype of everything built afterwards;
    3. **The real model in fp32, bf16 and fp16**: dtypes and footprints;
    4. **Do the outputs change?** Embedding similarity to fp32, and whether a
       ranking of sentences by meaning stays the same;
    5. **The peak memory of loading**: directly in 16 bits, or in fp32 and then
       downcast, measured in a fresh process;
    6. **fp16 and bf16 on this CPU**: what they cost in time, measured rather
       than assumed.

    Run the cells from top to bottom. Everything runs offline on a CPU.
    """),
    code(SETUP),
    code("""
    import copy
    import time

    import torch

    from course_utils import models, viz

    # Small tensors: one thread is about as quick as two, far quicker on a busy CPU.
    torch.set_num_threads(1)
    """),
    md("""
    Section 5 measures the memory of loading the real model in a separate, fresh
    Python process. That process needs several seconds to start, so we start it
    now: it works in the background while you read sections 1 to 4, and section 5
    collects its numbers.
    """),
    code("""
    memory_cases = [(torch.float32, None), (torch.bfloat16, None),
                    (torch.bfloat16, torch.float32)]
    memory_job = models.start_load_memories(memory_cases)
    """),
    md("""
    ## 1. A small model, built in code

    `models.build_tiny_model()` builds a model small enough to read completely: a
    table of 10 token embeddings of width 8, a linear layer to width 16, GELU,
    LayerNorm and a linear output layer of width 4 without bias. Its weights are
    random (seeded), which is all we need to look at dtypes and bytes.
    """),
    code("""
    tiny = models.build_tiny_model()
    print(tiny)
    print()
    for name, param in tiny.named_parameters():
        print(f"{name:<14} {str(tuple(param.shape)):<9} {str(param.dtype):<14} "
              f"{param.numel():>4} numbers")
    """),
    md("""
    Count by hand: 10·8 (embedding) + 8·16 + 16 (linear) + 16 + 16 (LayerNorm) +
    16·4 (head) = 320 numbers, 4 bytes each in fp32. `models.memory_footprint`
    adds up the bytes of every tensor in the model's `state_dict()`:
    """),
    code("""
    n = sum(p.numel() for p in tiny.parameters())
    print(f"{n} parameters x 4 bytes = {n * 4} bytes; measured: "
          f"{models.memory_footprint(tiny)} bytes")
    """),
    md("""
    ### Casting a model changes it in place

    `module.to(dtype)` converts every floating-point parameter and buffer, and
    returns **the same module object**, not a copy. To keep the original next to
    the converted model, copy it first with `copy.deepcopy`:
    """),
    code("""
    same = tiny.to(torch.float32)
    print("tiny.to(...) returns the same object:", same is tiny)

    tiny_fp16 = copy.deepcopy(tiny).to(torch.float16)
    print("copy:    ", models.dtype_summary(tiny_fp16),
          models.memory_footprint(tiny_fp16), "bytes")
    print("original:", models.dtype_summary(tiny),
          models.memory_footprint(tiny), "bytes")
    """),
    md("""
    Run both on the same token ids. The fp16 model needs no special input (token ids
    are integers); its output is fp16. `models.compare_outputs` measures how far
    apart two outputs are: cosine similarity of each output vector with its fp32
    counterpart, and the largest and mean absolute difference.
    """),
    code("""
    ids = torch.tensor([[3, 1, 4, 1, 5, 9, 2, 6]])
    with torch.no_grad():
        out32, out16 = tiny(ids), tiny_fp16(ids)
    print("output dtypes:", out32.dtype, out16.dtype)
    for key, value in models.compare_outputs(out32, out16).items():
        print(f"{key:>14}: {value:.7f}")
    """),
    md("""
    ## 2. `torch.set_default_dtype`

    New floating-point tensors, including the weights a layer creates when it is
    built, get PyTorch's **default dtype**, normally fp32. `torch.set_default_dtype`
    changes it for everything built afterwards. It accepts only floating-point
    types, leaves integer tensors alone, and does not touch tensors that already
    exist. It is global state, so set it back when you are done (`try/finally`
    makes sure that happens even if something fails).
    """),
    code("""
    torch.set_default_dtype(torch.bfloat16)
    try:
        built_in_bf16 = models.TinyModel()
        print("new model:        ", models.dtype_summary(built_in_bf16))
        print("torch.tensor(2.5):", torch.tensor(2.5).dtype)
        print("torch.tensor(7):  ", torch.tensor(7).dtype)
        print("existing model:   ", models.dtype_summary(tiny))
    finally:
        torch.set_default_dtype(torch.float32)
    print("default restored: ", torch.get_default_dtype())

    try:
        torch.set_default_dtype(torch.int8)
    except TypeError as err:
        print("int8 as default:   TypeError:", err)
    """),
    md("""
    ## 3. The real model in fp32, bf16 and fp16

    `models.load_model(dtype=...)` loads the packaged all-MiniLM-L6-v2 with its
    weights in the dtype you ask for (it passes `dtype` to transformers'
    `AutoModel.from_pretrained`). Load it three times and compare.
    """),
    code("""
    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    loaded = {name: models.load_model(dtype=dtype) for name, dtype in dtypes.items()}
    tokenizer = models.load_tokenizer()

    fp32_bytes = models.memory_footprint(loaded["fp32"])
    print(f"{'':5}{'parameters by dtype':<28}{'footprint':>12}{'vs fp32':>9}"
          f"{'transformers says':>20}")
    for name, model in loaded.items():
        size = models.memory_footprint(model)
        print(f"{name:<5}{str(models.dtype_summary(model)):<28}"
              f"{models.format_bytes(size):>12}{size / fp32_bytes:>9.2f}"
              f"{model.get_memory_footprint():>20,}")
    """),
    md("""
    Every parameter is in the requested dtype and the footprint halves exactly.
    transformers' own `get_memory_footprint()` reports 8,192 bytes more in every
    dtype: it also counts two integer buffers (`position_ids` and
    `token_type_ids`, 512 int64 numbers each) that are not part of the saved
    weights. Integer tensors are never converted by a dtype change:
    """),
    code("""
    for name, buffer in loaded["bf16"].named_buffers():
        print(f"{name:<28} {buffer.dtype}  {tuple(buffer.shape)}")
    """),
    md("""
    ## 4. Do the outputs change?

    Running a trained model on new inputs to get its outputs, without training
    it, is called **inference**; everything in this section is inference. The
    model turns sentences into embeddings. Embed a question and five other
    sentences with each of the three models and compare with fp32.
    """),
    code("""
    sentences = [
        "How do I keep my laptop battery healthy?",
        "Tips for making a notebook computer's battery last longer.",
        "Charging habits that extend the life of lithium-ion batteries.",
        "My phone's battery drains too fast.",
        "The best hiking trails near the lake.",
        "A recipe for lemon cake with poppy seeds.",
    ]
    emb = {name: models.embed(model, tokenizer, sentences)
           for name, model in loaded.items()}

    for name in ("bf16", "fp16"):
        r = models.compare_outputs(emb["fp32"], emb[name])
        print(f"{name} vs fp32: cosine similarity mean {r['cosine_mean']:.6f}, "
              f"worst {r['cosine_min']:.6f}; largest difference of one number "
              f"{r['max_abs_diff']:.1e}")
    """),
    md("""
    Both 16-bit models give embeddings pointing in almost exactly the direction of
    the fp32 ones (a cosine similarity of 1 would be the same direction). The two
    are not equally close: compare their distances from 1 with the fraction bits
    of their formats (section 1 of lesson 3).

    What a user sees is the *ranking*: which sentences are most similar to the
    question? Similarity is the dot product of two (normalised) embeddings.
    """),
    code("""
    print(f"{'sentence':<64}" + "".join(f"{name:>8}" for name in emb))
    scores = {name: e @ e[0] for name, e in emb.items()}
    for i, sentence in enumerate(sentences[1:], start=1):
        print(f"{sentence:<64}" + "".join(f"{s[i]:>8.4f}" for s in scores.values()))
    print()
    for name, e in emb.items():
        print(f"{name} ranking: {models.similarity_ranking(e, query=0)}")
    change = max((scores[n] - scores["fp32"]).abs().max().item()
                 for n in ("bf16", "fp16"))
    print(f"largest change of a similarity score: {change:.1e}")
    """),
    md("""
    **What to look at:** the rankings are identical. The closest call is between
    the lithium-ion sentence and the phone sentence, whose scores differ by only
    about 0.003; the 16-bit models move a score by less than a third of that, so
    the order holds. For this model, 16-bit weights change what the user sees only
    when two sentences are almost exactly tied.

    ## 5. Load directly in low precision, or load fp32 and downcast?

    Two ways to end up with a bf16 model:

    - `models.load_model(dtype=torch.bfloat16)`: ask transformers for bf16 at
      load time;
    - `models.load_model().to(torch.bfloat16)`: load fp32, then downcast.

    Which one needs less memory *while loading*? Measuring that needs care:
    memory freed by earlier cells of this notebook would be reused and hide the
    cost. So `models.start_load_memories` (called at the top of this notebook;
    `models.measure_load_memories` does the same and waits for the result) starts
    a fresh Python process. It loads the model once to warm up (so the code that
    runs on a first load is not counted as model memory), then, for each case in
    `memory_cases`, hands freed memory back to the operating system, resets the
    system's peak-memory counter, loads the model, and records the process's
    *resident* memory (RSS: the RAM it really occupies) at the peak, after
    loading, and after reading every weight once. The fp32 direct load is
    measured too, for reference.
    """),
    code("""
    runs = memory_job.result()  # started at the top; waits if not finished yet

    def label(run):
        return (f"{run.dtype}, direct" if run.via == "direct"
                else f"{run.via} then .to({run.dtype})")

    MiB = 2**20
    print(f"{'':<28}{'peak while':>12}{'after':>10}{'after use':>11}{'weights':>9}")
    print(f"{'(MiB above the start)':<28}{'loading':>12}{'loading':>10}"
          f"{'':>11}{'':>9}")
    for run in runs:
        print(f"{label(run):<28}{run.peak_increase / MiB:>12.1f}"
              f"{(run.rss_after - run.rss_before) / MiB:>10.1f}"
              f"{run.increase_after_use / MiB:>11.1f}{run.footprint / MiB:>9.1f}")
    direct, cast = runs[1], runs[2]
    print()
    print(f"the two ways to a bf16 model: peaks {direct.peak_increase / MiB:.1f} and "
          f"{cast.peak_increase / MiB:.1f} MiB, "
          f"{abs(direct.peak_increase - cast.peak_increase) / MiB:.1f} MiB apart")

    viz.memory_bars(
        {label(r): {"peak while loading": r.peak_increase,
                    "after reading every weight": r.increase_after_use}
         for r in runs},
        xlabel="MiB of resident memory above the start",
        title="Memory of loading all-MiniLM-L6-v2, measured in a fresh process")
    """),
    md("""
    **What to look at:** three things, each with a reason.

    - **fp32, direct: almost nothing at load time, the full size after use.**
      The checkpoint is a `safetensors` file stored in fp32. When no conversion is
      needed, the weights are *memory-mapped*: the operating system maps the file
      into the process and reads each page from disk only when it is first
      touched. Reading every weight brings the resident size up to the weights'
      87 MiB.
    - **bf16, direct, and fp32 then `.to(bf16)`: the same peak, about 87 + 43
      MiB.** The file holds fp32 numbers, so either way every fp32 weight is read
      from the mapped file (87 MiB of file pages, resident while mapped) while the
      bf16 copy (43 MiB of new memory) is built. In the second case the "fp32
      model" is itself just the mapped file, so it costs no extra copy. (We checked
      the split by sampling the process's file-backed and private memory during
      loading.) File pages are the cheaper kind: the operating system can drop
      them under memory pressure and read them again from disk.
    - **After loading, the bf16 model holds half the memory of the fp32 one**,
      whichever way it was made.

    So with safetensors files, the advice "load directly in low precision to avoid
    the fp32 peak" made no difference to peak memory here; the saving is in the
    model you keep. Loading directly in low precision does matter elsewhere: on a
    GPU, where `dtype=` keeps the fp32 copy out of the scarce GPU memory; with old
    `pytorch_model.bin` checkpoints, which are read completely into private
    memory; and with checkpoints stored in bf16, as most large models on the hub
    are today, where loading in bf16 reads half the bytes and converts nothing.

    ## 6. fp16 and bf16 on this CPU

    16-bit types halve memory everywhere, but whether they are *fast* depends on
    the hardware. GPUs have 16-bit matrix units. Many CPUs have no 16-bit
    arithmetic: they convert to fp32 and back. Older PyTorch versions even refused
    fp16 matrix multiplication on the CPU (`"addmm_impl_cpu_" not implemented
    for 'Half'`). Measure what this PyTorch does on this machine: does fp16 run,
    and how fast are the three dtypes, for a matrix multiplication and for the
    real model? (Times are the best of a few runs on one thread; other programs
    running on the machine make them noisy.)
    """),
    code("""
    print("PyTorch", torch.__version__, "| CPU vector instructions:",
          torch.backends.cpu.get_cpu_capability())


    def best_time(fn, repeats=3):
        fn()  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)


    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: steadier timings, same for every dtype
    timings = {}
    for name, dtype in dtypes.items():
        a, b = torch.randn(256, 256).to(dtype), torch.randn(256, 256).to(dtype)
        matmul = best_time(lambda a=a, b=b: a @ b)
        try:
            with torch.inference_mode():
                forward = best_time(lambda m=loaded[name]: m(**batch), repeats=2)
        except RuntimeError as err:  # older PyTorch versions: fp16 not on CPU
            forward = float("nan")
            print(f"{name}: the model does not run: {err}")
        timings[name] = (matmul, forward)
    torch.set_num_threads(threads)

    f32_mm, f32_fw = timings["fp32"]
    print(f"{'':5}{'256x256 matmul':>16}{'vs fp32':>9}{'model, 6 sentences':>22}"
          f"{'vs fp32':>9}")
    for name, (mm, fw) in timings.items():
        print(f"{name:<5}{mm * 1e3:>13.2f} ms{mm / f32_mm:>9.1f}{fw * 1e3:>19.0f} ms"
              f"{fw / f32_fw:>9.1f}")
    """),
    md("""
    **How to read the ratios:** above 1 means slower than fp32. When this lesson
    was written (PyTorch 2.13 on a 2-core AMD EPYC CPU with AVX2), fp16 ran
    without error and gave the accurate outputs of section 4, but both 16-bit
    types were slower than fp32, the bare matrix multiplication by more than ten
    times: this CPU has no 16-bit arithmetic units. Your numbers depend on your
    CPU (and on what else is running): CPUs with AVX-512 BF16, AVX-512 FP16 or AMX
    units (recent Intel Xeons) can make 16-bit faster than fp32. Measure before
    you choose: on a CPU like this one, 16-bit weights save memory but cost time.
    """),
    md(text("""
    ## Summary

    - `model.to(dtype)` converts floating-point parameters and buffers **in
      place**; `copy.deepcopy` first if you need the original. Integer buffers are
      left alone.
    - `torch.set_default_dtype` sets the dtype of newly built floating-point
      tensors and layers; restore it afterwards.
    - all-MiniLM-L6-v2 in bf16 or fp16 takes exactly half the bytes of fp32, its
      embeddings keep a cosine similarity above 0.9999 to fp32, and the similarity
      ranking of our sentences is unchanged.
    - With this safetensors checkpoint stored in fp32, loading directly in bf16
      had the **same peak memory** as loading fp32 and then downcasting (the fp32
      weights are memory-mapped from the file either way); the bf16 model then
      keeps half the memory.
    - On a CPU without 16-bit arithmetic, fp16 and bf16 run, but slower than fp32;
      measure on your own hardware.
    """) + "\n\n" + next_step(NAME)),
]
