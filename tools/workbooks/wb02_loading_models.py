"""Workbook 02_loading_models: lessons 3 and 4 (downcasting, loading models)."""

from __future__ import annotations

from tools.workbooks.spec import Alternative, Answer, Given, Question, Text, Written

NAME = "02_loading_models"
TITLE = "Workbook 2: downcasting and loading models"

#: The small model of this workbook; the hidden tests rebuild it from this code.
MODEL_CODE = """\
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Linear(32, 64), torch.nn.GELU(), torch.nn.Linear(64, 8)
).eval()
inputs = torch.randn(16, 32, generator=torch.Generator().manual_seed(1))"""

#: The parameter count of the footprint question.
N_PARAMS = 1_543_503_872

_FRESH = (MODEL_CODE.replace("model =", "fresh =").replace("inputs =", "_ =")
          .replace("\n", "\n        "))

#: The data of the downcasting-error question (seeded: the same for everyone).
_X = "torch.randn(10_000, generator=torch.Generator().manual_seed(7)) * 4 + 1"
_ERR = f"""
x0 = {_X}
err = (x0.double() - x0.bfloat16().double()).abs()
"""

#: The vectors of the rounding-direction question.
_AB = """\
a = torch.rand(500, generator=torch.Generator().manual_seed(21))
b = torch.rand(500, generator=torch.Generator().manual_seed(22))"""


def _output_diff(stat: str, name: str) -> Question:
    return Question(
        name, "float",
        hint="run both models on `inputs` (bf16 input for the bf16 model), "
             "compare in float32, take the " + ("largest" if stat == "max"
                                                 else "mean") + " |difference|",
        setup=MODEL_CODE.replace("model", "fresh").replace("inputs", "fresh_inputs")
        + """
with torch.no_grad():
    reference = fresh(fresh_inputs)
    low = fresh.to(torch.bfloat16)(fresh_inputs.to(torch.bfloat16))
diff = (reference - low.to(torch.float32)).abs()""",
        expected=f"diff.{stat}().item()",
        mistakes=(Alternative("squared", f"(diff ** 2).{stat}().item()",
                              "this is a squared difference: take |difference| "
                              "itself", "squared instead of absolute differences"),
                  Alternative("in_bf16", f"(reference.to(torch.bfloat16) - low)"
                              f".abs().to(torch.float32).{stat}().item()",
                              "compare in float32: subtracting in bf16 rounds "
                              "the difference itself",
                              "the difference computed in bf16"),),
        visible=f"""
        from course_utils.answers import as_float

        assert 0 < as_float({name}) < 1, "a small positive number"
        """)


