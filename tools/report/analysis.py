"""Item analysis of a graded class: per question, per wrong answer, per student.

Who counts: for each assignment, the learners whose submission was graded
(``status`` "graded"). A question's statistics use those of them whose answer to
it was graded: not waiting for a grader, and no cell of it that "could not be
graded". The total a question is compared with is the assignment's raw score
(before any late penalty: lateness says nothing about the question). Questions
are read from the verdicts (cells with the same ``question`` form one question,
its ``part`` s its parts); a cell no verdict names, such as a written answer
graded by hand, is a question of its own, named by its grade id.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from tools.report import stats
from tools.report.catalogue import describe
from tools.report.gradebook import Gradebook
from tools.report.late_policy import counted_days
from tools.report.verdicts import Verdicts

#: Flag a question whose item-rest correlation is below this. Ebel & Frisbie's
#: rule of thumb for discrimination: >= 0.40 very good, 0.30-0.39 good,
#: 0.20-0.29 marginal, < 0.20 poor (revise or drop); 0.20 is also the usual
#: floor for a corrected item-total correlation.
LOW_DISCRIMINATION = 0.20
#: Flag a question on which learners earned less than this share of the marks.
LOW_FACILITY = 0.30
#: Wrong answers listed per question part (the rest are counted together).
TOP_WRONG = 5
OTHER_WRONG = "(other wrong answers)"
NAMES_LEARNER = "(an answer that names a learner)"


@dataclass
class Question:
    """The statistics of one question of one assignment."""

    assignment: str
    question: str
    cells: list[str]
    points: float
    manual: bool
    n: int = 0
    facility: float = math.nan
    item_rest: float = math.nan
    upper_lower: float = math.nan
    blank: int | None = None
    ungraded: int = 0
    pending: int = 0
    flags: list[str] = field(default_factory=list)


@dataclass
class WrongAnswer:
    """A wrong answer to one question part and how many gave it."""

    assignment: str
    question: str
    part: str | None
    answer: str
    answer_text: str
    count: int
    of: int
    mistake: str | None
    description: str

    @property
    def sentence(self) -> str:
        """E.g. '6 of 31 wrote 00100011 for 33 (a place value added twice)'."""
        where = f" for {self.part}" if self.part is not None else ""
        if self.answer == OTHER_WRONG:
            return f"{self.count} of {self.of} gave other wrong answers{where}"
        return (f"{self.count} of {self.of} wrote {self.answer_text}{where} "
                f"({self.description})")


@dataclass
class Outcomes:
    """Counts of the answers to one question, all parts together (for the bars)."""

    assignment: str
    question: str
    right: int = 0
    mistakes: Counter = field(default_factory=Counter)
    uncatalogued: int = 0
    blank: int = 0
    error: int = 0


@dataclass
class StudentRow:
    """One student's result on one assignment."""

    student: str
    name: str
    assignment: str
    status: str
    timestamp: str
    raw_score: float
    max_score: float
    pending: int
    late_days: int
    penalty: float
    score: float


@dataclass
class Analysis:
    """Everything the CSV, the HTML and the figures show."""

    course_id: str
    assignments: list[str]
    questions: list[Question]
    wrong: list[WrongAnswer]
    outcomes: list[Outcomes]
    students: list[StudentRow]
    totals: dict[str, list[float]]
    max_scores: dict[str, float]
    policy: str
    notes: list[str]


def statuses(gradebook: Gradebook, verdicts: dict[tuple[str, str], Verdicts],
             grading_status: dict[str, dict]) -> dict[tuple[str, str], tuple[str, str]]:
    """``(status, reason)`` of every submission in the gradebook."""
    found = {}
    for key in gradebook.submissions:
        if key in verdicts:
            found[key] = (verdicts[key].status, verdicts[key].reason)
        else:
            entry = grading_status.get(f"{key[0]}/{key[1]}", {})
            found[key] = (entry.get("status", "graded"), entry.get("reason", ""))
    return found


