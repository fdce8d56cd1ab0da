"""The late policy: days and penalties at known times, and in real nbgrader runs.

The policy of nbgrader_config.py: 10 % of the score per started day after a
15-minute grace period, at most 50 %. A tiny assignment (one autograded cell of
2 points, one written answer of 1 point, no torch) is autograded by real
nbgrader for learners who submit at known times; then the written answer is
graded by hand and the feedback must show the due date, the days and the new
penalty.
"""

from __future__ import annotations

import datetime as dt

import nbformat
import pytest
from traitlets.config import Config

from tools import steps
from tools.grading import engine
from tools.report import late_policy as lp

DUE = dt.datetime(2026, 3, 2, 23, 59)


def _late(**delta) -> float:
    return lp.seconds_late(DUE + dt.timedelta(**delta), DUE)


@pytest.mark.parametrize(("delta", "days", "percent"), [
    (dict(minutes=-30), 0, 0.0),             # early
    (dict(minutes=10), 0, 0.0),              # within the grace period
    (dict(minutes=15), 0, 0.0),              # its last second
    (dict(minutes=16), 1, 10.0),             # one started day
    (dict(hours=24, minutes=15), 1, 10.0),   # still the first day after grace
    (dict(hours=24, minutes=16), 2, 20.0),
    (dict(days=4, hours=1), 5, 50.0),
    (dict(days=9), 9, 50.0),                 # capped
])
def test_days_and_percent_at_known_times(delta, days, percent):
    plugin = lp.PerDayLatePenalty(percent_per_day=10, max_percent=50,
                                  grace_minutes=15)
    late = _late(**delta)
    assert plugin.late_days(late) == days
    assert plugin.percent(late) == percent
    assert plugin.late_submission_penalty("x", 8.0, late) == pytest.approx(
        8.0 * percent / 100)


def test_the_course_config_sets_the_plugin(repo_root):
    plugin = lp.configured_plugin(steps.config(repo_root))
    assert isinstance(plugin, lp.PerDayLatePenalty)
    assert (plugin.percent_per_day, plugin.max_percent, plugin.grace_minutes) == (
        10.0, 50.0, 15.0)


@pytest.mark.parametrize(("trait", "value", "message"), [
    ("percent_per_day", 120.0, "a percentage from 0 to 100"),
    ("max_percent", -1.0, "a percentage from 0 to 100"),
    ("grace_minutes", -5.0, "grace_minutes should be >= 0"),
])
def test_bad_settings_are_refused(trait, value, message):
    config = Config()
    config.PerDayLatePenalty[trait] = value
    with pytest.raises(ValueError, match=message):
        lp.PerDayLatePenalty(config=config)


# ------------------------------------------------------------- real nbgrader

NAME = "late_demo"
STAMPS = {  # student -> submitted at (the due date is 2026-03-02 23:59 UTC)
    "ontime": "2026-03-02 20:00:00.000000 UTC",
    "grace": "2026-03-03 00:09:00.000000 UTC",      # 10 min: free
    "twodays": "2026-03-04 02:59:00.000000 UTC",    # 27 h: 2 days, 20 %
    "weeklate": "2026-03-10 12:00:00.000000 UTC",   # 7.5 days: capped at 50 %
}


def _cell(kind, grade_id, source, points=None):
    cell = (nbformat.v4.new_markdown_cell if kind == "md" else
            nbformat.v4.new_code_cell)(source)
    meta = {"grade": points is not None, "grade_id": grade_id, "locked": kind == "test",
            "schema_version": 3, "solution": kind != "test", "task": False}
    if points is not None:
        meta["points"] = points
    cell.metadata = {"nbgrader": meta}
    cell.id = grade_id
    return cell


