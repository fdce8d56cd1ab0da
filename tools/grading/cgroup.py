"""A memory and process cgroup per sandbox: the caps that rlimits cannot give.

RLIMIT_AS bounds one process, so N processes may together use N times it, and
tmpfs pages count against no rlimit. A cgroup bounds the sum. Only root can
create one (cgroup v1 ``memory`` + ``pids`` hierarchies, or v2 with those
controllers); elsewhere ``Cgroup.create`` returns None and the sandbox says so.
"""

from __future__ import annotations

import os
import pathlib
import time

from tools.grading.scratch import kill_until_gone

ROOT = pathlib.Path("/sys/fs/cgroup")
PARENT = "course-sandbox"


def _write(path: pathlib.Path, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _fresh(path: pathlib.Path, version: int) -> None:
    """Make the cgroup folder ``path`` anew: a leftover keeps old counters.

    A crashed grader may leave one (its OOM count would be reported as this
    sandbox's, its dying tasks would count against this sandbox's pids.max).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        Cgroup([path], version).remove()
    try:
        path.mkdir()
    except FileExistsError:
        raise RuntimeError(f"the leftover cgroup {path} still has tasks that do "
                           f"not die; no sandbox can use it") from None


class Cgroup:
    """One sandbox's cgroup(s): ``procs_files`` to join, then oom/kill/remove."""

    def __init__(self, dirs: list[pathlib.Path], version: int) -> None:
        self.dirs = dirs
        self.version = version

    @classmethod
    def create(cls, name: str, memory: int, pids: int) -> Cgroup | None:
        """Make ``course-sandbox/<name>`` with the two limits, or None if impossible.

        >>> Cgroup.create("x/y", 1, 1)
        Traceback (most recent call last):
        ...
        ValueError: a cgroup name is one path component, got 'x/y'
        """
        if "/" in name or name in ("", ".", ".."):
            raise ValueError(f"a cgroup name is one path component, got {name!r}")
        if os.geteuid() != 0:
            return None
        try:
            if (ROOT / "memory" / "memory.limit_in_bytes").exists():
                return cls._create_v1(name, memory, pids)
            controllers = (ROOT / "cgroup.controllers")
            if controllers.exists() and {"memory", "pids"} <= set(
                    controllers.read_text().split()):
                return cls._create_v2(name, memory, pids)
        except OSError:
            return None
        return None

    @classmethod
    def _create_v1(cls, name: str, memory: int, pids: int) -> Cgroup | None:
        if not (ROOT / "pids" / "pids.max").exists() and not (ROOT / "pids").is_dir():
            return None
        mem = ROOT / "memory" / PARENT / name
        pid = ROOT / "pids" / PARENT / name
        for path in (mem, pid):
            _fresh(path, 1)
        _write(mem / "memory.limit_in_bytes", str(memory))
        swap = mem / "memory.memsw.limit_in_bytes"
        if swap.exists():
            try:
                _write(swap, str(memory))
            except OSError:
                pass
        _write(pid / "pids.max", str(pids))
        return cls([mem, pid], 1)

    @classmethod
    def _create_v2(cls, name: str, memory: int, pids: int) -> Cgroup | None:
        parent = ROOT / PARENT
        parent.mkdir(exist_ok=True)
        for where in (ROOT, parent):
            _write(where / "cgroup.subtree_control", "+memory +pids")
        group = parent / name
        _fresh(group, 2)
        _write(group / "memory.max", str(memory))
        if (group / "memory.swap.max").exists():
            _write(group / "memory.swap.max", "0")
        _write(group / "pids.max", str(pids))
        return cls([group], 2)

    @property
    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files a process writes its pid to, to join."""
        return [str(path / "cgroup.procs") for path in self.dirs]

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process here for going over ``memory``."""
        try:
            if self.version == 1:
                text = (self.dirs[0] / "memory.oom_control").read_text()
            else:
                text = (self.dirs[0] / "memory.events").read_text()
        except OSError:
            return False
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip() not in ("", "0"):
                return True
        return False

    def pids(self) -> list[int]:
        """Pids still in the cgroup."""
        found: set[int] = set()
        for procs in self.procs_files:
            try:
                found.update(int(p) for p in pathlib.Path(procs).read_text().split())
            except OSError:
                pass
        return sorted(found)

    def kill_all(self) -> None:
        """SIGKILL every process left in the cgroup and wait for them to go."""
        if self.version == 2 and (self.dirs[0] / "cgroup.kill").exists():
            try:
                _write(self.dirs[0] / "cgroup.kill", "1")
            except OSError:
                pass
        kill_until_gone(self.pids, wait=10.0)  # tasks in the middle of an OOM kill

    def remove(self) -> None:
        """Kill what is left, then delete the cgroup folders."""
        self.kill_all()
        for path in self.dirs:
            for _ in range(500):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
