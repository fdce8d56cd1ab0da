"""Write the nbgrader instructor notebooks and the self-check answer keys.

    .venv/bin/python tools/workbooks/build.py            # write source/ and keys
    .venv/bin/python tools/workbooks/build.py --check    # fail if anything differs

The answer keys (``course_utils/_answer_keys.py``) hold only keyed hashes of the
canonical answers; they are computed by running the solution cells, so they
always agree with ``source/``. Run ``tools/instructor.py release`` afterwards to
regenerate ``release/``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import pathlib
import sys

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import cells  # noqa: E402
import wb01_data_types  # noqa: E402
import wb02_loading_models  # noqa: E402
import wb03_linear_quantization  # noqa: E402

WORKBOOKS = [wb01_data_types, wb02_loading_models, wb03_linear_quantization]
KEYS_FILE = ROOT / "course_utils" / "_answer_keys.py"


def solution_namespace(nb: nbformat.NotebookNode) -> dict:
    """Run the given and solution cells (not the tests) and return their names."""
    namespace: dict = {"__name__": "__workbook__"}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("grade") or cell.id == "self_check":
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(cell.source, f"<{cell.id}>", "exec"), namespace)
    return namespace


def answer_keys(notebooks: dict[str, nbformat.NotebookNode]) -> dict[str, str]:
    """Keyed hashes of every hashed answer of every workbook."""
    from course_utils import checks

    keys: dict[str, str] = {}
    for name, nb in notebooks.items():
        namespace = solution_namespace(nb)
        for question, spec in checks.QUESTIONS[name].items():
            if spec.kind in ("kernel", "model"):
                continue
            keys.update(checks.hashes_for(question, namespace[question]))
    return keys


def render_keys(keys: dict[str, str]) -> str:
    lines = [
        '"""Keyed hashes of the workbook answers, for the self-check (generated).',
        "",
        "Written by tools/workbooks/build.py from the solutions in source/; do not",
        "edit. Each value is HMAC-SHA256 of an answer's canonical form, keyed per",
        "question (see course_utils.checks); no answer is stored in plain text.",
        '"""',
        "",
        "KEYS: dict[str, str] = {",
    ]
    for name in sorted(keys):
        lines.append(f'    "{name}":')
        lines.append(f'        "{keys[name]}",')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare with the files on disk")
    args = parser.parse_args(argv)
    outputs: dict[pathlib.Path, str] = {}
    notebooks = {}
    for workbook in WORKBOOKS:
        nb = cells.notebook(workbook.cells())
        notebooks[workbook.NAME] = nb
        path = ROOT / "source" / workbook.NAME / f"{workbook.NAME}.ipynb"
        outputs[path] = nbformat.writes(nb) + "\n"
    outputs[KEYS_FILE] = render_keys(answer_keys(notebooks))
    stale = [p for p, text in outputs.items()
             if not p.exists() or p.read_text() != text]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)}")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(outputs[path])
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
