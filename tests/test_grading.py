"""The grading pipeline end to end, with real nbgrader, in a temporary course.

One batch holds every kind of submission (right, blank, partly wrong, broken in
each of the ways learners break notebooks) and is graded once, in parallel, by
``python -m tools.instructor grade``; each test then reads one learner's result from the
gradebook. A second, serial run of a few of them must give the same grades.
"""

from __future__ import annotations

import copy
import csv
import json

import nbformat
import pytest

from tools import steps
from tools.grading import engine
from tools.grading.samples import (
    ASSIGNMENTS,
    answered,
    cell,
    make_course,
    read,
    scores,
    solution,
    submit,
    total,
)

# the module's fixtures grade the batch once (pytest-xdist: --dist loadfile)
pytestmark = pytest.mark.slow

A1, A2, A3, A4 = ASSIGNMENTS
CELL_TIMEOUT = 20  # seconds; the infinite loop costs one of these
UNSAFE = False  # grade in the OS sandbox (tests/test_sandbox.py tests the sandbox)


def _without(nb, grade_id):
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return nb


def _tampered():
    """Deleted, edited, retyped and duplicated cells in one submission."""
    nb = answered(A1, answer_8bit_ranges="uint8_range = (0, 256)\n"
                                         "int8_range = int_range(8)")
    nb = _without(nb, "test_value_signed")                         # deleted test
    cell(nb, "test_uint8_range").source = "assert True"            # edited test
    cell(nb, "answer_fields").cell_type = "markdown"               # changed type
    del cell(nb, "answer_fields")["outputs"]
    del cell(nb, "answer_fields")["execution_count"]
    index = nb.cells.index(cell(nb, "test_int8_range"))
    nb.cells.insert(index, copy.deepcopy(nb.cells[index]))         # duplicated
    nb.cells[index].id = "duplicate-test"
    index = nb.cells.index(cell(nb, "answer_uint8_bits"))
    nb.cells.insert(index, copy.deepcopy(nb.cells[index]))
    nb.cells[index].id = "duplicate-answer"
    return nb


NOISY = """\
import sys
import warnings

print("line\\n" * 100_000)
sys.stderr.write("a learner's own message on stderr\\n")
warnings.warn("a warning while answering", UserWarning)
warnings.simplefilter("always")


def uint_range(n):
    warnings.warn("called uint_range", RuntimeWarning)
    print("to stderr", file=sys.stderr)
    return (0, 2**n - 1)


def int_range(n):
    return (-(2 ** (n - 1)), 2 ** (n - 1) - 1)
"""

CHEAT = """\
import sys
import types

fake = types.ModuleType("course_utils.feedback")
fake.judge = lambda *a, **k: types.SimpleNamespace(ok=True, message="")
sys.modules["course_utils.feedback"] = fake


class Anything(tuple):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = tuple.__hash__


uint8_range = Anything((0, 1))
int8_range = "not a range"
"""

KERNEL_CHEAT = """\
from course_utils import quant
from course_utils.quant import quantize_with as _q


def linear_quantize(x, scale, zero_point, n_bits=8):
    return _q(x, scale, zero_point, n_bits=n_bits)


def linear_dequantize(q, scale, zero_point):
    return quant.dequantize_with(q, scale, zero_point)
"""

NATURAL = {
    "answer_8bit_ranges": 'uint8_range = [0, 255]\nint8_range = ("-128", "127")',
    "answer_uint8_bits": "uint8_bits = {2: '0b0000_0010', '6': '0000 0110', "
                         "33: '0010_0001', 100: ' 01100100 '}",
    "answer_byte_values": 'value_unsigned = "213"\nvalue_signed = -43.0',
    "answer_fields": 'range_field = "Exponent bits"\nprecision_field = "MANTISSA"',
    "answer_float_fields": "float_fields = {'FP32': [8, 23], 'float16': (5, 10), "
                           "'BFloat16': ('8', '7')}",
}

