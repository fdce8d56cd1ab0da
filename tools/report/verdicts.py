"""Read the graded submissions' ``verdicts.json``: what each learner answered.

The grading pipeline writes one file per graded submission,
``autograded/<student>/<assignment>/verdicts.json`` (format version 1)::

    {"version": 1, "assignment": "01_data_types", "student": "alice",
     "sandboxed": true, "status": "graded", "reason": "",
     "cells": {"test_uint8_bits_33": {
         "question": "uint8_bits", "part": "33",
         "points": 0.0, "max_points": 1.0, "outcome": "wrong",
         "answer": "00100011", "answer_text": "00100011",
         "mistake": "place_value_slip", "message": "this byte is 35: ..."}}}

``status`` is ``"graded"`` or ``"error"`` (with a ``reason``); a cell's
``outcome`` is ``"right"``, ``"wrong"``, ``"blank"`` or ``"error"``. A file that
breaks the format raises :class:`VerdictsError` naming the file and the field.
Keys this reader does not know are ignored, so the pipeline may add some.
"""

from __future__ import annotations

import json
import math
import pathlib
from dataclasses import dataclass, field
from typing import Any

FILENAME = "verdicts.json"
VERSION = 1
STATUSES = ("graded", "error")
OUTCOMES = ("right", "wrong", "blank", "error")


class VerdictsError(ValueError):
    """A verdicts file that does not follow the format (which file, which field)."""


@dataclass(frozen=True)
class CellVerdict:
    """The verdict on one autograded test cell of one submission."""

    grade_id: str
    question: str
    part: str | None
    points: float
    max_points: float
    outcome: str
    answer: Any
    answer_text: str
    mistake: str | None
    message: str


@dataclass(frozen=True)
class Verdicts:
    """Every cell verdict of one graded submission."""

    assignment: str
    student: str
    sandboxed: bool
    status: str
    reason: str
    cells: dict[str, CellVerdict] = field(default_factory=dict)


def verdicts_path(root: pathlib.Path, student: str, assignment: str) -> pathlib.Path:
    """Where the verdicts of one submission live.

    >>> verdicts_path(pathlib.Path("course"), "alice", "01_data_types").as_posix()
    'course/autograded/alice/01_data_types/verdicts.json'
    """
    return pathlib.Path(root) / "autograded" / student / assignment / FILENAME


def read_verdicts(path: pathlib.Path, student: str | None = None,
                  assignment: str | None = None) -> Verdicts:
    """Read and check one ``verdicts.json``.

    Args:
        path: the file.
        student, assignment: when given, the file must say the same (a file
            copied into another learner's folder is refused).

    Raises:
        VerdictsError: unreadable JSON or a field that breaks the format.
    """
    path = pathlib.Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise VerdictsError(f"{path}: not a readable JSON file ({error})") from None
    verdicts = parse_verdicts(data, source=str(path))
    for name, want in (("student", student), ("assignment", assignment)):
        got = getattr(verdicts, name)
        if want is not None and got != want:
            raise VerdictsError(f"{path}: {name} is {got!r} but the file is in the "
                                f"folder of {name} {want!r}")
    return verdicts


