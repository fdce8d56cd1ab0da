"""The course's order: which lessons each graded workbook follows (stated once).

The workbook headers and every lesson's closing "Next:" line are generated from
:data:`WORKBOOKS`; a test checks that the README's table says the same.
"""

from __future__ import annotations

__all__ = ["LESSONS", "WORKBOOKS", "covered_by", "lesson_title", "next_step",
           "workbook_after"]

#: The lessons, in order: notebook name and title.
LESSONS: dict[str, str] = {
    "01_handling_big_models": "Handling big models",
    "02_data_types": "Data types and sizes",
    "03_downcasting": "Downcasting",
    "04_loading_models": "Loading models in other dtypes",
    "05_linear_quantization": "Linear quantization",
    "06_block_formats": "Block-scaled formats",
}

#: Each graded workbook and the lessons it follows (it asks only what they teach).
WORKBOOKS: dict[str, tuple[str, ...]] = {
    "01_data_types": ("01_handling_big_models", "02_data_types"),
    "02_loading_models": ("03_downcasting", "04_loading_models"),
    "03_linear_quantization": ("05_linear_quantization",),
    "04_block_formats": ("06_block_formats",),
}


def lesson_title(lesson: str) -> str:
    """``"Lesson 3: Downcasting"``.

    >>> lesson_title("03_downcasting")
    'Lesson 3: Downcasting'
    """
    return f"Lesson {int(lesson[:2])}: {LESSONS[lesson]}"


def workbook_after(lesson: str) -> str | None:
    """The workbook to do once ``lesson`` is done (None if the next lesson comes
    first).

    >>> workbook_after("01_handling_big_models"), workbook_after("02_data_types")
    (None, '01_data_types')
    """
    for workbook, lessons in WORKBOOKS.items():
        if lessons[-1] == lesson:
            return workbook
    return None


def covered_by(workbook: str) -> str:
    """The lessons a workbook covers, in words: ``"lessons 1 and 2"``.

    >>> covered_by("01_data_types"), covered_by("03_linear_quantization")
    ('lessons 1 and 2', 'lesson 5')
    """
    numbers = [str(int(lesson[:2])) for lesson in WORKBOOKS[workbook]]
    if len(numbers) == 1:
        return f"lesson {numbers[0]}"
    return "lessons " + ", ".join(numbers[:-1]) + " and " + numbers[-1]


def next_step(lesson: str) -> str:
    """The closing "Next:" line of a lesson (markdown)."""
    names = list(LESSONS)
    following = names[names.index(lesson) + 1:]
    parts = []
    workbook = workbook_after(lesson)
    if workbook:
        parts.append(f"the graded workbook **{workbook}** "
                     f"(`release/{workbook}/{workbook}.ipynb`, or the copy your "
                     f"instructor hands out), which covers {covered_by(workbook)}")
    if following:
        parts.append(f"{lesson_title(following[0])} "
                     f"(`notebooks/{following[0]}.ipynb`)")
    return "**Next:** " + ("; then ".join(parts) if parts else "the end of the "
                           "course") + "."