PARTLY_WRONG = {
    "answer_uint8_bits": "uint8_bits = {2: '00000010', 6: '00000110', "
                         "33: '00100010', 100: '01100100'}",
    "answer_byte_values": "value_unsigned = 213\nvalue_signed = 43",
    "answer_float_fields": "float_fields = {'fp32': (8, 23), 'fp16': (5, 10), "
                           "'bf16': (7, 8)}",
}
SLIPS = {  # catalogued mistakes: the feedback must name them
    "answer_uint8_bits": "uint8_bits = {2: '00000010', 6: '00000110', "
                         "33: '0010 0011', 100: '1100100'}",
    "answer_byte_values": "value_unsigned = 213\nvalue_signed = -85",
}

PARTLY_WRONG_LOST = {"test_uint8_bits_33", "test_value_signed",
                     "test_float_fields_bfloat16"}

# Workbook 4: the e8m0 bias forgotten by hand, an MXFP4 kernel that does not
# saturate, and a scale counted once per element; the rest right.
BLOCKS_PARTLY_WRONG = {
    "answer_by_hand": "import math\n\n"
                      "hand_scale_code = math.floor(math.log2(15.0)) - 2\n"
                      "hand_x_hat_largest = -12.0\nhand_x_hat_tie = 4.0",
    "answer_mxfp4_quantize": '''\
def mxfp4_quantize(x):
    rows, cols = x.shape
    blocks = x.reshape(rows, cols // 32, 32)
    amax = blocks.abs().amax(dim=-1, keepdim=True)
    E = (torch.floor(torch.log2(amax.double())) - 2).clamp(-127, 127)
    scale = torch.exp2(E).float()
    y = blocks / scale
    step = torch.where(y.abs() < 2, 0.5, torch.where(y.abs() < 4, 1.0, 2.0))
    P = torch.round(y / step) * step                  # not saturated at 6
    return (E + 127).squeeze(-1).long(), (P * scale).reshape(rows, cols)
''',
    "answer_bits_per_value": "bits_per_value = {'MXFP6': 6.25, 'mxint8': 8.25, "
                             "'nf4_bf16': 4 + 16, 'int4_g128': '4.25'}",
}
BLOCKS_LOST = {"test_hand_scale_code": "exponent_not_code",
               "test_mxfp4_quantize": "not_saturated",
               "test_bits_per_value_nf4_bf16": "scale_per_element"}


def _batch() -> dict:
    """``{(student, assignment): submission}`` for the whole class."""
    subs = {}
    for a in ASSIGNMENTS:
        subs["solution", a] = solution(a)
        subs["blank", a] = read("release", a)
    subs["partly_wrong", A1] = answered(A1, **PARTLY_WRONG)
    subs["natural", A1] = answered(A1, **NATURAL)
    subs["invalid_json", A1] = '{"cells": [ this is not json'
    subs["deleted_answer", A1] = _without(solution(A1), "answer_uint8_bits")
    subs["tampered", A1] = _tampered()
    subs["infinite_loop", A1] = answered(
        A1, answer_byte_values="while True:\n    pass")
    subs["kernel_crash", A1] = answered(
        A1, answer_fields="import os\nos._exit(1)")
    subs["noisy", A1] = answered(A1, answer_range_functions=NOISY)
    subs["cheat", A1] = answered(A1, answer_8bit_ranges=CHEAT)
    subs["no_copy", A2] = answered(
        A2, answer_cast="model_bf16 = model.to(torch.bfloat16)")
    subs["kernel_cheat", A3] = answered(A3, answer_quantize_dequantize=KERNEL_CHEAT)
    subs["slips", A1] = answered(A1, **SLIPS)
    subs["partly_wrong", A4] = answered(A4, **BLOCKS_PARTLY_WRONG)
    return subs


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The course after grading the whole batch in parallel (2 workers)."""
    course = make_course(tmp_path_factory.mktemp("course"))
    for (student, assignment), nb in _batch().items():
        submit(course, student, assignment, nb)
    outcomes = engine.grade(course, ASSIGNMENTS, jobs=2, timeout=CELL_TIMEOUT,
                            quiet=True, unsafe_no_sandbox=UNSAFE)
    return course, {(o.student, o.assignment): o for o in outcomes}


def _lost(course, assignment, student):
    """Autograded cells that did not get full points."""
    return {k for k, (auto, most, _, _) in scores(course, assignment, student).items()
            if not k.startswith("written_") and auto != most}


def _errors(course, assignment, student):
    """``{grade_id: "ename: evalue"}`` of the graded notebook's failed cells."""
    path = course / "autograded" / student / assignment / f"{assignment}.ipynb"
    if not path.exists():
        return {}
    found = {}
    for c in nbformat.read(path, 4).cells:
        for output in c.get("outputs", []):
            if output.output_type == "error":
                grade_id = c.metadata.get("nbgrader", {}).get("grade_id", c.id)
                found[grade_id] = f"{output.ename}: {output.evalue}"[:200]
    return found


