"""Set up, start and stop the course's JupyterHub (``make hub``, ``make hub-stop``).

    python deploy/hub/hubctl.py setup    # accounts, environment, exchange, course
    python deploy/hub/hubctl.py start    # setup, then the hub on 127.0.0.1:$HUB_PORT
    python deploy/hub/hubctl.py stop     # the hub, its proxy and every user's server
    python deploy/hub/hubctl.py status

Run as root. Every command is idempotent: ``start`` on a running hub says so,
``stop`` on a stopped one too. Options (also from ``HUB_PORT``, ``HUB_PREFIX``,
``HUB_STATE``, ``HUB_EXCHANGE``, ``HUB_COURSE_ROOT``) let tests run a hub of their
own on other ports and folders, with the same accounts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import provision  # noqa: E402
from provision import ACCOUNTS, COURSE, GRADER, Layout, log  # noqa: E402

PASSWORD = "course-demo"
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def setup(layout: Layout) -> None:
    """Everything the hub needs, from the repository's own files."""
    if os.geteuid() != 0:
        raise SystemExit("the hub needs root: it creates accounts and starts "
                         "servers as them (run `sudo make hub`)")
    provision.ensure_accounts()
    provision.ensure_venv(layout)
    provision.ensure_runtime_files(layout)
    provision.ensure_proxy(layout)
    provision.ensure_exchange(layout)
    provision.ensure_course_copy(layout)
    provision.protect_repository()
    for leak in provision.check_isolation():
        log(f"WARNING: {leak}")
    (layout.state / "hub").mkdir(parents=True, exist_ok=True)
    layout.state.chmod(0o711)
    (layout.state / "hub").chmod(0o700)


# ------------------------------------------------------------------ life cycle
def _files(layout: Layout) -> tuple[Path, Path, Path]:
    hub = layout.state / "hub"
    return hub / "hubctl.json", hub / "jupyterhub.log", hub / "jupyterhub_config.py"


def running(layout: Layout) -> dict | None:
    """The running hub's pid and ports, or None."""
    info_file, _log, _cfg = _files(layout)
    try:
        info = json.loads(info_file.read_text())
        os.kill(info["pid"], 0)
    except (OSError, ValueError, KeyError):
        return None
    return info


