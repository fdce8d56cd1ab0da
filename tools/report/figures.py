"""The report's figures: facility against discrimination, scores, answer outcomes.

Each function returns a matplotlib ``Figure`` (object API, no pyplot), coloured
with the course's Okabe-Ito palette from ``course_utils.viz``; :func:`to_svg`
turns one into SVG with its text kept as text, so the report stays searchable.
The figures show question and mistake ids and counts, never a learner.
"""

from __future__ import annotations

import io
import math

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from course_utils.viz import OKABE_ITO
from tools.report.analysis import LOW_DISCRIMINATION, LOW_FACILITY, Outcomes, Question

RIGHT = OKABE_ITO["green"]
UNCATALOGUED = OKABE_ITO["vermillion"]
BLANK = OKABE_ITO["yellow"]
ERROR = OKABE_ITO["black"]
MISTAKES = [OKABE_ITO["orange"], OKABE_ITO["purple"], OKABE_ITO["sky_blue"],
            OKABE_ITO["blue"]]
FLAGGED = OKABE_ITO["vermillion"]
FINE = OKABE_ITO["blue"]


def scatter(assignment: str, questions: list[Question]) -> Figure:
    """Facility (x) against item-rest correlation (y), one labelled dot a question.

    >>> q = Question("a1", "uint8_bits", ["test_uint8_bits_2"], 1.0, False, n=9,
    ...              facility=0.6, item_rest=0.4)
    >>> "uint8_bits" in [t.get_text() for t in scatter("a1", [q]).axes[0].texts]
    True
    """
    shown = [q for q in questions if not math.isnan(q.item_rest)]
    fig = Figure(figsize=(7.5, 4.8))
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.11, top=0.93)
    ax = fig.add_subplot()
    ax.axhline(LOW_DISCRIMINATION, color=OKABE_ITO["black"], lw=0.8, ls="--")
    ax.axvline(LOW_FACILITY, color=OKABE_ITO["black"], lw=0.8, ls=":")
    ax.axhspan(-1.05, LOW_DISCRIMINATION, color=OKABE_ITO["yellow"], alpha=0.15, lw=0)
    ax.scatter([q.facility for q in shown], [q.item_rest for q in shown], s=28,
               color=[FLAGGED if q.flags else FINE for q in shown], zorder=3)
    for q in shown:
        ax.annotate(q.question, (q.facility, q.item_rest), fontsize=7,
                    xytext=(4, 3), textcoords="offset points")
    ax.set_xlim(-0.02, 1.08)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("facility (mean score / points)")
    ax.set_ylabel("item-rest correlation r")
    left_out = len(questions) - len(shown)
    note = f"; {left_out} without r (no spread or too few)" if left_out else ""
    ax.set_title(f"{assignment}: {len(shown)} questions{note}", fontsize=10)
    ax.text(LOW_FACILITY, -1.0, f" facility {LOW_FACILITY}", fontsize=7)
    ax.text(1.06, LOW_DISCRIMINATION, f"r {LOW_DISCRIMINATION} ", fontsize=7,
            ha="right", va="bottom")
    return fig


def histogram(assignment: str, totals: list[float], max_score: float) -> Figure:
    """The distribution of raw totals of the graded submissions."""
    fig = Figure(figsize=(7.5, 3.2))
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.16, top=0.9)
    ax = fig.add_subplot()
    top = max(max_score, max(totals, default=0.0), 1.0)
    bins = np.linspace(0, top, int(min(25, math.ceil(top))) + 1)
    ax.hist(totals, bins=bins, color=OKABE_ITO["sky_blue"],
            edgecolor=OKABE_ITO["black"], linewidth=0.6)
    if totals:
        mean = float(np.mean(totals))
        ax.axvline(mean, color=OKABE_ITO["vermillion"], lw=1.2)
        ax.text(mean, ax.get_ylim()[1] * 0.95, f" mean {mean:.1f}", fontsize=8,
                color=OKABE_ITO["vermillion"], va="top")
    ax.set_xlim(0, top)
    ax.set_xlabel(f"total score (of {max_score:g})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{assignment}: {len(totals)} graded submissions", fontsize=10)
    return fig


def outcome_bars(assignment: str, outcomes: list[Outcomes]) -> Figure:
    """One bar a question: shares of right, each catalogued mistake, other wrong,
    blank and ungradable answers (all parts together)."""
    height = 1.6 + 0.32 * max(1, len(outcomes))
    longest = max((len(o.question) for o in outcomes), default=4)
    fig = Figure(figsize=(7.5, height))
    fig.subplots_adjust(left=min(0.45, 0.04 + 0.0115 * longest), right=0.97,
                        bottom=1.05 / height, top=1 - 0.35 / height)
    ax = fig.add_subplot()
    for row, out in enumerate(outcomes):
        segments = [("right", out.right, RIGHT, "")]
        for i, (mistake, count) in enumerate(out.mistakes.most_common()):
            segments.append(("mistake", count, MISTAKES[i % len(MISTAKES)], mistake))
        segments += [("other", out.uncatalogued, UNCATALOGUED, ""),
                     ("blank", out.blank, BLANK, ""), ("error", out.error, ERROR, "")]
        whole = sum(s[1] for s in segments) or 1
        left = 0.0
        for _, count, colour, label in segments:
            if not count:
                continue
            width = count / whole
            ax.barh(row, width, left=left, color=colour, edgecolor="white",
                    linewidth=0.6)
            if label and width >= 0.08:
                ax.text(left + width / 2, row, label, ha="center", va="center",
                        fontsize=6, color=OKABE_ITO["black"])
            left += width
    ax.set_yticks(range(len(outcomes)), [o.question for o in outcomes], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of answers (learners x parts)")
    handles = [Patch(color=c, label=t) for c, t in (
        (RIGHT, "right"), (MISTAKES[0], "catalogued mistake (labelled)"),
        (UNCATALOGUED, "wrong, not catalogued"), (BLANK, "blank"),
        (ERROR, "could not be graded"))]
    fig.legend(handles=handles, loc="lower center", ncols=5, fontsize=7,
               frameon=False)
    ax.set_title(f"{assignment}: what the answers were", fontsize=10)
    return fig


def to_svg(fig: Figure) -> bytes:
    """The figure as SVG, text kept as text, no timestamp (same input, same bytes)."""
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "report"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