def test_every_submission_has_a_result(graded):
    course, outcomes = graded
    assert set(outcomes) == {(s, a) for s, a in _batch()}
    status = json.loads((course / "autograded" / "grading_status.json").read_text())
    assert len(status) == len(outcomes)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_earns_full_marks(graded, assignment):
    course, outcomes = graded
    assert outcomes["solution", assignment].status == "graded"
    got, most = total(course, assignment, "solution")
    assert most > 0 and got == most


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_release_earns_zero_and_no_response(graded, assignment):
    course, _ = graded
    got, most = total(course, assignment, "blank")
    assert most > 0 and got == 0
    written = {k: v for k, v in scores(course, assignment, "blank").items()
               if k.startswith("written_")}
    assert written, "every workbook has written answers"
    assert all(auto == 0 and not needs and comment == "No response."
               for auto, _, needs, comment in written.values())


def test_written_answers_need_manual_grading(graded):
    course, _ = graded
    written = {k: v for k, v in scores(course, A1, "solution").items()
               if k.startswith("written_")}
    assert all(auto is None and needs for auto, _, needs, _ in written.values())


def test_partly_wrong_loses_exactly_the_wrong_parts(graded):
    course, _ = graded
    assert _lost(course, A1, "partly_wrong") == PARTLY_WRONG_LOST
    got, most = total(course, A1, "partly_wrong")
    assert got == most - len(PARTLY_WRONG_LOST)


def test_block_formats_partly_wrong_loses_the_wrong_answers_and_names_slips(graded):
    course, _ = graded
    assert _lost(course, A4, "partly_wrong") == set(BLOCKS_LOST), _errors(
        course, A4, "partly_wrong")
    got, most = total(course, A4, "partly_wrong")
    max_points = {k: m for k, (_, m, _, _) in scores(course, A4,
                                                     "partly_wrong").items()}
    assert got == most - sum(max_points[k] for k in BLOCKS_LOST)
    cells = json.loads((course / "autograded" / "partly_wrong" / A4 /
                        "verdicts.json").read_text())["cells"]
    assert {k: cells[k]["mistake"] for k in BLOCKS_LOST} == BLOCKS_LOST
    assert cells["test_hand_x_hat_tie"]["outcome"] == "right"
    assert cells["test_bits_per_value_int4_g128"]["outcome"] == "right"


def test_natural_forms_are_accepted(graded):
    course, _ = graded
    assert _lost(course, A1, "natural") == set(), _errors(course, A1, "natural")


def test_invalid_json_gets_zero_with_reason(graded):
    course, outcomes = graded
    outcome = outcomes["invalid_json", A1]
    assert outcome.status == "error" and "not a valid notebook" in outcome.reason
    got, _ = total(course, A1, "invalid_json", autograded_only=False)
    assert got == 0
    comments = {c for *_, c in scores(course, A1, "invalid_json").values()}
    assert any(c and "not a valid notebook" in c for c in comments)


def test_deleted_answer_cell_loses_only_that_answer(graded):
    course, _ = graded
    assert _lost(course, A1, "deleted_answer") == {
        f"test_uint8_bits_{k}" for k in (2, 6, 33, 100)}


def test_tampered_cells_are_restored(graded):
    course, _ = graded
    # the edited test is restored (its wrong answer fails); the deleted test is
    # added back; the retyped answer runs as code; duplicates change nothing
    assert _lost(course, A1, "tampered") == {"test_uint8_range"}, _errors(
        course, A1, "tampered")
    assert "test_value_signed" in scores(course, A1, "tampered")


