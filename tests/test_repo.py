"""Facts about the repository that CI must keep true."""

import json
import re
import subprocess
import sys

import pytest

from .conftest import ROOT

NOTEBOOKS = sorted(
    p
    for folder in ("notebooks", "source", "release")
    for p in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_stored_clean(path):
    """No outputs, no execution counts, kernelspec python3."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: a cell has outputs"
            assert cell.get("execution_count") is None, f"{path.name}: execution count"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5


def test_ci_runs_the_readme_test_command():
    """`.ci/run` calls exactly the test command that README.md tells people to run."""
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    match = re.search(r"^\s*(make test)\s*$", readme, re.MULTILINE)
    assert match, "README.md must show the test command `make test` on its own line"
    ci_lines = [line.strip() for line in ci.splitlines()]
    assert match.group(1) in ci_lines


def test_import_is_light():
    """`import course_utils` and its kernels do not pull in the heavy libraries."""
    code = (
        "import sys, course_utils, course_utils.bits, course_utils.quant;"
        "heavy = {'transformers', 'matplotlib', 'ipywidgets'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
