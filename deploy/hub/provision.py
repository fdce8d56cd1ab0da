"""Set a machine up for the course's JupyterHub: accounts, environment, folders.

Every step is idempotent and runs as root; ``hubctl.py setup`` calls them in order.
Only the Python standard library is used (it runs before the hub's venv exists).
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HUB_DIR = REPO / "deploy" / "hub"
COURSE = "quantization-fundamentals"
GRADER = f"grader-{COURSE}"
INSTRUCTORS = ("instructor",)
STUDENTS = ("student1", "student2", "student3")
ACCOUNTS = INSTRUCTORS + (GRADER,) + STUDENTS


def makefile_torch(makefile: Path = REPO / "Makefile") -> str:
    """The Makefile's torch pin (``TORCH := torch==X``): one pin for lab and hub."""
    for line in makefile.read_text().splitlines():
        name, sep, value = line.partition(":=")
        if sep and name.strip() == "TORCH":
            return value.strip()
    raise RuntimeError(f"{makefile} has no `TORCH := torch==...` line")


#: the torch build installed before the project, as by `make setup`
TORCH = makefile_torch()


@dataclass
class Layout:
    """Where the hub's files live. Defaults are ``make hub``'s; tests use others."""

    prefix: Path = Path("/opt/quantization-fundamentals")
    state: Path = Path("/srv/quantization-fundamentals")
    exchange: Path = Path("/srv/nbgrader/exchange")
    course_root: Path = Path(f"/home/{GRADER}/{COURSE}")
    python: str = field(default_factory=lambda: sys.executable)

    @property
    def venv(self) -> Path:
        return self.prefix / "venv"


def log(message: str) -> None:
    print(f"[hub] {message}", flush=True)


