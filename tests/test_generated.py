"""Every generated file is what its definition makes: `make generate CHECK=1`.

Lessons (`notebooks/`), workbooks (`source/`), the self-check catalogue
(`course_utils/_catalogue.py`) and the student versions (`release/`, by nbgrader)
are written by `python -m tools.generate`; a stale one fails here.
"""

import subprocess
import sys

from .conftest import ROOT


def test_no_generated_file_is_stale():
    result = subprocess.run([sys.executable, "-m", "tools.generate", "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout
