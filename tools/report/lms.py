"""Grades in the CSV layouts that Canvas's and Moodle's gradebook imports read.

The student mapping (``lms_students.csv``, from the instructor) is a CSV with a
header row and one row per nbgrader student::

    student_id,name,lms_user_id,sis_user_id,sis_login_id,section,email
    alice,"Liddell, Alice",1001,S1001,aliddell,Section 1,alice@example.edu

``student_id`` (the nbgrader id) is required; the others may be empty, but
Canvas needs one of ``lms_user_id`` / ``sis_user_id`` / ``sis_login_id`` and
Moodle one of ``sis_user_id`` / ``sis_login_id`` / ``email`` for every student.
An optional assignment mapping (``assignment,lms_column``) names each
assignment's column, e.g. ``01_data_types,Workbook 1 (4711)`` for an existing
Canvas assignment with id 4711; by default the column is the assignment name.

**Canvas** (read by ``app/models/gradebook_importer.rb`` of instructure/canvas-lms):
the header ``Student,ID,SIS User ID,SIS Login ID,Section`` then one column per
assignment, titled ``Name (id)`` to update assignment ``id`` or just a title
(an existing assignment of that title, else a new one); a second row starting
``Points Possible`` gives each assignment's points. A student is found by
``ID`` (Canvas user id), else ``SIS User ID``, ``SIS Login ID``, or name.

**Moodle** (``grade/import/csv``, "Import > CSV file"): any header; on import
the instructor maps one column to a user field (id number, username or email)
and each grade column to a grade item, a feedback column to its feedback. We
write ``ID number,Username,Email address`` and per assignment a grade column
and a ``<column> (feedback)`` column saying the late days and penalty. An empty
grade means "no grade" in both (nothing changes in Canvas). Moodle stops the
whole import at a user it cannot find, so every row must map.

Scores are after the late penalty. A submission still waiting for a grader, or
one that could not be graded, is left empty (and listed); a student who did not
submit gets 0, as in ``grades.csv``.
"""

from __future__ import annotations

import csv
import pathlib
import sys
from dataclasses import dataclass

from tools.report.analysis import StudentRow
from tools.report.atomic import atomic_write

MAPPING_COLUMNS = ("student_id", "name", "lms_user_id", "sis_user_id",
                   "sis_login_id", "section", "email")
IDENTIFIERS = {"canvas": ("lms_user_id", "sis_user_id", "sis_login_id"),
               "moodle": ("sis_user_id", "sis_login_id", "email")}
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_HEADER = ["ID number", "Username", "Email address"]
LMS = tuple(IDENTIFIERS)


class MappingError(ValueError):
    """The student or assignment mapping is missing, malformed or incomplete."""


@dataclass(frozen=True)
class Person:
    """One student's identity in the LMS."""

    student_id: str
    name: str = ""
    lms_user_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""