def run(*cmd: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a command, raising with its output if it fails."""
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n"
                           f"{result.stdout}{result.stderr}")
    return result


def apt_install(*packages: str) -> None:
    """``apt-get install`` Debian packages, updating the lists once if needed."""
    cmd = ["apt-get", "install", "-y", "-q", *packages]
    if subprocess.run(cmd, capture_output=True).returncode:
        run("apt-get", "update", "-q")
        run(*cmd)


def as_user(user: str, *cmd: str, env: dict | None = None
            ) -> subprocess.CompletedProcess:
    """Run ``cmd`` as ``user`` (runuser), without raising; output captured."""
    prefix = ["runuser", "-u", user, "--"]
    if env:
        prefix += ["env", *(f"{k}={v}" for k, v in env.items())]
    return subprocess.run([*prefix, *cmd], capture_output=True, text=True)


# ---------------------------------------------------------------------- accounts
def ensure_accounts() -> None:
    """Create the course's system accounts (locked passwords, private homes)."""
    for name in ACCOUNTS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            run("useradd", "--create-home", "--user-group", "--shell", "/bin/bash",
                "--comment", f"{COURSE} demo", name)
            log(f"created account {name}")
        home = Path(pwd.getpwnam(name).pw_dir)
        home.mkdir(mode=0o700, exist_ok=True)
        os.chown(home, pwd.getpwnam(name).pw_uid, pwd.getpwnam(name).pw_gid)
        # nobody else may read a student's work, its nbgrader cache (which names
        # its submission) or the grader's course copy
        home.chmod(0o700)
    # the grader may give a feedback file a student's own group (and only that)
    for student in STUDENTS:
        if GRADER not in grp.getgrnam(student).gr_mem:
            run("gpasswd", "--add", GRADER, student)


def uid_gid(name: str) -> tuple[int, int]:
    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


# ------------------------------------------------------------------- environment
def usable_by_others(python: str) -> bool:
    """Whether the interpreter runs for an unprivileged account (nobody)."""
    return as_user("nobody", python, "-c", "import ssl, sqlite3").returncode == 0


def interpreter(layout: Layout) -> str:
    """A Python the users' servers can run: ``layout.python``, or a copy of it.

    A pyenv interpreter under ``/root`` cannot be run by other accounts: its
    standard library (without site-packages) is copied under the prefix, with
    ``patchelf`` pointing the binary at the copied ``libpython``.
    """
    real = os.path.realpath(layout.python)
    if usable_by_others(real):
        return real
    base = Path(run(real, "-c", "import sys; print(sys.base_prefix)").stdout.strip())
    ver = run(real, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"
              ).stdout.strip()
    dest = layout.prefix / "python"
    binary = dest / "bin" / f"python{ver}"
    stamp = dest / ".copied-from"
    if not (stamp.is_file() and stamp.read_text() == str(base)):
        if shutil.which("patchelf") is None:
            apt_install("patchelf")
        log(f"copying the interpreter {base} to {dest} (other accounts cannot "
            "run it where it is)")
        shutil.rmtree(dest, ignore_errors=True)
        lib = f"python{ver}"
        top = base / "lib" / lib

        def skip(folder, names):
            if Path(folder) == top:
                return [n for n in names if n in ("site-packages", "test")
                        or n.startswith("config-")]
            return []

        shutil.copytree(top, dest / "lib" / lib, symlinks=True, ignore=skip)
        (dest / "lib" / lib / "site-packages").mkdir()
        for so in (base / "lib").glob("libpython*.so*"):
            shutil.copy2(so, dest / "lib" / so.name, follow_symlinks=False)
        (dest / "bin").mkdir(parents=True)
        shutil.copy2(base / "bin" / f"python{ver}", binary)
        run("patchelf", "--set-rpath", "$ORIGIN/../lib", str(binary))
        stamp.write_text(str(base))
    if not usable_by_others(str(binary)):
        raise RuntimeError(f"{binary} does not run as another account")
    return str(binary)


def _digest(*paths: Path) -> str:
    h = hashlib.sha256(TORCH.encode())
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()


def ensure_venv(layout: Layout) -> None:
    """The users' environment: CPU torch, then the project with the hub extra.

    The same recipe as ``deploy/Dockerfile`` and ``make setup``: ``constraints.txt``
    pins everything, torch is installed first. The project is installed as a
    copy (not editable), so the servers never read the repository.
    """
    venv = layout.venv
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
           "--disable-pip-version-check", "-c", str(REPO / "constraints.txt")]
    stamp = venv / ".hub-installed"
    digest = _digest(REPO / "constraints.txt", REPO / "pyproject.toml")
    if not (stamp.is_file() and stamp.read_text() == digest):
        python = interpreter(layout)
        if not (venv / "bin" / "python").exists():
            log(f"creating the users' environment {venv}")
            run(python, "-m", "venv", str(venv))
        log("installing torch (CPU) and the course into it (1-2 minutes)")
        run(*pip, TORCH)
        run(*pip, f"{REPO}[hub]", cwd="/")
        stamp.write_text(digest)
    # the course package itself may have changed (pip keeps an installed copy of
    # the same version): always reinstall just it (a few seconds), from a fresh
    # build (setuptools keeps files in build/ that are newer than their source)
    shutil.rmtree(REPO / "build", ignore_errors=True)
    try:
        run(*pip, "--no-deps", "--force-reinstall", f"{REPO}", cwd="/")
    finally:  # leave no second copy of the sources in the work tree
        shutil.rmtree(REPO / "build", ignore_errors=True)
    site = run(str(venv / "bin" / "python"), "-c",
               "import sysconfig; print(sysconfig.get_paths()['purelib'])"
               ).stdout.strip()
    (Path(site) / "course_hub.pth").write_text(f"{layout.prefix / 'site'}\n")


