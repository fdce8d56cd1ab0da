"""nbgrader cells from workbook items: given, answer, test and written cells.

Each builder returns an nbformat v4.5 cell with readable nbgrader metadata
(schema 3). A :class:`~tools.workbooks.spec.Question` becomes one test cell per
part: its visible form check, then ``### BEGIN HIDDEN TESTS`` with the verdict
of :mod:`course_utils.feedback` on the trusted expected answer.
"""

from __future__ import annotations

import ast
from typing import Any

import nbformat

from tools.nbbuild import md, text
from tools.workbooks.spec import Alternative, Answer, Given, Question, Text, Written

__all__ = ["cells_of", "hidden_code", "visible_code"]

#: The default visible form check of each kind of answer ({name}, {part}).
_VISIBLE = {
    "int": 'assert isinstance(as_int({name}), int), "a whole number"',
    "float": 'assert as_float({name}) == as_float({name}), "a number"',
    "range": 'assert len(as_range({name})) == 2, "a (min, max) pair"',
    "field": 'assert isinstance({name}, str), "give the field\'s name as a string"',
    "word": 'assert isinstance({name}, str), "a word"',
}
_VISIBLE_IMPORT = {"int": "as_int", "float": "as_float", "range": "as_range"}


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool,
          points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": 3, "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _cell(kind: str, grade_id: str, source: str, **meta: Any):
    new = nbformat.v4.new_code_cell if kind == "code" else (
        nbformat.v4.new_markdown_cell)
    cell = new(source)
    cell.metadata = _meta(grade_id, **meta)
    cell.id = grade_id
    return cell


def _fill(code: str, part: Any) -> str:
    """``{part!r}`` and ``{part}`` in a question's code, for one part."""
    return code.replace("{part!r}", repr(part)).replace("{part}", str(part))


def _ends_in_assert(grade_id: str, code: str) -> None:
    body = ast.parse(code).body
    if not body or not isinstance(body[-1], ast.Assert):
        raise ValueError(f"{grade_id}: a test must end in an assert:\n{code}")


def visible_code(q: Question, part: Any) -> str:
    """The visible form check of one test cell."""
    if q.visible:
        return _fill(text(q.visible), part)
    if q.kind not in _VISIBLE:
        raise ValueError(f"{q.name}: kind {q.kind!r} needs its own visible check")
    check = _VISIBLE[q.kind].format(name=q.name)
    if q.kind in _VISIBLE_IMPORT:
        check = (f"from course_utils.answers import {_VISIBLE_IMPORT[q.kind]}\n\n"
                 + check)
    return check


def hidden_code(q: Question, part: Any) -> str:
    """The hidden test of one test cell: a verdict of :mod:`course_utils.feedback`."""
    if q.kind == "model":
        return text(q.hidden)
    if q.kind in ("kernel", "range_fn"):
        seeds = f", seeds={q.seeds!r}" if q.seeds else ""
        return "\n".join([
            "from course_utils.feedback import judge_function", "",
            f'verdict = judge_function("{q.name}", {q.name}{seeds})',
            "assert verdict.ok, verdict.message"])
    lines = ["from course_utils.feedback import judge", ""]
    if q.setup:
        lines += [_fill(text(q.setup), part), ""]
    expected = _fill(q.expected, part)
    args = [f'"{q.name}"', q.name, expected]
    if part is not None:
        args.append(f"part={part!r}")
    alternatives = [m for m in q.mistakes if isinstance(m, Alternative)]
    if alternatives:
        lines.append("slips = {")
        lines += [f'    "{m.id}": {_fill(m.expr, part)},' for m in alternatives]
        lines.append("}")
        args.append("alternatives=slips")
    call = f"verdict = judge({', '.join(args)})"
    if len(call) > 88:
        call = "verdict = judge(\n    " + ",\n    ".join(args) + ")"
    lines += [call, "assert verdict.ok, verdict.message"]
    return "\n".join(lines)


def test_cells(q: Question) -> list:
    """The autograded test cells of one question."""
    out = []
    for grade_id, part in q.grade_ids():
        visible, hidden = visible_code(q, part), hidden_code(q, part)
        for code in (visible, hidden):
            _ends_in_assert(grade_id, code)
        source = "\n".join([visible, "### BEGIN HIDDEN TESTS", hidden,
                            "### END HIDDEN TESTS"])
        out.append(_cell("code", grade_id, source, grade=True, solution=False,
                         locked=True, points=q.points))
    return out


def cells_of(items: list) -> list:
    """The cells of a workbook, from its items in order."""
    out = []
    for item in items:
        if isinstance(item, Text):
            out.append(md(item.source))
        elif isinstance(item, Given):
            out.append(_cell("code", item.id, text(item.source), grade=False,
                             solution=False, locked=True))
        elif isinstance(item, Answer):
            out.append(_cell("code", item.id, text(item.source), grade=False,
                             solution=True, locked=False))
        elif isinstance(item, Question):
            out.extend(test_cells(item))
        elif isinstance(item, Written):
            source = "\n".join(["### BEGIN SOLUTION", text(item.model),
                                "### END SOLUTION"])
            out.append(md(item.question))
            out.append(_cell("markdown", f"written_{item.id}", source, grade=True,
                             solution=True, locked=False, points=item.points))
        else:
            raise TypeError(f"not a workbook item: {item!r}")
    return out
