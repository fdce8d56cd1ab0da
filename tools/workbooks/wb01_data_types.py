"""Workbook 01_data_types: the worksheet for lessons 1-2 (big models, data types)."""

from cells import SETUP, answer, given, md, tests, written

NAME = "01_data_types"

WRITTEN = [
    ("pytorch", "What is PyTorch, and which other library does a similar job?",
     "A Python library for tensors and deep learning (automatic gradients, GPU "
     "support, neural-network layers). Similar: TensorFlow, JAX."),
    ("dtypes_for", "What are data types for?",
     "They say how many bits a number takes and how those bits are read (integer or "
     "floating point, signed or not): range, precision and memory."),
    ("big_models", "Why are big models a problem?",
     "They need more memory and compute than ordinary hardware (laptops, phones, one "
     "GPU) has; they are slow and costly to run and to store."),
    ("other_compression", "Besides quantization, name the two other model "
     "compression techniques from the lesson and say what each does.",
     "Pruning removes weights or layers that matter little; knowledge distillation "
     "trains a small student model to imitate a large teacher."),
    ("what_makes_big", "What makes a model big: storing it, running it, or both? "
     "Explain.",
     "Both: the parameters take disk and memory, and running it needs memory for "
     "weights plus activations and many multiply-adds."),
    ("fp32_to_int8", "Why does going from FP32 to INT8 make a model smaller?",
     "Each parameter takes 1 byte instead of 4, so the weights take a quarter of the "
     "memory."),
    ("float_stores", "What does a floating-point number store?",
     "A sign bit, an exponent (the scale, a power of two) and a fraction/mantissa "
     "(the significant digits)."),
    ("floating_means", "What does \"floating\" mean in floating point? Give an "
     "example.",
     "The point moves: the exponent shifts it, so 1.5 x 2^3 = 12 and 1.5 x 2^-3 = "
     "0.1875 use the same digits with the point in different places."),
    ("tensor", "What is a tensor?",
     "A multi-dimensional array of numbers of one dtype (scalar, vector, matrix, "
     "...), with a shape."),
    ("downcasting", "What is downcasting, and why do it?",
     "Converting values to a dtype with fewer bits (fp32 -> bf16) to save memory and "
     "compute, at the cost of precision."),
    ("downcast_matmul", "What does downcasting do to the result of a matrix "
     "multiplication?",
     "The result is close to the fp32 one but not equal: every product and sum is "
     "rounded to fewer bits, so small errors appear and add up."),
    ("why_matmul", "Why was a matrix multiplication used to show the effect?",
     "Neural networks are mostly matrix multiplications, so the error there is the "
     "error a model sees; it also shows how rounding errors accumulate."),
    ("larger_batches", "Why does a smaller memory footprint allow larger batches, "
     "and why does that help?",
     "Less memory per weight/activation leaves room for more examples at once; "
     "larger batches use the hardware better (faster training/inference)."),
    ("mixed_precision", "Why does mixed-precision training work?",
     "Most computations tolerate low precision (bf16/fp16) while a master copy of "
     "the weights and the updates stay in fp32, so small updates are not lost."),
]