def test_infinite_loop_times_out_that_cell_only(graded):
    course, outcomes = graded
    assert outcomes["infinite_loop", A1].status == "graded"
    assert _lost(course, A1, "infinite_loop") == {"test_value_unsigned",
                                                  "test_value_signed"}


def test_kernel_crash_keeps_points_earned_before_it(graded):
    course, outcomes = graded
    assert outcomes["kernel_crash", A1].status == "graded"
    lost = _lost(course, A1, "kernel_crash")
    assert "test_uint8_range" not in lost and "test_value_signed" not in lost
    assert {"test_range_field", "test_bf16_info", "test_larger_range"} <= lost
    graded_nb = nbformat.read(
        course / "autograded" / "kernel_crash" / A1 / f"{A1}.ipynb", 4)
    errors = [o for o in cell(graded_nb, "answer_fields").outputs
              if o.output_type == "error"]
    assert errors and errors[0].ename == "DeadKernelError"


def test_output_flood_and_stderr_cost_nothing(graded):
    course, _ = graded
    assert _lost(course, A1, "noisy") == set(), _errors(course, A1, "noisy")
    graded_nb = nbformat.read(course / "autograded" / "noisy" / A1 / f"{A1}.ipynb", 4)
    text = "".join(o.get("text", "") for o in
                   cell(graded_nb, "answer_range_functions").outputs)
    assert "Output truncated" in text and len(text.splitlines()) <= 201


def test_monkeypatching_course_utils_earns_nothing(graded):
    course, _ = graded
    lost = _lost(course, A1, "cheat")
    assert lost == {"test_uint8_range", "test_int8_range"}, _errors(course, A1, "cheat")


def test_calling_the_library_kernel_earns_nothing(graded):
    course, _ = graded
    assert _lost(course, A3, "kernel_cheat") >= {"test_linear_quantize",
                                                 "test_linear_dequantize"}
    assert "test_get_scale_zero_point" not in _lost(course, A3, "kernel_cheat")


def test_casting_without_copy_loses_the_copy_point(graded):
    course, _ = graded
    lost = _lost(course, A2, "no_copy")
    assert "test_model_kept_fp32" in lost and "test_model_bf16" not in lost


def test_serial_run_gives_the_same_grades(graded, tmp_path):
    course, _ = graded
    students = ["partly_wrong", "kernel_crash", "invalid_json"]
    serial = make_course(tmp_path / "serial")
    batch = _batch()
    for student in students:
        submit(serial, student, A1, batch[student, A1])
    engine.grade(serial, [A1], jobs=1, timeout=CELL_TIMEOUT, quiet=True,
                 unsafe_no_sandbox=UNSAFE)
    for student in students:
        assert scores(serial, A1, student) == scores(course, A1, student), (
            student, _reason(serial, A1, student), _reason(course, A1, student))


def _reason(course, assignment, student):
    """What the grader recorded as stopping the notebook, and the failed cells."""
    path = course / "autograded" / student / assignment / "verdicts.json"
    reason = json.loads(path.read_text())["reason"] if path.exists() else "no verdicts"
    return reason, _errors(course, assignment, student)


def test_feedback_and_export(graded):
    course, _ = graded
    steps.feedback(course, [A3])
    html = course / "feedback" / "solution" / A3 / f"{A3}.html"
    assert html.exists() and "Score:" in html.read_text()
    out = course / "grades.csv"
    steps.export(course, out)
    rows = list(csv.DictReader(out.open()))
    by_key = {(r["student_id"], r["assignment"]): r for r in rows}
    assert float(by_key["solution", A1]["score"]) == total(course, A1, "solution")[0]
    assert by_key["invalid_json", A1]["autograde_status"].startswith("error")
    assert by_key["blank", A2]["autograde_status"] == "graded"
    assert by_key["natural", A2]["autograde_status"] == "not submitted"


