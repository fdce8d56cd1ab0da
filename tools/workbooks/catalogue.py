"""Write ``course_utils/_catalogue.py`` from the workbook declarations.

For every autograded question: its kind, parts, hints and catalogued mistakes,
and keyed hashes of the right answer and of the wrong answer each mistake gives
(never the values). The right answers come from the questions' trusted
``expected`` expressions; the solutions in the workbooks must earn full marks on
them, and every catalogued mistake must be wrong and must not print the answer:
:func:`entries` refuses to write a catalogue otherwise.
"""

from __future__ import annotations

import contextlib
import io
import math
import pprint
from typing import Any

import torch

from course_utils import feedback
from course_utils.answers import canonical
from course_utils.hashing import FLOAT_RTOL, answer_hash, float_bin, part_key
from course_utils.kernel_slips import SLIPS
from course_utils.mistakes import RULES
from tools.nbbuild import text
from tools.workbooks.spec import Alternative, Answer, Given, Question

__all__ = ["entries", "expected_values", "render", "solution_namespace"]

_FUNCTION_KINDS = ("kernel", "range_fn")


def solution_namespace(workbook) -> dict:
    """The names the given and solution cells define (the set-up cell aside)."""
    from course_utils.checks import check, check_all

    namespace: dict = {"__name__": "__workbook__", "torch": torch,
                       "check": check, "check_all": check_all}
    for item in workbook.ITEMS:
        if isinstance(item, Given | Answer) and item.id != "self_check":
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(text(item.source), f"<{item.id}>", "exec"), namespace)
    return namespace


def _fill(code: str, part: Any) -> str:
    return code.replace("{part!r}", repr(part)).replace("{part}", str(part))


def expected_values(q: Question, part: Any) -> tuple[Any, dict[str, Any]]:
    """The right answer of one part and the wrong answers of its alternatives."""
    namespace: dict = {"torch": torch, "math": math}
    if q.setup:
        exec(compile(_fill(text(q.setup), part), f"<setup {q.name}>", "exec"),
             namespace)
    right = eval(_fill(q.expected, part), namespace)
    wrong = {m.id: eval(_fill(m.expr, part), namespace)
             for m in q.mistakes if isinstance(m, Alternative)}
    return right, wrong


def _close(kind: str, a: Any, b: Any) -> bool:
    """Whether two forms are the same answer (floats: within the tolerance)."""
    if kind == "float":
        return math.isclose(a, b, rel_tol=FLOAT_RTOL)
    return a == b


def _hash(kind: str, key: str, form: Any) -> str:
    return answer_hash(key, float_bin(form) if kind == "float" else form)


def _mistake(q: Question, m: str | Alternative) -> dict:
    if isinstance(m, Alternative):
        return {"id": m.id, "rule": None, "slip": None, "message": m.message,
                "description": m.description, "hashes": {}}
    if q.kind == "kernel":
        slip = SLIPS[q.name][m]
        return {"id": m, "rule": None, "slip": m, "message": slip.message,
                "description": slip.description, "hashes": {}}
    rule = RULES[m]
    kind = "range" if q.kind == "range_fn" else q.kind
    if kind not in rule.kinds:
        raise ValueError(f"{q.name}: rule {m} is for {rule.kinds}, not {q.kind}")
    return {"id": m, "rule": m, "slip": None, "message": rule.message,
            "description": rule.description, "hashes": {}}


def _entry(assignment: str, q: Question) -> dict:
    return {
        "assignment": assignment, "kind": q.kind, "keys": q.keys,
        "parts": list(q.parts), "params": dict(q.params), "points": q.points,
        "hint": q.hint, "part_hint": q.part_hint, "answers": {},
        "mistakes": [_mistake(q, m) for m in q.mistakes],
    }


