"""The course's tools: lesson and workbook definitions, the generator, grading.

- :mod:`tools.nbbuild`: clean notebooks from cells (the one notebook writer);
- :mod:`tools.lessons`: the lesson notebooks' definitions;
- :mod:`tools.workbooks`: the graded workbooks, each question declared once;
- :mod:`tools.generate`: ``python -m tools.generate [--check]`` writes (or checks)
  every generated file;
- :mod:`tools.instructor`: the instructor's commands (``make release``, ...);
- :mod:`tools.grading`: the grading engine and its sandbox;
- :mod:`tools.report`: what the class got wrong, LMS exports, the late policy;
- :mod:`tools.jupyter_settings`: the course's JupyterLab settings (``make setup``).
"""

import os as _os
import sys as _sys

# nbgrader runs the `alembic` command whenever it opens a gradebook, so the
# interpreter's bin (the venv's) goes first on PATH for every tool, report and
# bench that imports this package, however it was started.
_BIN = _os.path.dirname(_sys.executable)
if _BIN not in _os.environ.get("PATH", "").split(_os.pathsep):
    _os.environ["PATH"] = _BIN + _os.pathsep + _os.environ.get("PATH", "")
