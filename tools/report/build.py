"""``make report``: from the gradebook and the verdicts to ``reports/item_analysis.*``.

    python -m tools.instructor report [--out reports] [--catalogue FILE]
                                      [--without-students]

Run after ``make grade`` (and, for written answers, after grading them by hand):
it applies the late policy to the current scores, reads the gradebook and every
``autograded/<student>/<assignment>/verdicts.json``, and writes
``reports/item_analysis.csv`` and the self-contained ``item_analysis.html``.
"""

from __future__ import annotations

import json
import pathlib

from tools.report.analysis import Analysis, StudentRow, analyse, statuses
from tools.report.analysis import student_rows as rows_of
from tools.report.catalogue import mistake_descriptions
from tools.report.gradebook import read_gradebook
from tools.report.late_policy import configured_plugin, refresh_penalties
from tools.report.verdicts import load_all

STATUS_FILE = "grading_status.json"


def load_config(root: pathlib.Path):
    """The course's nbgrader config (``root/nbgrader_config.py``), rooted at root."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return config


def cell_order(root: pathlib.Path, assignments) -> dict[str, list[str]]:
    """Grade ids in notebook order, from ``source/<a>/<a>.ipynb`` when it exists."""
    order = {}
    for name in assignments:
        path = root / "source" / name / f"{name}.ipynb"
        if path.is_file():
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            order[name] = [c["metadata"]["nbgrader"]["grade_id"] for c in cells
                           if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    return order


def grading_status(root: pathlib.Path) -> dict[str, dict]:
    """``autograded/grading_status.json`` (empty if there is none)."""
    path = root / "autograded" / STATUS_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def _load(root: pathlib.Path, config):
    """Refresh the late penalties, then read gradebook and verdicts."""
    from nbgrader.api import Gradebook

    config = config if config is not None else load_config(root)
    course_id = config.CourseDirectory.course_id
    db = root / "gradebook.db"
    if not db.is_file():
        raise ValueError(f"no gradebook at {db}: run `make grade` first")
    plugin = configured_plugin(config)
    with Gradebook(f"sqlite:///{db}", course_id) as gb:
        refresh_penalties(gb, plugin)
    data = read_gradebook(db, course_id)
    return data, load_all(root, list(data.submissions)), plugin


def student_rows(root: pathlib.Path, config=None) -> list[StudentRow]:
    """Every student's result per assignment, late policy applied (for exports)."""
    root = pathlib.Path(root).resolve()
    data, verdicts, plugin = _load(root, config)
    return rows_of(data, statuses(data, verdicts, grading_status(root)), plugin)


def analyse_course(root: pathlib.Path, config=None,
                   catalogue: pathlib.Path | None = None) -> Analysis:
    """Apply the late policy to current scores, then analyse the graded class."""
    root = pathlib.Path(root).resolve()
    data, verdicts, plugin = _load(root, config)
    return analyse(data, verdicts, mistake_descriptions(catalogue), plugin,
                   grading_status(root), cell_order(root, data.assignments))


def build_report(root: pathlib.Path, out: pathlib.Path | None = None, config=None,
                 catalogue: pathlib.Path | None = None,
                 include_students: bool = True) -> dict[str, pathlib.Path]:
    """Write ``item_analysis.csv`` and ``item_analysis.html`` into ``out``.

    Returns:
        ``{"csv": path, "html": path}``.
    """
    from tools.report.atomic import atomic_write
    from tools.report.html import render
    from tools.report.report_csv import write_csv

    root = pathlib.Path(root).resolve()
    out = pathlib.Path(out) if out is not None else root / "reports"
    analysis = analyse_course(root, config, catalogue)
    paths = {"csv": out / "item_analysis.csv", "html": out / "item_analysis.html"}
    write_csv(analysis, paths["csv"], include_students)
    with atomic_write(paths["html"], encoding="utf-8") as handle:
        handle.write(render(analysis, include_students))
    return paths
