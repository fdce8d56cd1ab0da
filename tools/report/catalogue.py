"""The catalogue of mistakes: per question, what each catalogued slip shows.

Its shape (JSON)::

    {"<question id>": {"<mistake id>": "<one-line description>", ...}, ...}

e.g. ``{"uint8_bits": {"place_value_slip": "a place value added twice or
skipped"}}``. The question ids are the answer variables of the workbooks, the
mistake ids those a verdict names in ``mistake``. By default
:func:`mistake_descriptions` reads the course's own catalogue (generated from the
workbook declarations into ``course_utils._catalogue``); a JSON file in the same
shape can stand in for it.
"""

from __future__ import annotations

import json
import pathlib

#: The tripwire's verdict on a function that calls the course's own kernels.
LIBRARY_KERNEL = "the course's own kernel called instead of one's own code"


def course_catalogue() -> dict[str, dict[str, str]]:
    """The catalogue of the course's workbooks (``course_utils.catalogue``)."""
    from course_utils import catalogue

    out = {}
    for assignment in catalogue.assignments():
        for name in catalogue.questions_of(assignment):
            entry = catalogue.question(name)
            out[name] = {m["id"]: m["description"] for m in entry["mistakes"]}
            if entry["kind"] in ("kernel", "range_fn"):
                out[name]["library_kernel"] = LIBRARY_KERNEL
    return out


def mistake_descriptions(path: pathlib.Path | None = None) -> dict[str, dict[str, str]]:
    """Load the catalogue: ``{question: {mistake: description}}``.

    Args:
        path: a JSON file in that shape (default: the course's catalogue).

    Raises:
        ValueError: a file that is not JSON or not in that shape.

    >>> mistake_descriptions()["uint8_bits"]["place_value_slip"]
    'a place value added twice or skipped'
    """
    if path is None:
        return check_catalogue(course_catalogue(), "the course's catalogue")
    path = pathlib.Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a readable JSON catalogue ({error})") from None
    return check_catalogue(data, str(path))


def check_catalogue(data: object, source: str = "<catalogue>"
                    ) -> dict[str, dict[str, str]]:
    """Check the catalogue's shape and return it.

    >>> check_catalogue({"q": {"m": ""}})
    Traceback (most recent call last):
    ...
    ValueError: <catalogue>: q/m: the description should be a non-empty string
    """
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected an object of question ids")
    for question, mistakes in data.items():
        if not isinstance(mistakes, dict):
            raise ValueError(f"{source}: {question}: expected an object of "
                             "mistake ids")
        for mistake, text in mistakes.items():
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{source}: {question}/{mistake}: the "
                                 "description should be a non-empty string")
    return data


def describe(catalogue: dict[str, dict[str, str]], question: str,
             mistake: str | None) -> str:
    """The description of a matched mistake, or why there is none.

    >>> describe({"q": {"m": "a slip"}}, "q", "m")
    'a slip'
    >>> describe({"q": {"m": "a slip"}}, "q", None)
    'no catalogued mistake'
    >>> describe({}, "q", "m2")
    "mistake 'm2' (not in the catalogue)"
    """
    if mistake is None:
        return "no catalogued mistake"
    text = catalogue.get(question, {}).get(mistake)
    return text if text else f"mistake {mistake!r} (not in the catalogue)"
