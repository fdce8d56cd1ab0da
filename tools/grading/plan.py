"""What the learner's kernel runs when a workbook is graded, and what it exports.

The learner's cells run as they are, in order; every autograded test cell is
replaced by an *export cell* that sends, as plain data, the names that test
reads (found in the test's source, which nbgrader restored from the gradebook)
and, for a function answer, its outputs on the grader's probe inputs
(:mod:`course_utils.probes`, with the question's hidden seeds from its
declaration). The self-check cell does not run. The tests themselves never
reach the learner's kernel.
"""

from __future__ import annotations

import ast
import base64
import builtins
import json
from dataclasses import dataclass, field

from tools.grading.transport import encode

__all__ = ["Export", "export_cell", "plan", "reads"]

#: Names a test may use that are not the learner's: imported by the judge.
_JUDGE_NAMES = frozenset({"torch", "math", "check", "check_all"})
_FUNCTION_KINDS = ("range_fn", "kernel")


@dataclass
class Export:
    """What one export cell sends: names, and probe calls of function answers."""

    grade_id: str
    names: list[str]
    calls: dict[str, list[tuple]] = field(default_factory=dict)
    question: str | None = None     # the declared question the test is for
    part: str | None = None


def reads(source: str) -> list[str]:
    """The free names a test cell reads (not bound in it, not builtins).

    >>> reads("from m import f\\nx = f(a)\\nassert x > b, [y for y in c]")
    ['a', 'b', 'c']
    """
    tree = ast.parse(source)
    loaded, bound = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loaded.append(node.id)
            else:
                bound.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            spec = node.args
            bound.update(a.arg for a in [*spec.posonlyargs, *spec.args,
                                         *spec.kwonlyargs, spec.vararg, spec.kwarg]
                         if a is not None)
    skip = bound | _JUDGE_NAMES | set(dir(builtins))
    return list(dict.fromkeys(n for n in loaded if n not in skip))


def _questions(assignment: str) -> dict:
    """The declared questions of a workbook, by name (empty if unknown)."""
    from tools import workbooks

    try:
        workbook = workbooks.by_name(assignment)
    except KeyError:
        return {}
    return {q.name: q for q in workbooks.questions(workbook)}


def plan(cells: list, assignment: str) -> dict[str, Export]:
    """The export of every autograded test cell of a notebook, by grade id."""
    from course_utils import probes

    questions = _questions(assignment)
    owner = {grade_id: (q.name, part) for q in questions.values()
             for grade_id, part in q.grade_ids()}
    out = {}
    for cell in cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade"):
            continue
        names = reads(cell.source)
        calls = {}
        for name in names:
            q = questions.get(name)
            if q is not None and q.kind in _FUNCTION_KINDS:
                calls[name] = probes.inputs(name, probes.SEEDS + tuple(q.seeds))
        name, part = owner.get(meta["grade_id"], (None, None))
        out[meta["grade_id"]] = Export(meta["grade_id"], names, calls, name,
                                       None if part is None else str(part))
    return out


def export_cell(export: Export, transport_path: str) -> str:
    """The code of the export cell that stands in for one test cell."""
    blobs = {name: base64.b64encode(json.dumps(
        [encode(tuple(args)) for args in calls]).encode()).decode("ascii")
        for name, calls in export.calls.items()}
    path = transport_path
    return (f"(lambda ns: (exec(compile(open({path!r}).read(), {path!r}, 'exec'), "
            f"ns), ns['export']({export.grade_id!r}, {export.names!r}, {blobs!r}, "
            "globals())))({'__name__': 'course_transport'});")
