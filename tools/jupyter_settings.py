"""Install the course's own JupyterLab settings into a Python environment.

    python -m tools.jupyter_settings            # into this Python's prefix
    python -m tools.jupyter_settings --check    # exit 1 if not installed

Two files of the repository's ``jupyter/`` folder, put where JupyterLab of that
environment reads them (``make setup`` runs this):

- ``overrides.json`` -> ``<prefix>/share/jupyter/lab/settings/overrides.json``:
  default settings; here no "Would you like to get notified about official
  Jupyter news?" prompt and no update check (the course runs offline);
- ``page_config.json`` -> ``<prefix>/etc/jupyter/labconfig/page_config.json``,
  merged into what is there (``jupyter labextension disable`` writes the same
  file): front-end plugins switched off; here nbgrader's "Create Assignment"
  sidebar, which learners do not need and instructors do not use (the
  workbooks are generated from ``tools/workbooks/``). nbgrader's Formgrader,
  Validate and assignment list stay.

A user's own settings (``~/.jupyter/lab/user-settings``) still win over these.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

__all__ = ["install", "installed", "targets"]

SOURCE = pathlib.Path(__file__).resolve().parents[1] / "jupyter"


def targets(prefix: str | pathlib.Path = sys.prefix) -> dict[str, pathlib.Path]:
    """Where each file of ``jupyter/`` goes under ``prefix``.

    >>> sorted(targets("/venv"))
    ['overrides.json', 'page_config.json']
    >>> str(targets("/venv")["overrides.json"])
    '/venv/share/jupyter/lab/settings/overrides.json'
    """
    prefix = pathlib.Path(prefix)
    return {
        "overrides.json": prefix / "share/jupyter/lab/settings/overrides.json",
        "page_config.json": prefix / "etc/jupyter/labconfig/page_config.json",
    }


def _wanted(name: str) -> dict:
    return json.loads((SOURCE / name).read_text())


def _merged(current: dict, wanted: dict) -> dict:
    """``current`` with every key of ``wanted`` set (one level of dicts merged)."""
    out = dict(current)
    for key, value in wanted.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _read(path: pathlib.Path) -> dict:
    if not path.exists():
        return {}
    data = json.loads(path.read_text() or "{}")
    if not isinstance(data, dict):
        raise ValueError(f"{path} should hold a JSON object")
    return data


def installed(prefix: str | pathlib.Path = sys.prefix) -> list[str]:
    """The files of ``jupyter/`` whose settings are missing under ``prefix``."""
    missing = []
    for name, path in targets(prefix).items():
        current = _read(path)
        if _merged(current, _wanted(name)) != current:
            missing.append(name)
    return missing


def install(prefix: str | pathlib.Path = sys.prefix) -> list[pathlib.Path]:
    """Write (merge) the course's settings under ``prefix``; return the paths."""
    written = []
    for name, path in targets(prefix).items():
        current = _read(path)
        merged = _merged(current, _wanted(name))
        if merged != current or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(merged, indent=2) + "\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default=sys.prefix,
                        help="the environment's prefix (default: this Python's)")
    parser.add_argument("--check", action="store_true",
                        help="only check; exit 1 if a setting is missing")
    args = parser.parse_args(argv)
    if args.check:
        missing = installed(args.prefix)
        for name in missing:
            print(f"not installed: {name} (run `make setup`)")
        return 1 if missing else 0
    for path in install(args.prefix):
        print(f"course JupyterLab settings: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
