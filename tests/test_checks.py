"""Self-checks and canonical forms (course_utils.checks), and the no-leak rule."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest
import torch

from course_utils import _kernel_cases, checks
from course_utils.checks import (
    AnswerFormatError,
    LibraryKernelUsed,
    as_bits,
    as_dtype,
    as_field,
    as_range,
    call_own,
    canonical,
    check,
    check_all,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]

# The graded answers, written here from first principles (tests/ is not shipped).
RIGHT = {
    "uint8_range": (0, 2**8 - 1),
    "int8_range": (-(2**7), 2**7 - 1),
    "uint8_bits": {k: format(k, "08b") for k in (2, 6, 33, 100)},
    "value_unsigned": int("11010101", 2),
    "value_signed": int("11010101", 2) - 256,
    "range_field": "exponent",
    "precision_field": "mantissa",
    "float_fields": {"fp32": (8, 23), "fp16": (5, 10), "bf16": (8, 7)},
    "bf16_info": torch.finfo(torch.bfloat16),
    "better_scheme": "asymmetric",
}


# ------------------------------------------------------------------ canonical forms


@pytest.mark.parametrize("value", [[0, 255], (0, 255), ("0", "255"), range(256),
                                   torch.tensor([0, 255]), (0.0, 255.0)])
def test_ranges_in_natural_forms(value):
    assert as_range(value) == (0, 255)


@pytest.mark.parametrize("value", [(0, 1, 2), "0, 255", 255, (0.5, 2), None])
def test_bad_ranges_are_rejected(value):
    with pytest.raises(AnswerFormatError):
        as_range(value)


@pytest.mark.parametrize("value", ["00100001", "0010 0001", "0010_0001",
                                   "0b00100001", " 0B0010_0001 "])
def test_bit_strings_in_natural_forms(value):
    assert as_bits(value, 8) == format(33, "08b")


@pytest.mark.parametrize("value", ["100001", "0010002", 33, "", "0b"])
def test_bad_bit_strings_are_rejected(value):
    with pytest.raises(AnswerFormatError):
        as_bits(value, 8)


@pytest.mark.parametrize("value,expected", [
    ("Mantissa", "fraction"), ("fraction bits", "fraction"),
    ("SIGNIFICAND", "fraction"), ("exponent", "exponent"),
    ("Exponent field", "exponent"),
    ("sign", "sign"), ("mantisa", "mantisa"),
])
def test_field_names(value, expected):
    assert as_field(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("FP32", "float32"), ("float32", "float32"), (torch.float32, "float32"),
    ("bf16", "bfloat16"), ("BFloat16", "bfloat16"), ("torch.bfloat16", "bfloat16"),
    ("Half", "float16"), ("INT8", "int8"),
])
def test_dtype_names(value, expected):
    assert as_dtype(value) == expected


def test_numbers_as_strings_and_tensors():
    assert canonical("value_unsigned", " 213 ") == 213
    assert canonical("value_signed", torch.tensor(-43)) == -43
    assert canonical("value_signed", -43.0) == -43
    with pytest.raises(AnswerFormatError):
        canonical("value_signed", -43.5)
    with pytest.raises(AnswerFormatError):
        canonical("value_signed", True)


def test_dict_answers_keep_good_parts():
    form = canonical("uint8_bits", {2: "0b10", "6": "0000 0110"})
    assert form == {2: None, 6: "00000110"}


def test_objects_that_equal_anything_are_not_accepted():
    class Anything:
        def __eq__(self, other):
            return True

    with pytest.raises(AnswerFormatError):
        canonical("uint8_range", Anything())
    assert canonical("uint8_range", type("T", (tuple,), {
        "__eq__": lambda s, o: True, "__hash__": tuple.__hash__})((0, 1))) == (0, 1)


# ------------------------------------------------------------------------ check


def test_right_answers_get_a_tick(capsys):
    for name, value in RIGHT.items():
        assert check(name, value), name
    out = capsys.readouterr().out
    assert out.count("✓") == len(RIGHT) and "✗" not in out


def test_range_functions():
    assert check("uint_range", lambda n: (0, 2**n - 1))
    assert check("int_range", lambda n: [-(2 ** (n - 1)), 2 ** (n - 1) - 1])
    assert not check("int_range", lambda n: (-(2 ** (n - 1)), 2 ** (n - 1)))


def test_wrong_answers_get_a_hint_but_not_the_answer(capsys):
    assert not check("value_signed", 43)
    assert not check("uint8_range", (0, 256))
    out = capsys.readouterr().out
    assert out.count("✗") == 2 and "hint" in out
    assert "-43" not in out and "255" not in out


def test_partial_feedback_for_dicts(capsys):
    bits = {**RIGHT["uint8_bits"], 33: format(34, "08b"), 100: "0b1"}
    assert not check("uint8_bits", bits)
    out = capsys.readouterr().out
    assert "2 of 4 correct" in out and "33" in out
    for key in (33, 100):
        assert format(key, "08b") not in out


def test_measured_numbers_allow_a_small_tolerance():
    x = torch.randn(10_000, generator=torch.Generator().manual_seed(7)) * 4 + 1
    err = (x.double() - x.bfloat16().double()).abs().mean().item()
    assert check("bf16_mean_abs_error", err)
    assert check("bf16_mean_abs_error", err * (1 + 5e-4))
    assert not check("bf16_mean_abs_error", err * 1.02)
    # a number the self-check accepts is inside the hidden tests' tolerance
    assert checks.FLOAT_BIN * 1.5 < checks.FLOAT_RTOL


def test_not_answered_and_failing_code(capsys):
    def unfinished(n):
        raise NotImplementedError()

    assert not check("uint_range", unfinished)
    assert not check("int_range", lambda n: 1 / 0)
    assert not check("no_such_answer", 1)
    out = capsys.readouterr().out
    assert "not answered yet" in out and "ZeroDivisionError" in out
    assert "no workbook answer" in out


def test_check_all_uses_the_callers_names(capsys):
    namespace = {"uint8_range": (0, 255), "value_signed": 5}
    results = check_all(namespace)
    assert results == {"uint8_range": True, "value_signed": False}
    out = capsys.readouterr().out
    assert "1 of 2 answers right" in out and "Not answered yet" in out


def test_model_check():
    model = torch.nn.Linear(2, 2)
    assert not check("model_bf16", model)
    assert check("model_bf16", model.to(torch.bfloat16))


# -------------------------------------------------------------------- tripwire


def _own_quantize(x, scale, zero_point, n_bits=8):
    q_min, q_max = -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1
    return (torch.round(x / scale) + zero_point).clamp(q_min, q_max).to(torch.int8)


def test_own_kernels_pass_and_library_calls_are_caught():
    from course_utils import quant
    from course_utils.quant import quantize_with as renamed

    ok, why = _kernel_cases.agrees("linear_quantize", _own_quantize)
    assert ok, why
    with pytest.raises(LibraryKernelUsed):
        call_own(lambda x, s, z, n_bits=8: renamed(x, s, z, n_bits=n_bits),
                 torch.ones(3), 0.1, 0)
    with pytest.raises(LibraryKernelUsed):
        call_own(quant.quantize_with, torch.ones(3), 0.1, 0)


def test_switching_the_profiler_off_is_caught():
    from course_utils import quant

    def sneaky(x):
        sys.setprofile(None)
        return quant.quantize_with(x, 0.1, 0)

    with pytest.raises(LibraryKernelUsed):
        call_own(sneaky, torch.ones(3))
    assert sys.getprofile() is None


@pytest.mark.parametrize("name", ["get_scale_zero_point", "linear_dequantize",
                                  "get_symmetric_scale", "per_channel_scales"])
def test_kernel_references_accept_a_plain_solution(name):
    def get_scale_zero_point(x, n_bits=8):
        q_min, q_max = -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1
        r_min, r_max = min(x.min().item(), 0.0), max(x.max().item(), 0.0)
        scale = (r_max - r_min) / (q_max - q_min)
        return scale, max(q_min, min(q_max, round(q_min - r_min / scale)))

    solutions = {
        "get_scale_zero_point": get_scale_zero_point,
        "linear_dequantize": lambda q, s, z: s * (q.float() - z),
        "get_symmetric_scale": lambda x, n=8: x.abs().max() / (2 ** (n - 1) - 1),
        "per_channel_scales": lambda w, n=8: w.abs().amax(1) / (2 ** (n - 1) - 1),
    }
    ok, why = _kernel_cases.agrees(name, solutions[name])
    assert ok, why
    ok, _ = _kernel_cases.agrees(name, lambda *args: torch.zeros(3))
    assert not ok


# ------------------------------------------------------------- nothing leaks


def _plain_answers() -> list[str]:
    """Texts that would give a graded answer away if found in a shipped file."""
    bits = [format(k, "08b") for k in (2, 6, 33, 100)]
    spaced = [f"{b[:4]} {b[4:]}" for b in bits] + [f"{b[:4]}_{b[4:]}" for b in bits]
    return bits + spaced + [
        r"value_unsigned\s*=\s*213", r"value_signed\s*=\s*-43",
        r"range_field\s*=\s*['\"]exponent", r"precision_field\s*=\s*['\"]",
        r"uint8_range\s*=\s*[(\[]", r"int8_range\s*=\s*[(\[]",
        r"\(0,\s*255\)", r"\(-128,\s*127\)",
        r"\(8,\s*23\)", r"\(5,\s*10\)", r"\(8,\s*7\)",
        r"bf16_info\s*=\s*torch", r"better_scheme\s*=\s*['\"]",
        r"hand_zero_point\s*=\s*-?\d", r"hand_scale\s*=\s*[\d(]",
        r"N_PARAMS\s*\*\s*[124]",
    ]


def _shipped_files() -> list[pathlib.Path]:
    files = sorted((ROOT / "release").rglob("*.ipynb"))
    files += sorted(p for p in (ROOT / "course_utils").rglob("*.py"))
    return files


def test_no_plain_answers_in_release_or_package():
    files = _shipped_files()
    assert any(p.suffix == ".ipynb" for p in files), "release/ is empty"
    found = []
    for path in files:
        text = path.read_text()
        for pattern in _plain_answers():
            if re.search(pattern if "\\" in pattern or "(" in pattern else
                         re.escape(pattern), text):
                found.append(f"{path.relative_to(ROOT)}: {pattern}")
        # the byte of question B4 next to either of its readings
        if re.search(r"1101[ _]?0101", text) and re.search(r"(?<![\w.])(213|-43)\b",
                                                            text):
            found.append(f"{path.relative_to(ROOT)}: 11010101 with 213 or -43")
    assert not found, "graded answers in shipped files:\n" + "\n".join(found)


def test_no_hidden_tests_or_solutions_in_release():
    for path in sorted((ROOT / "release").rglob("*.ipynb")):
        text = path.read_text()
        for marker in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION"):
            assert marker not in text, f"{path.name}: {marker}"


def test_release_notebooks_are_clean():
    import nbformat

    for path in sorted((ROOT / "release").rglob("*.ipynb")) + sorted(
            (ROOT / "source").rglob("*.ipynb")):
        nb = nbformat.read(path, 4)
        assert nb.metadata.kernelspec == {"name": "python3", "display_name": "Python 3",
                                          "language": "python"}
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None


def test_every_test_cell_ends_in_an_assert():
    import ast

    import nbformat

    for path in sorted((ROOT / "source").rglob("*.ipynb")) + sorted(
            (ROOT / "release").rglob("*.ipynb")):
        for cell in nbformat.read(path, 4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code":
                source = "\n".join(line for line in cell.source.splitlines()
                                   if "HIDDEN TESTS" not in line)
                body = ast.parse(source).body
                assert isinstance(body[-1], ast.Assert), (path.name, meta["grade_id"])


def test_source_and_answer_keys_match_the_generator():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "workbooks" / "build.py"), "--check"],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_question_has_a_key_or_a_reference():
    from course_utils._answer_keys import KEYS

    for name, question in checks._ALL.items():
        if question.kind in ("kernel", "model"):
            continue
        assert name in KEYS or any(k.startswith(name + "[") for k in KEYS), name
