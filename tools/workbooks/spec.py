"""How a workbook is declared: its items in order, each question declared once.

A workbook definition (``wb01_data_types.py``, ...) is a list of items:

- :class:`Text`: instructions (markdown);
- :class:`Given`: a read-only code cell (set-up, data);
- :class:`Answer`: a cell the learner writes (``### BEGIN/END SOLUTION``);
- :class:`Question`: an autograded answer: its kind, points, hint, parts, the
  trusted expression of the right answer, its catalogued mistakes and its visible
  form checks. From it come the test cell(s) of ``source/``, the self-check's
  catalogue entry and the hidden tests' verdicts;
- :class:`Written`: a question graded by hand, with a model answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Alternative", "Answer", "Given", "Question", "Text", "Written"]


@dataclass(frozen=True)
class Text:
    """Markdown between the questions."""

    source: str


@dataclass(frozen=True)
class Given:
    """A read-only code cell; restored before grading if a learner edits it."""

    id: str
    source: str


@dataclass(frozen=True)
class Answer:
    """A code cell the learner writes; the solution sits between the markers."""

    id: str
    source: str


@dataclass(frozen=True)
class Written:
    """A free-text answer graded by hand; the model answer stays in ``source/``.

    ``question`` is the markdown shown above the answer cell (with its number).
    """

    id: str
    question: str
    model: str
    points: float = 1


@dataclass(frozen=True)
class Alternative:
    """A catalogued mistake that depends on the data: the wrong answer it gives.

    ``expr`` is evaluated after the question's ``setup`` code, like ``expected``.
    """

    id: str
    expr: str
    message: str
    description: str


@dataclass(frozen=True)
class Question:
    """One autograded answer: one test cell, or one per part of a dict answer.

    Attributes:
        name: the learner's variable (or function) name.
        kind: ``int``, ``float``, ``range``, ``pair``, ``bits``, ``field``,
            ``dtype``, ``word``, ``finfo`` (``course_utils.answers``), or
            ``range_fn``/``kernel`` (a function, judged on probes) or ``model``.
        hint: the general hint when the answer is wrong (self-check and feedback).
        points: points per test cell.
        parts: the keys of a dict answer, one test cell each.
        keys: the kind of those keys (``int``, ``dtype``).
        part_hint: the hint for a wrong part; ``{part}`` is the key.
        expected: a trusted expression of the right answer, evaluated in the
            hidden test after ``setup``; ``{part}`` is the key of a part.
        setup: hidden code computing what ``expected`` needs (from seeds, never
            from the learner's variables).
        mistakes: ids of catalogued rules (``course_utils.mistakes``) or slips
            (``course_utils.kernel_slips``), and :class:`Alternative` ones.
        params: parameters of the rules (``n_bits``).
        visible: the visible form check (ends in an ``assert``); ``{part}``.
        hidden: for ``model`` questions, the hidden test code itself.
        seeds: extra probe seeds of the hidden tests (function answers).
        id: the test cell's grade id (default ``test_<name>``; parts append
            ``_<part>``).
        self_check: whether ``check``/``check_all`` check it (a test of a given
            variable, such as "the original model is unchanged", is not an
            answer of its own).
    """

    name: str
    kind: str
    hint: str
    points: float = 1
    parts: tuple = ()
    keys: str | None = None
    part_hint: str = ""
    expected: str = ""
    setup: str = ""
    mistakes: tuple[str | Alternative, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    visible: str = ""
    hidden: str = ""
    seeds: tuple[int, ...] = ()
    id: str = ""
    self_check: bool = True

    def grade_ids(self) -> list[tuple[str, Any]]:
        """``(grade id, part)`` of each test cell of this question."""
        base = self.id or f"test_{self.name}"
        if not self.parts:
            return [(base, None)]
        return [(f"{base}_{_slug(part)}", part) for part in self.parts]


def _slug(part: Any) -> str:
    return str(part).lower().replace(" ", "_")