def start(layout: Layout, port: int) -> dict:
    """Set up if needed and start the hub in the background; wait until it serves."""
    info = running(layout)
    if info:
        log(f"already running (pid {info['pid']}) on {info['url']}")
        return info
    setup(layout)
    if not port_is_free(port):
        raise SystemExit(f"port {port} is taken: set HUB_PORT to a free one")
    info_file, log_file, _cfg = _files(layout)
    ports = {"QF_HUB_PORT": port, "QF_HUB_API_PORT": free_port(),
             "QF_HUB_PROXY_API_PORT": free_port(), "QF_HUB_SERVICE_PORT": free_port()}
    env = {
        "PATH": f"{layout.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "QF_HUB_PREFIX": str(layout.prefix),
        "QF_HUB_STATE": str(layout.state),
        "QF_HUB_EXCHANGE": str(layout.exchange),
        "QF_HUB_COURSE_ROOT": str(layout.course_root),
        "QF_HUB_PASSWORD": PASSWORD,
        **{k: str(v) for k, v in ports.items()},
    }
    config = provision.HUB_DIR / "jupyterhub_config.py"
    with open(log_file, "ab") as out:
        proc = subprocess.Popen(
            [str(layout.venv / "bin" / "jupyterhub"), "-f", str(config)],
            cwd=layout.state / "hub", env=env, stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    info = {"pid": proc.pid, "url": f"http://localhost:{port}",
            "bind": f"http://127.0.0.1:{port}", **ports,
            "service": f"http://{COURSE}--service.localhost:{port}/services/{COURSE}/",
            "log": str(log_file)}
    info_file.write_text(json.dumps(info, indent=1))
    try:
        _wait_ready(proc, port, log_file)
    except RuntimeError:
        stop(layout)
        raise
    return info


def _get(port: int, path: str, host: str = "localhost") -> int:
    """HTTP status of ``path`` on the proxy (no redirects followed)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 headers={"Host": f"{host}:{port}"})
    try:
        with opener.open(req, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _wait_ready(proc: subprocess.Popen, port: int, log_file: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    service_host = f"{COURSE}--service.localhost"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyterhub exited ({proc.returncode}); see "
                               f"{log_file}:\n{log_file.read_text()[-3000:]}")
        try:
            hub_ok = _get(port, "/hub/api/") == 200
            # the formgrader service answers (with a redirect to log in)
            service_ok = _get(port, f"/services/{COURSE}/", service_host) in (
                200, 302)
        except OSError:
            hub_ok = service_ok = False
        if hub_ok and service_ok:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the hub did not answer within {START_TIMEOUT:.0f} s; "
                       f"see {log_file}:\n{log_file.read_text()[-3000:]}")


def _account_pids(layout: Layout) -> list[int]:
    """Processes of the course's accounts started by this hub (servers, kernels)."""
    uids = set()
    for name in ACCOUNTS:
        with contextlib.suppress(KeyError):
            uids.add(pwd.getpwnam(name).pw_uid)
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid not in uids:
                    continue
                environ = (entry / "environ").read_bytes().split(b"\0")
                if f"QF_HUB_STATE={layout.state}".encode() in environ:
                    pids.append(int(entry.name))
    return pids


def stop(layout: Layout, timeout: float = 30.0) -> None:
    """Stop the hub; it stops the proxy, the service and the users' servers."""
    info = running(layout)
    info_file, _log, _cfg = _files(layout)
    if info is None:
        log("not running")
    else:
        pid = info["pid"]
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.25)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        # the proxy is in the hub's session: end it if it outlived the hub
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
        log(f"stopped (pid {pid})")
    with contextlib.suppress(FileNotFoundError):
        info_file.unlink()
    # servers and kernels of the course's accounts that outlived the hub
    leftovers = _account_pids(layout)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    if leftovers:
        time.sleep(2)
        for pid in _account_pids(layout):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log(f"ended {len(leftovers)} leftover process(es) of the course accounts")


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it if this process started it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        status = Path(f"/proc/{pid}/stat").read_text().split()[2]
        if status == "Z":
            return False
    return True


def banner(info: dict) -> str:
    return "\n".join([
        f"JupyterHub for {COURSE}: {info['url']}/hub/login "
        f"(listening on {info['bind']})",
        f"  accounts: instructor, student1, student2, student3 -- password "
        f"'{PASSWORD}' (a local demo only: never on a reachable machine)",
        f"  formgrader (instructor): {info['service']}lab?formgrader=true",
        f"  grader account: {GRADER};  log: {info['log']}",
        "  stop it with: make hub-stop",
    ])


def layout_from(args: argparse.Namespace) -> Layout:
    layout = Layout()
    for name in ("prefix", "state", "exchange", "course_root"):
        value = getattr(args, name)
        if value:
            setattr(layout, name, Path(value).resolve())
    if args.python:
        layout.python = args.python
    return layout


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["setup", "start", "stop", "status"])
    p.add_argument("--port", type=int, default=int(os.environ.get("HUB_PORT", 8000)))
    env = os.environ.get
    p.add_argument("--prefix", default=env("HUB_PREFIX"))
    p.add_argument("--state", default=env("HUB_STATE"))
    p.add_argument("--exchange", default=env("HUB_EXCHANGE"))
    p.add_argument("--course-root", default=env("HUB_COURSE_ROOT"))
    p.add_argument("--python", default=env("HUB_PYTHON"),
                   help="interpreter for the users' environment")
    args = p.parse_args(argv)
    layout = layout_from(args)
    if args.command == "setup":
        setup(layout)
    elif args.command == "start":
        print(banner(start(layout, args.port)))
    elif args.command == "stop":
        stop(layout)
    else:
        info = running(layout)
        print(banner(info) if info else "not running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
