"""Run learners' code in a bubblewrap sandbox: no files, network or host to reach.

A ``Sandbox`` is one slot (a uid of its own when grading runs as root), a
size-limited scratch folder with the caller's files, and the bwrap command line
around a program: private pid, network (only ``lo``), ipc and uts namespaces; a
read-only view of the system, the Python installation and the caller's extra
binds, nothing else of the host; rlimits; an optional memory/pids cgroup; a
cleared environment. ``run_command`` runs one program in a fresh sandbox and
reports how it ended. ``tools.grading.kernel`` runs a Jupyter kernel in one.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tools.grading import scratch as _scratch
from tools.grading.cgroup import Cgroup
from tools.grading.policy import Limits, sandbox_available

SCRATCH = "/scratch"
ETC_FILES = ("passwd", "group", "nsswitch.conf", "hosts", "host.conf", "localtime",
             "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives",
             "mime.types", "os-release", "fonts", "ssl/certs")
_MPL_CACHE = ".cache/matplotlib"  # in the scratch folder, seeded by _font_cache
HOST_ENV = {"PATH": "/usr/bin:/bin"}  # bwrap's own; the program's is set by --setenv
#: Sandbox paths no bind may go into: the sandbox makes them itself.
RESERVED = ("/tmp", SCRATCH, "/proc", "/dev")
_TOP_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_HINTS = (("MemoryError", "MemoryError: the address-space limit ({as_gib:.1f} GiB)"),
          ("File too large", "'File too large': the file-size limit"),
          ("No space left on device", "'No space left on device': the scratch "
                                      "folder is full"),
          ("Too many open files", "'Too many open files': the open-files limit"),
          ("Resource temporarily unavailable", "'Resource temporarily unavailable'"
                                               ": the process limit"))


@dataclass
class SandboxResult:
    """How a sandboxed command ended.

    ``returncode`` is the exit status, or 128 + N when signal N killed it (bwrap
    reports it so); ``killed_by`` names that signal; ``limit`` names the limit
    that stopped it (``"wall"``, ``"cpu"``, ``"memory"``, ...) or is ``""``;
    ``reason`` says it in one line.
    """

    returncode: int
    stdout: str
    stderr: str
    reason: str
    limit: str = ""
    timed_out: bool = False
    killed_by: str = ""
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the command exited with status 0 inside every limit."""
        return self.returncode == 0 and not self.limit


def _pipe_reader(stream, cap: int, sink: list[bytes]) -> threading.Thread:
    """Keep the first ``cap`` bytes of ``stream`` and drain the rest."""
    def run() -> None:
        kept = 0
        while chunk := stream.read(65536):
            if kept < cap:
                sink.append(chunk[:cap - kept])
                kept += len(sink[-1])
        stream.close()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


