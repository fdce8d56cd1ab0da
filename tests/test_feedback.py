"""Verdicts and the self-check (course_utils.feedback, checks, tripwire, probes).

Every catalogued mistake of every workbook question is made on purpose here and
must be named, by the self-check (from hashes) and by the hidden tests' verdict
(from the expected answer) alike; right answers never get a diagnosis; no
message shows a right answer; an uncatalogued wrong answer gets the hint.
"""

from __future__ import annotations

import math
import sys

import pytest
import torch

from course_utils import catalogue, probes
from course_utils.checks import check, check_all
from course_utils.feedback import MISSING, assess, judge, judge_function, recorded
from course_utils.hashing import FLOAT_BIN, FLOAT_RTOL
from course_utils.kernel_slips import SLIPS
from course_utils.mistakes import RULES
from course_utils.tripwire import LibraryKernelUsed, call_own
from tools import workbooks
from tools.workbooks.catalogue import expected_values
from tools.workbooks.spec import Alternative

# The value answers, written here from first principles (tests/ is not shipped).
_X = torch.randn(10_000, generator=torch.Generator().manual_seed(7)) * 4 + 1
_ERR = (_X.double() - _X.bfloat16().double()).abs()
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
    "more_precise": "fp16",
    "larger_range": "bf16",
    "bf16_mean_abs_error": _ERR.mean().item(),
    "bf16_max_abs_error": _ERR.max().item(),
    "footprint_bytes": {"fp32": 1_543_503_872 * 4, "fp16": 1_543_503_872 * 2,
                        "bf16": 1_543_503_872 * 2, "int8": 1_543_503_872},
    "hand_scale": 5.1 / 255,
    "hand_zero_point": round(-128 + 0.9 / (5.1 / 255)),
    "better_scheme": "asymmetric",
    # workbook 4: the block [0.8, -15.0, 2.25, 0.4, -0.03, 5.0, 1.1, -0.6] in
    # MXFP4: amax 15, floor(log2 15) = 3, fp4's largest power of two is 4 = 2**2,
    # so E = 1 and the scale is 2; -15 / 2 = -7.5 saturates to -6; 5 / 2 = 2.5
    # is halfway between fp4's 2 (code 0100) and 3 (0101): to even, 2
    "hand_scale_code": 3 - 2 + 127,
    "hand_x_hat_largest": -6.0 * 2,
    "hand_x_hat_tie": 2.0 * 2,
    # element bits + scale bits / values per scale (e8m0 and bf16: 8 and 16 bits)
    "bits_per_value": {"MXFP6": 6 + 8 / 32, "mxint8": 8 + 8 / 32,
                       "NF4_bf16": 4 + 16 / 64, "int4_g128": 4 + 32 / 128},
}


