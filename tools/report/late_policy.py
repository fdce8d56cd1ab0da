"""The course's late policy: due dates, and a per-day penalty with a cap and a grace.

nbgrader 0.9.6 only knows "no penalty" and "zero for any lateness"
(``nbgrader/plugins/latesubmission.py``). :class:`PerDayLatePenalty` is a
``LateSubmissionPlugin`` that takes a percentage of the score per day late, up to
a cap, after a grace period; it is set in ``nbgrader_config.py``::

    c.AssignLatePenalties.plugin_class = PerDayLatePenalty
    c.PerDayLatePenalty.percent_per_day = 10.0   # of the notebook's score
    c.PerDayLatePenalty.max_percent = 50.0
    c.PerDayLatePenalty.grace_minutes = 15.0
    c.DueDates.dates = {"01_data_types": "2026-03-02 23:59:00 UTC"}

Days are counted from the end of the grace period and every started day
counts: with a 15-minute grace, 10 minutes late is free, 16 minutes late is one
day, 24 h 16 min late is two. nbgrader applies the plugin when it autogrades
(``AssignLatePenalties``), with the autograded score; :func:`refresh_penalties`
applies it again to the current score once written answers are graded by hand
(``feedback``, ``export`` and ``report`` call it).
"""

from __future__ import annotations

import datetime as dt
import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Dict, Float, Unicode, validate
from traitlets.config import Configurable

DAY = 86400.0


def late_days(seconds_late: float, grace_seconds: float = 0.0) -> int:
    """Days counted late: every started day after the grace period.

    >>> late_days(0), late_days(600, grace_seconds=900), late_days(960, 900)
    (0, 0, 1)
    >>> late_days(DAY + 960, grace_seconds=900)
    2
    """
    if seconds_late < 0 or grace_seconds < 0:
        raise ValueError(f"expected seconds >= 0, got seconds_late={seconds_late}, "
                         f"grace_seconds={grace_seconds}")
    over = seconds_late - grace_seconds
    return 0 if over <= 0 else math.ceil(over / DAY)


def penalty_percent(days: int, percent_per_day: float, max_percent: float) -> float:
    """The percentage taken off for ``days`` late, capped at ``max_percent``.

    >>> penalty_percent(2, 10, 50), penalty_percent(7, 10, 50)
    (20.0, 50.0)
    """
    return float(min(max_percent, days * percent_per_day))


class PerDayLatePenalty(LateSubmissionPlugin):
    """A percentage of the score per day late, capped, after a grace period."""

    percent_per_day = Float(
        10.0, help="Percent of the notebook's score taken off per day late."
    ).tag(config=True)
    max_percent = Float(
        50.0, help="The most that lateness can take off, in percent of the score."
    ).tag(config=True)
    grace_minutes = Float(
        0.0, help="Minutes after the due date that cost nothing; days are "
        "counted from their end."
    ).tag(config=True)

    @validate("percent_per_day", "max_percent")
    def _percent(self, proposal):
        value = proposal["value"]
        if not 0 <= value <= 100:
            raise ValueError(f"PerDayLatePenalty.{proposal['trait'].name} should be "
                             f"a percentage from 0 to 100, got {value}")
        return value

    @validate("grace_minutes")
    def _grace(self, proposal):
        if proposal["value"] < 0:
            raise ValueError("PerDayLatePenalty.grace_minutes should be >= 0, got "
                             f"{proposal['value']}")
        return proposal["value"]

    def late_days(self, seconds_late: float) -> int:
        """Days counted late under this policy."""
        return late_days(seconds_late, self.grace_minutes * 60)

    def percent(self, seconds_late: float) -> float:
        """Percent of the score taken off for this lateness."""
        return penalty_percent(self.late_days(seconds_late), self.percent_per_day,
                               self.max_percent)

    def late_submission_penalty(self, student_id: str, score: float,
                                total_seconds_late: float) -> float:
        """Points taken off ``score`` (what nbgrader's AssignLatePenalties asks).

        >>> PerDayLatePenalty(grace_minutes=15).late_submission_penalty(
        ...     "alice", 20.0, 2 * DAY + 1000)
        6.0
        """
        return round(score * self.percent(total_seconds_late) / 100.0, 6)

    def describe(self) -> str:
        """The policy in one sentence, for feedback and the report.

        >>> print(PerDayLatePenalty(grace_minutes=15).describe())
        10% of the score per day late (every started day), at most 50%,
        after a grace period of 15 minutes
        """
        grace = (f", after a grace period of {self.grace_minutes:g} minutes"
                 if self.grace_minutes else "")
        return (f"{self.percent_per_day:g}% of the score per day late (every started "
                f"day), at most {self.max_percent:g}%{grace}")


class DueDates(Configurable):
    """The due date of each assignment, written into the gradebook by ``grade``."""

    dates = Dict(
        value_trait=Unicode(), default_value={},
        help="Assignment name -> due date, e.g. '2026-03-02 23:59:00 UTC'. "
        "Assignments left out keep the due date the gradebook has (if any).",
    ).tag(config=True)


