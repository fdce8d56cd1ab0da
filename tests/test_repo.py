"""Facts about the repository that CI must keep true, each checked once here."""

import ast
import re
import subprocess
import sys

import nbformat
import pytest

from .conftest import ROOT

NOTEBOOKS = sorted(
    p
    for folder in ("notebooks", "source", "release")
    for p in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_stored_clean(path):
    """Valid, no outputs, no execution counts, the plain python3 kernelspec."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.get("outputs") == [], f"{path.name}: a cell has outputs"
            assert cell.get("execution_count") is None, f"{path.name}: execution count"
    assert nb.metadata.kernelspec == KERNELSPEC


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
        "import sys, course_utils, course_utils.bits, course_utils.quant, "
        "course_utils.checks, course_utils.workbook;"
        "heavy = {'transformers', 'matplotlib', 'ipywidgets'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------- nothing shipped gives answers
def _plain_answers() -> list[str]:
    """Texts that would give a graded answer away if found in a shipped file."""
    bits = [format(k, "08b") for k in (2, 6, 33, 100)]
    spaced = [f"{b[:4]} {b[4:]}" for b in bits] + [f"{b[:4]}_{b[4:]}" for b in bits]
    return bits + spaced + [
        r"value_unsigned\s*=\s*213", r"value_signed\s*=\s*-43",
        r"range_field\s*=\s*['\"]exponent", r"precision_field\s*=\s*['\"]",
        r"uint8_range\s*=\s*[(\[]", r"int8_range\s*=\s*[(\[]",
        r"\(0,\s*255\)", r"\(-128,\s*127\)",
        r"\(8,\s*23\)", r"\(5,\s*10\)", r"\(8,\s*7\)",
        r"bf16_info\s*=\s*torch", r"better_scheme\s*=\s*['\"]",
        r"more_precise\s*=\s*['\"]", r"larger_range\s*=\s*['\"]",
        r"dot_direction\s*=\s*['\"]",
        r"hand_zero_point\s*=\s*-?\d", r"hand_scale\s*=\s*[\d(]",
        r"N_PARAMS\s*\*\s*[124]",
        # workbook 4
        r"hand_scale_code\s*=\s*\d", r"hand_x_hat_largest\s*=\s*-?\d",
        r"hand_x_hat_tie\s*=\s*\d", r"['\"]mxfp6['\"]\s*:\s*\d",
        r"['\"]nf4_bf16['\"]\s*:\s*\d",
    ]


def _shipped_files() -> list:
    files = sorted((ROOT / "release").rglob("*.ipynb"))
    files += sorted(p for p in (ROOT / "course_utils").rglob("*.py"))
    return files


def test_no_plain_answers_in_release_or_package():
    files = _shipped_files()
    assert any(p.suffix == ".ipynb" for p in files), "release/ is empty"
    found = []
    for path in files:
        text = path.read_text()
        for pattern in _plain_answers():
            if re.search(pattern if "\\" in pattern or "(" in pattern else
                         re.escape(pattern), text):
                found.append(f"{path.relative_to(ROOT)}: {pattern}")
        # the byte of the byte question next to either of its readings
        if re.search(r"1101[ _]?0101", text) and re.search(r"(?<![\w.])(213|-43)\b",
                                                            text):
            found.append(f"{path.relative_to(ROOT)}: 11010101 with 213 or -43")
    assert not found, "graded answers in shipped files:\n" + "\n".join(found)


def test_no_hidden_tests_or_solutions_in_release():
    for path in sorted((ROOT / "release").rglob("*.ipynb")):
        text = path.read_text()
        for marker in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION"):
            assert marker not in text, f"{path.name}: {marker}"


def test_every_test_cell_ends_in_an_assert():
    for path in sorted((ROOT / "source").rglob("*.ipynb")) + sorted(
            (ROOT / "release").rglob("*.ipynb")):
        for cell in nbformat.read(path, 4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code":
                source = "\n".join(line for line in cell.source.splitlines()
                                   if "HIDDEN TESTS" not in line)
                body = ast.parse(source).body
                assert isinstance(body[-1], ast.Assert), (path.name, meta["grade_id"])


def test_the_catalogue_is_data_only():
    """course_utils/_catalogue.py holds literals (hashes, hints), no code."""
    tree = ast.parse((ROOT / "course_utils" / "_catalogue.py").read_text())
    for node in tree.body[1:]:
        assert isinstance(node, ast.Assign), ast.dump(node)[:80]
        ast.literal_eval(node.value)
