"""The sandbox's limits and whether a sandbox can be set up on this machine.

``Limits`` holds every number the sandbox enforces; ``sandbox_available()`` says
whether bubblewrap can build a sandbox here and, if not, why and how to fix it.
``refusal_message()`` is the one line grading prints when it refuses to run
learners' code without a sandbox.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

MiB = 1024 * 1024
GiB = 1024 * MiB

APT_FIX = "apt-get install -y bubblewrap util-linux"
USERNS_FIX = (
    "enable unprivileged user namespaces: sysctl -w user.max_user_namespaces=15000 "
    "(Debian kernels before 6.1 also: sysctl -w kernel.unprivileged_userns_clone=1; "
    "Ubuntu 24.04: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0), "
    "or grade as root"
)


@dataclass(frozen=True)
class Limits:
    """What one sandbox may use; every field is enforced (docs/sandbox.md).

    Args:
        address_space: RLIMIT_AS of every process, bytes (torch needs ~0.8 GiB).
        memory: total memory of all the sandbox's processes and its scratch
            tmpfs, bytes, through a memory cgroup (root with cgroups only).
        cpu_seconds: RLIMIT_CPU of every process (SIGXCPU, then SIGKILL 1 s later).
        wall_seconds: the whole sandbox (its pid namespace) is killed after this.
        processes: RLIMIT_NPROC of the sandbox's uid, threads included (root:
            one uid per slot; also the cgroup's pids.max).
        file_size: RLIMIT_FSIZE, the largest file a process may write, bytes.
        open_files: RLIMIT_NOFILE.
        scratch_bytes: size of the scratch tmpfs (working folder, HOME, /tmp).
        scratch_inodes: number of files and folders the scratch tmpfs holds.
        output_bytes: stdout and stderr kept of a command, each (the rest is read
            and dropped).

    >>> Limits().address_space == 2 * GiB
    True
    >>> Limits(cpu_seconds=0)
    Traceback (most recent call last):
    ...
    ValueError: Limits.cpu_seconds must be a positive number, got 0
    """

    address_space: int = 2 * GiB
    memory: int = 3 * GiB
    cpu_seconds: int = 120
    wall_seconds: float = 300.0
    processes: int = 64
    file_size: int = 64 * MiB
    open_files: int = 256
    scratch_bytes: int = 256 * MiB
    scratch_inodes: int = 4096
    output_bytes: int = 1 * MiB

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            allowed = (int, float) if field.name == "wall_seconds" else (int,)
            if isinstance(value, bool) or not isinstance(value, allowed):
                raise TypeError(f"Limits.{field.name} must be "
                                f"{'a number' if len(allowed) > 1 else 'an int'}, "
                                f"got {value!r}")
            if value <= 0:
                raise ValueError(f"Limits.{field.name} must be a positive number, "
                                 f"got {value!r}")

    def replace(self, **changes: int | float) -> Limits:
        """A copy with some fields changed (unknown names raise TypeError).

        >>> Limits().replace(processes=8).processes
        8
        """
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Availability:
    """Whether a sandbox can be set up, in which mode, and if not why and the fix.

    ``mode`` is ``"root"`` (bwrap as root, the learner as a real unprivileged
    uid) or ``"user"`` (bwrap with a user namespace, as the grading account).
    """

    ok: bool
    mode: str
    reason: str
    fix: str = ""

    def __bool__(self) -> bool:
        return self.ok


def _tools_missing() -> list[str]:
    return [tool for tool in ("bwrap", "setpriv", "prlimit")
            if shutil.which(tool) is None]


def _trial(mode: str) -> subprocess.CompletedProcess:
    """Build the smallest sandbox with the namespaces a real one uses."""
    argv = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net",
            "--unshare-uts", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--proc", "/proc", "--dev", "/dev"]
    if mode == "user":
        argv += ["--unshare-user", "--disable-userns"]
    argv += ["--", "/usr/bin/true"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin"})


@functools.cache
def sandbox_available() -> Availability:
    """Whether a bubblewrap sandbox can be built here (cached for the process).

    Returns an ``Availability``: true when usable; otherwise ``reason`` is one
    line and ``fix`` the command that fixes it.

    >>> isinstance(sandbox_available().reason, str)
    True
    """
    mode = "root" if os.geteuid() == 0 else "user"
    missing = _tools_missing()
    if missing:
        return Availability(False, mode, f"{', '.join(missing)} not found on PATH",
                            APT_FIX)
    try:
        trial = _trial(mode)
    except (OSError, subprocess.TimeoutExpired) as error:
        return Availability(False, mode, f"bwrap could not run: {error}", APT_FIX)
    if trial.returncode != 0:
        message = (trial.stderr.strip().splitlines() or ["(no message)"])[-1]
        fix = USERNS_FIX if mode == "user" else (
            "run where namespaces may be created (a container needs "
            "--privileged or CAP_SYS_ADMIN)")
        return Availability(False, mode, f"bwrap cannot create namespaces: {message}",
                            fix)
    return Availability(True, mode, f"bubblewrap sandbox available ({mode} mode)")


def refusal_message(availability: Availability | None = None) -> str:
    """The line grading prints when it refuses to run without a sandbox.

    >>> "--unsafe-no-sandbox" in refusal_message(Availability(False, "user", "x", "y"))
    True
    """
    if availability is None:
        availability = sandbox_available()
    return (f"Grading refused: the sandbox for learners' code is not available "
            f"({availability.reason}). Fix: {availability.fix}. To grade anyway, "
            f"with learners' code running unconfined as you, pass "
            f"--unsafe-no-sandbox.")
