"""The deployment files agree with the project's pins (docker cannot build here).

``deploy/k8s/Dockerfile`` and ``deploy/k8s/values.yaml`` must install the same
torch as the Makefile and the same packages as ``constraints.txt``, so that the
image, ``make lab`` and ``make hub`` cannot drift apart.
"""

from __future__ import annotations

import doctest
import json
import re
import sys

import pytest
import yaml

from .conftest import ROOT

DEPLOY = ROOT / "deploy"
sys.path.insert(0, str(DEPLOY / "hub"))
sys.path.insert(0, str(DEPLOY / "hub" / "site"))

import provision  # noqa: E402


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, sep, version = line.strip().partition("==")
        if sep:
            pins[name.lower().replace("_", "-")] = version
    return pins


def _dockerfile_runs() -> list[str]:
    """The Dockerfile's RUN instructions, continuation lines joined."""
    text = (DEPLOY / "k8s" / "Dockerfile").read_text()
    text = re.sub(r"\\\n\s*", " ", text)
    return [ln[4:] for ln in text.splitlines() if ln.startswith("RUN ")]


def test_makefile_torch_pin_is_in_constraints():
    torch = provision.makefile_torch()
    assert torch == f"torch=={_constraints()['torch']}"


def test_dockerfile_installs_the_pinned_cpu_torch_before_the_project():
    runs = _dockerfile_runs()
    torch_at = [i for i, r in enumerate(runs) if re.search(r"\btorch==", r)]
    project_at = [i for i, r in enumerate(runs) if "-c constraints.txt" in r
                  and "'.[hub]'" in r]
    assert torch_at and project_at, runs
    assert torch_at[0] < project_at[0], "torch must be installed first"
    pinned = re.search(r"\btorch==([\w.+]+)", runs[torch_at[0]]).group(1)
    assert f"torch=={pinned}" == provision.makefile_torch()
    assert "download.pytorch.org/whl/cpu" in runs[torch_at[0]]
    text = (DEPLOY / "k8s" / "Dockerfile").read_text()
    assert re.search(r"^COPY constraints\.txt ", text, re.MULTILINE)


def test_dockerfile_python_satisfies_every_pin():
    # soupsieve 4.1.3 (and others) need Python >= 3.11.5
    text = (DEPLOY / "k8s" / "Dockerfile").read_text()
    version = re.search(r"^FROM python:(\d+)\.(\d+)\.(\d+)", text, re.MULTILINE)
    assert version, "pin the base image's Python to a patch release"
    assert tuple(map(int, version.groups())) >= (3, 11, 5)


def test_values_pins_agree_with_constraints_and_makefile():
    values = yaml.safe_load((DEPLOY / "k8s" / "values.yaml").read_text())
    pins = values["course"]["pins"]
    constraints = _constraints()
    assert pins["jupyterhub"] == constraints["jupyterhub"]
    assert pins["nbgrader"] == constraints["nbgrader"]
    assert f"torch=={pins['torch']}" == provision.makefile_torch()
    tag = values["singleuser"]["image"]["tag"]
    assert f"torch-{pins['torch']}" in tag and f"jupyterhub-{pins['jupyterhub']}" in tag
    assert values["course"]["id"] == provision.COURSE
    roles = values["hub"]["loadRoles"]
    assert {f"formgrade-{provision.COURSE}", f"nbgrader-{provision.COURSE}"} <= set(
        roles)
    for name, snippet in values["hub"]["extraConfig"].items():
        compile(snippet, f"values.yaml:hub.extraConfig.{name}", "exec")


def test_course_id_is_the_one_in_nbgrader_config():
    text = (ROOT / "nbgrader_config.py").read_text()
    assert f'c.CourseDirectory.course_id = "{provision.COURSE}"' in text


def test_proxy_pin_is_locked():
    package = json.loads((DEPLOY / "hub" / "package.json").read_text())
    lock = json.loads((DEPLOY / "hub" / "package-lock.json").read_text())
    wanted = package["dependencies"]["configurable-http-proxy"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", wanted), "pin an exact version"
    locked = lock["packages"]["node_modules/configurable-http-proxy"]["version"]
    assert locked == wanted


def test_hub_config_files_compile():
    for path in [DEPLOY / "hub" / "jupyterhub_config.py",
                 *(DEPLOY / "hub" / "jupyter").rglob("*.py")]:
        compile(path.read_text(), str(path), "exec")
    for path in (DEPLOY / "hub" / "jupyter").rglob("*.json"):
        json.loads(path.read_text())


@pytest.mark.parametrize("module", ["course_hub.exchange",
                                    "course_hub.formgrader_frames", "provision"])
def test_doctests(module):
    pytest.importorskip("nbgrader")
    mod = __import__(module, fromlist=["_"])
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_make_private(tmp_path):
    from course_hub.exchange import DIR_MODE, FILE_MODE, make_private

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.ipynb").write_text("{}")
    make_private(str(tmp_path))
    assert tmp_path.stat().st_mode & 0o7777 == DIR_MODE
    assert (tmp_path / "sub").stat().st_mode & 0o7777 == DIR_MODE
    assert (tmp_path / "sub" / "a.ipynb").stat().st_mode & 0o7777 == FILE_MODE