def _measured() -> dict:
    """The measured answers of workbooks 2 and 3, computed here in plain torch."""
    a = torch.rand(500, generator=torch.Generator().manual_seed(21))
    b = torch.rand(500, generator=torch.Generator().manual_seed(22))
    low = torch.dot(a.bfloat16(), b.bfloat16()).item()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.GELU(),
                                torch.nn.Linear(64, 8)).eval()
    inputs = torch.randn(16, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        diff = (model(inputs) - model.bfloat16()(inputs.bfloat16()).float()).abs()

    def mse(t, scale, zero_point, q_min=-128, q_max=127):
        q = (torch.round(t / scale) + zero_point).clamp(q_min, q_max)
        return ((t - scale * (q - zero_point)) ** 2).mean().item()

    x = torch.randn(1000, generator=torch.Generator().manual_seed(3)) * 1.5 + 0.8
    w = torch.randn(4, 64, generator=torch.Generator().manual_seed(4)) * (
        torch.tensor([[0.05], [0.5], [2.0], [8.0]]))
    scale, zero_point = _own_scale_zero_point(x)
    return {
        "dot_direction": "higher" if low > torch.dot(a, b).item() else "lower",
        "output_max_abs_diff": diff.max().item(),
        "output_mean_abs_diff": diff.mean().item(),
        "mse_asymmetric": mse(x, scale, zero_point),
        "mse_symmetric": mse(x, x.abs().max() / 127, 0),
        "mse_per_channel": mse(w, w.abs().amax(1, keepdim=True) / 127, 0),
    }


FUNCTIONS = {
    "uint_range": lambda n: (0, 2**n - 1),
    "int_range": lambda n: [-(2 ** (n - 1)), 2 ** (n - 1) - 1],
}

_DECLARED = {q.name: q for w in workbooks.WORKBOOKS for q in workbooks.questions(w)}


def _learner_form(kind: str, form):
    """A canonical form as a learner would write it (finfo objects, ...)."""
    if kind == "finfo":
        family, dtype = form.split(":")
        return getattr(torch, family)(getattr(torch, dtype))
    return form


def _value_mistakes() -> list[tuple[str, str]]:
    out = []
    for name in sorted(_all_catalogued()):
        q = catalogue.question(name)
        if q["kind"] not in ("kernel", "range_fn", "model"):
            out += [(name, m["id"]) for m in q["mistakes"]]
    return out


def _all_catalogued() -> set[str]:
    return {n for a in catalogue.assignments() for n in catalogue.questions_of(a)}


def _part_of(name: str, mistake: dict):
    """A part of the question for which the mistake gives a wrong answer."""
    q = catalogue.question(name)
    for part in q["parts"] or [None]:
        key = name if part is None else f"{name}[{part}]"
        if not mistake["hashes"] or key in mistake["hashes"]:
            return part
    raise AssertionError(f"{name}: {mistake['id']} applies to no part")


def _wrong_answer(name: str, mistake: dict, part):
    """The answer a learner who makes ``mistake`` gives (in the learner's form)."""
    q = catalogue.question(name)
    right, alternatives = expected_values(_DECLARED[name], part)
    from course_utils.answers import canonical

    rule = RULES.get(mistake["rule"] or "")
    if mistake["id"] in alternatives:
        wrong = alternatives[mistake["id"]]
    elif rule is not None and rule.candidates is not None:
        wrong = rule.candidates(canonical(q["kind"], right), q["params"])[0]
    elif mistake["id"] == "bits_wrong_width":
        wrong = canonical("bits", right).lstrip("0")
    elif mistake["id"] == "field_sign":
        wrong = "sign"
    elif mistake["id"] == "iinfo_for_float":
        wrong = "iinfo:int16"
    else:
        raise AssertionError(f"no example for {mistake['id']}")
    wrong = _learner_form(q["kind"], wrong)
    return ({part: wrong} if part is not None else wrong), right


@pytest.mark.parametrize("name, mistake_id", _value_mistakes())
def test_every_catalogued_mistake_is_named(name, mistake_id):
    q = catalogue.question(name)
    mistake = next(m for m in q["mistakes"] if m["id"] == mistake_id)
    part = _part_of(name, mistake)
    value, right = _wrong_answer(name, mistake, part)
    _, alternatives = expected_values(_DECLARED[name], part)
    graded = judge(name, value, right, part=part, alternatives=alternatives)
    selfcheck = assess(name, value, part=part)
    assert graded.mistake == mistake_id and selfcheck.mistake == mistake_id
    assert graded.message == selfcheck.message and graded.outcome == "wrong"
    assert graded.message and "hint" not in graded.message


def test_right_answers_get_a_tick_and_no_diagnosis(capsys):
    right = {**RIGHT, **_measured()}
    for name, value in {**right, **FUNCTIONS}.items():
        assert check(name, value), name
    out = capsys.readouterr().out
    assert out.count("✓") == len(right) + len(FUNCTIONS) and "✗" not in out
    for name, value in right.items():
        q = catalogue.question(name)
        for part in q["parts"] or [None]:
            right, alternatives = expected_values(_DECLARED[name], part)
            verdict = judge(name, value, right, part=part, alternatives=alternatives)
            assert verdict.ok and verdict.mistake is None, (name, part)


def test_every_question_of_the_workbooks_is_tested_here():
    catalogued = _all_catalogued()
    kernels = {n for n in catalogued if catalogue.question(n)["kind"] == "kernel"}
    models = {"model_bf16"}  # test_model_check
    assert catalogued == set(RIGHT) | set(_measured()) | set(FUNCTIONS) | (
        kernels | models)


def test_no_message_shows_its_questions_right_answer():
    from course_utils.answers import canonical

    leaks = []
    for name in RIGHT:
        q = catalogue.question(name)
        texts = [q["hint"], q["part_hint"]] + [m["message"] for m in q["mistakes"]]
        for part in q["parts"] or [None]:
            right, _ = expected_values(_DECLARED[name], part)
            form = canonical(q["kind"], right)
            shown = {str(form)} if q["kind"] != "float" else set()
            if isinstance(form, tuple):
                shown.add(f"({form[0]}, {form[1]})")
            if q["kind"] == "bits":
                shown.add(f"{form[:4]} {form[4:]}")
            if q["kind"] == "field":  # the field that sets the property
                shown.add(f"{form} bits give")
            leaks += [(name, a, t) for a in shown for t in texts
                      if len(a) > 2 and a in t.replace("{part}", str(part))]
    assert not leaks


def test_uncatalogued_wrong_answers_get_the_general_hint(capsys):
    assert not check("value_signed", 7)
    assert not check("uint8_range", (3, 9))
    out = capsys.readouterr().out
    assert out.count("✗") == 2 and out.count("hint:") == 2
    assert "-43" not in out and "255" not in out


def test_a_place_value_slip_is_named_with_the_learners_own_value(capsys):
    bits = {**RIGHT["uint8_bits"], 33: "0010 0011"}   # 35: 2 added twice
    assert not check("uint8_bits", bits)
    out = capsys.readouterr().out
    assert "these bits stand for 35" in out and "3 of 4 correct" in out
    assert format(33, "08b") not in out


def test_partial_feedback_for_dicts(capsys):
    bits = {**RIGHT["uint8_bits"], 33: format(34, "08b"), 100: "0b1"}
    assert not check("uint8_bits", bits)
    out = capsys.readouterr().out
    assert "2 of 4 correct" in out and "33" in out
    for key in (33, 100):
        assert format(key, "08b") not in out


def test_measured_numbers_allow_a_small_tolerance():
    err = RIGHT["bf16_mean_abs_error"]
    assert check("bf16_mean_abs_error", err)
    assert check("bf16_mean_abs_error", err * (1 + 5e-4))
    assert not check("bf16_mean_abs_error", err * 1.02)
    assert judge("bf16_mean_abs_error", err * (1 + 4e-3), err).ok
    assert not judge("bf16_mean_abs_error", err * 1.02, err).ok
    # a number the self-check accepts is inside the hidden tests' tolerance
    assert FLOAT_BIN * 1.5 < FLOAT_RTOL


def test_not_answered_and_failing_code(capsys):
    def unfinished(n):
        raise NotImplementedError()

    assert not check("uint_range", unfinished)
    assert not check("int_range", lambda n: 1 / 0)
    assert not check("no_such_answer", 1)
    out = capsys.readouterr().out
    assert "not answered yet" in out and "ZeroDivisionError" in out
    assert "no workbook answer" in out
    assert judge("value_signed", MISSING, -43).outcome == "blank"
    assert judge_function("int_range", unfinished).outcome == "blank"
    assert judge_function("int_range", lambda n: 1 / 0).outcome == "error"


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


def test_verdicts_are_recorded_for_the_grader_but_not_by_the_self_check():
    recorded(clear=True)
    judge("value_signed", 5, -43)
    judge_function("uint_range", FUNCTIONS["uint_range"])
    kept = recorded()
    assert [(v.question, v.outcome) for v in kept] == [
        ("value_signed", "wrong"), ("uint_range", "right")]
    check("value_signed", 5)
    assert recorded() == []


# --------------------------------------------------------------- range functions
@pytest.mark.parametrize("name, rule_id", [
    (n, m["id"]) for n in ("uint_range", "int_range")
    for m in catalogue.question(n)["mistakes"]])
def test_range_function_slips_are_named(name, rule_id):
    rule = RULES[rule_id]
    table = {n: rule.candidates(tuple(FUNCTIONS[name](n)), {})[0]
             for n in probes.RANGE_PROBES}

    def slipped(n):
        return table[n]

    verdict = judge_function(name, slipped)
    assert verdict.mistake == rule_id and not verdict.ok


# ----------------------------------------------------------------------- kernels
def _own_quantize(x, scale, zero_point, n_bits=8):
    q_min, q_max = -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1
    return (torch.round(x / scale) + zero_point).clamp(q_min, q_max).to(torch.int8)


def _own_scale_zero_point(x, n_bits=8):
    q_min, q_max = -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1
    x_min, x_max = min(x.min().item(), 0.0), max(x.max().item(), 0.0)
    scale = (x_max - x_min) / (q_max - q_min)
    return scale, max(q_min, min(q_max, round(q_min - x_min / scale)))


def _own_mxfp4(x):
    """MXFP4, FLOOR rule, blocks of 32 along rows: exact exponents from frexp and
    the nearest of fp4's magnitudes, a tie going to the even code."""
    rows, cols = x.shape
    blocks = x.reshape(rows, cols // 32, 32)
    amax = blocks.abs().amax(dim=-1)
    _, exponent = torch.frexp(amax)                  # amax = m * 2**e, m in [.5, 1)
    e = torch.where(amax > 0, exponent - 1 - 2, -127).clamp(-127, 127)
    scale = torch.ldexp(torch.ones_like(amax), e)[..., None]
    y = (blocks / scale).abs().clamp(max=6.0)
    levels = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])
    distance = (y[..., None] - levels).abs()
    nearest = distance == distance.amin(dim=-1, keepdim=True)
    even_first = nearest * (2 - torch.arange(8) % 2)   # among ties, the even code
    magnitude = levels[even_first.argmax(dim=-1)]
    x_hat = torch.where(blocks < 0, -magnitude, magnitude) * scale
    return e + 127, x_hat.reshape(rows, cols)