def analyse(gradebook: Gradebook, verdicts: dict[tuple[str, str], Verdicts],
            catalogue: dict[str, dict[str, str]], plugin,
            grading_status: dict[str, dict] | None = None,
            cell_order: dict[str, list[str]] | None = None) -> Analysis:
    """Build the report's tables from the gradebook and the verdicts."""
    from tools.report.late_policy import describe as describe_policy

    status = statuses(gradebook, verdicts, grading_status or {})
    redact = _redactor(gradebook)
    questions, wrong, outcomes, totals, notes = [], [], [], {}, []
    for name, info in gradebook.assignments.items():
        graded = sorted(s for (s, a), (st, _) in status.items()
                        if a == name and st == "graded")
        missing = [s for s in graded if (s, name) not in verdicts]
        if missing:
            notes.append(f"{name}: {len(missing)} graded submission(s) have no "
                         "verdicts.json; their scores are counted, their answers "
                         "are not in the wrong-answer tables.")
        order = _order(info.cells, verdicts, name, (cell_order or {}).get(name))
        groups = _group_cells(order, verdicts, name, graded)
        named = {c for (_, a), v in verdicts.items() if a == name for c in v.cells}
        scores = np.array([[gradebook.submissions[(s, name)].scores.get(c, 0.0)
                            for c in order] for s in graded]).reshape(len(graded),
                                                                      len(order))
        total = scores.sum(axis=1)
        totals[name] = [float(t) for t in total]
        errors = sum(1 for (s, a), (st, _) in status.items()
                     if a == name and st != "graded")
        for question, cells in groups.items():
            q = _question(name, question, cells, info, graded, order, scores, total,
                          gradebook, verdicts, errors, manual=not named & set(cells))
            questions.append(q)
            if not q.manual:
                wrong += _wrong_answers(name, question, cells, graded, verdicts,
                                        catalogue, redact)
                outcomes.append(_outcomes(name, question, cells, graded, verdicts))
    return Analysis(
        gradebook.course_id, list(gradebook.assignments), questions, wrong, outcomes,
        student_rows(gradebook, status, plugin), totals,
        {n: i.max_score for n, i in gradebook.assignments.items()},
        describe_policy(plugin), notes)


def _order(cells: dict, verdicts: dict, assignment: str, given: list[str] | None
           ) -> list[str]:
    """Cells in notebook order when known, else as the verdicts list them."""
    seen: list[str] = [c for c in (given or []) if c in cells]
    for (_, a), v in verdicts.items():
        if a == assignment:
            seen += [c for c in v.cells if c in cells and c not in seen]
    return seen + sorted(c for c in cells if c not in seen)


def _group_cells(order: list[str], verdicts: dict, assignment: str,
                 graded: list[str]) -> dict[str, list[str]]:
    """question -> its cells; a cell without a verdict is its own question."""
    question_of: dict[str, str] = {}
    for student in graded:
        v = verdicts.get((student, assignment))
        for grade_id, cell in (v.cells.items() if v else ()):
            question_of.setdefault(grade_id, cell.question)
    groups: dict[str, list[str]] = defaultdict(list)
    for grade_id in order:
        groups[question_of.get(grade_id, grade_id)].append(grade_id)
    return dict(groups)


def _question(assignment, question, cells, info, graded, order, scores, total,
              gradebook, verdicts, errors, manual: bool) -> Question:
    columns = [order.index(c) for c in cells]
    q = Question(assignment, question, list(cells),
                 sum(info.cells[c].max_score for c in cells), manual)
    valid = np.ones(len(graded), dtype=bool)
    blank = 0
    for i, student in enumerate(graded):
        sub = gradebook.submissions[(student, assignment)]
        v = verdicts.get((student, assignment))
        outcome = [v.cells[c].outcome for c in cells if v and c in v.cells]
        if any(c in sub.pending for c in cells):
            q.pending += 1
            valid[i] = False
        elif "error" in outcome:
            q.ungraded += 1
            valid[i] = False
        if outcome and len(outcome) == len(cells) and set(outcome) == {"blank"}:
            blank += 1
    q.ungraded += errors
    q.blank = None if manual else blank
    item = scores[valid][:, columns].sum(axis=1)
    item_total = total[valid]
    q.n = int(valid.sum())
    if q.n and q.points > 0:
        q.facility = stats.facility(item, q.points)
        q.item_rest = stats.item_rest_correlation(item, item_total)
        q.upper_lower = stats.upper_lower_index(item, item_total, q.points)
    q.flags = flags(q)
    return q