def configured_plugin(config=None, parent=None) -> LateSubmissionPlugin:
    """The plugin ``c.AssignLatePenalties.plugin_class`` names, configured.

    Args:
        config: an nbgrader config; or
        parent: a configurable whose config to use (a preprocessor).

    >>> from traitlets.config import Config
    >>> c = Config()
    >>> c.AssignLatePenalties.plugin_class = PerDayLatePenalty
    >>> c.PerDayLatePenalty.max_percent = 30.0
    >>> configured_plugin(c).max_percent
    30.0
    """
    from traitlets.utils.importstring import import_item

    config = config if config is not None else parent.config
    cls = config.AssignLatePenalties.get("plugin_class", LateSubmissionPlugin)
    cls = import_item(cls) if isinstance(cls, str) else cls
    if not (isinstance(cls, type) and issubclass(cls, LateSubmissionPlugin)):
        raise TypeError("c.AssignLatePenalties.plugin_class should be a "
                        f"LateSubmissionPlugin subclass, got {cls!r}")
    return cls(parent=parent) if parent is not None else cls(config=config)


def counted_days(plugin: LateSubmissionPlugin, seconds_late: float) -> int:
    """Days late as ``plugin`` counts them (started days for other plugins).

    >>> counted_days(LateSubmissionPlugin(), 1.0)
    1
    """
    if hasattr(plugin, "late_days"):
        return plugin.late_days(seconds_late)
    return late_days(seconds_late)


def describe(plugin: LateSubmissionPlugin) -> str:
    """The policy ``plugin`` applies, in words.

    >>> describe(LateSubmissionPlugin())
    'no late penalty'
    """
    if hasattr(plugin, "describe"):
        return plugin.describe()
    if getattr(plugin, "penalty_method", "none") == "zero":
        return "a score of zero for any late submission"
    return "no late penalty"


def seconds_late(timestamp: dt.datetime | None, duedate: dt.datetime | None,
                 extension: dt.timedelta | None = None) -> float:
    """Seconds after the due date (plus extension); 0 when on time or undated.

    >>> seconds_late(dt.datetime(2026, 3, 3), dt.datetime(2026, 3, 2))
    86400.0
    """
    if timestamp is None or duedate is None:
        return 0.0
    due = duedate + (extension or dt.timedelta(0))
    return max(0.0, (timestamp - due).total_seconds())


def penalty_for(plugin: LateSubmissionPlugin, student: str, score: float,
                late: float) -> float | None:
    """The penalty nbgrader's AssignLatePenalties would store: between 0 and the
    score, ``None`` when on time or when the plugin gives none.

    >>> penalty_for(PerDayLatePenalty(), "alice", 10.0, 3 * DAY)
    3.0
    >>> penalty_for(PerDayLatePenalty(), "alice", 10.0, 0.0) is None
    True
    """
    if late <= 0:
        return None
    penalty = plugin.late_submission_penalty(student, score, late)
    return None if penalty is None else min(max(0.0, penalty), score)


def refresh_penalties(gradebook, plugin: LateSubmissionPlugin) -> int:
    """Apply ``plugin`` again to every submitted notebook's current score.

    The same rule as nbgrader's ``AssignLatePenalties`` (penalty between 0 and
    the score, ``None`` when on time), so manual grades entered after
    autograding are penalised too. Returns how many penalties changed.
    """
    from nbgrader.api import Assignment, Grade, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import func

    # nbgrader's notebook score (the sum of its grades' scores) in one grouped
    # scan: its per-notebook subquery rescans the grade table for every notebook
    scores = dict(gradebook.db.query(Grade.notebook_id, func.sum(Grade.score))
                  .group_by(Grade.notebook_id).all())
    rows = (gradebook.db.query(SubmittedNotebook.id,
                               SubmittedNotebook.late_submission_penalty,
                               SubmittedAssignment.timestamp,
                               SubmittedAssignment.extension, Assignment.duedate,
                               SubmittedAssignment.student_id)
            .join(SubmittedAssignment,
                  SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
            .all())
    changes = {}
    for notebook, old, timestamp, extension, duedate, student in rows:
        late = seconds_late(timestamp, duedate, extension)
        penalty = penalty_for(plugin, student, float(scores.get(notebook) or 0.0),
                              late)
        if old != penalty:
            changes[notebook] = penalty
    for notebook, penalty in changes.items():
        (gradebook.db.query(SubmittedNotebook)
         .filter(SubmittedNotebook.id == notebook)
         .update({SubmittedNotebook.late_submission_penalty: penalty},
                 synchronize_session=False))
    if changes:
        gradebook.db.commit()
    return len(changes)


def apply_due_dates(gradebook, config, known=None) -> dict[str, str]:
    """Write the due dates of ``c.DueDates.dates`` into the gradebook.

    Args:
        known: the course's assignment names (``source/``); a date for any other
            name is an error (a typo would silently leave an assignment undated).
            Dates of assignments not yet in the gradebook wait for their turn.
    """
    dates = dict(DueDates(config=config).dates)
    present = {a.name for a in gradebook.assignments}
    known = set(known) if known is not None else present
    unknown = sorted(set(dates) - known)
    if unknown:
        raise ValueError(f"c.DueDates.dates names unknown assignment(s) "
                         f"{', '.join(unknown)}; known: {', '.join(sorted(known))}")
    for name, date in dates.items():
        if name not in present:
            continue
        try:
            gradebook.update_or_create_assignment(name, duedate=date)
        except (ValueError, OverflowError) as error:
            raise ValueError(f"c.DueDates.dates[{name!r}] = {date!r} is not a date "
                             f"such as '2026-03-02 23:59:00 UTC' ({error})") from None
    return dates
