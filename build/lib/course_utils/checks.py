"""Self-checks of workbook answers: ✓ or ✗ with a hint, never the expected value.

Used in the graded workbooks (``source/`` and ``release/``) that follow the
lessons; a self-study learner calls ``check("uint8_bits", uint8_bits)`` or
``check_all()`` in the notebook. Works offline and without nbgrader. A wrong
answer that matches a catalogued slip gets a sentence naming the slip
(:mod:`course_utils.feedback`); the package stores no answer in plain text, only
keyed hashes (:mod:`course_utils.hashing`); function answers are run on probes
and compared with the course's own kernels, under the tripwire
(:mod:`course_utils.tripwire`).

>>> check("value_unsigned", "not a number")
✗ value_unsigned: expected a whole number, got the text 'not a number'
False
"""

from __future__ import annotations

import inspect
from typing import Any

from course_utils.catalogue import assignments, question, questions_of
from course_utils.feedback import Verdict, assess, judge_function, recorded

__all__ = ["check", "check_all"]


def _verdicts(name: str, q: dict, value: Any) -> list[Verdict]:
    if q["kind"] in ("kernel", "range_fn"):
        return [judge_function(name, value)]
    if q["kind"] == "model":
        return [_model_verdict(name, q, value)]
    if q["keys"] is None:
        return [assess(name, value)]
    return [assess(name, value, part=part) for part in q["parts"]]


def _model_verdict(name: str, q: dict, model: Any) -> Verdict:
    import torch

    if not isinstance(model, torch.nn.Module):
        return Verdict(name, None, "wrong",
                       f"expected a torch model, got a {type(model).__name__}")
    dtypes = {p.dtype for p in model.parameters()}
    if dtypes != {torch.bfloat16}:
        found = ", ".join(sorted(str(d) for d in dtypes))
        return Verdict(name, None, "wrong", f"parameters are {found}; hint: "
                       f"{q['hint']}")
    return Verdict(name, None, "right")


def _detail(name: str, q: dict, verdicts: list[Verdict]) -> str:
    if len(verdicts) == 1 and q["keys"] is None:
        return verdicts[0].message
    wrong = [v for v in verdicts if not v.ok]
    shown = ", ".join(str(v.part) for v in wrong)
    first = wrong[0]
    return (f"{len(verdicts) - len(wrong)} of {len(verdicts)} correct; not right "
            f"yet: {shown}; {first.part}: {first.message}")


def check(name: str, value: Any) -> bool:
    """Say whether an answer is right: ✓, or ✗ with a hint; never the answer.

    Args:
        name: the answer's name in the workbook, e.g. ``"uint8_bits"``.
        value: the learner's answer.

    Returns:
        True if every part is right.
    """
    try:
        q = question(name)
    except KeyError as error:
        print(f"✗ {error.args[0]}")
        return False
    try:
        verdicts = _verdicts(name, q, value)
    except NotImplementedError:
        verdicts = [Verdict(name, None, "blank", "not answered yet (replace "
                            "`raise NotImplementedError()`)")]
    except Exception as error:  # the learner's code failed: report, do not crash
        verdicts = [Verdict(name, None, "error",
                            f"{name} raised {type(error).__name__}: {error}")]
    recorded(clear=True)  # the self-check keeps no record
    if all(v.ok for v in verdicts):
        print(f"✓ {name}")
        return True
    print(f"✗ {name}: {_detail(name, q, verdicts)}")
    return False


def check_all(namespace: dict | None = None) -> dict[str, bool]:
    """Check every workbook answer defined in ``namespace`` (default: the caller's).

    Returns:
        ``{name: right}`` for the answers found; missing ones are listed.

    >>> check_all({"value_unsigned": "x"})
    ✗ value_unsigned: expected a whole number, got the text 'x'
    0 of 1 answers right.
    Not answered yet: uint_range, int_range, ...
    {'value_unsigned': False}
    """
    if namespace is None:
        frame = inspect.currentframe()
        namespace = frame.f_back.f_globals if frame and frame.f_back else {}
    assignment = _assignment_of(namespace)
    names = questions_of(assignment) if assignment else []
    results, missing = {}, []
    for name in names:
        if name in namespace:
            results[name] = check(name, namespace[name])
        else:
            missing.append(name)
    print(f"{sum(results.values())} of {len(results)} answers right.")
    if missing:
        print("Not answered yet: " + ", ".join(missing))
    return results


def _assignment_of(namespace: dict) -> str | None:
    best, count = None, 0
    for assignment in assignments():
        found = sum(name in namespace for name in questions_of(assignment))
        if found > count:
            best, count = assignment, found
    return best