def _source_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"}}
    nb.cells = [
        _cell("code", "answer", "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION"),
        _cell("test", "test_answer", "assert answer == 42", points=2),
        _cell("md", "written_why", "### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
              points=1),
    ]
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory, repo_root):
    """Autograde four submissions of the tiny assignment, then grade by hand."""
    course = tmp_path_factory.mktemp("late")
    config = (repo_root / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(
        config + f'\nc.DueDates.dates = {{"{NAME}": "2026-03-02 23:59:00 UTC"}}\n')
    source = course / "source" / NAME
    source.mkdir(parents=True)
    nbformat.write(_source_notebook(), source / f"{NAME}.ipynb")
    steps.release(course, [NAME])
    released = nbformat.read(course / "release" / NAME / f"{NAME}.ipynb", 4)
    released.cells[0].source = "answer = 42"
    for student, stamp in STAMPS.items():
        folder = course / "submitted" / student / NAME
        folder.mkdir(parents=True)
        nbformat.write(released, folder / f"{NAME}.ipynb")
        (folder / "timestamp.txt").write_text(stamp)
    outcomes = engine.grade(course, [NAME], jobs=2, quiet=True,
                            unsafe_no_sandbox=True)  # the sandbox: tests/test_sandbox
    assert {o.status for o in outcomes} == {"graded"}, outcomes
    autograde_penalties = _penalties(course)
    # the grader gives every written answer 1 point after autograding
    with steps.gradebook(course) as gb:
        for student in STAMPS:
            grade = gb.find_grade("written_why", NAME, NAME, student)
            grade.manual_score = 1.0
            grade.needs_manual_grade = False
        gb.db.commit()
    steps.feedback(course, [NAME])
    return course, autograde_penalties


def _penalties(course):
    with steps.gradebook(course) as gb:
        return {s: gb.find_submission_notebook(NAME, NAME, s).late_submission_penalty
                for s in STAMPS}


def test_autograding_applies_the_policy_to_the_autograded_score(graded):
    # score 2 (the test cell) when autograded; the written answer is still 0.
    # Within the grace period nbgrader stores the plugin's 0 (on time: None).
    assert graded[1] == {"ontime": None, "grace": 0.0, "twodays": pytest.approx(0.4),
                         "weeklate": pytest.approx(1.0)}


def test_feedback_reapplies_it_to_the_hand_graded_score(graded):
    # now 3 points: 20 % = 0.6, 50 % = 1.5
    assert _penalties(graded[0]) == {"ontime": None, "grace": 0.0,
                                     "twodays": pytest.approx(0.6),
                                     "weeklate": pytest.approx(1.5)}


def _feedback(course, student):
    return (course / "feedback" / student / NAME / f"{NAME}.html").read_text()


def test_feedback_shows_due_date_days_rule_and_penalty(graded):
    html = _feedback(graded[0], "twodays")
    assert "Due 2026-03-02 23:59 UTC, submitted 2026-03-04 02:59 UTC" in html
    assert "1 day 3 h late, counted as 2 days" in html
    assert "10% of the score per day late (every started day), at most 50%" in html
    assert "-0.60 points" in html and "3.00 before the penalty, 2.40 after" in html
    # nbgrader's own line and score, from the refreshed penalty
    assert "Late submission penalty (Score: -0.6)" in html
    assert "(Score: 2.4 / 3.0)" in html


def test_feedback_within_grace_and_on_time(graded):
    grace = _feedback(graded[0], "grace")
    assert "10 min late, within the grace period, so not counted" in grace
    assert "No points taken off." in grace and "Late submission penalty" not in grace
    assert "Submitted on time." in _feedback(graded[0], "ontime")


def test_report_rows_show_late_days_and_penalty(graded):
    from tools.report.build import student_rows

    rows = {r.student: (r.late_days, r.penalty, r.score) for r in student_rows(
        graded[0], steps.config(graded[0]))}
    assert rows == {"ontime": (0, 0.0, 3.0), "grace": (0, 0.0, 3.0),
                    "twodays": (2, pytest.approx(0.6), pytest.approx(2.4)),
                    "weeklate": (8, pytest.approx(1.5), pytest.approx(1.5))}


def test_due_dates_are_checked(tmp_path):
    from nbgrader.api import Gradebook

    from tools.report.synthetic import COURSE_ID, AssignmentSpec, CellSpec, write_class

    db = write_class(tmp_path, [], [AssignmentSpec("a1", [CellSpec("test_q", 1.0,
                                                                   "q")])], [])
    config = Config()
    with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
        config.DueDates.dates = {"a1": "2026-03-02 23:59:00 UTC", "a2": "2026-04-01"}
        lp.apply_due_dates(gb, config, known=["a1", "a2"])  # a2: not graded yet
        assert gb.find_assignment("a1").duedate == dt.datetime(2026, 3, 2, 23, 59)
        config.DueDates.dates = {"a3": "2026-03-02"}
        with pytest.raises(ValueError, match="unknown assignment"):
            lp.apply_due_dates(gb, config, known=["a1", "a2"])
        config.DueDates.dates = {"a1": "next Tuesday-ish"}
        with pytest.raises(ValueError, match=r"c.DueDates.dates\['a1'\]"):
            lp.apply_due_dates(gb, config)
