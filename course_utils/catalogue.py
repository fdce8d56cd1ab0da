"""The workbook questions, as the self-check and the hidden tests see them.

Every autograded question is declared once, in its workbook's definition under
``tools/workbooks``; ``python -m tools.generate`` writes what the package needs
to know of it into :mod:`course_utils._catalogue`: its kind and parts, its hints,
the catalogued mistakes with their messages, and keyed hashes (never the values)
of the right answer and of the wrong answers each mistake gives.

>>> question("uint8_bits")["kind"], question("uint8_bits")["parts"]
('bits', [2, 6, 33, 100])
>>> assignment_of("uint8_bits")
'01_data_types'
"""

from __future__ import annotations

from typing import Any

__all__ = ["assignment_of", "assignments", "question", "questions_of"]


def _data() -> Any:
    from course_utils import _catalogue

    return _catalogue


def assignments() -> list[str]:
    """The workbooks with autograded questions, in course order."""
    return list(_data().ASSIGNMENTS)


def questions_of(assignment: str) -> list[str]:
    """The autograded questions of one workbook, in workbook order."""
    data = _data().ASSIGNMENTS
    if assignment not in data:
        raise KeyError(f"no workbook is called {assignment!r}; known: "
                       f"{', '.join(data)}")
    return list(data[assignment])


def question(name: str) -> dict[str, Any]:
    """The catalogue entry of one question (see this module's docstring)."""
    data = _data().QUESTIONS
    if name not in data:
        raise KeyError(f"no workbook answer is called {name!r}")
    return data[name]


def assignment_of(name: str) -> str:
    """The workbook a question belongs to."""
    return question(name)["assignment"]
