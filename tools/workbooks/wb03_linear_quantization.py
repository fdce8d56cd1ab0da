"""Workbook 03_linear_quantization: lesson 5 (linear quantization)."""

from __future__ import annotations

from tools.workbooks.spec import Alternative, Answer, Given, Question, Text, Written

NAME = "03_linear_quantization"
TITLE = "Workbook 3: linear quantization"

INTRO = [Text("""
Conventions (those of lesson 5); the codes are `n_bits`-bit **signed** integers,
from `q_min = -2**(n_bits - 1)` to `q_max = 2**(n_bits - 1) - 1`:

* **asymmetric**: the range always includes 0: `x_min = min(x.min(), 0)`,
  `x_max = max(x.max(), 0)`; `scale = (x_max - x_min) / (q_max - q_min)`;
  `zero_point = round(q_min - x_min / scale)`, clamped to `[q_min, q_max]`, an
  integer;
* **symmetric**: `scale = max|x| / q_max`, `zero_point = 0`;
* quantize: `q = clamp(round(x / scale) + zero_point, q_min, q_max)`, with
  `torch.round` (halves to even);
* dequantize: `x_hat = scale * (q - zero_point)`, float32.
""")]

#: Probe seeds only the hidden tests use (the self-check has its own).
HIDDEN_SEEDS = (101, 102, 103, 104, 105, 107)

_X = ("torch.randn(1000, generator=torch.Generator().manual_seed(3)) * 1.5 + 0.8")
_W = ("torch.randn(4, 64, generator=torch.Generator().manual_seed(4)) "
      "* torch.tensor([[0.05], [0.5], [2.0], [8.0]])")
_MSE = """
from course_utils import metrics, quant

def mse_of(t, **how):
    scale, zero_point = quant.scale_zero_point(t, **how)
    t_hat = quant.dequantize_with(quant.quantize_with(t, scale, zero_point),
                                  scale, zero_point)
    return metrics.mse(t, t_hat), (t - t_hat)
"""


def _kernel(name: str, points: int, hint: str, slips: tuple[str, ...],
            visible: str) -> Question:
    return Question(name, "kernel", points=points, hint=hint, mistakes=slips,
                    seeds=HIDDEN_SEEDS, visible=visible)


def _error_question(name: str, data: str, how: str, hint: str) -> Question:
    return Question(
        name, "float", hint=hint, setup=_MSE + f"\nt0 = {data}\n"
        f"expected, diff = mse_of(t0{how})",
        expected="expected",
        mistakes=(Alternative("rmse", "expected ** 0.5",
                              "this is a root mean squared error: do not take "
                              "the square root", "RMSE instead of MSE"),
                  Alternative("mae", "diff.abs().mean().item()",
                              "this is a mean absolute error: square the "
                              "differences", "mean absolute error instead of MSE")),
        visible=f"""
        from course_utils.answers import as_float

        assert 0 < as_float({name}) < 1, "a small positive number"
        """)


