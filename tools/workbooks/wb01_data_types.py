"""Workbook 01_data_types: lessons 1 and 2 (big models, data types and sizes)."""

from __future__ import annotations

from tools.workbooks.spec import Alternative, Answer, Given, Question, Text, Written

NAME = "01_data_types"
TITLE = "Workbook 1: data types"

_BITS_HINT = ("write {part} as a sum of powers of two (128, 64, 32, ...), one bit "
              "per place, the highest place first")

ITEMS = [
    Text("""
    ## Part A: written answers (lesson 1)
    """),
    Written("course_for", "**A0.** What is this course for? Say it in a sentence "
            "or two.",
            "To understand how numbers are stored in bits (integers, floats, their "
            "range and precision) and how models are made smaller and faster by "
            "storing their weights in fewer bits: downcasting and quantization."),
    Written("pytorch", "**A1.** What is PyTorch, and which other library does a "
            "similar job?",
            "A Python library for tensors and deep learning: tensor maths on CPU "
            "and GPU, automatic gradients, neural-network layers. Similar: "
            "TensorFlow, JAX (NumPy for the tensors alone)."),
    Written("tensor", "**A2.** What is a tensor? Name three things every torch "
            "tensor has.",
            "A multi-dimensional array of numbers, all of one dtype: a scalar, a "
            "vector, a matrix, or more dimensions. Every tensor has a dtype, a "
            "shape and a device."),
    Written("dtypes_for", "**A3.** What are data types for? Name the ones lesson 1 "
            "uses.",
            "They say how many bits a number takes and how those bits are read "
            "(integer or floating point, signed or not): range, precision and "
            "memory. Lesson 1 uses fp32, bf16/fp16, int8 and int4."),
    Written("big_models", "**A4.** Why are big models a problem?",
            "They need more memory and compute than ordinary hardware (laptops, "
            "phones, one GPU) has; they are slow and costly to run and to store."),
    Written("other_compression", "**A5.** Besides quantization, name the two other "
            "model compression techniques from lesson 1 and say what each does.",
            "Pruning removes weights or layers that matter little; knowledge "
            "distillation trains a small student model to imitate a large "
            "teacher."),
    Written("what_makes_big", "**A6.** What makes a model big: storing it, "
            "running it, or both? Explain.",
            "Both: the parameters take disk and memory, and running it needs "
            "memory for weights plus activations and many multiply-adds."),
    Written("fp32_to_int8", "**A7.** Why does going from FP32 to INT8 make a model "
            "smaller?",
            "Each parameter takes 1 byte instead of 4, so the weights take a "
            "quarter of the memory."),
    Text("""
    ## Part B: integers (lesson 2)

    **B1.** Write two functions that return the `(min, max)` range of an `n`-bit
    integer: `uint_range(n)` for unsigned integers and `int_range(n)` for
    two's complement signed integers. Use a formula in `n`, not a table, and only
    Python or torch (the course's own functions are switched off here).
    """),
    Answer("answer_range_functions", '''
    def uint_range(n):
        """(min, max) of an unsigned n-bit integer."""
        ### BEGIN SOLUTION
        return (0, 2**n - 1)
        ### END SOLUTION


    def int_range(n):
        """(min, max) of a two's complement n-bit integer."""
        ### BEGIN SOLUTION
        return (-(2 ** (n - 1)), 2 ** (n - 1) - 1)
        ### END SOLUTION
    '''),
    Question(
        "uint_range", "range_fn", points=2,
        hint="n unsigned bits count from 0 up to all bits set; what is "
             "1 + 2 + 4 + ... + 2**(n-1)?",
        mistakes=("range_max_power_of_two", "range_swapped",
                  "range_other_signedness"),
        visible="""
        from course_utils.answers import as_range

        low, high = as_range(uint_range(4))
        assert low < high, "min should be below max"
        assert isinstance(uint_range(16), (tuple, list)), "return a (min, max) pair"
        """),
    Question(
        "int_range", "range_fn", points=2,
        hint="in two's complement the top bit has a negative place value; try "
             "n = 2 and n = 3 by hand",
        mistakes=("range_symmetric", "range_max_power_of_two", "range_swapped",
                  "range_other_signedness"),
        visible="""
        from course_utils.answers import as_range

        low, high = as_range(int_range(4))
        assert low < 0 < high, "a signed range includes negative numbers"
        """),
    Text("""
    **B2.** Derive the range of an **8-bit** integer step by step, first
    unsigned, then signed (two's complement): which bit pattern is the smallest,
    which the largest, and what is each worth? (Your instructor grades the
    steps; the numbers themselves are asked below.)
    """),
    Written("range_steps", "Your steps:",
            "Unsigned: the smallest pattern 00000000 is 0; the largest 11111111 is "
            "128+64+32+16+8+4+2+1 = 2^8 - 1 = 255. Signed: the top bit is worth "
            "-128; the smallest is 10000000 = -128 = -2^7, the largest 01111111 = "
            "64+...+1 = 127 = 2^7 - 1.", points=2),
    Text("""
    **B3.** Give the ranges of the 8-bit types as `(min, max)` pairs of numbers.
    """),
    Answer("answer_8bit_ranges", """
    ### BEGIN SOLUTION
    uint8_range = uint_range(8)
    int8_range = int_range(8)
    ### END SOLUTION
    """),
    Question(
        "uint8_range", "range",
        hint="8 unsigned bits: the smallest and the largest pattern",
        expected="(torch.iinfo(torch.uint8).min, torch.iinfo(torch.uint8).max)",
        mistakes=("range_max_power_of_two", "range_swapped",
                  "range_other_signedness")),
    Question(
        "int8_range", "range",
        hint="8 two's complement bits: the most negative and the most positive",
        expected="(torch.iinfo(torch.int8).min, torch.iinfo(torch.int8).max)",
        mistakes=("range_symmetric", "range_max_power_of_two", "range_swapped",
                  "range_other_signedness")),
    Text("""
    **B4.** Write each number as an **8-bit unsigned** bit string, all 8 bits
    (e.g. `"0000 0000"`; spaces, `_` and a `0b` prefix are fine). Work them out
    by hand, as lesson 2 shows: subtract the largest power of two that fits,
    write a 1 for it, and go on with the rest.
    """),
    Answer("answer_uint8_bits", """
    # uint8_bits = {2: "...", 6: "...", 33: "...", 100: "..."}
    ### BEGIN SOLUTION
    uint8_bits = {k: format(k, "08b") for k in (2, 6, 33, 100)}
    ### END SOLUTION
    """),
    Question(
        "uint8_bits", "bits", parts=(2, 6, 33, 100), keys="int",
        hint="each value is an 8-bit string such as '0000 0000'",
        part_hint=_BITS_HINT, params={"n_bits": 8},
        expected='format({part}, "08b")',
        mistakes=("bits_wrong_width", "bits_reversed", "place_value_slip"),
        visible="""
        assert isinstance(uint8_bits, dict), "uint8_bits should be a dict"
        """),
    Written("encoding_steps", "**B5.** Show your steps for 100: which powers of "
            "two did you subtract, in which order?",
            "100 - 64 = 36, 36 - 32 = 4, 4 - 4 = 0: bits for 64, 32 and 4 are 1, "
            "the others 0: 0110 0100."),
    Text("""
    **B6.** The byte `1101 0101` is stored in memory. Which number does it hold
    when it is read as an unsigned integer (`value_unsigned`) and when it is read
    as a two's complement signed integer (`value_signed`)?
    """),
    Answer("answer_byte_values", """
    ### BEGIN SOLUTION
    value_unsigned = int("1101" "0101", 2)
    value_signed = value_unsigned - 2**8
    ### END SOLUTION
    """),
    Question(
        "value_unsigned", "int", params={"n_bits": 8},
        hint="add the place values 128, 64, ..., 1 of the bits that are 1",
        expected="torch.tensor([0b11010101], dtype=torch.int32).to(torch.uint8)"
                 ".item()",
        mistakes=("read_as_signed",),
        visible="""
        from course_utils.answers import as_int

        assert as_int(value_unsigned) >= 0, "an unsigned reading is never negative"
        """),
    Question(
        "value_signed", "int", params={"n_bits": 8},
        hint="in two's complement the highest place counts -128, not +128",
        expected="torch.tensor([0b11010101], dtype=torch.uint8).view(torch.int8)"
                 ".item()",
        mistakes=("read_as_unsigned", "sign_magnitude", "ones_complement")),
    Text("""
    ## Part C: floating point (lesson 2)
    """),
    Written("float_stores", "**C1.** What does a floating-point number store?",
            "A sign bit, an exponent (the scale, a power of two) and a fraction "
            "(the significant digits after the leading 1; also called mantissa)."),
    Written("floating_means", "**C2.** What does \"floating\" mean in floating "
            "point? Give an example.",
            "The point moves: the exponent shifts it, so 1.5 x 2^3 = 12 and "
            "1.5 x 2^-3 = 0.1875 use the same digits with the point in different "
            "places."),
    Text("""
    **C3.** A float has a sign, an exponent and a fraction field. Name the field
    that sets the **range** (`range_field`) and the one that sets the
    **precision** (`precision_field`), as strings.
    """),
    Answer("answer_fields", """
    ### BEGIN SOLUTION
    range_field = "exponent"
    precision_field = "fraction"
    ### END SOLUTION
    """),
    Question("range_field", "field",
             hint="which field says where the point floats to?",
             expected='"exponent"', mistakes=("field_swapped", "field_sign")),
    Question("precision_field", "field",
             hint="which field holds the digits after the leading 1?",
             expected='"fraction"', mistakes=("field_swapped", "field_sign")),
    Text("""
    **C4.** For each format give `(exponent_bits, fraction_bits)`; the sign bit
    is not counted. Count them on the coloured bits of lesson 2's float explorer,
    or work them out from `torch.finfo`.
    """),
    Answer("answer_float_fields", """
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
    Question(
        "float_fields", "pair", parts=("float32", "float16", "bfloat16"),
        keys="dtype",
        hint="values are (exponent_bits, fraction_bits), sign bit not counted",
        part_hint="{part}: count its exponent and fraction bits; sign not included",
        setup="""
        info = torch.finfo(torch.{part})
        fraction_bits = round(-torch.log2(torch.tensor(info.eps)).item())
        """,
        expected="(info.bits - 1 - fraction_bits, fraction_bits)",
        mistakes=("fields_swapped", "fields_sign_counted", "fields_other_format"),
        visible="""
        assert isinstance(float_fields, dict), "float_fields should be a dict"
        """),
    Text("""
    **C5.** Assign to `bf16_info` the torch object that describes the range of
    `bfloat16` (its largest value, smallest normal value and eps).
    """),
    Answer("answer_bf16_info", """
    ### BEGIN SOLUTION
    bf16_info = torch.finfo(torch.bfloat16)
    ### END SOLUTION
    print(bf16_info)
    """),
    Question(
        "bf16_info", "finfo",
        hint="torch has an object that describes a float dtype's range and eps",
        expected="torch.finfo(torch.bfloat16)",
        mistakes=("finfo_other_dtype", "iinfo_for_float"),
        visible="""
        assert hasattr(bf16_info, "max") and hasattr(bf16_info, "eps"), (
            "bf16_info should describe a dtype: it has .max and .eps")
        """),
    Text("""
    **C6.** fp16 and bf16 both take 16 bits. Which of the two is **more precise**
    (`more_precise`), and which has the **larger range** (`larger_range`)? Give
    dtype names such as `"fp16"` or `"bf16"`.
    """),
    Answer("answer_fp16_bf16", """
    ### BEGIN SOLUTION
    more_precise = "fp16"
    larger_range = "bf16"
    ### END SOLUTION
    """),
    Question(
        "more_precise", "dtype",
        hint="compare the two formats' field widths (C4): which one has more "
             "bits in the field that sets the precision (C3)?",
        expected='"float16"',
        mistakes=(Alternative("range_for_precision", '"bfloat16"',
                              "that format wins on the other property: look at "
                              "which field each format has more bits in",
                              "range and precision swapped (fp16 vs bf16)"),),
        visible="""
        assert isinstance(more_precise, str), "a dtype name such as 'fp16'"
        """),
    Question(
        "larger_range", "dtype",
        hint="compare the two formats' field widths (C4): which one has more "
             "bits in the field that sets the range (C3)?",
        expected='"bfloat16"',
        mistakes=(Alternative("precision_for_range", '"float16"',
                              "that format wins on the other property: look at "
                              "which field each format has more bits in",
                              "range and precision swapped (fp16 vs bf16)"),),
        visible="""
        assert isinstance(larger_range, str), "a dtype name such as 'bf16'"
        """),
    Text("""
    ## Check yourself

    `check_all()` checks every answer above: ✓ or ✗ with a hint.
    """),
    Given("self_check", "results = check_all()"),
]