ITEMS = [
    Text("""
    ## Part A: written answers (lesson 3)
    """),
    Written("downcasting", "**A1.** What is downcasting, and why do it?",
            "Converting values to a dtype with fewer bits (fp32 -> bf16) to save "
            "memory and compute, at the cost of precision."),
    Written("downcast_matmul", "**A2.** What does downcasting do to the result of "
            "a matrix multiplication, and does it get worse as the matrices grow? "
            "Use lesson 3's measurement.",
            "The result is close to the fp32 one but not equal: the inputs are "
            "rounded to 16 bits (relative error about 2^-9 per number in bf16). The "
            "products are added in an fp32 accumulator, so the rounding errors "
            "partly cancel and do not accumulate: lesson 3 measured the relative "
            "error of the result staying about the same (about 3e-3 for bf16) as "
            "the inner size grows from 16 to 16384."),
    Written("why_matmul", "**A3.** Why is a matrix multiplication a good test of "
            "the effect of downcasting?",
            "Neural networks are mostly matrix multiplications (every linear layer, "
            "attention), so the error there is the error a model sees; and it sums "
            "many rounded products, so it shows whether errors build up with size "
            "(with fp32 accumulation they do not)."),
    Written("larger_batches", "**A4.** Why does a smaller memory footprint allow "
            "larger batches, and why does that help?",
            "Less memory per weight/activation leaves room for more examples at "
            "once; larger batches use the hardware better (faster training and "
            "inference)."),
    Written("mixed_precision", "**A5.** Why does mixed-precision training work?",
            "Most computations tolerate low precision (bf16/fp16) while a master "
            "copy of the weights and the updates stay in fp32, so small updates are "
            "not lost."),
    Text("""
    ## Part B: the error of downcasting (lesson 3)

    The tensor `x` below is seeded, so everyone gets the same numbers. Downcast
    it to `torch.bfloat16`, convert it back to `torch.float32`, and measure the
    error: the **mean** absolute error `bf16_mean_abs_error` and the **largest**
    absolute error `bf16_max_abs_error`, as Python floats.
    """),
    Given("given_x", f"""
    x = {_X}
    x[:5]
    """),
    Answer("answer_downcast_error", """
    ### BEGIN SOLUTION
    x_back = x.to(torch.bfloat16).to(torch.float32)
    bf16_mean_abs_error = (x - x_back).abs().mean().item()
    bf16_max_abs_error = (x - x_back).abs().max().item()
    ### END SOLUTION
    print(bf16_mean_abs_error, bf16_max_abs_error)
    """),
    *[Question(
        name, "float",
        hint=f"cast x to torch.bfloat16, back to float32, then the {word} of "
             "|x - x_back|",
        setup=_ERR, expected=f"err.{stat}().item()",
        mistakes=(Alternative("squared", f"(err ** 2).{stat}().item()",
                              "this is a squared error: take |x - x_back| itself",
                              "a squared error (MSE) instead of the absolute "
                              "error"),
                  Alternative("relative", f"(err / x0.double().abs()).{stat}()"
                              ".item()", "this is a relative error: do not divide "
                              "by |x|", "the relative instead of the absolute "
                              "error")),
        visible=f"""
        from course_utils.answers import as_float

        assert 0 < as_float({name}) < 1, "a small positive number"
        """)
      for name, stat, word in (("bf16_mean_abs_error", "mean", "mean"),
                               ("bf16_max_abs_error", "max", "largest"))],
    Text("""
    **B2.** Rounding goes both ways: downcasting can make a result larger or
    smaller. Compute the dot product of the seeded vectors `a` and `b` in float32
    and in bfloat16 (both vectors cast to bf16 first). Is the bf16 result
    `"higher"` or `"lower"` than the float32 one? Set `dot_direction`.
    """),
    Given("given_ab", _AB),
    Answer("answer_dot_direction", """
    ### BEGIN SOLUTION
    exact = torch.dot(a, b).item()
    low = torch.dot(a.to(torch.bfloat16), b.to(torch.bfloat16)).item()
    dot_direction = "higher" if low > exact else "lower"
    ### END SOLUTION
    """),
    Question(
        "dot_direction", "word",
        hint="compute both dot products and compare them; the sign of "
             "(bf16 - fp32) is the answer",
        setup=_AB + """
exact = torch.dot(a, b).item()
low = torch.dot(a.to(torch.bfloat16), b.to(torch.bfloat16)).item()""",
        expected='"higher" if low > exact else "lower"',
        visible="""
        assert dot_direction in ("higher", "lower"), "'higher' or 'lower'"
        """),
    Text("""
    ## Part C: written answers (lesson 4)
    """),
    Written("param_dtypes", "**C1.** Printing each parameter's `dtype` of a "
            "loaded model: what does the printout show you?",
            "The dtype every weight and bias is stored in (e.g. all torch.float32), "
            "so you see the precision and bytes per parameter of the model."),
    Written("cast_code", "**C2.** Write the line of code that casts a model to "
            "bfloat16.",
            "`model_bf16 = model.to(torch.bfloat16)` (or `.bfloat16()`), on a deep "
            "copy if the original must stay."),
    Written("inference", "**C3.** What does *inference* mean?",
            "Running a trained model on new inputs to get outputs (predictions), "
            "without training it."),
    Written("deepcopy", "**C4.** Why make a `deepcopy` of the model before "
            "casting it?",
            "`.to()` changes a module in place; without a copy the fp32 model is "
            "lost and there is nothing left to compare with."),
    Written("compare_outputs", "**C5.** How were the bf16 and fp32 outputs "
            "compared in lesson 4, and does the difference matter?",
            "The same sentences through both models, then the cosine similarity of "
            "the embeddings (and their largest difference); the cosine stays "
            "above 0.9999 and the ranking of sentences is unchanged, so the answers "
            "barely change."),
    Written("footprint_method", "**C6.** Which method gives a model's memory "
            "footprint, and what does it count?",
            "`model.get_memory_footprint()` in transformers: bytes of parameters and "
            "buffers. Counting the bytes of the state_dict tensors gives the true "
            "number (and is right for quantized models too)."),
    Written("load_low_precision", "**C7.** Lesson 4 measured the peak memory of "
            "loading MiniLM directly in bf16 and of loading it in fp32 and then "
            "downcasting. What did it find, why, and what does loading directly "
            "in low precision still give you?",
            "The same peak either way: the fp32 safetensors weights are memory-"
            "mapped, so the fp32 copy is never fully read into RAM before the "
            "cast. What remains is the model you keep: half the resident memory "
            "(bf16) once loaded; with checkpoints that are read fully into memory "
            "(e.g. pickled .bin files, or GPU loading) direct low-precision "
            "loading does avoid the fp32 peak."),
    Text("""
    ## Part D: memory footprint (lesson 4)

    **D1.** A model has `N_PARAMS` parameters. How many **bytes** do they take in
    each dtype? Fill in the dict (keys are dtype names; any case, `"fp32"` or
    `"float32"` both work).
    """),
    Given("given_n_params", f"N_PARAMS = {N_PARAMS:_}"),
    Answer("answer_footprint", """
    # footprint_bytes = {"fp32": ..., "fp16": ..., "bf16": ..., "int8": ...}
    ### BEGIN SOLUTION
    footprint_bytes = {
        name: N_PARAMS * torch.empty(0, dtype=dtype).element_size()
        for name, dtype in (("fp32", torch.float32), ("fp16", torch.float16),
                            ("bf16", torch.bfloat16), ("int8", torch.int8))
    }
    ### END SOLUTION
    """),
    Question(
        "footprint_bytes", "int", parts=("float32", "float16", "bfloat16", "int8"),
        keys="dtype",
        hint="bytes = parameters x bytes per parameter of the dtype",
        part_hint="{part}: how many bytes does one {part} number take?",
        setup="per_param = torch.empty(0, dtype=torch.{part}).element_size()",
        expected=f"{N_PARAMS} * per_param",
        mistakes=(Alternative("bits_not_bytes", f"{N_PARAMS} * per_param * 8",
                              "this counts bits: a byte is 8 bits",
                              "bits instead of bytes"),
                  Alternative("fp32_size", f"{N_PARAMS} * 4",
                              "this is the size of 4-byte numbers: check how many "
                              "bytes one number of this dtype takes",
                              "every dtype counted as 4 bytes (fp32)")),
        visible="""
        assert isinstance(footprint_bytes, dict), "footprint_bytes should be a dict"
        """),
    Text("""
    ## Part E: casting a model (lesson 4)

    The cell below builds a small model and a batch of `inputs` (seeded). Make
    `model_bf16`, a **bfloat16 copy** of `model`; `model` itself must stay in
    float32.
    """),
    Given("given_model", MODEL_CODE),
    Answer("answer_cast", """
    import copy

    ### BEGIN SOLUTION
    model_bf16 = copy.deepcopy(model).to(torch.bfloat16)
    ### END SOLUTION
    """),
    Question(
        "model_bf16", "model",
        hint="copy the model first (copy.deepcopy), then cast the copy",
        visible="""
        assert isinstance(model_bf16, torch.nn.Module), "model_bf16 should be a model"
        """,
        hidden=f"""
        {_FRESH}
        mine = dict(model_bf16.named_parameters())
        assert set(mine) == set(dict(fresh.named_parameters())), "same layers"
        wrong = [name for name, param in fresh.named_parameters()
                 if mine[name].dtype != torch.bfloat16
                 or not torch.equal(mine[name], param.detach().to(torch.bfloat16))]
        assert not wrong, f"not a bfloat16 copy: {{wrong}}"
        """),
    Question(
        "model", "model", id="test_model_kept_fp32", self_check=False,
        hint="cast a copy, so that the original model stays in float32",
        visible="""
        assert isinstance(model, torch.nn.Module), "model should still be the model"
        assert model_bf16 is not model, "model_bf16 should be a copy, not model itself"
        """,
        hidden=f"""
        {_FRESH}
        mine = dict(model.named_parameters())
        wrong = [name for name, param in fresh.named_parameters()
                 if name not in mine or mine[name].dtype != torch.float32
                 or not torch.equal(mine[name], param)]
        assert not wrong, f"model was changed: {{wrong}}"
        """),
    Text("""
    ## Part F: how different are the outputs? (lesson 4)

    Run `inputs` through `model` (float32) and through `model_bf16` (give it
    `inputs.to(torch.bfloat16)`), convert the bf16 output to float32, and
    measure the **largest** absolute difference `output_max_abs_diff` and the
    **mean** absolute difference `output_mean_abs_diff`, as Python floats. Use
    `torch.no_grad()`.
    """),
    Answer("answer_output_diff", """
    ### BEGIN SOLUTION
    with torch.no_grad():
        reference = model(inputs)
        low = model_bf16(inputs.to(torch.bfloat16)).to(torch.float32)
    output_max_abs_diff = (reference - low).abs().max().item()
    output_mean_abs_diff = (reference - low).abs().mean().item()
    ### END SOLUTION
    print(output_max_abs_diff, output_mean_abs_diff)
    """),
    _output_diff("max", "output_max_abs_diff"),
    _output_diff("mean", "output_mean_abs_diff"),
    Text("""
    ## Check yourself

    `check_all()` checks every answer above: ✓ or ✗ with a hint.
    """),
    Given("self_check", "results = check_all()"),
]
