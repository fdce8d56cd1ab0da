"""nbgrader configuration of the course (the repository root is the course root).

Instructors run nbgrader through ``tools/instructor.py`` (see the README), which
uses this file; plain ``nbgrader ...`` commands in the repository root do too.
"""

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    Execute,
    IgnorePattern,
    LimitOutput,
    NbGraderPreprocessor,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

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

c.Autograde.autograde_preprocessors = [
    CourseExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
