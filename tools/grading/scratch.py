"""The host side of a sandbox: its uid slot, its folders, its scratch tmpfs.

Root mode: slot ``n`` (an flock on ``<base>/slot-n.lock``) owns uid
``UID_BASE + n`` (skipped if an account has it) and the folder
``<base>/slot-n/``, whose ``scratch/`` is a size-limited tmpfs mounted on the
host, owned by that uid, so the grader can read it after the sandbox is gone.
User mode has the folder but no host tmpfs (an unprivileged user cannot mount
one): the sandbox gets its own ``--size`` tmpfs and the caller's files are copied
in from ``stage/``.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import pathlib
import pwd
import shutil
import signal
import stat
import time
from collections.abc import Callable, Mapping

UID_BASE = 61000
SLOTS = 32
ROOT_BASE = "/run/course-sandbox"
_MS_NOSUID, _MS_NODEV, _MNT_DETACH = 2, 4, 2
_libc = ctypes.CDLL(None, use_errno=True)

FileSource = str | os.PathLike | bytes


def default_base() -> pathlib.Path:
    """Where slots live: /run/course-sandbox for root, else a private folder.

    Not under /tmp: the kernel's socket folder is bound into the sandbox at its
    host path, and the sandbox's /tmp is its scratch.
    """
    if os.geteuid() == 0:
        return pathlib.Path(ROOT_BASE)
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    parent = runtime if runtime and os.path.isdir(runtime) else "/var/tmp"
    return pathlib.Path(parent) / f"course-sandbox-{os.geteuid()}"


def _is_mount(path: pathlib.Path) -> bool:
    try:
        return os.path.ismount(path)
    except OSError:
        return False


def mount_tmpfs(target: pathlib.Path, size: int, inodes: int, uid: int) -> None:
    """Mount a tmpfs of ``size`` bytes and ``inodes`` files on ``target``."""
    options = f"size={size},nr_inodes={inodes},mode=0700,uid={uid},gid={uid}"
    if _libc.mount(b"tmpfs", os.fsencode(target), b"tmpfs",
                   _MS_NOSUID | _MS_NODEV, options.encode()) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"mount tmpfs on {target}: {os.strerror(code)}")


def unmount(target: pathlib.Path) -> None:
    """Detach the mount on ``target`` (lazily, so it cannot be busy)."""
    if _is_mount(target) and _libc.umount2(os.fsencode(target), _MNT_DETACH) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"umount {target}: {os.strerror(code)}")


def _uid_taken(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


class Slot:
    """A locked slot: its number, uid and folder (released by ``release``)."""

    def __init__(self, base: pathlib.Path | None = None, slots: int = SLOTS,
                 uid_base: int = UID_BASE) -> None:
        self.base = pathlib.Path(base or default_base())
        self.base.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o711 if os.geteuid() == 0 else 0o700)
        for number in range(slots):
            if os.geteuid() == 0 and _uid_taken(uid_base + number):
                continue  # a real account: never run learners' code as it
            lock = os.open(self.base / f"slot-{number}.lock",
                           os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                os.close(lock)
                if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    continue
                raise
            uid = uid_base + number if os.geteuid() == 0 else os.getuid()
            # freeing a slot waits for its tasks to go; here only a crashed
            # grader's leftovers are left, and one that will not die (a zombie
            # nobody reaps still counts against RLIMIT_NPROC) rules the slot out
            if os.geteuid() == 0 and not end_processes_of(uid, wait=2.0):
                os.close(lock)
                continue
            self._lock = lock
            self.number = number
            self.uid = uid
            self.path = self.base / f"slot-{number}"
            self._clear()
            self.path.mkdir(mode=0o711)
            return
        raise RuntimeError(f"all {slots} sandbox slots in {self.base} are in use")

    def _clear(self) -> None:
        """Remove what a previous holder of the slot (maybe crashed) left."""
        if self.path.exists():
            for child in self.path.iterdir():
                unmount(child)
            shutil.rmtree(self.path)

    def release(self) -> None:
        """Unmount, delete the folder and unlock the slot (idempotent)."""
        if getattr(self, "_lock", None) is None:
            return
        try:
            if os.geteuid() == 0:  # the next holder starts with none of its tasks
                end_processes_of(self.uid)
            self._clear()
        finally:
            os.close(self._lock)
            self._lock = None


def processes_of(uid: int) -> list[int]:
    """Pids whose real uid is ``uid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(entry))
                        break
        except (OSError, ValueError):
            continue  # gone meanwhile
    return found


