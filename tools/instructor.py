"""Instructor commands for the graded workbooks: one command per step.

    python -m tools.instructor release              # source/ -> release/
    python -m tools.instructor collect DOWNLOADS    # files -> submitted/<student>/<a>/
    python -m tools.instructor collect --exchange   # or nbgrader's exchange
    python -m tools.instructor grade                # autograde all, on all cores
    python -m tools.instructor feedback             # feedback/<student>/<a>/*.html
    python -m tools.instructor export               # grades.csv
    python -m tools.instructor export --lms canvas  # grades_canvas.csv (or moodle)
    python -m tools.instructor report               # reports/item_analysis.*

The steps are :mod:`tools.steps`; grading is :mod:`tools.grading.engine`.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from tools.grading.engine import grade
from tools.steps import (
    ROOT,
    assignments_in,
    collect,
    config,
    export,
    feedback,
    refresh_penalties,
    release,
)


def export_lms(root: pathlib.Path, lms: str, mapping: pathlib.Path,
               to: pathlib.Path, assignment_map: pathlib.Path | None = None) -> int:
    """Write the grades in Canvas's or Moodle's import layout (see tools.report.lms).

    Raises SystemExit naming the students missing from ``mapping``; nothing is
    written then.
    """
    from tools.report.build import student_rows
    from tools.report.lms import MappingError, write_lms

    refresh_penalties(root)
    try:
        count = write_lms(student_rows(root, config(root)), lms, mapping, to,
                          assignment_map)
    except MappingError as error:
        raise SystemExit(f"export --lms {lms}: {error}") from None
    print(f"wrote {count} students to {to} ({lms} import layout)")
    return count


def report(root: pathlib.Path, out: pathlib.Path, catalogue: pathlib.Path | None,
           include_students: bool) -> dict[str, pathlib.Path]:
    """Write the item-analysis report (tools.report.build)."""
    from tools.report.build import build_report
    from tools.report.verdicts import VerdictsError

    try:
        paths = build_report(root, out, config(root), catalogue, include_students)
    except VerdictsError as error:
        raise SystemExit(f"report: {error}") from None
    for path in paths.values():
        print(f"wrote {path}")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path, default=ROOT,
                        help="course root (default: this repository)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("release", "generate release/ from source/"),
                       ("feedback", "generate HTML feedback into feedback/")):
        p = sub.add_parser(name, help=text)
        p.add_argument("assignments", nargs="*")
    p = sub.add_parser("collect", help="copy submissions into submitted/")
    p.add_argument("folder", nargs="?", type=pathlib.Path)
    p.add_argument("--exchange", action="store_true",
                   help="collect from nbgrader's exchange instead")
    p.add_argument("--assignment", action="append", dest="assignments", default=[])
    p = sub.add_parser("grade", help="autograde every submission, in parallel")
    p.add_argument("assignments", nargs="*")
    p.add_argument("--jobs", type=int, default=None, help="workers (default: cores)")
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run learners' code without the OS sandbox (recorded in "
                        "every grade; only where the sandbox cannot be set up)")
    p = sub.add_parser("export", help="write the grades as CSV")
    p.add_argument("--to", type=pathlib.Path, default=None,
                   help="CSV file (default: grades.csv, or grades_<lms>.csv)")
    p.add_argument("--lms", choices=["canvas", "moodle"], default=None,
                   help="write the LMS's grade-import layout instead")
    p.add_argument("--map", type=pathlib.Path, default=None,
                   help="student mapping CSV for --lms (default: lms_students.csv)")
    p.add_argument("--assignments", type=pathlib.Path, default=None,
                   dest="assignment_map",
                   help="optional CSV assignment,lms_column naming the columns")
    p = sub.add_parser("report", help="write reports/item_analysis.html and .csv")
    p.add_argument("--out", type=pathlib.Path, default=None,
                   help="folder (default: reports/ in the course root)")
    p.add_argument("--catalogue", type=pathlib.Path, default=None,
                   help="catalogue of mistakes (JSON; default: the built-in one)")
    p.add_argument("--without-students", action="store_true",
                   help="leave out the per-student section (a report to share)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    known = assignments_in(root)
    chosen = getattr(args, "assignments", None) or known
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise SystemExit(f"unknown assignment(s): {', '.join(unknown)}; "
                         f"known: {', '.join(known)}")
    if args.command == "release":
        release(root, chosen)
    elif args.command == "collect":
        collect(root, args.folder, args.exchange, chosen)
    elif args.command == "grade":
        outcomes = grade(root, chosen, jobs=args.jobs, timeout=args.timeout,
                         unsafe_no_sandbox=args.unsafe_no_sandbox)
        failed = [o for o in outcomes if o.status != "graded"]
        print(f"graded {len(outcomes) - len(failed)} submission(s); "
              f"{len(failed)} could not be graded (0 points, reason in the gradebook)")
    elif args.command == "feedback":
        feedback(root, chosen)
    elif args.command == "export" and args.lms:
        export_lms(root, args.lms, args.map or root / "lms_students.csv",
                   args.to or root / f"grades_{args.lms}.csv", args.assignment_map)
    elif args.command == "export":
        export(root, args.to or root / "grades.csv")
    elif args.command == "report":
        report(root, args.out or root / "reports", args.catalogue,
               not args.without_students)
    return 0


if __name__ == "__main__":
    sys.exit(main())
