"""Workbook 02_loading_models: the worksheet for lesson 3 (loading models)."""

import textwrap

from cells import SETUP, answer, given, md, tests, written

NAME = "02_loading_models"

#: The small model of this workbook; the hidden tests rebuild it from this code.
MODEL_CODE = """\
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Linear(32, 64), torch.nn.GELU(), torch.nn.Linear(64, 8)
).eval()
inputs = torch.randn(16, 32, generator=torch.Generator().manual_seed(1))"""

#: The parameter count of the footprint question.
N_PARAMS = "1_543_503_872"

FRESH_MODEL = MODEL_CODE.replace("model =", "fresh =").replace("inputs =", "_ =")


def _join(*parts: str) -> str:
    """Join code pieces written at different indentations."""
    return "\n".join(textwrap.dedent(p).strip("\n") for p in parts)


WRITTEN = [
    ("param_dtypes", "Printing each parameter's `dtype` of a loaded model: what "
     "does the printout show you?",
     "The dtype every weight and bias is stored in (e.g. all torch.float32), so you "
     "see the precision and bytes per parameter of the model."),
    ("cast_code", "Write the line of code that casts a model to bfloat16.",
     "`model_bf16 = model.to(torch.bfloat16)` (or `.bfloat16()`), on a deep copy "
     "if the original must stay."),
    ("inference", "What does *inference* mean?",
     "Running a trained model on new inputs to get outputs (predictions), without "
     "training it."),
    ("deepcopy", "Why make a `deepcopy` of the model before casting it?",
     "`.to()` changes a module in place; without a copy the fp32 model is lost and "
     "there is nothing left to compare with."),
    ("compare_outputs", "How were the bf16 and fp32 outputs compared, and does the "
     "difference matter?",
     "Same input through both models, then the absolute (or cosine) difference of "
     "the outputs; it is small, so predictions barely change."),
    ("footprint_method", "Which method gives a model's memory footprint, and what "
     "does it count?",
     "`model.get_memory_footprint()` in transformers: bytes of parameters and "
     "buffers (counting state_dict tensors gives the true number)."),
    ("load_low_precision", "Why is loading a model directly in low precision "
     "better than loading it in fp32 and downcasting?",
     "Downcasting after loading needs the full fp32 copy in memory first; loading "
     "in bf16 never needs that peak memory and is faster."),
    ("linear_vs_float", "How does linear quantization differ from using a "
     "lower-precision float type?",
     "It maps floats to integers with a scale and a zero point (q = round(x/s + z)), "
     "instead of rounding to the nearest value of a smaller float format."),
    ("why_less_memory", "Why does linear quantization lower memory?",
     "The weights are stored as 8-bit (or fewer) integers plus a few scales, instead "
     "of 32- or 16-bit floats."),
]