def _fill_hashes(q: Question, entry: dict, namespace: dict) -> None:
    """Hash the right and the catalogued wrong answers; check the solution."""
    for _, part in q.grade_ids():
        key = part_key(q.name, part)
        right, alternatives = expected_values(q, part)
        right_form = canonical(q.kind, right)
        entry["answers"][key] = _hash(q.kind, key, right_form)
        verdict = feedback.judge(q.name, namespace[q.name], right, part=part,
                                 alternatives=alternatives, entry=entry)
        if not verdict.ok:
            raise ValueError(f"{key}: the solution is not right: {verdict.message}")
        for mistake in entry["mistakes"]:
            rule = RULES.get(mistake["rule"] or "")
            if rule is not None and rule.candidates is not None:
                wrong = rule.candidates(right_form, q.params)
            elif mistake["id"] in alternatives:
                wrong = [canonical(q.kind, alternatives[mistake["id"]])]
            else:
                continue
            wrong = [w for w in wrong if not _close(q.kind, w, right_form)]
            if wrong:  # (a slip may give the right answer for some part)
                mistake["hashes"][key] = sorted({_hash(q.kind, key, w)
                                                 for w in wrong})
    alternatives = {m.id for m in q.mistakes if isinstance(m, Alternative)}
    for mistake in entry["mistakes"]:
        rule = RULES.get(mistake["rule"] or "")
        derived = (rule is not None and rule.candidates is not None) or (
            mistake["id"] in alternatives)
        if derived and not mistake["hashes"]:
            raise ValueError(f"{q.name}: mistake {mistake['id']} never differs "
                             "from the right answer")


def _check_messages(q: Question, entry: dict) -> None:
    """No message of the question may show the right answer of any part."""
    shown = []
    for _, part in q.grade_ids():
        if q.kind not in _FUNCTION_KINDS + ("model",):
            shown.append(str(canonical(q.kind, expected_values(q, part)[0])))
    texts = [entry["hint"], entry["part_hint"]] + [m["message"]
                                                   for m in entry["mistakes"]]
    for answer in shown:
        if len(answer) >= 3 and any(answer in t for t in texts):
            raise ValueError(f"{q.name}: a message shows the answer {answer!r}")


def entries(workbooks: list) -> tuple[dict[str, list[str]], dict[str, dict]]:
    """``(ASSIGNMENTS, QUESTIONS)`` of the catalogue, checked (module docstring)."""
    assignments: dict[str, list[str]] = {}
    questions: dict[str, dict] = {}
    for workbook in workbooks:
        namespace = solution_namespace(workbook)
        names = assignments.setdefault(workbook.NAME, [])
        for item in workbook.ITEMS:
            if not isinstance(item, Question) or not item.self_check:
                continue
            if item.name in questions:
                raise ValueError(f"two questions are called {item.name}")
            entry = _entry(workbook.NAME, item)
            if item.kind in _FUNCTION_KINDS:
                verdict = feedback.judge_function(item.name, namespace[item.name],
                                                  seeds=item.seeds, entry=entry)
                if not verdict.ok:
                    raise ValueError(f"{item.name}: the solution is not right: "
                                     f"{verdict.message}")
            elif item.kind != "model":
                _fill_hashes(item, entry, namespace)
            _check_messages(item, entry)
            feedback.recorded(clear=True)
            names.append(item.name)
            questions[item.name] = entry
    return assignments, questions


def render(assignments: dict, questions: dict) -> str:
    """The text of ``course_utils/_catalogue.py``."""
    return "\n".join([
        '"""The workbook questions for the self-check (generated: do not edit).',
        "",
        "Written by ``python -m tools.generate`` from the declarations in",
        "tools/workbooks; read through :mod:`course_utils.catalogue`. Answers are",
        "stored only as keyed hashes (:mod:`course_utils.hashing`).",
        '"""',
        "",
        "# fmt: off",
        "ASSIGNMENTS = " + pprint.pformat(assignments, width=88, sort_dicts=False),
        "",
        "QUESTIONS = " + pprint.pformat(questions, width=88, sort_dicts=False),
        "",
    ])
