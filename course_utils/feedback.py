"""Verdicts on answers: right, or wrong with the slip it shows, never the answer.

The same rules give the learner's self-check (:func:`assess`, which knows only
keyed hashes of the answers) and the graded hidden tests (:func:`judge`, which
is given the expected answer by the instructor's notebook): the answer is
brought to its canonical form (:mod:`course_utils.answers`), compared, and if it
is wrong, compared with the catalogued mistakes of the question
(:mod:`course_utils.mistakes`, the question's declared alternatives), so the
feedback names the usual slip in one sentence. Function answers are judged on
probes (:func:`judge_function`). Every verdict is also recorded, so the grader
can report what each learner answered (:func:`recorded`).

>>> assess("uint8_bits", {33: "0010 0011"}, part=33).message
'these bits stand for 35: check which place values you added'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from course_utils.answers import AnswerFormatError, canonical, describe
from course_utils.catalogue import question
from course_utils.hashing import FLOAT_RTOL, answer_hash, float_bin, part_key
from course_utils.mistakes import RULES

__all__ = ["MISSING", "Verdict", "assess", "judge", "judge_function", "recorded"]


class NotAnswered(AnswerFormatError):
    """A part of a dict answer that is not there yet."""


class _Missing:
    """The answer of a learner who left the question unanswered."""

    def __repr__(self) -> str:
        return "MISSING"


#: Stands for an answer that is not there (still ``raise NotImplementedError()``).
MISSING = _Missing()

_RECORD: list[Verdict] = []


@dataclass
class Verdict:
    """The outcome of one answer (or one part of a dict answer).

    ``outcome`` is ``right``, ``wrong``, ``blank`` (not answered) or ``error``
    (the learner's code failed); ``answer`` is the canonical form (JSON-able),
    ``mistake`` the id of the catalogued slip it matched.
    """

    question: str
    part: Any
    outcome: str
    message: str = ""
    mistake: str | None = None
    answer: Any = None

    @property
    def ok(self) -> bool:
        """Whether the answer is right."""
        return self.outcome == "right"


def recorded(clear: bool = True) -> list[Verdict]:
    """The verdicts given since the last call (the grader collects them)."""
    out = list(_RECORD)
    if clear:
        _RECORD.clear()
    return out


def _record(verdict: Verdict) -> Verdict:
    _RECORD.append(verdict)
    return verdict


# ------------------------------------------------------------------ forms
def _part_form(q: dict, value: Any, part: Any) -> Any:
    """The canonical form of ``value`` (or of its entry ``part``)."""
    if q["keys"] is None:
        return canonical(q["kind"], value)
    if not isinstance(value, dict):
        raise AnswerFormatError(f"expected a dict, got {describe(value)}")
    found = [item for key, item in value.items() if _key_form(q, key) == part]
    if not found:
        raise NotAnswered(f"no entry for {part!r} yet")
    return canonical(q["kind"], found[-1])


def _key_form(q: dict, key: Any) -> Any:
    try:
        return canonical(q["keys"], key)
    except AnswerFormatError:
        return None


def _same(q: dict, got: Any, expected: Any) -> bool:
    if q["kind"] == "float":
        return math.isclose(got, expected, rel_tol=FLOAT_RTOL, abs_tol=0.0)
    return got == expected


def _wrong(q: dict, name: str, part: Any, got: Any, mistake: dict | None) -> Verdict:
    if mistake is None:
        hint = q["part_hint"] if q["keys"] is not None else q["hint"]
        return Verdict(name, part, "wrong", f"not right yet; hint: {hint}",
                       answer=_jsonable(got))
    message = mistake["message"]
    if mistake.get("rule"):
        message = RULES[mistake["rule"]].say(got, q["params"])
    return Verdict(name, part, "wrong", message, mistake["id"], _jsonable(got))


def _jsonable(form: Any) -> Any:
    return list(form) if isinstance(form, tuple) else form


def _predicate(q: dict, got: Any) -> dict | None:
    for mistake in q["mistakes"]:
        rule = RULES.get(mistake.get("rule") or "")
        if rule is not None and rule.matches is not None and rule.matches(
                got, q["params"]):
            return mistake
    return None


# ------------------------------------------------------------ hidden tests
def judge(name: str, value: Any, expected: Any, *, part: Any = None,
          alternatives: dict[str, Any] | None = None,
          entry: dict | None = None) -> Verdict:
    """The graded verdict on an answer, given the expected answer in plain.

    Args:
        name: the question (the answer's variable name).
        value: the learner's answer (a dict for multi-part answers).
        expected: the right answer, in any accepted form.
        part: the part of a dict answer this verdict is for.
        alternatives: ``{mistake id: the wrong answer that slip gives}`` for the
            question's declared mistakes that depend on data (measured numbers).
        entry: the question's catalogue entry (default: looked up by name; the
            generator passes the entry it is writing).
    """
    q = entry or question(name)
    if value is MISSING:
        return _record(Verdict(name, part, "blank", "not answered yet"))
    try:
        got = _part_form(q, value, part)
    except NotAnswered as error:
        return _record(Verdict(name, part, "blank", str(error)))
    except AnswerFormatError as error:
        return _record(Verdict(name, part, "wrong", str(error)))
    right = canonical(q["kind"], expected)
    if _same(q, got, right):
        return _record(Verdict(name, part, "right", answer=_jsonable(got)))
    found = _predicate(q, got)
    for mistake in q["mistakes"] if found is None else ():
        rule = RULES.get(mistake.get("rule") or "")
        if rule is not None and rule.candidates is not None:
            wrong = rule.candidates(right, q["params"])
        elif mistake["id"] in (alternatives or {}):
            wrong = [canonical(q["kind"], alternatives[mistake["id"]])]
        else:
            continue
        if any(_same(q, got, w) for w in wrong):
            found = mistake
            break
    return _record(_wrong(q, name, part, got, found))


# -------------------------------------------------------------- self-check
def _hash_match(q: dict, key: str, got: Any, hashes: list[str] | str) -> bool:
    hashes = {hashes} if isinstance(hashes, str) else set(hashes)
    if q["kind"] == "float":
        sign, index = float_bin(got)
        return any(answer_hash(key, [sign, i]) in hashes
                   for i in (index - 1, index, index + 1))
    return answer_hash(key, got) in hashes


def assess(name: str, value: Any, *, part: Any = None) -> Verdict:
    """The self-check's verdict: the same rules as :func:`judge`, from hashes."""
    q = question(name)
    key = part_key(name, part)
    try:
        got = _part_form(q, value, part)
    except AnswerFormatError as error:
        return Verdict(name, part, "wrong", str(error))
    if _hash_match(q, key, got, q["answers"][key]):
        return Verdict(name, part, "right", answer=_jsonable(got))
    found = _predicate(q, got)
    for mistake in q["mistakes"] if found is None else ():
        if _hash_match(q, key, got, mistake.get("hashes", {}).get(key, [])):
            found = mistake
            break
    return _wrong(q, name, part, got, found)


# ------------------------------------------------------------ function answers
def judge_function(name: str, fn: Any, seeds: tuple[int, ...] | None = None,
                   entry: dict | None = None) -> Verdict:
    """The verdict on a function answer, from its outputs on the probes.

    The function is called through :func:`course_utils.tripwire.call_own` on
    every probe of ``name`` (:func:`course_utils.probes.cases`; ``seeds`` adds
    the hidden tests' own probe tensors to the package's); a wrong output is
    compared with the catalogued slips (:mod:`course_utils.kernel_slips`).
    """
    from course_utils import probes
    from course_utils.kernel_slips import SLIPS
    from course_utils.tripwire import LibraryKernelUsed, call_own

    q = entry or question(name)
    if fn is MISSING:
        return _record(Verdict(name, None, "blank", "not answered yet"))
    if not callable(fn):
        return _record(Verdict(name, None, "wrong",
                               f"expected a function, got {describe(fn)}"))
    all_seeds = probes.SEEDS + tuple(seeds or ())
    failures, outputs = [], []
    for number, (args, expected) in enumerate(probes.cases(name, all_seeds), 1):
        try:
            got = call_own(fn, *args)
        except NotImplementedError:
            return _record(Verdict(name, None, "blank", "not answered yet"))
        except LibraryKernelUsed as error:
            return _record(Verdict(name, None, "wrong", str(error), "library_kernel"))
        except Exception as error:  # the learner's code failed on this probe
            return _record(Verdict(name, None, "error", f"probe {number}: {name} "
                                   f"raised {type(error).__name__}: {error}"))
        outputs.append(got)
        ok, why = probes.same(name, got, expected)
        if not ok:
            failures.append((number, args, got, expected, why))
    if not failures:
        return _record(Verdict(name, None, "right"))
    summary = f"wrong on {len(failures)} of {len(outputs)} probes"
    number, why = failures[0][0], failures[0][4]
    if q["kind"] == "range_fn":  # exact ranges (2**64 fits no tensor)
        def alike(got, w):
            return probes.same(name, got, w)[0]
    else:
        alike = probes.matches
    for mistake in q["mistakes"]:
        slip = SLIPS.get(name, {}).get(mistake.get("slip") or "")
        rule = RULES.get(mistake.get("rule") or "")
        if slip is not None:
            def wrong(args, expected, slip=slip):
                return slip.fn(*args)
        elif rule is not None and rule.candidates is not None:
            def wrong(args, expected, rule=rule):
                found = rule.candidates(expected, q["params"])
                return found[0] if found else None
        else:
            continue
        if all(w is not None and alike(got, w)
               for _, args, got, expected, _ in failures
               for w in [wrong(args, expected)]):
            return _record(Verdict(name, None, "wrong", f"probe {number}: {why}; "
                                   f"{mistake['message']}", mistake["id"], summary))
    return _record(Verdict(name, None, "wrong", f"probe {number}: {why}; hint: "
                           f"{q['hint']}", answer=summary))