class Sandbox:
    """One prepared sandbox: a slot, its scratch folder, its bwrap command line.

    Args:
        files: put in the scratch folder before the run: relative name -> bytes
            or a host file or folder to copy.
        binds: extra read-only binds ``(host_path, sandbox_path)``.
        limits: the ``Limits``.
        env: extra environment variables for the program (nothing else of the
            grader's environment gets in).
        python: the interpreter; its ``sys.prefix`` and ``sys.base_prefix`` are
            bound read-only (defaults: this process's).
        rw_dirs: host folders bound read-write at the same path (the kernel
            manager's socket folder); keep them out of reach otherwise.

    Use as a context manager; ``scratch`` is the host path of the working folder,
    readable by the grader until ``close()`` (root mode; in user mode the
    scratch lives inside the sandbox only).

    >>> with Sandbox(files={"x.txt": b"42"}) as box:
    ...     box.run(["python", "-c", "print(open('x.txt').read())"]).stdout
    '42\\n'
    """

    def __init__(self, files: Mapping[str, _scratch.FileSource] | None = None,
                 binds: Sequence[tuple[str, str]] = (), limits: Limits | None = None,
                 env: Mapping[str, str] | None = None, python: str | None = None,
                 rw_dirs: Sequence[str] = (), base: str | None = None) -> None:
        self.limits = limits or Limits()
        if not isinstance(self.limits, Limits):
            raise TypeError(f"limits must be a Limits, got {type(limits).__name__}")
        self.binds = [(str(h), str(s)) for h, s in binds]
        for host, inside in [*self.binds, *((d, d) for d in rw_dirs)]:
            if not os.path.isabs(inside) or not os.path.exists(host) or any(
                    inside == top or inside.startswith(top + "/")
                    for top in RESERVED):
                raise ValueError(f"a bind is (existing host path, absolute sandbox "
                                 f"path outside {', '.join(RESERVED)}), got "
                                 f"({host!r}, {inside!r})")
        availability = sandbox_available()
        if not availability:
            raise RuntimeError(f"no sandbox: {availability.reason}; fix: "
                               f"{availability.fix}")
        self.mode = availability.mode
        self.python = shutil.which(python) if python else sys.executable
        if not self.python:
            raise ValueError(f"python must name an interpreter, got {python!r}")
        self._prefixes = self._python_prefixes(self.python)
        self.extra_env = dict(env or {})
        self.rw_dirs = [str(d) for d in rw_dirs]
        self.notes: list[str] = []
        self.slot = _scratch.Slot(pathlib.Path(base) if base else None)
        self.uid = self.slot.uid
        self.cgroup: Cgroup | None = None
        try:
            self._prepare(files or {})
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _python_prefixes(python: str) -> list[str]:
        if os.path.realpath(python) in (os.path.realpath(sys.executable),):
            prefixes = [sys.prefix, sys.base_prefix]
        else:
            out = subprocess.run([python, "-c", "import sys; print(sys.prefix); "
                                  "print(sys.base_prefix)"], capture_output=True,
                                 text=True, check=True, timeout=60)
            prefixes = out.stdout.split()
        return sorted({os.path.realpath(p) for p in prefixes})

    def _prepare(self, files: Mapping[str, _scratch.FileSource]) -> None:
        limits = self.limits
        files = {**_font_cache(), **files}
        if self.mode == "root":
            self.scratch = self.slot.path / "scratch"
            self.scratch.mkdir()
            _scratch.mount_tmpfs(self.scratch, limits.scratch_bytes,
                                 limits.scratch_inodes, self.uid)
            _scratch.populate(self.scratch, files, self.uid)
            (self.scratch / ".tmp").mkdir(mode=0o700)
            os.chown(self.scratch / ".tmp", self.uid, self.uid)
            self.cgroup = Cgroup.create(f"slot-{self.slot.number}", limits.memory,
                                        limits.processes)
            if self.cgroup is None:
                self.notes.append("no memory/pids cgroup: total memory is bounded "
                                  "only by processes x address_space")
        else:
            self.scratch = self.slot.path / "stage"
            self.scratch.mkdir()
            _scratch.populate(self.scratch, files, self.uid)
            self.notes.append("user mode: the scratch tmpfs lives in the sandbox; "
                              "its files are gone after the run")

    # ----------------------------------------------------------- command line

    def env(self) -> dict[str, str]:
        """The whole environment of the sandboxed program."""
        bins = [os.path.dirname(self.python)]  # its venv's bin first
        bins += [os.path.join(p, "bin") for p in self._prefixes]
        path = ":".join(dict.fromkeys([*bins, "/usr/bin", "/bin"]))
        env = {"PATH": path, "HOME": SCRATCH,
               "USER": "learner", "LOGNAME": "learner", "LANG": "C.UTF-8",
               "TMPDIR": "/tmp", "PYTHONNOUSERSITE": "1",
               "PYTHONDONTWRITEBYTECODE": "1",
               "MPLCONFIGDIR": f"{SCRATCH}/{_MPL_CACHE}",
               "IPYTHONDIR": "/tmp/ipython", "JUPYTER_CONFIG_DIR": "/tmp/jupyter",
               "JUPYTER_DATA_DIR": "/tmp/jupyter/data",
               "JUPYTER_RUNTIME_DIR": "/tmp/jupyter/runtime",
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               # glibc's per-thread malloc arenas reserve 64 MiB of address space
               # each: a torch kernel peaks at ~1.4 GiB of RLIMIT_AS with them,
               # ~0.85 GiB with two (measured on the workbooks, README)
               "MALLOC_ARENA_MAX": "2"}
        env.update(self.extra_env)
        return env

    def _mounts(self) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr"]
        for name in _TOP_DIRS:
            host = f"/{name}"
            if os.path.islink(host):
                args += ["--symlink", os.readlink(host), host]
            elif os.path.isdir(host):
                args += ["--ro-bind", host, host]
        args += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"]
        args += ["--perms", "0755", "--dir", "/etc"]
        for name in ETC_FILES:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        python_etc = [p for p in os.listdir("/etc") if p.startswith("python3")]
        for name in python_etc:
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        # scratch first: a Python installed under /tmp is bound on top of it
        if self.mode == "root":  # the host tmpfs: scratch, and its .tmp as /tmp
            args += ["--bind", str(self.scratch), SCRATCH,
                     "--bind", str(self.scratch / ".tmp"), "/tmp"]
        else:  # the sandbox's own tmpfs; the caller's files come from /.stage
            size = str(self.limits.scratch_bytes)
            args += ["--size", size, "--perms", "0700", "--tmpfs", SCRATCH,
                     "--size", size, "--perms", "0700", "--tmpfs", "/tmp",
                     "--ro-bind", str(self.scratch), "/.stage"]
        ro = [(p, p) for p in self._prefixes] + self.binds
        rw = [(d, d) for d in self.rw_dirs]
        made = {"/", "/usr", "/etc", "/proc", "/dev", SCRATCH, "/tmp"}
        for _, inside in sorted(ro + rw, key=lambda b: b[1].count("/")):
            for parent in list(pathlib.PurePosixPath(inside).parents)[::-1]:
                if str(parent) not in made:
                    made.add(str(parent))
                    args += ["--perms", "0111", "--dir", str(parent)]
        for host, inside in ro:
            args += ["--ro-bind", host, inside]
        for host, inside in rw:
            args += ["--bind", host, inside]
        return args

    def _rlimits(self) -> list[str]:
        lim = self.limits
        # RLIMIT_NPROC counts the tasks (threads too) of the real uid: in root
        # mode the slot's own uid; in user mode (Linux >= 5.14) those of the
        # sandbox's user namespace only, not the grader's other tasks.
        nproc = lim.processes
        return ["prlimit", f"--as={lim.address_space}",
                f"--cpu={lim.cpu_seconds}:{lim.cpu_seconds + 1}",
                f"--nproc={nproc}", f"--fsize={lim.file_size}",
                f"--nofile={lim.open_files}", "--core=0", "--"]

    def command(self, argv: Sequence[str]) -> list[str]:
        """The full host command line that runs ``argv`` in this sandbox."""
        if not argv or not all(isinstance(a, str) for a in argv):
            raise TypeError(f"argv must be a non-empty list of str, got {argv!r}")
        cmd = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net",
               "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
               "--die-with-parent", "--new-session"]
        if self.mode == "user":
            cmd += ["--unshare-user", "--disable-userns"]
        cmd += [*self._mounts(), "--chdir", SCRATCH, "--remount-ro", "/",
                "--clearenv"]
        for key, value in self.env().items():
            cmd += ["--setenv", key, value]
        cmd.append("--")
        if self.mode == "root":
            cmd += ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}",
                    "--clear-groups", "--no-new-privs", "--inh-caps=-all",
                    "--bounding-set=-all"]
        else:
            cmd += ["/bin/sh", "-c", 'cp -R /.stage/. . && exec "$@"', "sh"]
        cmd += [*self._rlimits(), *argv]
        if self.cgroup is not None:  # join the cgroup, then become bwrap
            cmd = ["/bin/sh", "-c", 'while [ "$1" != -- ]; do echo $$ > "$1" || '
                   'exit 125; shift; done; shift; exec "$@"', "sh",
                   *self.cgroup.procs_files, "--", *cmd]
        return cmd

    # ------------------------------------------------------------------ run

    def run(self, argv: Sequence[str], stdin: bytes | None = None) -> SandboxResult:
        """Run ``argv`` in the sandbox, wait (at most ``wall_seconds``), report."""
        cap = self.limits.output_bytes
        start = time.monotonic()
        proc = subprocess.Popen(
            self.command(argv), stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=HOST_ENV,
            cwd="/", start_new_session=True)
        out: list[bytes] = []
        err: list[bytes] = []
        readers = [_pipe_reader(proc.stdout, cap, out), _pipe_reader(proc.stderr, cap,
                                                                      err)]
        if stdin:
            try:
                proc.stdin.write(stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        timed_out = False
        try:
            proc.wait(timeout=self.limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            self.kill(proc)
            proc.wait()
        for reader in readers:
            reader.join(timeout=5)
        seconds = time.monotonic() - start
        stdout = b"".join(out).decode(errors="replace")
        stderr = b"".join(err).decode(errors="replace")
        return self._result(proc.returncode, stdout, stderr, timed_out, seconds)

    def kill(self, proc: subprocess.Popen | int) -> None:
        """Kill the sandbox: outer bwrap (its pid-1 init dies with it) and cgroup."""
        pid = proc if isinstance(proc, int) else proc.pid
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.cgroup is not None:
            self.cgroup.kill_all()

    def _result(self, code: int, stdout: str, stderr: str, timed_out: bool,
                seconds: float) -> SandboxResult:
        lim = self.limits
        if code < 0:  # bwrap itself killed (by us): report as 128 + N
            code = 128 - code
        killed_by = ""
        if code > 128 and code - 128 in set(signal.Signals):
            killed_by = signal.Signals(code - 128).name
        limit, reason = "", f"exit status {code}"
        if timed_out:
            limit = "wall"
            reason = (f"wall-clock timeout: still running after {lim.wall_seconds:g}"
                      f" s, the whole sandbox (pid namespace) was killed")
        elif self.cgroup is not None and self.cgroup.oom_killed():
            limit = "memory"
            reason = (f"out of memory: the sandbox's processes went over "
                      f"{lim.memory / 2**30:.1f} GiB in total and the kernel killed "
                      f"one ({killed_by or 'exit ' + str(code)})")
        elif killed_by == "SIGXCPU":
            limit = "cpu"
            reason = f"CPU time limit: more than {lim.cpu_seconds} s of CPU (SIGXCPU)"
        elif killed_by == "SIGXFSZ":
            limit = "file_size"
            reason = f"file-size limit: a file grew past {lim.file_size} bytes"
        elif killed_by == "SIGKILL":
            reason = ("killed by SIGKILL (the CPU hard limit, 1 s after SIGXCPU was "
                      "ignored, or a kill from inside)")
        elif killed_by:
            reason = f"killed by {killed_by}"
        if not limit and code != 0:
            hints = [text.format(as_gib=lim.address_space / 2**30)
                     for needle, text in _HINTS if needle in stderr]
            if hints:
                reason += "; its stderr mentions " + ", ".join(hints)
        return SandboxResult(code, stdout, stderr, reason, limit, timed_out,
                             killed_by, seconds)

    # -------------------------------------------------------------- cleanup

    def collect(self, dest: str | os.PathLike) -> list[str]:
        """Copy the scratch folder's regular files to ``dest`` (root mode only)."""
        if self.mode != "root":
            return []
        return _scratch.copy_out(self.scratch, pathlib.Path(dest),
                                 self.limits.scratch_bytes)

    def close(self) -> None:
        """Kill leftovers, remove the cgroup, unmount and delete, free the slot."""
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        self.slot.release()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _font_cache() -> dict[str, str]:
    """The grader's matplotlib font list, so no sandbox rebuilds it (~0.5 s)."""
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME")
                         or pathlib.Path.home() / ".cache") / "matplotlib"
    found = sorted(cache.glob("fontlist-v*.json")) if cache.is_dir() else []
    return {f"{_MPL_CACHE}/{found[-1].name}": str(found[-1])} if found else {}


def run_command(argv: Sequence[str], *, files: Mapping[str, _scratch.FileSource]
                | None = None, binds: Sequence[tuple[str, str]] = (),
                limits: Limits | None = None, env: Mapping[str, str] | None = None,
                python: str | None = None, stdin: bytes | None = None,
                collect_to: str | os.PathLike | None = None) -> SandboxResult:
    """Run ``argv`` in a fresh sandbox and report how it ended.

    ``argv[0]`` is looked up on the sandbox's PATH (the venv's ``bin`` first, so
    ``"python"`` is this interpreter). With ``collect_to`` the scratch folder's
    regular files are copied there afterwards (root mode) and listed in
    ``result.files``. Other arguments: see ``Sandbox``.

    >>> r = run_command(["python", "-c", "print(6 * 7)"])
    >>> r.returncode, r.stdout, r.reason
    (0, '42\\n', 'exit status 0')
    """
    with Sandbox(files=files, binds=binds, limits=limits, env=env,
                 python=python) as box:
        result = box.run(argv, stdin=stdin)
        if collect_to is not None:
            result.files = box.collect(collect_to)
        return result