def _read_csv(path: pathlib.Path, what: str) -> tuple[list[str], list[dict]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            return [h.strip() for h in reader.fieldnames or []], rows
    except FileNotFoundError:
        raise MappingError(f"no {what} at {path}: create it (see "
                           "tools/report/lms.py for its columns)") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise MappingError(f"{path}: not a readable UTF-8 CSV ({error})") from None


def read_mapping(path: pathlib.Path) -> dict[str, Person]:
    """Read the student mapping: nbgrader student id -> :class:`Person`.

    >>> import tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "lms_students.csv"
    >>> _ = path.write_text("student_id,email\\nalice,alice@example.edu\\n")
    >>> read_mapping(path)["alice"].email
    'alice@example.edu'
    """
    header, rows = _read_csv(path, "student mapping")
    if "student_id" not in header:
        raise MappingError(f"{path}: the header needs a student_id column; columns "
                           f"are {', '.join(MAPPING_COLUMNS)}")
    unknown = [h for h in header if h not in MAPPING_COLUMNS]
    if unknown:
        raise MappingError(f"{path}: unknown column(s) {', '.join(unknown)}; "
                           f"columns are {', '.join(MAPPING_COLUMNS)}")
    people: dict[str, Person] = {}
    for line, row in enumerate(rows, start=2):
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        student = values.get("student_id", "")
        if not student:
            raise MappingError(f"{path}, line {line}: student_id is empty")
        if student in people:
            raise MappingError(f"{path}, line {line}: student {student!r} is listed "
                               "twice")
        people[student] = Person(**{k: values.get(k, "") for k in MAPPING_COLUMNS})
    return people


def read_assignment_columns(path: pathlib.Path | None, assignments: list[str]
                            ) -> dict[str, str]:
    """Column title per assignment (the assignment name unless mapped)."""
    columns = {a: a for a in assignments}
    if path is None:
        return columns
    header, rows = _read_csv(path, "assignment mapping")
    if header[:2] != ["assignment", "lms_column"]:
        raise MappingError(f"{path}: the header should be assignment,lms_column")
    for line, row in enumerate(rows, start=2):
        name, title = (row.get("assignment") or "").strip(), (
            row.get("lms_column") or "").strip()
        if name not in columns or not title:
            raise MappingError(f"{path}, line {line}: expected a known assignment "
                               f"({', '.join(assignments)}) and a column title")
        columns[name] = title
    return columns


def _check(people: dict[str, Person], students: list[str], lms: str,
           mapping: pathlib.Path) -> None:
    missing = [s for s in students if s not in people]
    if missing:
        raise MappingError(
            f"{len(missing)} student(s) of the gradebook are not in {mapping}: "
            f"{', '.join(missing)}. Add a row for each (student_id plus one of "
            f"{', '.join(IDENTIFIERS[lms])}); nothing was written.")
    unmapped = [s for s in students
                if not any(getattr(people[s], f) for f in IDENTIFIERS[lms])]
    if unmapped:
        raise MappingError(
            f"{mapping}: no {lms} identifier ({', '.join(IDENTIFIERS[lms])}) for "
            f"{', '.join(unmapped)}; nothing was written.")


def _score(row: StudentRow) -> str:
    if row.status == "not submitted":
        return "0.00"
    if row.pending or row.status != "graded":
        return ""
    return f"{row.score:.2f}"


def _feedback(row: StudentRow) -> str:
    if row.status == "not submitted":
        return "not submitted"
    if row.late_days:
        return (f"{row.late_days} day(s) late: -{row.penalty:.2f} points "
                f"(raw score {row.raw_score:.2f})")
    return ""


def lms_table(rows: list[StudentRow], people: dict[str, Person], lms: str,
              columns: dict[str, str], mapping: pathlib.Path) -> list[list[str]]:
    """The rows of the LMS file, header first (raises MappingError).

    >>> row = StudentRow("s1", "Ada Abara", "a1", "graded", "", 8.0, 10.0, 0, 1,
    ...                  0.8, 7.2)
    >>> for line in lms_table([row], {"s1": Person("s1", "Abara, Ada", "42")},
    ...                       "canvas", {"a1": "Workbook 1"}, pathlib.Path("m.csv")):
    ...     print(line)
    ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', 'Workbook 1']
    ['Points Possible', '', '', '', '', '10.00']
    ['Abara, Ada', '42', '', '', '', '7.20']
    """
    if lms not in LMS:
        raise ValueError(f"unknown LMS {lms!r}; expected one of {', '.join(LMS)}")
    students = sorted({r.student for r in rows})
    _check(people, students, lms, mapping)
    assignments = list(dict.fromkeys(r.assignment for r in rows))
    by = {(r.student, r.assignment): r for r in rows}
    if lms == "canvas":
        table = [CANVAS_HEADER + [columns[a] for a in assignments],
                 ["Points Possible", "", "", "", ""] + [
                     f"{by[(students[0], a)].max_score:.2f}" for a in assignments]]
        for s in students:
            p = people[s]
            table.append([p.name or s, p.lms_user_id, p.sis_user_id, p.sis_login_id,
                          p.section] + [_score(by[(s, a)]) for a in assignments])
        return table
    table = [MOODLE_HEADER + [c for a in assignments
                              for c in (columns[a], f"{columns[a]} (feedback)")]]
    for s in students:
        p = people[s]
        table.append([p.sis_user_id, p.sis_login_id, p.email] + [
            v for a in assignments for v in (_score(by[(s, a)]),
                                             _feedback(by[(s, a)]))])
    return table


def write_lms(rows: list[StudentRow], lms: str, mapping: pathlib.Path,
              to: pathlib.Path, assignment_map: pathlib.Path | None = None) -> int:
    """Check everything, then write the LMS file at once; returns student rows.

    Raises:
        MappingError: a student missing from the mapping (named), or a bad
            mapping file; nothing is written then.
    """
    people = read_mapping(mapping)
    columns = read_assignment_columns(
        assignment_map, list(dict.fromkeys(r.assignment for r in rows)))
    table = lms_table(rows, people, lms, columns, mapping)
    held = [f"{r.student}/{r.assignment} "
            f"({'pending manual grading' if r.pending else r.status})"
            for r in rows if r.status != "not submitted" and (
                r.pending or r.status != "graded")]
    with atomic_write(to, newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(table)
    if held:
        print(f"left empty in {to.name} (not final yet): {', '.join(held)}",
              file=sys.stderr)
    extra = sorted(set(people) - {r.student for r in rows})
    if extra:
        print(f"in {mapping.name} but not in the gradebook (no row written): "
              f"{', '.join(extra)}", file=sys.stderr)
    return len(table) - (2 if lms == "canvas" else 1)
