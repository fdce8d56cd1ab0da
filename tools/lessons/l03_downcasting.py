"""Lesson 3, downcasting: the cells of its notebook.

``python -m tools.generate`` writes them to ``notebooks/03_downcasting.ipynb``;
edit them here, not in the notebook.
"""

from tools.course import next_step
from tools.nbbuild import SETUP_CELL as SETUP
from tools.nbbuild import code, md, text

NAME = "03_downcasting"

CELLS = [
    md("""
    # Lesson 3: Downcasting

    *Downcasting* stores numbers in a smaller floating-point type: fp32 (4 bytes)
    becomes bf16 or fp16 (2 bytes). It is the simplest way to halve a model's
    memory, and the first step before the integer quantization of lesson 5. In this
    lesson you measure what it costs:

    1. What happens to single numbers: range and precision, fp16 against bf16.
    2. The error of a **dot product** as it grows, and which way rounding moves
       it.
    3. The error of a **matrix multiplication** as it grows, and why it stays
       small.
    4. The memory saved, and what that memory buys.
    5. **Mixed-precision training**: how models are trained in 16 bits without
       losing accuracy, and why it works.

    Run the cells from top to bottom. Everything runs offline on a CPU.
    """),
    code(SETUP),
    code("""
    import torch

    from course_utils import bits, downcasting, models, viz

    # Small tensors: one thread is about as quick as two, far quicker on a busy CPU.
    torch.set_num_threads(1)
    """),
    md("""
    ## 1. Downcasting numbers: range and precision

    `tensor.to(dtype)` converts a tensor. Going down to 16 bits, each number is
    rounded to the nearest value the smaller type can hold. The two 16-bit types
    split their 15 non-sign bits differently (lesson 2):
    """),
    code("""
    for name in ("fp32", "fp16", "bf16"):
        fmt = bits.get_format(name)
        print(f"{name}: {fmt.exp_bits} exponent bits, {fmt.frac_bits} fraction bits")
    """),
    md("""
    Two separate questions decide what survives a downcast:

    - **Range**: is the number inside the format at all? The exponent field
      decides it: $e$ exponent bits reach up to about $2^{2^{e-1}}$ and down to
      about $2^{-2^{e-1}}$. A number beyond the largest value becomes `inf`; one
      below the smallest (subnormal) value becomes 0.
    - **Precision**: how close is the stored value? The fraction field decides
      it: with $m$ fraction bits the gap between neighbouring values is
      $2^{-m}$ of the number's power of two, so a number moves by at most half
      of that, a relative error of $2^{-(m+1)}$.

    The first value below is an everyday number, the second needs many
    significant digits, the last three test the ends of the range:
    """),
    code("""
    x = torch.tensor([0.1, 1000.1, 70000.0, 1e-6, 1e-8])
    print(f"{'fp32':>22}{'bf16':>22}{'fp16':>22}")
    for v32, v_bf16, v_fp16 in zip(x.tolist(), x.to(torch.bfloat16).tolist(),
                                   x.to(torch.float16).tolist(), strict=True):
        print(f"{v32:>22.12g}{v_bf16:>22.12g}{v_fp16:>22.12g}")
    print("bytes per number:", x.element_size(), x.to(torch.bfloat16).element_size())
    """),
    md("""
    **What to look at:** each column against fp32. On 0.1 and 1000.1 both formats
    round, by different amounts: that is the precision question, and the number
    of fraction bits above says which format rounds less. On 70000, 1e-6 and
    1e-8 one of the formats fails (`inf`, a subnormal with few significant bits
    left, or 0) while the other only rounds: that is the range question, and
    the exponent bits say which. Neither format wins both: a 16-bit format
    trades range against precision, and the choice depends on which failure
    hurts more.

    How big is the rounding error in general? For numbers in the normal range it is
    at most half the gap between neighbouring values: a *relative* error of
    `eps / 2`, where `eps = torch.finfo(dtype).eps`. Check it on a million random
    numbers spread over fp16's normal range (from 10⁻⁴ to 6 × 10⁴; below that,
    fp16's subnormal numbers are less precise, lesson 2):
    """),
    code("""
    x = torch.exp(torch.empty(1_000_000).uniform_(-9.0, 11.0))  # 1.2e-4 ... 6e4
    for dtype in (torch.bfloat16, torch.float16):
        rel = ((x.to(dtype).to(torch.float32) - x).abs() / x.abs()).max().item()
        print(f"{str(dtype):>15}: largest relative error {rel:.2e}, "
              f"bound eps/2 = {torch.finfo(dtype).eps / 2:.2e}")
    """),
    md("""
    Each measured error stays at or below its bound `eps / 2` = $2^{-(m+1)}$, set by
    the fraction bits alone, whatever the size of the number (within the normal
    range). A model does millions of multiply-adds with such numbers, so the real
    question is whether these small errors pile up.

    ## 2. The error of a dot product as its size grows

    A dot product `x · y = x₁y₁ + x₂y₂ + … + xₙyₙ` is the building block of every
    layer. Below, random vectors of growing length `n` are rounded to bf16 or fp16
    and multiplied with PyTorch; the exact answer is computed in float64 from the
    original fp32 numbers. For each `n` we take the median relative error of
    64 random pairs.

    A third curve shows what would happen with a naive adder that keeps its
    running total in bf16, adding one product at a time.
    """),
    code("""
    torch.manual_seed(0)
    sizes = [2**k for k in range(4, 15)]
    trials = 64


    def relative_error(approx, exact):
        return ((approx.double() - exact).abs() / exact.abs()).median().item()


    def running_sum(products, dtype):
        \"\"\"Add the columns one at a time, keeping the running total in dtype.\"\"\"
        total = torch.zeros(products.shape[0], dtype=dtype)
        for i in range(products.shape[1]):
            total = total + products[:, i]
        return total


    dot_errors = {"bf16": [], "fp16": [], "bf16, running total in bf16": []}
    for n in sizes:
        x, y = torch.randn(trials, n), torch.randn(trials, n)
        exact = (x.double() * y.double()).sum(dim=1)
        for name, dtype in (("bf16", torch.bfloat16), ("fp16", torch.float16)):
            xd, yd = x.to(dtype), y.to(dtype)
            dot = (xd.unsqueeze(1) @ yd.unsqueeze(2)).flatten()  # one dot per trial
            dot_errors[name].append(relative_error(dot, exact))
        naive = running_sum(x.to(torch.bfloat16) * y.to(torch.bfloat16), torch.bfloat16)
        dot_errors["bf16, running total in bf16"].append(relative_error(naive, exact))

    viz.lines(sizes, dot_errors, logx=True, logy=True,
              xlabel="vector length n", ylabel="median relative error",
              title="Dot product of two random vectors in 16 bits")
    """),
    md("""
    **What to look at:** PyTorch's bf16 and fp16 curves stay flat. The error of a
    dot product of 16 or of 16,384 numbers is the same, about the rounding error of
    one number (the two flat lines sit about $2^3 = 8$ times apart: their formats
    differ by 3 fraction bits). The third curve climbs steadily with `n`: with the
    running total in bf16 the error at n = 16,384 is tens of times larger.

    The difference is the **accumulator**. PyTorch (like GPU tensor cores) rounds
    only the *inputs* to 16 bits and adds the products in fp32, rounding once at
    the end. A bf16 total cannot even count: once it reaches 256 the gap between
    neighbouring bf16 numbers is 2, so adding 1 changes nothing.
    """),
    code("""
    total = torch.tensor(256.0, dtype=torch.bfloat16)
    print(total + 1, "  (in fp32:", torch.tensor(256.0) + 1, ")")
    ones = torch.ones(1000, dtype=torch.bfloat16)
    naive = running_sum(ones[None], torch.bfloat16).item()
    print("running total of 1000 ones in bf16:", naive)
    print("torch.sum of 1000 ones in bf16:    ", ones.sum().item())
    """),
    md("""
    ### Rounding goes both ways
    A downcast result is not always too small or always too large: each input is
    rounded to its nearest bf16 value, up or down, and the result itself is
    rounded to bf16 at the end. Here is the dot product of a vector of 1000
    random numbers between 0 and 1 with itself, in fp32 and in bf16, for two
    seeds:
    """),
    code("""
    for seed in (157824, 0):
        torch.manual_seed(seed)
        t = torch.rand(1000)
        fp32 = torch.dot(t, t)
        bf16 = torch.dot(t.to(torch.bfloat16), t.to(torch.bfloat16))
        way = "higher" if bf16.item() > fp32.item() else "lower"
        print(f"seed {seed:>6}: fp32 {fp32!r}  bf16 {bf16!r}  -> bf16 is {way}")
    """),
    md("""
    **What to look at:** with seed 157824 the fp32 result is 329.4669 and the
    bf16 one 330, *higher*; with seed 0 the bf16 result is *lower* (336 against
    336.5881). Between 256 and 512 bf16 can only hold even numbers, so the bf16
    result is the even number nearest to the exact sum of the rounded inputs:
    which way it moves depends on the numbers, and the only way to know is to
    compute both and compare. (These values come from this PyTorch build on this
    CPU; another CPU or library can sum in a different order and print a
    slightly different fp32 value.)

    ## 3. Matrix multiplication

    A matrix multiplication is many dot products at once, and it is what a
    neural network mostly does: every linear layer and the attention of a
    transformer are matrix multiplications. That makes it the test that matters:
    its error is the error a model sees, and every output sums many rounded
    products, so it shows whether rounding errors build up as the matrices grow.

    Below, a 64 × `k` matrix times a `k` × 64 matrix, for inner sizes `k` (the
    length of each dot product) from 16 to 16,384, with the error of the whole
    result measured as `‖C₁₆ − C‖ / ‖C‖` against the exact product.
    `downcasting.matmul_errors` does the measurement (the same code the course's
    tests run); the third curve rounds the inputs to bf16 but keeps the result in
    fp32, which separates the two sources of error: rounding the inputs and
    rounding the output.
    """),
    code("""
    inner_sizes = downcasting.INNER_SIZES
    matmul_errors = downcasting.matmul_errors(inner_sizes)
    print(f"{'inner size k':>12}" + "".join(f"{name:>26}" for name in matmul_errors))
    for i, k in enumerate(inner_sizes):
        print(f"{k:>12}" + "".join(f"{errors[i]:>26.2e}"
                                   for errors in matmul_errors.values()))
    viz.lines(inner_sizes, matmul_errors, logx=True, logy=True,
              xlabel="inner size k", ylabel="relative error of the result",
              title="Matrix multiplication (64 x k) @ (k x 64) in 16 bits")
    """),
    md("""
    **What to look at:** flat lines. The relative error does **not** grow with
    the inner size: from k = 16 to k = 16,384 (a thousand times more products per
    output) it stays the same, about $3 \\times 10^{-3}$ (roughly $2^{-8.5}$) for
    bf16 and about $4 \\times 10^{-4}$ for fp16. The reason is the fp32
    accumulator of section 2: the products are added in fp32, so the sum adds
    almost no error of its own; and the rounding errors of the inputs are as
    often up as down, so their total grows only as fast as the result itself
    (both like $\\sqrt{k}$ for these random matrices), and their ratio stays put.
    The "fp32 result" curve shows that most of bf16's error comes from rounding
    the *inputs*; rounding the output to bf16 adds the rest. This is why the
    16-bit types work for inference: each layer adds an error of about one
    rounding step, not one per multiply-add.

    ## 4. Memory saved, and what it buys

    Downcasting halves the memory of every tensor: the weights, and also the
    activations that flow between layers. Take the shapes of a Llama-2-7B-sized
    model (width 4096, MLP width 11008): one of its MLP weight matrices, and the
    activations of one layer for a batch of 8 sequences of 512 tokens.
    (`torch.empty` allocates without filling in values; only the sizes matter
    here. Lesson 4 measures the real model of this course.)
    """),
    code("""
    weight = torch.empty(11008, 4096)
    activations = torch.empty(8, 512, 4096)
    for name, t in (("one MLP weight matrix", weight), ("activations", activations)):
        low = t.to(torch.bfloat16)
        print(f"{name:<22} fp32 {models.format_bytes(t.nbytes):>11}   "
              f"bf16 {models.format_bytes(low.nbytes):>11}")
    del weight, activations, low
    """),
    md("""
    What does the saved memory buy? Usually **larger batches**: more inputs at once
    keep the hardware busy. For a chatbot, the extra memory holds the *KV cache*,
    the keys and values of every past token of every conversation. A worked example
    on a 24 GiB GPU with a model shaped like Llama-2-7B (7 × 10⁹ parameters,
    32 layers, 4096 wide; the cache stores a key and a value vector of width 4096
    per layer and token):
    """),
    code("""
    gpu = 24 * 2**30
    n_params, n_layers, width, seq_len = 7e9, 32, 4096, 4096
    for name, n_bytes in (("fp32", 4), ("bf16", 2)):
        weights = n_params * n_bytes
        cache_per_token = 2 * n_layers * width * n_bytes  # key + value, every layer
        free = gpu - weights
        if free <= 0:
            print(f"{name}: weights {weights / 1e9:.0f} GB do not fit "
                  f"in {gpu / 1e9:.1f} GB")
            continue
        tokens = int(free // cache_per_token)
        print(f"{name}: weights {weights / 1e9:.0f} GB, {free / 1e9:.1f} GB left, "
              f"{cache_per_token / 2**20:.1f} MiB per token -> {tokens:,} tokens = "
              f"{tokens // seq_len} conversations of {seq_len:,} tokens")
    """),
    md("""
    In fp32 the model does not fit at all; in bf16 it fits with room for about
    five long conversations at once. (Real servers go further: int8 or int4
    weights, and a cache in 8 bits.)

    ## 5. Mixed-precision training, and why it works

    Today's models are trained in **mixed precision** (Micikevicius et al., 2018):

    - the forward and backward passes (the matrix multiplications) run in bf16 or
      fp16, with fp32 accumulators (section 2);
    - a **master copy of the weights stays in fp32**, and the optimizer updates
      that copy;
    - with fp16 (not bf16), the loss is multiplied by a large **loss scale**
      before the backward pass, so that small gradients do not underflow to 0.

    Why keep the weights in fp32? An update is usually tiny compared with the
    weight it changes. Near 1.0 the gap between bf16 numbers is 2⁻⁷ = 0.0078, so
    an update smaller than half of that disappears:
    """),
    code("""
    update = 0.001  # learning rate x gradient
    for dtype in (torch.float32, torch.bfloat16):
        w = torch.tensor(1.0, dtype=dtype)
        print(f"{str(dtype):>15}: 1.0 + {update} = {(w + update).item()!r}")
    """),
    md("""
    See the effect on a real (small) training run: fit a linear model
    `y = X w` by gradient descent, three ways. **fp32** everything;
    **mixed**: fp32 weights, the matrix multiplication in bf16 under
    `torch.autocast`; **pure bf16**: weights and arithmetic in bf16. The loss is
    always measured exactly (float64) on the current weights.
    """),
    code("""
    torch.manual_seed(0)
    X = torch.randn(512, 32)
    y = X @ (2 * torch.randn(32, 1))


    def train(mode, steps=300, lr=0.01):
        w = torch.zeros(32, 1, dtype=torch.bfloat16 if mode == "pure bf16" else None)
        w.requires_grad_()
        losses = []
        for _ in range(steps):
            if mode == "mixed":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    pred = X @ w  # runs in bf16; w itself stays fp32
                loss = ((pred.float() - y) ** 2).mean()
            else:
                pred = X.to(w.dtype) @ w
                loss = ((pred - y.to(w.dtype)) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                w.grad = None
            exact = ((X.double() @ w.detach().double() - y.double()) ** 2).mean()
            losses.append(exact.item())
        return losses


    curves = {mode: train(mode) for mode in ("fp32", "mixed", "pure bf16")}
    for mode, losses in curves.items():
        print(f"{mode:>9}: final loss {losses[-1]:.2e}")
    viz.lines(range(1, 301), curves, logy=True, xlabel="training step",
              ylabel="mean squared error (log scale)",
              title="Training in fp32, mixed precision and pure bf16")
    """),
    md("""
    **What to look at:** the mixed-precision curve follows the fp32 curve almost
    to the end (the two lines lie on top of each other), although every matrix
    multiplication ran in bf16. The pure bf16 curve stops improving after about
    120 steps and flattens out hundreds of times higher:
    near the end the updates are smaller than the gap between bf16 numbers, so the
    weights stop changing (the effect you saw with 1.0 + 0.001).

    `torch.autocast` is what does the casting: inside it, supported operations such
    as a linear layer run in bf16, but the parameters themselves stay fp32.
    """),
    code("""
    layer = torch.nn.Linear(4, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = layer(torch.randn(2, 4))
    print("output:", out.dtype, "  weights:", layer.weight.dtype)
    """),
    md("""
    The last ingredient, **loss scaling**, is for fp16 only. Gradients are often
    tiny; fp16's smallest positive number is about 6 × 10⁻⁸, so a gradient of
    10⁻⁸ becomes 0 and is lost. Multiplying the loss by a scale such as 2¹⁶ scales
    every gradient by the same factor (the chain rule is linear), lifting it into
    fp16's range; the optimizer divides by the scale again in fp32. bf16 has fp32's
    range and needs no loss scaling, which is one reason it became the default.
    """),
    code("""
    grad = torch.tensor(1e-8)
    scale = 2.0**16
    print("fp16 gradient:                ", grad.to(torch.float16).item())
    scaled = (grad * scale).to(torch.float16)  # what the backward pass would hold
    print("fp16 scaled gradient:         ", scaled.item())
    print("unscaled again, in fp32:      ", (scaled.float() / scale).item())
    print("bf16 gradient, without scaling:", grad.to(torch.bfloat16).item())
    """),
    md(text("""
    ## Summary

    - Downcasting to bf16 or fp16 halves memory. The exponent bits decide the
      range (what becomes `inf` or 0), the fraction bits the precision (each
      number moves by at most `eps / 2`); fp16 and bf16 split their bits
      differently, so each is better at one of the two.
    - Rounding moves a result up or down, depending on the numbers.
    - Dot products and matrix multiplications do **not** get worse as they grow:
      the relative error stayed flat from inner size 16 to 16,384 (about
      $3 \\times 10^{-3}$ in bf16), because the products are added in fp32; a
      16-bit accumulator would be much worse.
    - The memory saved buys larger batches or a larger cache of past tokens.
    - Mixed-precision training computes in 16 bits but keeps fp32 master weights
      (small updates would vanish in bf16) and, with fp16, scales the loss (small
      gradients would underflow).
    """) + "\n\n" + next_step(NAME)),
]
