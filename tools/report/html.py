"""Render the item-analysis report as one self-contained, offline HTML file.

Figures are inlined as ``data:image/svg+xml`` URIs and the style sheet is in the
page: no script, font or image is fetched from anywhere. The question analysis
(``<section id="questions">``) names no learner; the per-student table is a
section of its own (``<section id="students">``) that says so at its top.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from html import escape

from tools.report import figures
from tools.report.analysis import LOW_DISCRIMINATION, LOW_FACILITY, Analysis

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em;
       padding: 0 1em; color: #111; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fff4d6; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #333; }
.names-students { border: 2px solid #D55E00; padding: 0.5em 1em; }
.note { color: #444; font-size: 0.9em; }
"""


def _num(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def _table(header: list[str], body: list[list[str]], numeric: set[int],
           classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    lines = []
    for i, row in enumerate(body):
        css = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(
            f'<td class="num">{escape(c)}</td>' if j in numeric else
            f"<td>{escape(c)}</td>" for j, c in enumerate(row))
        lines.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody>" \
           "</table>"


def _figure(fig, alt: str, caption: str) -> str:
    data = base64.b64encode(figures.to_svg(fig)).decode("ascii")
    return (f'<figure><img src="data:image/svg+xml;base64,{data}" '
            f'alt="{escape(alt)}"><figcaption>{escape(caption)}</figcaption></figure>')


def _guide() -> str:
    return f"""
<h2 id="guide">How to read this</h2>
<ul>
<li><b>facility</b>: the mean score on the question over its points (1 = everyone
got it). Flagged below {LOW_FACILITY:.2f}: less than 30 % of the marks earned.</li>
<li><b>item-rest r</b>: the correlation of the question's score with the rest of
the assignment (its total minus this question; for a one-point question, the
point-biserial correlation). Flagged below {LOW_DISCRIMINATION:.2f}, the floor of
Ebel and Frisbie's "marginal" band (0.20-0.29; 0.30-0.39 good, 0.40 and above very
good): below it, doing well on the rest says little about doing well here, which
is usually an unclear question or a test that marks right answers wrong.</li>
<li><b>D</b>: the question's mean score in the top 27 % of learners by total minus
that in the bottom 27 %, over its points (learners tied at a group's edge share
the places left). Read it with r; it uses only the two groups.</li>
<li><b>n</b>: graded learners counted; written answers still waiting for a grader
and answers that could not be graded are left out of a question's numbers.
Totals are before any late penalty.</li>
</ul>"""


def _assignment(analysis: Analysis, name: str) -> str:
    questions = [q for q in analysis.questions if q.assignment == name]
    outcomes = [o for o in analysis.outcomes if o.assignment == name]
    wrong = [w for w in analysis.wrong if w.assignment == name]
    totals = analysis.totals.get(name, [])
    parts = [f'<h2 id="a-{escape(name)}">{escape(name)}</h2>']
    parts.append(_figure(figures.scatter(name, questions),
                         f"{name}: facility against item-rest correlation",
                         "Each dot is a question: right = easier, up = better at "
                         "telling learners apart. Dots in the shaded band (r below "
                         f"{LOW_DISCRIMINATION}) or left of the dotted line "
                         f"(facility below {LOW_FACILITY}) are flagged in "
                         "vermillion."))
    parts.append(_figure(figures.histogram(name, totals, analysis.max_scores[name]),
                         f"{name}: histogram of total scores",
                         "Raw totals of the graded submissions (before late "
                         "penalties); the line is the mean."))
    if outcomes:
        parts.append(_figure(figures.outcome_bars(name, outcomes),
                             f"{name}: answers per question",
                             "For each autograded question, the share of answers "
                             "(learners x parts) that were right, showed a "
                             "catalogued mistake (each its own segment, labelled "
                             "with its id when wide enough), were wrong in another "
                             "way, blank, or could not be graded. Written answers "
                             "graded by hand have no verdicts and are not shown."))
    body = [[q.question, _num(q.points, 1), str(q.n), _num(q.facility),
             _num(q.item_rest), _num(q.upper_lower),
             "-" if q.blank is None else str(q.blank), str(q.ungraded),
             str(q.pending), "look at this" if q.flags else ""] for q in questions]
    parts.append(_table(
        ["question", "points", "n", "facility", "item-rest r", "D", "blank",
         "could not be graded", "pending", ""], body, {1, 2, 3, 4, 5, 6, 7, 8},
        ["flagged" if q.flags else "" for q in questions]))
    if wrong:
        parts.append("<h3>Most common wrong answers</h3>")
        parts.append(_table(
            ["question", "part", "how many", "answer", "misconception"],
            [[w.question, w.part or "", f"{w.count} of {w.of}", w.answer_text,
              w.description] for w in wrong], {2}))
        parts.append("<ul>" + "".join(f"<li>{escape(w.sentence)}</li>"
                                      for w in wrong[:8]) + "</ul>")
    return "\n".join(parts)


def _students(analysis: Analysis) -> str:
    body = [[s.student, s.name, s.assignment, s.status, s.timestamp,
             _num(s.raw_score), _num(s.max_score, 1), str(s.pending),
             str(s.late_days), _num(s.penalty), _num(s.score)]
            for s in analysis.students]
    table = _table(["student", "name", "assignment", "status", "submitted",
                    "raw score", "max", "pending", "late days", "penalty", "score"],
                   body, {5, 6, 7, 8, 9, 10})
    return f"""
<section id="students" class="names-students">
<h2>Students (this section names students)</h2>
<p>Do not share this section. Late policy: {escape(analysis.policy)}. The penalty
is in points, taken off the raw score; "pending" counts answers still waiting
for a grader.</p>
{table}
</section>"""


def render(analysis: Analysis, include_students: bool = True,
           generated: dt.datetime | None = None) -> str:
    """The whole report as one HTML string."""
    generated = generated or dt.datetime.now(dt.UTC)
    flagged = [q for q in analysis.questions if q.flags]
    look = "".join(
        f"<li><b>{escape(q.assignment)} / {escape(q.question)}</b>: "
        f"{escape(' '.join(q.flags))}</li>" for q in flagged) or \
        "<li>No question is flagged.</li>"
    notes = "".join(f"<li>{escape(n)}</li>" for n in analysis.notes)
    sections = "\n".join(_assignment(analysis, a) for a in analysis.assignments)
    count = len({s.student for s in analysis.students})
    students = _students(analysis) if include_students else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>Item analysis: {escape(analysis.course_id)}</title>
<style>{STYLE}</style></head>
<body>
<section id="questions">
<h1>Item analysis: {escape(analysis.course_id)}</h1>
<p class="note">Generated {generated:%Y-%m-%d %H:%M} UTC from the gradebook and
the graded submissions' verdicts: {count} students, {len(analysis.assignments)}
assignments, {len(analysis.questions)} questions. This section names no
learner.</p>
<h2 id="look">Look at these questions</h2>
<ul>{look}</ul>
{_guide()}
{sections}
{f'<h2 id="notes">Notes</h2><ul class="note">{notes}</ul>' if notes else ''}
</section>
{students}
</body></html>
"""
