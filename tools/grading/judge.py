"""The hidden tests, run on exported answers in a process that ran no learner code.

Each autograded test cell's source (restored by nbgrader from the gradebook, so
the instructor's) runs here with the names it reads bound to the learner's
exported answers (:func:`tools.grading.transport.decode`). Its outcome becomes
the cell's output, which nbgrader then scores as usual: an error output is 0
points. The verdicts of :mod:`course_utils.feedback` give each cell's record
for the class report (``verdicts.json``).
"""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import dataclass
from typing import Any

import torch
from nbformat.notebooknode import NotebookNode

from course_utils import feedback
from tools.grading import transport

__all__ = ["Judged", "as_json", "error_output", "judge_cell", "verdict_record"]


@dataclass
class Judged:
    """A test cell's result: its output (None when it passed) and its record."""

    grade_id: str
    passed: bool
    output: NotebookNode | None
    record: dict


def error_output(ename: str, message: str) -> NotebookNode:
    """An error output of a cell, as nbgrader scores it (0 points)."""
    return NotebookNode(output_type="error", ename=ename, evalue=message,
                        traceback=[f"{ename}: {message}"])


def _stub_check(*args: Any, **kwargs: Any) -> bool:
    return False


def _answer_text(form: Any) -> str:
    if isinstance(form, float):
        return f"{form:.4g}"
    if isinstance(form, list | tuple):
        return "(" + ", ".join(map(str, form)) + ")"
    return "" if form is None else str(form)[:60]


def verdict_record(v: feedback.Verdict | None, passed: bool, message: str,
                   points: float) -> dict:
    """The ``verdicts.json`` entry of one test cell."""
    known = v is not None
    outcome = "right" if passed else (v.outcome if known else "wrong")
    if outcome == "right" and not passed:  # the verdict passed, a later assert not
        outcome = "wrong"
    return {"question": v.question if known else None,
            "part": None if not known or v.part is None else str(v.part),
            "points": points if passed else 0.0, "max_points": points,
            "outcome": outcome, "answer": v.answer if known else None,
            "answer_text": _answer_text(v.answer) if known else "",
            "mistake": v.mistake if known and not passed else None,
            "message": "" if passed else (v.message if known and v.message
                                          else message)}


def judge_cell(cell: NotebookNode, export: dict | None, kernel_note: str = "",
               question: str | None = None, part: str | None = None) -> Judged:
    """Run one test cell on its exported answers.

    Args:
        cell: the test cell (its source is the instructor's).
        export: the payload its export cell sent, or None if none arrived.
        kernel_note: why no payload arrived (the kernel died, timed out, ...).
        question, part: the declared question (and part) the test is for (by
            default the grade id without its ``test_`` prefix).
    """
    judged = _judge_cell(cell, export, kernel_note)
    judged.record["question"] = (judged.record["question"] or question
                                 or judged.grade_id.removeprefix("test_"))
    judged.record["part"] = judged.record["part"] or part
    return judged


def _judge_cell(cell: NotebookNode, export: dict | None, kernel_note: str
                ) -> Judged:
    meta = cell.metadata["nbgrader"]
    grade_id, points = meta["grade_id"], float(meta.get("points") or 0)
    if export is None:
        message = ("this answer could not be read: " + (kernel_note or
                   "the notebook stopped before reaching it"))
        record = verdict_record(None, False, message, points)
        record["outcome"] = "error"
        return Judged(grade_id, False, error_output("GradingError", message), record)
    modules: dict = {}
    namespace: dict[str, Any] = {"torch": torch, "math": math,
                                 "check": _stub_check, "check_all": _stub_check}
    missing = []
    for name, data in export.get("values", {}).items():
        value = transport.decode(data, modules)
        if value is transport.MISSING:
            value = feedback.MISSING
            missing.append(name)
        namespace[name] = value
    for name, calls in export.get("calls", {}).items():
        if not missing or name not in missing:
            namespace[name] = transport.RecordedFunction(name, calls)
    feedback.recorded(clear=True)
    if missing:
        message = f"not answered yet ({', '.join(missing)})"
        record = verdict_record(None, False, message, points)
        record["outcome"] = "blank"
        return Judged(grade_id, False, error_output("NotAnswered", message), record)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(cell.source, f"<{grade_id}>", "exec"), namespace)
        passed, output, message = True, None, ""
    except NotImplementedError:  # a function still raising the stub's error
        message = "not answered yet (replace `raise NotImplementedError()`)"
        record = verdict_record(None, False, message, points)
        record["outcome"] = "blank"
        return Judged(grade_id, False, error_output("NotAnswered", message), record)
    except AssertionError as error:
        message = str(error) or "not right yet"
        passed, output = False, error_output("AssertionError", message)
    except Exception as error:  # the answer has a form the test cannot use
        message = f"{type(error).__name__}: {error}"
        passed, output = False, error_output(type(error).__name__, str(error))
    verdicts = feedback.recorded(clear=True)
    record = verdict_record(verdicts[-1] if verdicts else None, passed, message,
                            points)
    return Judged(grade_id, passed, output, record)


def as_json(judged: list[Judged]) -> dict:
    """The ``cells`` part of ``verdicts.json``."""
    return {j.grade_id: j.record for j in judged}
