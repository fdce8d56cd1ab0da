"""Show lateness in nbgrader's feedback: due date, days counted, policy, penalty.

nbgrader 0.9.6's feedback page shows only "Late submission penalty (Score: -X)"
in its contents list, and the score minus the penalty: no due date, no days, no
rule. :class:`LateNote` runs before nbgrader's ``GetGrades`` in
``GenerateFeedback.preprocessors``: it applies the late policy again to the
notebook's current score (so written answers graded by hand are penalised like
the rest) and puts a note at the top of the feedback saying when it was due, when
it came, how many days that counts as, the rule, and the points taken off.
"""

from __future__ import annotations

import datetime as dt

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from tools.report.late_policy import (
    configured_plugin,
    counted_days,
    describe,
    penalty_for,
    seconds_late,
)

NOTE_ID = "late-submission-note"


def _when(stamp: dt.datetime) -> str:
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def _span(seconds: float) -> str:
    """How long, in words.

    >>> _span(93784), _span(600)
    ('1 day 2 h 3 min', '10 min')
    """
    days, rest = divmod(int(round(seconds)), 86400)
    hours, rest = divmod(rest, 3600)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{rest // 60} min"] if rest // 60 or not parts else []
    return " ".join(parts)


def late_note(duedate: dt.datetime | None, timestamp: dt.datetime | None,
              days: int, penalty: float, score: float, policy: str) -> str:
    """The markdown note about lateness ("" when there is no due date).

    >>> print(late_note(dt.datetime(2026, 3, 2, 23, 59), dt.datetime(2026, 3, 4, 9),
    ...                 2, 3.4, 17.0, "10% of the score per day late"))
    **Late submission.** Due 2026-03-02 23:59 UTC, submitted 2026-03-04 09:00 UTC:
    1 day 9 h 1 min late, counted as 2 days. Late policy: 10% of the score per day
    late. Penalty: **-3.40 points** (17.00 before the penalty, 13.60 after).
    """
    if duedate is None or timestamp is None:
        return ""
    late = seconds_late(timestamp, duedate)
    head = f"Due {_when(duedate)}, submitted {_when(timestamp)}"
    if late <= 0:
        return f"**Submitted on time.** {head}."
    counted = f"counted as {days} day{'s' if days != 1 else ''}" if days else \
        "within the grace period, so not counted"
    text = (f"**Late submission.** {head}: {_span(late)} late, {counted}. "
            f"Late policy: {policy}.")
    if penalty:
        text += (f" Penalty: **-{penalty:.2f} points** ({score:.2f} before the "
                 f"penalty, {score - penalty:.2f} after).")
    else:
        text += " No points taken off."
    return text


class LateNote(NbGraderPreprocessor):
    """Apply the late policy to the current score and note lateness in feedback."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        plugin = configured_plugin(parent=self)
        with Gradebook(info["db_url"]) as gb:
            sub = gb.find_submission(info["assignment"], info["student"])
            notebook = gb.find_submission_notebook(
                info["notebook"], info["assignment"], info["student"])
            late = seconds_late(sub.timestamp, sub.duedate)
            penalty = penalty_for(plugin, info["student"], notebook.score, late)
            if notebook.late_submission_penalty != penalty:
                notebook.late_submission_penalty = penalty
                gb.db.commit()
            text = late_note(sub.duedate, sub.timestamp,
                             counted_days(plugin, late) if late else 0,
                             penalty or 0.0, notebook.score, describe(plugin))
        nb.cells = [c for c in nb.cells if c.get("id") != NOTE_ID]
        if text:
            cell = nbformat.v4.new_markdown_cell(text)
            cell.id = NOTE_ID
            nb.cells.insert(0, cell)
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        return cell, resources