def cells() -> list:
    out = [
        md("""
        # Workbook 1: data types

        This workbook goes with lessons 1 and 2. Run the set-up cell first, then
        answer every question in the cell below it:

        * **Written answers** (markdown cells saying *YOUR ANSWER HERE*): a few
          sentences each. Your instructor grades them.
        * **Code answers**: replace `raise NotImplementedError()` with your code.
          The cell after it checks the *form* of your answer; more tests run when
          the workbook is graded.
        * Check yourself at any time with `check("name", value)` or `check_all()`:
          ✓ means right; ✗ comes with a hint, never with the answer.

        Do not delete, copy or retype the given cells: they are restored before
        grading. Run *Kernel → Restart and Run All* before you hand in.
        """),
        given("setup", SETUP),
        md("## Part A: written answers (lessons 1 and 2)"),
    ]
    for number, (grade_id, question, model) in enumerate(WRITTEN, 1):
        out.append(md(f"**A{number}.** {question}"))
        out.append(written(f"written_{grade_id}", 1, model))

    out += [
        md("""
        ## Part B: integers

        **B1.** Write two functions that return the `(min, max)` range of an `n`-bit
        integer: `uint_range(n)` for unsigned integers and `int_range(n)` for
        two's complement signed integers. Use a formula in `n`, not a table.
        """),
        answer("answer_range_functions", """
        def uint_range(n):
            \"\"\"(min, max) of an unsigned n-bit integer.\"\"\"
            ### BEGIN SOLUTION
            return (0, 2**n - 1)
            ### END SOLUTION


        def int_range(n):
            \"\"\"(min, max) of a two's complement n-bit integer.\"\"\"
            ### BEGIN SOLUTION
            return (-(2 ** (n - 1)), 2 ** (n - 1) - 1)
            ### END SOLUTION
        """),
        tests("test_uint_range", 2, """
        from course_utils.checks import as_range

        low, high = as_range(uint_range(4))
        assert low < high, "min should be below max"
        assert isinstance(uint_range(16), (tuple, list)), "return a (min, max) pair"
        """, """
        from course_utils.checks import as_range

        wrong = [n for n in range(1, 65)
                 if as_range(uint_range(n)) != (0, (1 << n) - 1)]
        assert not wrong, f"wrong for n = {wrong[:3]}"
        """),
        tests("test_int_range", 2, """
        from course_utils.checks import as_range

        low, high = as_range(int_range(4))
        assert low < 0 < high, "a signed range includes negative numbers"
        """, """
        from course_utils.checks import as_range

        wrong = [n for n in range(1, 65)
                 if as_range(int_range(n)) != (-(1 << (n - 1)), (1 << (n - 1)) - 1)]
        assert not wrong, f"wrong for n = {wrong[:3]}"
        """),
        md("""
        **B2.** Give the ranges of the 8-bit types as `(min, max)` pairs of numbers
        (write the numbers, or use your functions).
        """),
        answer("answer_8bit_ranges", """
        ### BEGIN SOLUTION
        uint8_range = uint_range(8)
        int8_range = int_range(8)
        ### END SOLUTION
        """),
        tests("test_uint8_range", 1, """
        from course_utils.checks import as_range

        assert len(as_range(uint8_range)) == 2
        """, """
        from course_utils.checks import canonical

        info = torch.iinfo(torch.uint8)
        assert canonical("uint8_range", uint8_range) == (info.min, info.max)
        """),
        tests("test_int8_range", 1, """
        from course_utils.checks import as_range

        assert len(as_range(int8_range)) == 2
        """, """
        from course_utils.checks import canonical

        info = torch.iinfo(torch.int8)
        assert canonical("int8_range", int8_range) == (info.min, info.max)
        """),
        md("""
        **B3.** Write each number as an **8-bit unsigned** bit string, all 8 bits
        (e.g. `"0000 0000"`; spaces, `_` and a `0b` prefix are fine). Work them out
        by hand.
        """),
        answer("answer_uint8_bits", """
        # uint8_bits = {2: "...", 6: "...", 33: "...", 100: "..."}
        ### BEGIN SOLUTION
        uint8_bits = {k: format(k, "08b") for k in (2, 6, 33, 100)}
        ### END SOLUTION
        """),
    ]
    for key in (2, 6, 33, 100):
        out.append(tests(f"test_uint8_bits_{key}", 1, f"""
        from course_utils.checks import canonical

        assert isinstance(uint8_bits, dict), "uint8_bits should be a dict"
        assert canonical("uint8_bits", uint8_bits).get({key}) is not None, (
            "uint8_bits[{key}] should be a string of 8 bits")
        """, f"""
        from course_utils.checks import canonical

        assert canonical("uint8_bits", uint8_bits)[{key}] == format({key}, "08b")
        """))
    out += [
        md("""
        **B4.** The byte `1101 0101` is stored in memory. Which number does it hold
        when it is read as an unsigned integer (`value_unsigned`) and when it is
        read as a two's complement signed integer (`value_signed`)?
        """),
        answer("answer_byte_values", """
        ### BEGIN SOLUTION
        value_unsigned = int("1101" "0101", 2)
        value_signed = value_unsigned - 2**8
        ### END SOLUTION
        """),
        tests("test_value_unsigned", 1, """
        from course_utils.checks import as_int

        assert as_int(value_unsigned) >= 0, "an unsigned reading is never negative"
        """, """
        from course_utils.checks import canonical

        byte = torch.tensor([0b11010101], dtype=torch.int32).to(torch.uint8)
        assert canonical("value_unsigned", value_unsigned) == int(byte.item())
        """),
        tests("test_value_signed", 1, """
        from course_utils.checks import as_int

        assert isinstance(as_int(value_signed), int), "a whole number"
        """, """
        from course_utils.checks import canonical

        byte = torch.tensor([0b11010101], dtype=torch.uint8).view(torch.int8)
        assert canonical("value_signed", value_signed) == int(byte.item())
        """),
        md("""
        ## Part C: floating point

        **C1.** A float has a sign, an exponent and a fraction (mantissa) field.
        Name the field that sets the **range** (`range_field`) and the one that sets
        the **precision** (`precision_field`), as strings.
        """),
        answer("answer_fields", """
        ### BEGIN SOLUTION
        range_field = "exponent"
        precision_field = "fraction"
        ### END SOLUTION
        """),
        tests("test_range_field", 1, """
        assert isinstance(range_field, str), "give the field's name as a string"
        """, """
        from course_utils.checks import canonical

        assert canonical("range_field", range_field) == "exponent"
        """),
        tests("test_precision_field", 1, """
        assert isinstance(precision_field, str), "give the field's name as a string"
        """, """
        from course_utils.checks import canonical

        assert canonical("precision_field", precision_field) == "fraction"
        """),
        md("""
        **C2.** For each format give `(exponent_bits, fraction_bits)`; the sign bit
        is not counted.
        """),
        answer("answer_float_fields", """
        # float_fields = {"fp32": (..., ...), "fp16": (..., ...), "bf16": (..., ...)}
        ### BEGIN SOLUTION
        import math

        float_fields = {
            name: (info.bits - 1 - round(-math.log2(info.eps)),
                   round(-math.log2(info.eps)))
            for name, info in (("fp32", torch.finfo(torch.float32)),
                               ("fp16", torch.finfo(torch.float16)),
                               ("bf16", torch.finfo(torch.bfloat16)))
        }
        ### END SOLUTION
        """),
    ]
    for key, dtype in (("fp32", "float32"), ("fp16", "float16"),
                       ("bf16", "bfloat16")):
        out.append(tests(f"test_float_fields_{key}", 1, f"""
        from course_utils.checks import canonical

        assert isinstance(float_fields, dict), "float_fields should be a dict"
        assert canonical("float_fields", float_fields).get("{dtype}") is not None, (
            "float_fields['{key}'] should be a pair (exponent_bits, fraction_bits)")
        """, f"""
        from course_utils.checks import canonical

        info = torch.finfo(torch.{dtype})
        fraction_bits = round(-torch.log2(torch.tensor(info.eps)).item())
        expected = (info.bits - 1 - fraction_bits, fraction_bits)
        assert canonical("float_fields", float_fields)["{dtype}"] == expected
        """))
    out += [
        md("""
        **C3.** Assign to `bf16_info` the torch object that describes the range of
        `bfloat16` (its largest value, smallest normal value and eps).
        """),
        answer("answer_bf16_info", """
        ### BEGIN SOLUTION
        bf16_info = torch.finfo(torch.bfloat16)
        ### END SOLUTION
        print(bf16_info)
        """),
        tests("test_bf16_info", 1, """
        assert hasattr(bf16_info, "max") and hasattr(bf16_info, "eps"), (
            "bf16_info should describe a dtype: it has .max and .eps")
        """, """
        from course_utils.checks import canonical

        assert canonical("bf16_info", bf16_info) == "finfo:bfloat16"
        assert bf16_info.max == torch.finfo(torch.bfloat16).max
        """),
        md("""
        ## Part D: downcasting error

        The tensor `x` below is seeded, so everyone gets the same numbers. Downcast
        it to `torch.bfloat16`, convert it back to `torch.float32`, and measure the
        error: the **mean** absolute error `bf16_mean_abs_error` and the **largest**
        absolute error `bf16_max_abs_error`, as Python floats.
        """),
        given("given_x", """
        x = torch.randn(10_000, generator=torch.Generator().manual_seed(7)) * 4 + 1
        x[:5]
        """),
        answer("answer_downcast_error", """
        ### BEGIN SOLUTION
        x_back = x.to(torch.bfloat16).to(torch.float32)
        bf16_mean_abs_error = (x - x_back).abs().mean().item()
        bf16_max_abs_error = (x - x_back).abs().max().item()
        ### END SOLUTION
        print(bf16_mean_abs_error, bf16_max_abs_error)
        """),
        tests("test_bf16_mean_abs_error", 1, """
        from course_utils.checks import as_float

        assert 0 < as_float(bf16_mean_abs_error) < 1, "a small positive number"
        """, """
        import math

        from course_utils.checks import FLOAT_RTOL, canonical

        x0 = torch.randn(10_000, generator=torch.Generator().manual_seed(7)) * 4 + 1
        err = (x0.double() - x0.bfloat16().double()).abs()
        got = canonical("bf16_mean_abs_error", bf16_mean_abs_error)
        assert math.isclose(got, err.mean().item(), rel_tol=FLOAT_RTOL)
        """),
        tests("test_bf16_max_abs_error", 1, """
        from course_utils.checks import as_float

        assert 0 < as_float(bf16_max_abs_error) < 1, "a small positive number"
        """, """
        import math

        from course_utils.checks import FLOAT_RTOL, canonical

        x0 = torch.randn(10_000, generator=torch.Generator().manual_seed(7)) * 4 + 1
        err = (x0.double() - x0.bfloat16().double()).abs()
        got = canonical("bf16_max_abs_error", bf16_max_abs_error)
        assert math.isclose(got, err.max().item(), rel_tol=FLOAT_RTOL)
        """),
        md("""
        ## Check yourself

        `check_all()` checks every answer above: ✓ or ✗ with a hint.
        """),
        given("self_check", "results = check_all()"),
    ]
    return out
