"""Workbook 03_linear_quantization: the worksheet for lesson 5 (linear quantization)."""

from cells import SETUP, answer, given, md, tests, written

NAME = "03_linear_quantization"

CONVENTIONS = """
Conventions (those of the lesson and of `course_utils.quant`); the codes are
`n_bits`-bit **signed** integers, from `q_min` to `q_max` (your `int_range` of
workbook 1 gives them):

* **asymmetric**: the range always includes 0: `r_min = min(x.min(), 0)`,
  `r_max = max(x.max(), 0)`; `scale = (r_max - r_min) / (q_max - q_min)`;
  `zero_point = round(q_min - r_min / scale)`, clamped to `[q_min, q_max]`, an
  integer;
* **symmetric**: `scale = max|x| / q_max`, `zero_point = 0`;
* quantize: `q = clamp(round(x / scale) + zero_point, q_min, q_max)`, with
  `torch.round` (halves to even);
* dequantize: `x_hat = scale * (q - zero_point)`, float32.

Write the functions yourself with torch operations: calling `course_utils`' own
quantization functions earns no points.
"""


def _kernel_test(grade_id: str, points: int, name: str, visible: str) -> dict:
    return tests(grade_id, points, visible, f"""
    from course_utils._kernel_cases import cases, same
    from course_utils.checks import call_own

    results = [same("{name}", call_own({name}, *args), expected)
               for args, expected in cases("{name}")]
    failures = [why for ok, why in results if not ok]
    assert results and not failures, failures[:1]
    """)


WRITTEN = [
    ("sym_vs_asym", "When would you choose symmetric quantization, and when "
     "asymmetric? Use your two errors on `x`.",
     "Symmetric (zero_point = 0) is simpler and faster and fits data centred on 0 "
     "such as weights; asymmetric uses the whole code range for shifted data "
     "(e.g. ReLU activations), so its error is lower there, as on x."),
    ("per_channel", "Why does per-channel quantization of `W` give a smaller error "
     "than one scale for the whole matrix?",
     "Rows have very different ranges; one scale must cover the largest row, so "
     "small rows get only a few codes; a scale per row fits each row."),
]