ITEMS = [
    Text("""
    ## Part A: by hand

    **A1.** A tensor's values lie between `x_min = -0.9` and `x_max = 4.2`.
    Compute, by hand, the `scale` and `zero_point` of 8-bit signed asymmetric
    quantization, as numbers: `hand_scale` and `hand_zero_point`.
    """),
    Answer("answer_by_hand", """
    ### BEGIN SOLUTION
    hand_scale = (4.2 - -0.9) / (127 - -128)
    hand_zero_point = round(-128 - -0.9 / hand_scale)
    ### END SOLUTION
    """),
    Question(
        "hand_scale", "float",
        hint="scale = (x_max - x_min) / (q_max - q_min)",
        setup="""
        from course_utils import quant

        scale, _ = quant.scale_zero_point(torch.tensor([-0.9, 4.2]))
        """,
        expected="scale.item()",
        mistakes=(Alternative("scale_from_max", "4.2 / 255",
                              "the scale must cover the whole range, from x_min "
                              "to x_max, not just up to x_max",
                              "the scale taken from max instead of max - min"),
                  Alternative("half_range", "(4.2 + 0.9) / 127",
                              "the codes of 8 signed bits span from q_min to "
                              "q_max: divide by that whole span",
                              "divided by q_max instead of q_max - q_min")),
        visible="""
        from course_utils.answers import as_float

        assert 0 < as_float(hand_scale) < 1, "scale is a small positive number"
        """),
    Question(
        "hand_zero_point", "int",
        hint="zero_point = round(q_min - x_min / scale), then clamp",
        setup="""
        from course_utils import quant

        scale, zero_point = quant.scale_zero_point(torch.tensor([-0.9, 4.2]))
        """,
        expected="int(zero_point)",
        mistakes=(Alternative("zero_point_sign", "round(-128 + -0.9 / scale.item())",
                              "check the sign: x_min must map to q_min",
                              "the zero point with the wrong sign"),
                  Alternative("zero_point_floor",
                              "int(-128 - -0.9 / scale.item())",
                              "round the zero point to the nearest integer, not "
                              "towards zero", "the zero point truncated, not "
                              "rounded")),
        ),
    Text("""
    ## Part B: in code

    **B1.** `get_scale_zero_point(x, n_bits)` returns the asymmetric
    `(scale, zero_point)` of the whole tensor `x`.
    """),
    Answer("answer_get_scale_zero_point", '''
    def get_scale_zero_point(x, n_bits=8):
        """Asymmetric (scale, zero_point) of x for n_bits signed codes."""
        ### BEGIN SOLUTION
        q_min, q_max = -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1
        x_min = min(x.min().item(), 0.0)
        x_max = max(x.max().item(), 0.0)
        scale = (x_max - x_min) / (q_max - q_min)
        zero_point = round(q_min - x_min / scale)
        zero_point = max(q_min, min(q_max, zero_point))
        return scale, zero_point
        ### END SOLUTION
    '''),
    _kernel("get_scale_zero_point", 2,
            "use x.min() and x.max() (with 0 included) and the signed n-bit range",
            ("scale_from_max", "range_without_zero", "zero_point_not_rounded",
             "zero_point_not_clamped", "zero_point_sign"), """
    from course_utils.answers import as_float, as_int
    from course_utils.probes import inputs
    from course_utils.tripwire import call_own

    scale, zero_point = call_own(get_scale_zero_point,
                                 *inputs("get_scale_zero_point")[0])
    assert as_float(scale) > 0, "scale is positive"
    assert isinstance(as_int(zero_point), int), "zero_point is a whole number"
    """),
    Text("""
    **B2.** `linear_quantize(x, scale, zero_point, n_bits)` returns the integer
    codes `q` (any integer dtype) and `linear_dequantize(q, scale, zero_point)`
    returns `x_hat` (float32).
    """),
    Answer("answer_quantize_dequantize", '''
    def linear_quantize(x, scale, zero_point, n_bits=8):
        """Codes q = clamp(round(x / scale) + zero_point, q_min, q_max)."""
        ### BEGIN SOLUTION
        q_min, q_max = -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1
        q = torch.round(x / scale) + zero_point
        return q.clamp(q_min, q_max).to(torch.int8)
        ### END SOLUTION


    def linear_dequantize(q, scale, zero_point):
        """x_hat = scale * (q - zero_point), as float32."""
        ### BEGIN SOLUTION
        return scale * (q.to(torch.float32) - zero_point)
        ### END SOLUTION
    '''),
    _kernel("linear_quantize", 2,
            "q = clamp(round(x / scale) + zero_point, q_min, q_max)",
            ("truncated", "floored", "not_clamped", "zero_point_subtracted"), """
    from course_utils.probes import inputs
    from course_utils.tripwire import call_own

    args = inputs("linear_quantize")[0]
    q = call_own(linear_quantize, *args)
    assert isinstance(q, torch.Tensor) and q.shape == args[0].shape, "a tensor like x"
    assert not q.is_floating_point() or bool((q == q.round()).all()), "integers"
    """),
    _kernel("linear_dequantize", 1,
            "x_hat = scale * (q - zero_point), as a float tensor",
            ("zero_point_added", "zero_point_outside", "divided"), """
    from course_utils.probes import inputs
    from course_utils.tripwire import call_own

    args = inputs("linear_dequantize")[0]
    x_hat = call_own(linear_dequantize, *args)
    assert isinstance(x_hat, torch.Tensor) and x_hat.is_floating_point()
    assert x_hat.shape == args[0].shape, "one value per code"
    """),
    Text("""
    **B3.** `get_symmetric_scale(x, n_bits)` returns the symmetric scale of `x`
    (its zero point is 0), and `per_channel_scales(W, n_bits)` returns one
    symmetric scale per **row** of the matrix `W`, as a tensor of shape
    `(rows, 1)` (or `(rows,)`).
    """),
    Answer("answer_symmetric", '''
    def get_symmetric_scale(x, n_bits=8):
        """Symmetric scale max|x| / q_max."""
        ### BEGIN SOLUTION
        return x.abs().max().item() / (2 ** (n_bits - 1) - 1)
        ### END SOLUTION


    def per_channel_scales(W, n_bits=8):
        """One symmetric scale per row of W, shape (rows, 1)."""
        ### BEGIN SOLUTION
        return W.abs().amax(dim=1, keepdim=True) / (2 ** (n_bits - 1) - 1)
        ### END SOLUTION
    '''),
    _kernel("get_symmetric_scale", 1,
            "symmetric: scale = max|x| / q_max, zero_point = 0",
            ("divide_by_128", "max_not_abs"), """
    from course_utils.answers import as_float
    from course_utils.probes import inputs
    from course_utils.tripwire import call_own

    scale = call_own(get_symmetric_scale, *inputs("get_symmetric_scale")[0])
    assert as_float(scale) > 0, "the scale is a positive number"
    """),
    _kernel("per_channel_scales", 2,
            "one symmetric scale per row (output channel), shape (rows, 1)",
            ("wrong_axis", "divide_by_128"), """
    from course_utils.probes import inputs
    from course_utils.tripwire import call_own

    args = inputs("per_channel_scales")[0]
    scales = call_own(per_channel_scales, *args)
    assert torch.as_tensor(scales).numel() == args[0].shape[0], "one scale per row"
    """),
    Text("""
    ## Part C: the error

    Use your functions on the seeded tensors below. Give, as Python floats, the
    mean squared error `mean((x - x_hat)**2)` of 8-bit asymmetric quantization
    of `x` (`mse_asymmetric`), of 8-bit symmetric quantization of `x`
    (`mse_symmetric`), and of 8-bit per-channel symmetric quantization of `W`
    (`mse_per_channel`). Then say which scheme is better for `x`:
    `better_scheme = "symmetric"` or `"asymmetric"`.
    """),
    Given("given_tensors", f"""
    x = {_X}
    W = {_W}
    """),
    Answer("answer_errors", """
    ### BEGIN SOLUTION
    scale, zero_point = get_scale_zero_point(x)
    q = linear_quantize(x, scale, zero_point)
    x_hat = linear_dequantize(q, scale, zero_point)
    mse_asymmetric = ((x - x_hat) ** 2).mean().item()

    scale = get_symmetric_scale(x)
    x_hat = linear_dequantize(linear_quantize(x, scale, 0), scale, 0)
    mse_symmetric = ((x - x_hat) ** 2).mean().item()

    scales = per_channel_scales(W)
    W_hat = linear_dequantize(linear_quantize(W, scales, 0), scales, 0)
    mse_per_channel = ((W - W_hat) ** 2).mean().item()

    better_scheme = "asymmetric" if mse_asymmetric < mse_symmetric else "symmetric"
    ### END SOLUTION
    print(mse_asymmetric, mse_symmetric, mse_per_channel, better_scheme)
    """),
    _error_question("mse_asymmetric", _X, "",
                    "quantize x asymmetrically, dequantize, mean of squared error"),
    _error_question("mse_symmetric", _X, ", symmetric=True",
                    "quantize x symmetrically, dequantize, mean of squared error"),
    _error_question("mse_per_channel", _W,
                    ', symmetric=True, granularity="per_channel", axis=0',
                    "per-channel symmetric on W, dequantize, mean squared error"),
    Question(
        "better_scheme", "word",
        hint="compare the two errors you measured on x",
        setup=_MSE + f"""
x0 = {_X}
errors = {{s: mse_of(x0, symmetric=s)[0] for s in (False, True)}}""",
        expected='"symmetric" if errors[True] < errors[False] else "asymmetric"',
        visible="""
        assert isinstance(better_scheme, str), "a word: symmetric or asymmetric"
        """),
    Text("## Part D: written answers"),
    Written("sym_vs_asym", "**D1.** When would you choose symmetric quantization, "
            "and when asymmetric? Use your two errors on `x`.",
            "Symmetric (zero_point = 0) is simpler and faster and fits data centred "
            "on 0 such as weights; asymmetric uses the whole code range for shifted "
            "data (e.g. ReLU activations), so its error is lower there, as on x."),
    Written("per_channel", "**D2.** Why does per-channel quantization of `W` give "
            "a smaller error than one scale for the whole matrix?",
            "Rows have very different ranges; one scale must cover the largest row, "
            "so small rows get only a few codes; a scale per row fits each row."),
    Written("linear_vs_float", "**D3.** How does linear quantization differ from "
            "using a lower-precision float type?",
            "It maps floats to integers with a scale and a zero point, "
            "q = clamp(round(x / scale) + zero_point, q_min, q_max), evenly spaced, "
            "instead of rounding to the nearest value of a smaller float format "
            "(whose values are spaced by powers of two)."),
    Written("why_less_memory", "**D4.** Why does linear quantization lower memory, "
            "and what does it cost at inference?",
            "The weights are stored as 8-bit (or fewer) integers plus a few scales, "
            "instead of 32- or 16-bit floats. At inference the codes are "
            "dequantized (x_hat = scale * (q - zero_point)) before or inside the "
            "matrix multiplication, which costs a little compute."),
    Text("""
    ## Check yourself

    `check_all()` checks every answer above: ✓ or ✗ with a hint.
    """),
    Given("self_check", "results = check_all()"),
]
