"""nbgrader configuration of the course (the repository root is the course root).

Instructors run nbgrader through ``tools/instructor.py`` (see the README), which
uses this file; plain ``nbgrader ...`` commands in the repository root do too.
"""

import pathlib
import sys

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    Execute,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    NbGraderPreprocessor,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

# The late policy lives in tools/report/ (installed with the course; when this file
# is read from the repository root, that root also works without the install).
_HERE = str(pathlib.Path(__file__).resolve().parent)  # __file__: set by traitlets
if pathlib.Path(_HERE, "tools", "report").is_dir() and _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from tools.report.late_feedback import LateNote  # noqa: E402
from tools.report.late_policy import PerDayLatePenalty  # noqa: E402

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


class CourseExecute(Execute):
    """nbgrader's Execute, but a kernel that dies gives a graded result.

    When a submission kills its kernel (``os._exit``, a segfault, running out of
    memory) nbclient raises ``DeadKernelError`` and nbgrader would drop the whole
    notebook. Here the cell that killed it gets an error output, the cells after it
    get one saying they did not run, and grading goes on: answers checked before
    the crash keep their points, the rest get 0.
    """

    def preprocess(self, nb, resources=None, km=None):
        from nbclient.exceptions import DeadKernelError

        self._course_dead = None
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError:
            self._course_mark_dead(nb)
            return nb, resources

    def preprocess_cell(self, cell, resources, index):
        from nbclient.exceptions import DeadKernelError

        if self._course_dead is not None:
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._course_dead = index
            raise

    def _course_mark_dead(self, nb):
        start = self._course_dead if self._course_dead is not None else 0
        for index, cell in enumerate(nb.cells):
            if index < start or cell.cell_type != "code":
                continue
            text = ("The kernel died while this cell ran (os._exit, a crash or out "
                    "of memory)." if index == start else
                    "Not run: the kernel had died in an earlier cell.")
            cell.outputs = [NotebookNode(
                output_type="error", ename="DeadKernelError", evalue=text,
                traceback=[f"DeadKernelError: {text}"])]


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

c.Autograde.autograde_preprocessors = [
    CourseExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