def flags(q: Question) -> list[str]:
    """The "look at this question" sentences for a question (none if it is fine).

    >>> flags(Question("a", "q", ["q"], 1.0, False, n=30, facility=0.2,
    ...                item_rest=0.5, upper_lower=0.4))[0][:54]
    'facility 0.20 (below 0.30): the 30 learners earned 20%'
    """
    found = []
    if not math.isnan(q.facility) and q.facility < LOW_FACILITY:
        found.append(
            f"facility {q.facility:.2f} (below {LOW_FACILITY:.2f}): the {q.n} "
            f"learners earned {q.facility:.0%} of its marks; check that the "
            "question is clear, was taught first, and that its tests accept every "
            "right form of the answer.")
    if not math.isnan(q.item_rest) and q.item_rest < LOW_DISCRIMINATION:
        if q.item_rest < 0:
            why = ("learners who did better on the rest of the assignment did worse "
                   "here; check the answer key and the tests first.")
        else:
            why = ("learners who did well on the rest did barely better here; check "
                   "for an ambiguous question or a test that marks right answers "
                   "wrong.")
        found.append(f"item-rest r {q.item_rest:.2f} (below "
                     f"{LOW_DISCRIMINATION:.2f}, n = {q.n}): {why}")
    return found


def answer_key(answer) -> str:
    """The canonical answer as one comparable string (JSON, sorted keys).

    >>> answer_key({"b": [1, 2], "a": "x"})
    '{"a":"x","b":[1,2]}'
    """
    return json.dumps(answer, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def _wrong_answers(assignment, question, cells, graded, verdicts, catalogue,
                   redact) -> list[WrongAnswer]:
    found = []
    for grade_id in cells:
        tally: Counter = Counter()
        texts: dict[str, str] = {}
        mistakes: dict[str, Counter] = defaultdict(Counter)
        answered, part = 0, None
        for student in graded:
            v = verdicts.get((student, assignment))
            cell = v.cells.get(grade_id) if v else None
            if cell is None or cell.outcome == "error":
                continue
            answered += 1
            part = cell.part
            if cell.outcome != "wrong":
                continue
            key = answer_key(cell.answer)
            tally[key] += 1
            texts.setdefault(key, cell.answer_text or key)
            mistakes[key][cell.mistake] += 1
        ranked = sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))
        for key, count in ranked[:TOP_WRONG]:
            mistake = mistakes[key].most_common(1)[0][0]
            named = NAMES_LEARNER in (redact(texts[key]), redact(key))
            shown, text = ((NAMES_LEARNER, NAMES_LEARNER) if named
                           else (key, texts[key]))
            found.append(WrongAnswer(assignment, question, part, shown, text, count,
                                     answered, mistake,
                                     describe(catalogue, question, mistake)))
        rest = sum(count for _, count in ranked[TOP_WRONG:])
        if rest:
            found.append(WrongAnswer(assignment, question, part, OTHER_WRONG,
                                     OTHER_WRONG, rest, answered, None, ""))
    return found


def _outcomes(assignment, question, cells, graded, verdicts) -> Outcomes:
    out = Outcomes(assignment, question)
    for student in graded:
        v = verdicts.get((student, assignment))
        for grade_id in cells:
            cell = v.cells.get(grade_id) if v else None
            if cell is None:
                continue
            if cell.outcome == "wrong":
                if cell.mistake is None:
                    out.uncatalogued += 1
                else:
                    out.mistakes[cell.mistake] += 1
            else:
                setattr(out, cell.outcome, getattr(out, cell.outcome) + 1)
    return out


def student_rows(gradebook: Gradebook, status: dict, plugin) -> list[StudentRow]:
    """One row per student and assignment (``status`` as :func:`statuses` gives)."""
    rows = []
    for student in sorted(gradebook.students):
        person = gradebook.students[student]
        for name, info in gradebook.assignments.items():
            full = " ".join(p for p in (person.first_name, person.last_name) if p)
            sub = gradebook.submissions.get((student, name))
            if sub is None:
                rows.append(StudentRow(student, full, name, "not submitted", "", 0.0,
                                       info.max_score, 0, 0, 0.0, 0.0))
                continue
            st, reason = status[(student, name)]
            stamp = sub.timestamp.strftime("%Y-%m-%d %H:%M:%S UTC") if (
                sub.timestamp) else ""
            days = counted_days(plugin, sub.seconds_late) if sub.seconds_late else 0
            rows.append(StudentRow(
                student, full, name, st + (f": {reason}" if reason else ""), stamp,
                sub.raw_score, info.max_score, len(sub.pending), days, sub.penalty,
                sub.score))
    return rows


def _redactor(gradebook: Gradebook):
    """A function that hides any answer text naming a learner of the class."""
    words = set()
    for s in gradebook.students.values():
        for token in (s.id, s.first_name, s.last_name, s.email):
            if token and len(token.strip()) >= 3:
                words.add(token.strip())
    if not words:
        return lambda text: text
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(
        re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?!\w)",
        re.IGNORECASE)
    return lambda text: NAMES_LEARNER if pattern.search(text) else text