def end_processes_of(uid: int, wait: float = 20.0) -> bool:
    """SIGKILL every process of a slot's ``uid``; True once none is left.

    A slot's uid runs nothing but sandboxes, and RLIMIT_NPROC counts every task
    of the uid: tasks of a killed sandbox that are still dying (a fork or memory
    bomb, on a busy machine) would leave the next holder of the slot unable to
    start a thread, so its kernel would die at start-up.
    """
    if uid < UID_BASE:
        raise ValueError(f"only a slot's uid (>= {UID_BASE}) is ended, got {uid}")
    return kill_until_gone(lambda: processes_of(uid), wait)


def kill_until_gone(find: Callable[[], list[int]], wait: float) -> bool:
    """SIGKILL the pids ``find()`` lists until there are none (True) or ``wait`` s."""
    deadline = time.monotonic() + wait
    while True:
        left = find()
        if not left:
            return True
        if time.monotonic() > deadline:
            return False
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)


def _check_name(name: str) -> pathlib.PurePosixPath:
    path = pathlib.PurePosixPath(name)
    if (not name or path.is_absolute() or ".." in path.parts
            or path.parts[0] == ".tmp"):
        raise ValueError(f"a scratch file name is a relative path without '..' "
                         f"(and not under .tmp), got {name!r}")
    return path


def populate(folder: pathlib.Path, files: Mapping[str, FileSource], uid: int) -> None:
    """Copy the caller's ``files`` (name -> bytes or host path) into ``folder``.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     populate(pathlib.Path(d), {"a/b.txt": b"hi"}, os.getuid())
    ...     (pathlib.Path(d) / "a" / "b.txt").read_bytes()
    b'hi'
    """
    for name, source in files.items():
        target = folder / _check_name(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            target.write_bytes(source)
        elif isinstance(source, str | os.PathLike):
            source = pathlib.Path(source)
            if source.is_dir():
                shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
            elif source.is_file():
                shutil.copyfile(source, target)
            else:
                raise ValueError(f"scratch file {name!r}: {source} is not a file "
                                 f"or folder")
        else:
            raise TypeError(f"scratch file {name!r}: expected bytes or a path, got "
                            f"{type(source).__name__}")
    if os.geteuid() == 0:
        for dirpath, dirnames, filenames in os.walk(folder):
            for entry in [dirpath, *(os.path.join(dirpath, n)
                                     for n in dirnames + filenames)]:
                os.lchown(entry, uid, uid)


def copy_out(source: pathlib.Path, dest: pathlib.Path,
             max_bytes: int = 1 << 30) -> list[str]:
    """Copy the regular files and folders of ``source`` to ``dest``; never follow links.

    The source is the learner's: symlinks, sockets and devices are skipped and
    every component is opened with O_NOFOLLOW relative to its folder's fd, so a
    link cannot point the grader at a host file. Returns the copied names.
    """
    dest.mkdir(parents=True, exist_ok=True)
    copied: list[str] = []
    budget = [max_bytes]
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    top = os.open(source, flags | os.O_DIRECTORY)
    try:
        _copy_dir(top, dest, "", copied, budget)
    finally:
        os.close(top)
    return copied


def _copy_dir(dir_fd: int, dest: pathlib.Path, prefix: str, copied: list[str],
              budget: list[int]) -> None:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    for name in sorted(os.listdir(dir_fd)):
        try:
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode):
            child = os.open(name, flags | os.O_DIRECTORY, dir_fd=dir_fd)
            try:
                (dest / name).mkdir(exist_ok=True)
                _copy_dir(child, dest / name, f"{prefix}{name}/", copied, budget)
            finally:
                os.close(child)
        elif stat.S_ISREG(info.st_mode) and info.st_size <= budget[0]:
            handle = os.open(name, flags, dir_fd=dir_fd)
            with os.fdopen(handle, "rb") as src, open(dest / name, "wb") as out:
                data = src.read(budget[0] + 1)[:budget[0]]
                out.write(data)
                budget[0] -= len(data)
            copied.append(prefix + name)
