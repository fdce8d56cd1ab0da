"""nbgrader configuration of the course (the repository root is the course root).

Instructors run nbgrader through ``tools/instructor.py`` (see the README), which
uses this file; plain ``nbgrader ...`` commands in the repository root do too.
"""

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    NbGraderPreprocessor,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from tools.grading.execute import GradeInSandbox
from tools.report.late_feedback import LateNote
from tools.report.late_policy import PerDayLatePenalty

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "quantization-fundamentals"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# never copy editor litter into the student version
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store",
]

# Student versions: the standard stubs; every notebook runs with plain python3.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.OverwriteKernelspec.enabled = True

# Put back graded cells a learner deleted (they are then graded as usual).
c.OverwriteCells.add_missing_cells = True

# Workbook cells take well under a second, the set-up cell (importing torch) a
# few seconds; 30 s stops an infinite loop without failing a slow, busy machine.
# The kernel gets 60 s to start.
c.Execute.timeout = 30
c.Execute.startup_timeout = 60
c.Execute.interrupt_on_timeout = True
# after a timeout the interrupted cell's last output may come late: wait for it,
# and never fail the whole notebook because of it
c.Execute.iopub_timeout = 10
c.Execute.raise_on_iopub_timeout = False
# the graded notebook is finished: stop its kernel at once (saves ~3 s each)
c.Execute.shutdown_kernel = "immediate"

# A flood of output is cut, so feedback stays readable and the gradebook small.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60

# nbgrader gives 0 to a test cell that writes to stderr. Only an exception (a
# failed assert) means a wrong answer here, so stderr (warnings, progress bars,
# a learner's own messages) is removed from the graded notebook before scoring.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"[\s\S]*"


class DropDuplicateMarks(NbGraderPreprocessor):
    """Remove the empty nbgrader metadata DeduplicateIds leaves on duplicated cells.

    nbgrader 0.9.6 keeps the last copy of a duplicated cell and empties the
    others' nbgrader metadata to ``{}``; OverwriteCells.add_missing_cells then
    fails on them (KeyError 'grade_id'). Without the mark they are plain cells.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.metadata.get("nbgrader", None) == {}:
            del cell.metadata["nbgrader"]
        return cell, resources


c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    DropDuplicateMarks,
    OverwriteKernelspec,
    OverwriteCells,
    CheckCellMetadata,
]

# Late submissions (nbgrader itself offers only "none" or "zero"): 10 % of the
# score per started day after a 15-minute grace period, at most 50 %. nbgrader
# applies it when autograding; feedback, export and report apply it again to the
# current score, so answers graded by hand later are penalised alike.
c.AssignLatePenalties.plugin_class = PerDayLatePenalty
c.PerDayLatePenalty.percent_per_day = 10.0
c.PerDayLatePenalty.max_percent = 50.0
c.PerDayLatePenalty.grace_minutes = 15.0
# Due dates, written into the gradebook by `make grade` (times are UTC), e.g.
# c.DueDates.dates = {"01_data_types": "2026-03-02 23:59:00 UTC"}
c.DueDates.dates = {}

# Feedback: a note at the top says the due date, the days late and the penalty.
c.GenerateFeedback.preprocessors = [LateNote, GetGrades, CSSHTMLHeaderPreprocessor]


# Grading runs the learner's code in an OS sandbox and judges the tests apart, on
# the answers it exports as plain data (tools/grading/execute.py). Only an explicit
# `--unsafe-no-sandbox` from the instructor switches the sandbox off.
c.Autograde.autograde_preprocessors = [
    GradeInSandbox,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