def parse_verdicts(data: Any, source: str = "<verdicts>") -> Verdicts:
    """Check the decoded JSON of a verdicts file and return it as objects.

    >>> v = parse_verdicts({"version": 1, "assignment": "a", "student": "s",
    ...     "sandboxed": True, "status": "graded", "reason": "", "cells": {
    ...     "test_q": {"question": "q", "part": None, "points": 1, "max_points": 1,
    ...                "outcome": "right", "answer": 3, "answer_text": "3",
    ...                "mistake": None, "message": ""}}})
    >>> v.cells["test_q"].outcome, v.cells["test_q"].answer
    ('right', 3)
    >>> parse_verdicts({"version": 2}, "x.json")
    Traceback (most recent call last):
    ...
    tools.report.verdicts.VerdictsError: x.json: version is 2; ... version 1
    """
    if not isinstance(data, dict):
        raise VerdictsError(f"{source}: expected a JSON object, got "
                            f"{type(data).__name__}")
    version = data.get("version")
    if version != VERSION or isinstance(version, bool):
        raise VerdictsError(f"{source}: version is {version!r}; this reader knows "
                            f"version {VERSION}")
    assignment = _text(data, "assignment", source, empty=False)
    student = _text(data, "student", source, empty=False)
    sandboxed = data.get("sandboxed")
    if not isinstance(sandboxed, bool):
        raise VerdictsError(f"{source}: sandboxed should be true or false, got "
                            f"{sandboxed!r}")
    status = data.get("status")
    if status not in STATUSES:
        raise VerdictsError(f"{source}: status should be one of {STATUSES}, got "
                            f"{status!r}")
    reason = _text(data, "reason", source)
    cells = data.get("cells")
    if not isinstance(cells, dict):
        raise VerdictsError(f"{source}: cells should be an object of grade ids, "
                            f"got {type(cells).__name__}")
    parsed = {grade_id: _cell(grade_id, cell, f"{source}: cells[{grade_id!r}]")
              for grade_id, cell in cells.items()}
    return Verdicts(assignment, student, sandboxed, status, reason, parsed)


def _cell(grade_id: str, cell: Any, where: str) -> CellVerdict:
    if not grade_id:
        raise VerdictsError(f"{where}: a grade id cannot be empty")
    if not isinstance(cell, dict):
        raise VerdictsError(f"{where}: expected an object, got {type(cell).__name__}")
    question = _text(cell, "question", where, empty=False)
    part = cell.get("part")
    if part is not None and not isinstance(part, str):
        raise VerdictsError(f"{where}: part should be a string or null, got {part!r}")
    points = _number(cell, "points", where)
    max_points = _number(cell, "max_points", where)
    if not 0 <= points <= max_points:
        raise VerdictsError(f"{where}: points {points} should be between 0 and "
                            f"max_points {max_points}")
    outcome = cell.get("outcome")
    if outcome not in OUTCOMES:
        raise VerdictsError(f"{where}: outcome should be one of {OUTCOMES}, got "
                            f"{outcome!r}")
    if "answer" not in cell:
        raise VerdictsError(f"{where}: answer is missing (null for a blank)")
    answer = cell["answer"]
    if outcome in ("blank", "error") and answer is not None:
        raise VerdictsError(f"{where}: outcome {outcome!r} should have answer null")
    answer_text = cell.get("answer_text")
    if answer_text is None:
        answer_text = ""
    if not isinstance(answer_text, str):
        raise VerdictsError(f"{where}: answer_text should be a string, got "
                            f"{answer_text!r}")
    mistake = cell.get("mistake")
    if mistake is not None and (not isinstance(mistake, str) or not mistake):
        raise VerdictsError(f"{where}: mistake should be a mistake id or null, got "
                            f"{mistake!r}")
    if mistake is not None and outcome != "wrong":
        raise VerdictsError(f"{where}: only a wrong answer can match a mistake "
                            f"(outcome {outcome!r}, mistake {mistake!r})")
    message = _text(cell, "message", where)
    return CellVerdict(grade_id, question, part, points, max_points, outcome, answer,
                       answer_text, mistake, message)


def _text(data: dict, key: str, where: str, empty: bool = True) -> str:
    value = data.get(key)
    if not isinstance(value, str) or (not empty and not value):
        kind = "a string" if empty else "a non-empty string"
        raise VerdictsError(f"{where}: {key} should be {kind}, got {value!r}")
    return value


def _number(data: dict, key: str, where: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            not math.isfinite(value)):
        raise VerdictsError(f"{where}: {key} should be a finite number, got {value!r}")
    return float(value)


def load_all(root: pathlib.Path, pairs: list[tuple[str, str]]
             ) -> dict[tuple[str, str], Verdicts]:
    """The verdicts of each ``(student, assignment)`` that has a file.

    Submissions without a file are left out (the caller reports them); a file
    that breaks the format raises :class:`VerdictsError`.
    """
    found = {}
    for student, assignment in pairs:
        path = verdicts_path(root, student, assignment)
        if path.is_file():
            found[(student, assignment)] = read_verdicts(path, student, assignment)
    return found