def test_collect_from_downloads(tmp_path):
    course = make_course(tmp_path / "course")
    downloads = tmp_path / "downloads"
    (downloads / "bob").mkdir(parents=True)
    nbformat.write(read("release", A1), downloads / f"alice_{A1}.ipynb")
    nbformat.write(read("release", A2), downloads / "bob" / f"{A2}.ipynb")
    (downloads / "notes.ipynb").write_text("{}")
    found = steps.collect(course, downloads, False, ASSIGNMENTS)
    assert sorted(found) == [(A1, "alice"), (A2, "bob")]
    assert (course / "submitted" / "alice" / A1 / f"{A1}.ipynb").exists()
    assert (course / "submitted" / "bob" / A2 / "timestamp.txt").exists()


def test_feedback_names_the_slip_never_the_answer(graded):
    course, _ = graded
    errors = _errors(course, A1, "slips")
    assert "these bits stand for 35" in errors["test_uint8_bits_33"]
    assert "leading zeros too" in errors["test_uint8_bits_100"]
    assert "sign-magnitude" in errors["test_value_signed"]
    record = json.loads((course / "autograded" / "slips" / A1 / "verdicts.json"
                         ).read_text())
    cells = record["cells"]
    assert cells["test_uint8_bits_33"]["mistake"] == "place_value_slip"
    assert cells["test_uint8_bits_33"]["answer"] == "00100011"
    assert cells["test_value_signed"]["mistake"] == "sign_magnitude"
    assert cells["test_uint8_bits_2"]["outcome"] == "right"
    assert record["sandboxed"] is (not UNSAFE)
    shown = "\n".join(errors.values())
    for right in ("00100001", "01100100", "-43"):
        assert right not in shown


def test_verdicts_of_blank_and_broken_submissions(graded):
    course, _ = graded
    blank = json.loads((course / "autograded" / "blank" / A1 / "verdicts.json"
                        ).read_text())["cells"]
    assert {c["outcome"] for c in blank.values()} == {"blank"}
    crash = json.loads((course / "autograded" / "kernel_crash" / A1 /
                        "verdicts.json").read_text())
    assert "kernel died" in crash["reason"]
    assert crash["cells"]["test_range_field"]["outcome"] == "error"



def _grade_directly(folder, make_manager, monkeypatch):
    """GradeInSandbox on the solution of A1, kernels made by ``make_manager``."""
    from tools.grading import session as sessions
    from tools.grading.execute import GradeInSandbox

    real = sessions.SandboxSession.kernel_manager
    monkeypatch.setattr(sessions.SandboxSession, "kernel_manager",
                        lambda self: make_manager(real(self)))
    resources = {"nbgrader": {"assignment": A1, "student": "retried"},
                 "metadata": {"path": str(folder)}}
    GradeInSandbox(timeout=CELL_TIMEOUT).preprocess(solution(A1), resources)
    return json.loads(resources["outputs"]["verdicts.json"])


@pytest.mark.skipif(UNSAFE, reason="the retry is of the sandbox's kernel")
def test_a_kernel_that_fails_to_start_is_started_afresh(tmp_path, monkeypatch):
    made = []

    def first_one_dies(km):  # killed by its wall clock before binding its sockets
        if not made:
            km.limits = {**km.limits, "wall_seconds": 0.01}
        made.append(km)
        return km

    record = _grade_directly(tmp_path, first_one_dies, monkeypatch)
    assert len(made) == record["kernel_starts"] == 2
    assert record["reason"] == "", record["reason"]
    outcomes = {c["outcome"] for c in record["cells"].values()}
    assert record["cells"] and outcomes == {"right"}, outcomes


@pytest.mark.skipif(UNSAFE, reason="the retry is of the sandbox's kernel")
def test_a_kernel_that_never_starts_costs_the_marks_with_the_reason(tmp_path,
                                                                   monkeypatch):
    made = []

    def all_die(km):
        km.limits = {**km.limits, "wall_seconds": 0.01}
        made.append(km)
        return km

    record = _grade_directly(tmp_path, all_die, monkeypatch)
    assert len(made) == record["kernel_starts"] == 2  # one retry (startup_retries)
    assert record["reason"].startswith("wall-clock timeout"), record["reason"]
    assert {c["points"] for c in record["cells"].values()} == {0.0}