PLAIN = {
    "mxfp4_quantize": _own_mxfp4,
    "get_scale_zero_point": _own_scale_zero_point,
    "linear_quantize": _own_quantize,
    "linear_dequantize": lambda q, s, z: s * (q.float() - z),
    "get_symmetric_scale": lambda x, n=8: x.abs().max() / (2 ** (n - 1) - 1),
    "per_channel_scales": lambda w, n=8: w.abs().amax(1) / (2 ** (n - 1) - 1),
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_kernels_pass_on_every_probe_and_zeros_do_not(name):
    assert judge_function(name, PLAIN[name]).ok
    assert judge_function(name, PLAIN[name], seeds=(201, 202, 203, 204, 205)).ok
    assert not judge_function(name, lambda *args: torch.zeros(3)).ok


@pytest.mark.parametrize("name, slip_id", [
    (n, s) for n in sorted(SLIPS) for s in sorted(SLIPS[n])])
def test_every_kernel_slip_is_named(name, slip_id, capsys, monkeypatch):
    from course_utils import tripwire

    # the slips live in the package; a learner's slip lives in the notebook
    course_code = tripwire._is_course_code
    monkeypatch.setattr(tripwire, "_is_course_code", lambda frame: course_code(
        frame) and frame.f_globals.get("__name__") != "course_utils.kernel_slips")
    slip = SLIPS[name][slip_id]
    verdict = judge_function(name, slip.fn)
    assert verdict.mistake == slip_id and verdict.outcome == "wrong"
    assert slip.message in verdict.message
    assert not check(name, slip.fn) and slip.message in capsys.readouterr().out


def test_hidden_seeds_add_probes():
    assert len(probes.inputs("linear_quantize", probes.SEEDS + (101, 102))) > len(
        probes.inputs("linear_quantize"))


# ---------------------------------------------------------------------- tripwire
def test_library_calls_are_caught_however_imported():
    from course_utils import codec, integers, quant
    from course_utils.quant import quantize_with as renamed

    with pytest.raises(LibraryKernelUsed):
        call_own(lambda x, s, z, n_bits=8: renamed(x, s, z, n_bits=n_bits),
                 torch.ones(3), 0.1, 0)
    with pytest.raises(LibraryKernelUsed):
        call_own(quant.quantize_with, torch.ones(3), 0.1, 0)
    with pytest.raises(LibraryKernelUsed, match="integers.int_range"):
        call_own(lambda n: integers.int_range(n), 8)
    with pytest.raises(LibraryKernelUsed, match="codec"):  # the float codec too
        call_own(lambda: codec.encode(0.1, "fp16"))
    verdict = judge_function("int_range", lambda n: integers.int_range(n))
    assert verdict.mistake == "library_kernel" and not verdict.ok


def test_switching_the_profiler_off_is_caught():
    from course_utils import quant

    def sneaky(x):
        sys.setprofile(None)
        return quant.quantize_with(x, 0.1, 0)

    with pytest.raises(LibraryKernelUsed):
        call_own(sneaky, torch.ones(3))
    assert sys.getprofile() is None


def test_the_tripwire_lets_plain_torch_through():
    out = call_own(lambda x: torch.round(x * 3).sum(), torch.ones(4))
    assert out.item() == 12 and math.isfinite(out.item())


def test_alternatives_are_declared_with_their_questions():
    declared = [m for q in _DECLARED.values() for m in q.mistakes
                if isinstance(m, Alternative)]
    assert declared and all(m.message and m.description for m in declared)


# ------------------------------------------------------ workbook 4: MXFP4 kernel
def test_mxfp4_answers_in_natural_forms_are_accepted():
    def as_lists(x):
        codes, x_hat = _own_mxfp4(x)
        return [float(c) for c in codes.flatten()], x_hat.double()

    def flat_int32(x):
        codes, x_hat = _own_mxfp4(x)
        return codes.reshape(-1).to(torch.int32), x_hat

    for fn in (as_lists, flat_int32):
        assert judge_function("mxfp4_quantize", fn, seeds=(101, 104)).ok


def test_mxfp4_probes_cover_the_edge_cases():
    (special,), (random,) = probes.inputs("mxfp4_quantize", (14, 15))
    assert bool((special[0] == 0).all())                      # an all-zero block
    codes, x_hat = probes.reference("mxfp4_quantize", (special,))
    assert int(codes[0, 0]) == 0 and bool((x_hat[0] == 0).all())
    ratio = special.abs().amax(dim=1) / torch.exp2(codes[:, 0].double() - 127)
    assert bool((ratio[9:13] > 7).all())                      # these saturate
    assert random.shape[0] % 32 == 0 and random.shape[1] % 32 == 0


def test_mxfp4_wrong_forms_say_what_is_wrong():
    def one_code_per_row(x):
        codes, x_hat = _own_mxfp4(x)
        return codes[:, :1], x_hat

    verdict = judge_function("mxfp4_quantize", one_code_per_row)
    assert not verdict.ok and "one per block of 32" in verdict.message
    verdict = judge_function("mxfp4_quantize", lambda x: _own_mxfp4(x)[1])
    assert not verdict.ok and "pair" in verdict.message


def test_mxfp4_calling_the_course_kernel_is_caught():
    from course_utils.blocks import mx_quantize

    def borrowed(x):
        bq = mx_quantize(x)
        return bq.scales, bq.dequantize()

    verdict = judge_function("mxfp4_quantize", borrowed)
    assert verdict.mistake == "library_kernel" and not verdict.ok