def cells() -> list:
    return [
        md("""
        # Workbook 3: linear quantization

        This workbook goes with lesson 5. Run the set-up cell first, then answer
        every question below it. Code answers replace `raise NotImplementedError()`;
        written answers are graded by your instructor. Check yourself with
        `check("name", value)` or `check_all()`: ✓, or ✗ with a hint.
        """ + CONVENTIONS),
        given("setup", SETUP),
        md("""
        ## Part A: by hand

        **A1.** A tensor's values lie between `r_min = -0.9` and `r_max = 4.2`.
        Compute, by hand, the `scale` and `zero_point` of 8-bit signed asymmetric
        quantization, as numbers: `hand_scale` and `hand_zero_point`.
        """),
        answer("answer_by_hand", """
        ### BEGIN SOLUTION
        hand_scale = (4.2 - -0.9) / (127 - -128)
        hand_zero_point = round(-128 - -0.9 / hand_scale)
        ### END SOLUTION
        """),
        tests("test_hand_scale", 1, """
        from course_utils.checks import as_float

        assert 0 < as_float(hand_scale) < 1, "scale is a small positive number"
        """, """
        import math

        from course_utils import quant
        from course_utils.checks import canonical

        scale, _ = quant.scale_zero_point(torch.tensor([-0.9, 4.2]))
        got = canonical("hand_scale", hand_scale)
        assert math.isclose(got, scale.item(), rel_tol=1e-4)
        """),
        tests("test_hand_zero_point", 1, """
        from course_utils.checks import as_int

        assert isinstance(as_int(hand_zero_point), int), "a whole number"
        """, """
        from course_utils import quant
        from course_utils.checks import canonical

        _, zero_point = quant.scale_zero_point(torch.tensor([-0.9, 4.2]))
        assert canonical("hand_zero_point", hand_zero_point) == int(zero_point)
        """),
        md("""
        ## Part B: in code

        **B1.** `get_scale_zero_point(x, n_bits)` returns the asymmetric
        `(scale, zero_point)` of the whole tensor `x`.
        """),
        answer("answer_get_scale_zero_point", """
        def get_scale_zero_point(x, n_bits=8):
            \"\"\"Asymmetric (scale, zero_point) of x for n_bits signed codes.\"\"\"
            ### BEGIN SOLUTION
            q_min, q_max = -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1
            r_min = min(x.min().item(), 0.0)
            r_max = max(x.max().item(), 0.0)
            scale = (r_max - r_min) / (q_max - q_min)
            zero_point = round(q_min - r_min / scale)
            zero_point = max(q_min, min(q_max, zero_point))
            return scale, zero_point
            ### END SOLUTION
        """),
        _kernel_test("test_get_scale_zero_point", 2, "get_scale_zero_point", """
        from course_utils.checks import as_float, as_int, call_own

        scale, zero_point = call_own(get_scale_zero_point, torch.tensor([-1.0, 3.0]))
        assert as_float(scale) > 0, "scale is positive"
        assert isinstance(as_int(zero_point), int), "zero_point is a whole number"
        """),
        md("""
        **B2.** `linear_quantize(x, scale, zero_point, n_bits)` returns the integer
        codes `q` (any integer dtype) and `linear_dequantize(q, scale, zero_point)`
        returns `x_hat` (float32).
        """),
        answer("answer_quantize_dequantize", """
        def linear_quantize(x, scale, zero_point, n_bits=8):
            \"\"\"Codes q = clamp(round(x / scale) + zero_point, q_min, q_max).\"\"\"
            ### BEGIN SOLUTION
            q_min, q_max = -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1
            q = torch.round(x / scale) + zero_point
            return q.clamp(q_min, q_max).to(torch.int8)
            ### END SOLUTION


        def linear_dequantize(q, scale, zero_point):
            \"\"\"x_hat = scale * (q - zero_point), as float32.\"\"\"
            ### BEGIN SOLUTION
            return scale * (q.to(torch.float32) - zero_point)
            ### END SOLUTION
        """),
        _kernel_test("test_linear_quantize", 2, "linear_quantize", """
        from course_utils.checks import call_own

        q = call_own(linear_quantize, torch.tensor([-1.0, 0.0, 3.0]), 0.02, -10)
        assert isinstance(q, torch.Tensor) and q.shape == (3,), "a tensor like x"
        assert not q.is_floating_point() or bool((q == q.round()).all()), "integers"
        """),
        _kernel_test("test_linear_dequantize", 1, "linear_dequantize", """
        from course_utils.checks import call_own

        q = torch.tensor([-100, 0, 100], dtype=torch.int8)
        x_hat = call_own(linear_dequantize, q, 0.02, -10)
        assert isinstance(x_hat, torch.Tensor) and x_hat.is_floating_point()
        assert x_hat.shape == (3,), "one value per code"
        """),
        md("""
        **B3.** `get_symmetric_scale(x, n_bits)` returns the symmetric scale of `x`
        (its zero point is 0), and `per_channel_scales(W, n_bits)` returns one
        symmetric scale per **row** of the matrix `W`, as a tensor of shape
        `(rows, 1)` (or `(rows,)`).
        """),
        answer("answer_symmetric", """
        def get_symmetric_scale(x, n_bits=8):
            \"\"\"Symmetric scale max|x| / q_max.\"\"\"
            ### BEGIN SOLUTION
            return x.abs().max().item() / (2 ** (n_bits - 1) - 1)
            ### END SOLUTION


        def per_channel_scales(W, n_bits=8):
            \"\"\"One symmetric scale per row of W, shape (rows, 1).\"\"\"
            ### BEGIN SOLUTION
            return W.abs().amax(dim=1, keepdim=True) / (2 ** (n_bits - 1) - 1)
            ### END SOLUTION
        """),
        _kernel_test("test_get_symmetric_scale", 1, "get_symmetric_scale", """
        from course_utils.checks import as_float, call_own

        assert as_float(call_own(get_symmetric_scale, torch.tensor([-1.0, 3.0]))) > 0
        """),
        _kernel_test("test_per_channel_scales", 2, "per_channel_scales", """
        from course_utils.checks import call_own

        scales = call_own(per_channel_scales, torch.ones(3, 5))
        assert torch.as_tensor(scales).numel() == 3, "one scale per row"
        """),
        md("""
        ## Part C: the error

        Use your functions on the seeded tensors below. Give, as Python floats, the
        mean squared error `mean((x - x_hat)**2)` of 8-bit asymmetric quantization
        of `x` (`mse_asymmetric`), of 8-bit symmetric quantization of `x`
        (`mse_symmetric`), and of 8-bit per-channel symmetric quantization of `W`
        (`mse_per_channel`). Then say which scheme is better for `x`:
        `better_scheme = "symmetric"` or `"asymmetric"`.
        """),
        given("given_tensors", """
        x = torch.randn(1000, generator=torch.Generator().manual_seed(3)) * 1.5 + 0.8
        W = torch.randn(4, 64, generator=torch.Generator().manual_seed(4))
        W = W * torch.tensor([[0.05], [0.5], [2.0], [8.0]])
        """),
        answer("answer_errors", """
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
        tests("test_mse_asymmetric", 1, """
        from course_utils.checks import as_float

        assert 0 < as_float(mse_asymmetric) < 1, "a small positive number"
        """, """
        import math

        from course_utils import quant
        from course_utils.checks import FLOAT_RTOL, canonical

        x0 = torch.randn(1000, generator=torch.Generator().manual_seed(3)) * 1.5 + 0.8
        scale, zero_point = quant.scale_zero_point(x0)
        x_hat = quant.dequantize_with(quant.quantize_with(x0, scale, zero_point),
                                      scale, zero_point)
        expected = quant.quantization_error(x0, x_hat)
        got = canonical("mse_asymmetric", mse_asymmetric)
        assert math.isclose(got, expected, rel_tol=FLOAT_RTOL)
        """),
        tests("test_mse_symmetric", 1, """
        from course_utils.checks import as_float

        assert 0 < as_float(mse_symmetric) < 1, "a small positive number"
        """, """
        import math

        from course_utils import quant
        from course_utils.checks import FLOAT_RTOL, canonical

        x0 = torch.randn(1000, generator=torch.Generator().manual_seed(3)) * 1.5 + 0.8
        scale, zero_point = quant.scale_zero_point(x0, symmetric=True)
        x_hat = quant.dequantize_with(quant.quantize_with(x0, scale, zero_point),
                                      scale, zero_point)
        expected = quant.quantization_error(x0, x_hat)
        got = canonical("mse_symmetric", mse_symmetric)
        assert math.isclose(got, expected, rel_tol=FLOAT_RTOL)
        """),
        tests("test_mse_per_channel", 1, """
        from course_utils.checks import as_float

        assert 0 < as_float(mse_per_channel) < 1, "a small positive number"
        """, """
        import math

        from course_utils import quant
        from course_utils.checks import FLOAT_RTOL, canonical

        W0 = torch.randn(4, 64, generator=torch.Generator().manual_seed(4)) * (
            torch.tensor([[0.05], [0.5], [2.0], [8.0]]))
        scale, zero_point = quant.scale_zero_point(
            W0, symmetric=True, granularity="per_channel", axis=0)
        W_hat = quant.dequantize_with(quant.quantize_with(W0, scale, zero_point),
                                      scale, zero_point)
        expected = quant.quantization_error(W0, W_hat)
        got = canonical("mse_per_channel", mse_per_channel)
        assert math.isclose(got, expected, rel_tol=FLOAT_RTOL)
        """),
        tests("test_better_scheme", 1, """
        assert isinstance(better_scheme, str), "a word: symmetric or asymmetric"
        """, """
        from course_utils import quant
        from course_utils.checks import canonical

        x0 = torch.randn(1000, generator=torch.Generator().manual_seed(3)) * 1.5 + 0.8
        errors = {}
        for symmetric in (False, True):
            scale, zero_point = quant.scale_zero_point(x0, symmetric=symmetric)
            x_hat = quant.dequantize_with(quant.quantize_with(x0, scale, zero_point),
                                          scale, zero_point)
            errors[symmetric] = quant.quantization_error(x0, x_hat)
        expected = "symmetric" if errors[True] < errors[False] else "asymmetric"
        assert canonical("better_scheme", better_scheme) == expected
        """),
        md("## Part D: written answers"),
        *[c for number, (grade_id, question, model) in enumerate(WRITTEN, 1)
          for c in (md(f"**D{number}.** {question}"),
                    written(f"written_{grade_id}", 1, model))],
        md("""
        ## Check yourself

        `check_all()` checks every answer above: ✓ or ✗ with a hint.
        """),
        given("self_check", "results = check_all()"),
    ]
