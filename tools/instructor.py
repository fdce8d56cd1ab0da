"""Instructor commands for the graded workbooks: one command per step.

    python -m tools.instructor release              # source/ -> release/
    python -m tools.instructor collect DOWNLOADS    # files -> submitted/<student>/<a>/
    python -m tools.instructor collect --exchange   # or nbgrader's exchange
    python -m tools.instructor grade                # autograde all, on all cores
    python -m tools.instructor feedback             # feedback/<student>/<a>/*.html
    python -m tools.instructor export               # grades.csv

The steps are :mod:`tools.steps`; grading is :mod:`tools.grading.engine`.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from tools.grading.engine import grade
from tools.steps import ROOT, assignments_in, collect, export, feedback, release


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
                   help="CSV file (default: grades.csv in the course root)")
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
    elif args.command == "export":
        export(root, args.to or root / "grades.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