def ensure_runtime_files(layout: Layout) -> None:
    """Copy the hub's Jupyter configs and the ``course_hub`` package under prefix."""
    for name, src in (("etc", HUB_DIR / "jupyter"), ("site", HUB_DIR / "site")):
        dest = layout.prefix / name
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
        for path in [dest, *dest.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def ensure_proxy(layout: Layout) -> None:
    """configurable-http-proxy from npm, pinned by the repository's lock file."""
    dest = layout.prefix / "proxy"
    dest.mkdir(parents=True, exist_ok=True)
    lock = HUB_DIR / "package-lock.json"
    stamp = dest / ".npm-installed"
    digest = _digest(HUB_DIR / "package.json", lock)
    binary = dest / "node_modules" / ".bin" / "configurable-http-proxy"
    if stamp.is_file() and stamp.read_text() == digest and binary.exists():
        return
    if shutil.which("npm") is None:
        apt_install("nodejs", "npm")
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(HUB_DIR / name, dest / name)
    log("installing configurable-http-proxy (npm ci)")
    run("npm", "ci", "--no-audit", "--no-fund", "--omit=dev", cwd=dest)
    stamp.write_text(digest)


# ----------------------------------------------------------------- course folders
def ensure_exchange(layout: Layout) -> None:
    """nbgrader's exchange, pre-created so no student can claim a folder first."""
    uid, gid = uid_gid(GRADER)
    root = layout.exchange
    root.mkdir(parents=True, exist_ok=True)
    os.chown(root, 0, 0)
    # nbgrader insists on 0777; the sticky bit (as /tmp) keeps anyone from
    # renaming or removing what another account put there
    root.chmod(0o1777)
    course = root / COURSE
    modes = {course: 0o755, course / "outbound": 0o755,
             # add-only for students: setgid (the grader's group), sticky
             course / "inbound": 0o3733, course / "feedback": 0o711}
    for path, mode in modes.items():
        path.mkdir(exist_ok=True)
        os.chown(path, uid, gid)
        path.chmod(mode)


def ensure_course_copy(layout: Layout) -> None:
    """The grader's course root: ``source/`` and ``release/`` copied, the config linked.

    ``nbgrader_config.py`` is a symbolic link to the repository's own file: the
    formgrader and the command line grade by the course's rules, never a copy.
    """
    uid, gid = uid_gid(GRADER)
    root = layout.course_root
    root.parent.mkdir(parents=True, exist_ok=True)
    root.mkdir(mode=0o700, exist_ok=True)
    for name in ("source", "release"):
        shutil.rmtree(root / name, ignore_errors=True)
        shutil.copytree(REPO / name, root / name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    link = root / "nbgrader_config.py"
    if link.is_symlink() or link.exists():
        link.unlink()
    config = REPO / "nbgrader_config.py"
    link.symlink_to(config)
    for path in [root, *root.rglob("*")]:
        os.chown(path, uid, gid, follow_symlinks=False)
    root.chmod(0o700)
    if as_user(GRADER, "test", "-r", str(link)).returncode:
        # The checkout is where the grader cannot go (e.g. under /root): a hard
        # link is the same file (one inode), not a copy; `make hub` renews it.
        link.unlink()
        try:
            os.link(config, link)
        except OSError as err:
            raise RuntimeError(
                f"{GRADER} cannot read {config}, and it cannot be hard-linked "
                f"({err}): put the checkout where that account can traverse"
            ) from err
        log(f"WARNING: {GRADER} cannot traverse {REPO}: the course root's "
            "nbgrader_config.py is a hard link to it (renewed by every start)")
        if as_user(GRADER, "test", "-r", str(link)).returncode:
            raise RuntimeError(f"{GRADER} cannot read {config} (mode "
                               f"{stat.filemode(config.stat().st_mode)})")


def protect_repository() -> None:
    """Keep students out of the checkout (``source/`` holds the solutions).

    The checkout's top folder becomes ``0750``, group the grader's: root and the
    grader can enter it, the students cannot.
    """
    _uid, gid = uid_gid(GRADER)
    os.chown(REPO, -1, gid)
    mode = REPO.stat().st_mode & 0o7777
    REPO.chmod((mode | 0o750) & ~0o007)


def check_isolation() -> list[str]:
    """What a student could read that they should not (empty when all is well)."""
    leaks = []
    solutions = REPO / "source" / "01_data_types" / "01_data_types.ipynb"
    for student in STUDENTS:
        for path in (solutions, *(Path(pwd.getpwnam(o).pw_dir) for o in ACCOUNTS
                                  if o != student)):
            if as_user(student, "test", "-r", str(path)).returncode == 0 and (
                    path == solutions or
                    as_user(student, "ls", str(path)).returncode == 0):
                leaks.append(f"{student} can read {path}")
    return leaks


def group_name(gid: int) -> str:
    return grp.getgrgid(gid).gr_name