def cells() -> list:
    out = [
        md("""
        # Workbook 2: loading models

        This workbook goes with lesson 3. Run the set-up cell first, then answer
        every question in the cell below it. Written answers are graded by your
        instructor; code answers replace `raise NotImplementedError()`. Check
        yourself with `check("name", value)` or `check_all()`: ✓, or ✗ with a hint.

        Do not delete, copy or retype the given cells. Run *Kernel → Restart and Run
        All* before you hand in.
        """),
        given("setup", SETUP),
        md("## Part A: written answers (lesson 3)"),
    ]
    for number, (grade_id, question, model) in enumerate(WRITTEN, 1):
        out.append(md(f"**A{number}.** {question}"))
        out.append(written(f"written_{grade_id}", 1, model))
    out += [
        md("""
        ## Part B: memory footprint

        **B1.** A model has `N_PARAMS` parameters. How many **bytes** do they take
        in each dtype? Fill in the dict (keys are dtype names; any case,
        `"fp32"` or `"float32"` both work).
        """),
        given("given_n_params", f"N_PARAMS = {N_PARAMS}"),
        answer("answer_footprint", """
        # footprint_bytes = {"fp32": ..., "fp16": ..., "bf16": ..., "int8": ...}
        ### BEGIN SOLUTION
        footprint_bytes = {
            name: N_PARAMS * torch.empty(0, dtype=dtype).element_size()
            for name, dtype in (("fp32", torch.float32), ("fp16", torch.float16),
                                ("bf16", torch.bfloat16), ("int8", torch.int8))
        }
        ### END SOLUTION
        """),
    ]
    for key, dtype in (("fp32", "float32"), ("fp16", "float16"),
                       ("bf16", "bfloat16"), ("int8", "int8")):
        out.append(tests(f"test_footprint_{key}", 1, f"""
        from course_utils.checks import canonical

        assert isinstance(footprint_bytes, dict), "footprint_bytes should be a dict"
        form = canonical("footprint_bytes", footprint_bytes)
        assert form.get("{dtype}") is not None, (
            "footprint_bytes['{key}'] should be a whole number of bytes")
        """, f"""
        from course_utils.checks import canonical

        per_param = torch.empty(0, dtype=torch.{dtype}).element_size()
        expected = {N_PARAMS} * per_param
        assert canonical("footprint_bytes", footprint_bytes)["{dtype}"] == expected
        """))
    out += [
        md("""
        ## Part C: casting a model

        The cell below builds a small model and a batch of `inputs` (seeded). Make
        `model_bf16`, a **bfloat16 copy** of `model`; `model` itself must stay
        in float32.
        """),
        given("given_model", MODEL_CODE),
        answer("answer_cast", """
        import copy

        ### BEGIN SOLUTION
        model_bf16 = copy.deepcopy(model).to(torch.bfloat16)
        ### END SOLUTION
        """),
        tests("test_model_bf16", 1, """
        assert isinstance(model_bf16, torch.nn.Module), "model_bf16 should be a model"
        """, _join(FRESH_MODEL, """
        mine = dict(model_bf16.named_parameters())
        assert set(mine) == set(dict(fresh.named_parameters())), "same layers"
        wrong = [name for name, param in fresh.named_parameters()
                 if mine[name].dtype != torch.bfloat16
                 or not torch.equal(mine[name], param.detach().to(torch.bfloat16))]
        assert not wrong, f"not a bfloat16 copy: {wrong}"
        """)),
        tests("test_model_kept_fp32", 1, """
        assert isinstance(model, torch.nn.Module), "model should still be the model"
        assert model_bf16 is not model, "model_bf16 should be a copy, not model itself"
        """, _join(FRESH_MODEL, """
        mine = dict(model.named_parameters())
        wrong = [name for name, param in fresh.named_parameters()
                 if name not in mine or mine[name].dtype != torch.float32
                 or not torch.equal(mine[name], param)]
        assert not wrong, f"model was changed: {wrong}"
        """)),
        md("""
        ## Part D: how different are the outputs?

        Run `inputs` through `model` (float32) and through `model_bf16` (give it
        `inputs.to(torch.bfloat16)`), convert the bf16 output to float32, and
        measure the **largest** absolute difference `output_max_abs_diff` and the
        **mean** absolute difference `output_mean_abs_diff`, as Python floats.
        Use `torch.no_grad()`.
        """),
        answer("answer_output_diff", """
        ### BEGIN SOLUTION
        with torch.no_grad():
            reference = model(inputs)
            low = model_bf16(inputs.to(torch.bfloat16)).to(torch.float32)
        output_max_abs_diff = (reference - low).abs().max().item()
        output_mean_abs_diff = (reference - low).abs().mean().item()
        ### END SOLUTION
        print(output_max_abs_diff, output_mean_abs_diff)
        """),
    ]
    reference = MODEL_CODE + """
with torch.no_grad():
    reference = model(inputs)
    low = model.to(torch.bfloat16)(inputs.to(torch.bfloat16)).to(torch.float32)
diff = (reference - low).abs()"""
    for name, stat in (("output_max_abs_diff", "max"),
                       ("output_mean_abs_diff", "mean")):
        out.append(tests(f"test_{name}", 1, f"""
        from course_utils.checks import as_float

        assert 0 < as_float({name}) < 1, "a small positive number"
        """, _join("""
        import math

        from course_utils.checks import FLOAT_RTOL, canonical
        """, "", reference.replace("model", "fresh").replace("inputs", "fresh_inputs"),
            f"""
        got = canonical("{name}", {name})
        assert math.isclose(got, diff.{stat}().item(), rel_tol=FLOAT_RTOL)
        """)))
    out += [
        md("""
        ## Check yourself

        `check_all()` checks every answer above: ✓ or ✗ with a hint.
        """),
        given("self_check", "results = check_all()"),
    ]
    return out
