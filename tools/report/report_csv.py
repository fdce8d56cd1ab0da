"""Write ``reports/item_analysis.csv``: the report's three tables in one CSV.

One row per question (``section`` = ``question``), per listed wrong answer
(``wrong_answer``) and per student and assignment (``student``); a column a
section does not use is empty. Only the ``student`` rows name students.
"""

from __future__ import annotations

import csv
import math
import pathlib

from tools.report.analysis import Analysis
from tools.report.atomic import atomic_write

COLUMNS = [
    "section", "assignment", "question", "part", "student_id", "name",
    "points", "n", "facility", "item_rest_r", "upper_lower_d", "blank",
    "could_not_be_graded", "pending_manual", "flag",
    "answer", "answer_text", "count", "of", "mistake", "misconception",
    "status", "timestamp", "raw_score", "max_score", "late_days", "penalty", "score",
]


def number(value: float | int | None) -> str:
    """A number for the CSV: up to 4 decimals, empty when undefined.

    >>> number(0.123456), number(float("nan")), number(None), number(3)
    ('0.1235', '', '', '3')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{round(float(value), 4):.10g}"


def rows(analysis: Analysis, include_students: bool = True) -> list[dict[str, str]]:
    """The CSV rows as dicts over :data:`COLUMNS`."""
    out = []
    for q in analysis.questions:
        out.append({
            "section": "question", "assignment": q.assignment,
            "question": q.question, "points": number(q.points), "n": number(q.n),
            "facility": number(q.facility), "item_rest_r": number(q.item_rest),
            "upper_lower_d": number(q.upper_lower), "blank": number(q.blank),
            "could_not_be_graded": number(q.ungraded),
            "pending_manual": number(q.pending), "flag": " ".join(q.flags)})
    for w in analysis.wrong:
        out.append({
            "section": "wrong_answer", "assignment": w.assignment,
            "question": w.question, "part": w.part or "", "answer": w.answer,
            "answer_text": w.answer_text, "count": number(w.count),
            "of": number(w.of), "mistake": w.mistake or "",
            "misconception": w.description})
    if include_students:
        for s in analysis.students:
            out.append({
                "section": "student", "assignment": s.assignment,
                "student_id": s.student, "name": s.name, "status": s.status,
                "timestamp": s.timestamp, "raw_score": number(s.raw_score),
                "max_score": number(s.max_score),
                "pending_manual": number(s.pending),
                "late_days": number(s.late_days), "penalty": number(s.penalty),
                "score": number(s.score)})
    return [{column: row.get(column, "") for column in COLUMNS} for row in out]


def write_csv(analysis: Analysis, path: pathlib.Path,
              include_students: bool = True) -> int:
    """Write the CSV (all at once); returns the number of rows."""
    table = rows(analysis, include_students)
    with atomic_write(path, newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    return len(table)
