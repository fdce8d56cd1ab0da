"""Write every generated file of the course, or check that none is stale.

    python -m tools.generate            # write what changed (make generate)
    python -m tools.generate --check    # list stale files, exit 1 (CHECK=1)

Generated, in order (each from the one before or from its definition):

- ``notebooks/<lesson>.ipynb`` from :mod:`tools.lessons`;
- ``source/<workbook>/<workbook>.ipynb`` from :mod:`tools.workbooks`;
- ``course_utils/_catalogue.py``, the self-check's catalogue, from the same
  declarations (:mod:`tools.workbooks.catalogue`);
- ``release/<workbook>/<workbook>.ipynb``, by nbgrader from the new ``source/``.
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import sys
import tempfile

from tools import lessons, workbooks
from tools.nbbuild import render
from tools.steps import ROOT, api
from tools.workbooks import catalogue

__all__ = ["generated", "main"]

CATALOGUE = ROOT / "course_utils" / "_catalogue.py"


def _release(sources: dict[str, str]) -> dict[str, str]:
    """nbgrader's student versions of the given source notebooks' texts."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="course-generate-") as tmp:
        course = pathlib.Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        for name, source in sources.items():
            folder = course / "source" / name
            folder.mkdir(parents=True)
            (folder / f"{name}.ipynb").write_text(source)
        nb = api(course)
        for name in sources:
            result = nb.generate_assignment(name, force=True, create=True)
            if not result["success"]:
                raise SystemExit(f"nbgrader could not release {name}:\n"
                                 f"{result.get('log', '')}{result.get('error', '')}")
            out[name] = (course / "release" / name / f"{name}.ipynb").read_text()
    return out


def generated() -> dict[pathlib.Path, str]:
    """Every generated file's path and the text it should have."""
    outputs: dict[pathlib.Path, str] = {}
    for lesson in lessons.LESSONS:
        outputs[ROOT / "notebooks" / f"{lesson.NAME}.ipynb"] = render(
            lessons.build(lesson))
    sources = {}
    for workbook in workbooks.WORKBOOKS:
        sources[workbook.NAME] = render(workbooks.build(workbook))
        outputs[ROOT / "source" / workbook.NAME / f"{workbook.NAME}.ipynb"] = (
            sources[workbook.NAME])
    outputs[CATALOGUE] = catalogue.render(*catalogue.entries(workbooks.WORKBOOKS))
    for name, text in _release(sources).items():
        outputs[ROOT / "release" / name / f"{name}.ipynb"] = text
    return outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare with the files on disk")
    args = parser.parse_args(argv)
    outputs = generated()
    stale = [p for p, text in outputs.items()
             if not p.exists() or p.read_text() != text]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run `make generate`)")
        if not stale:
            print(f"all {len(outputs)} generated files are up to date")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(outputs[path])
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
