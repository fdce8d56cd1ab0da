"""Red team of the grading sandbox: every attack is really tried and must fail.

Plain programs run through ``run_command`` and notebooks through nbclient with
``SandboxKernelManager``; each asserts what the hostile code saw (an error, an
empty listing, no connection) and, from the host, that nothing changed. Runs as
root (the sandboxed code then runs as a slot uid) and, through a test account,
as an ordinary user (bwrap with a user namespace). Skipped when bubblewrap is
unusable, failed instead when CI=true.
"""

from __future__ import annotations

import doctest
import hashlib
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

import pytest

from tools.grading import cgroup, kernel, policy, sandbox, scratch
from tools.grading.policy import GiB, Limits, MiB, sandbox_available
from tools.grading.sandbox import Sandbox, run_command

from .conftest import ROOT
from .needs import in_ci

AVAILABLE = sandbox_available()
if not AVAILABLE and in_ci():
    raise RuntimeError(f"CI needs the sandbox: {AVAILABLE.reason}; {AVAILABLE.fix}")
pytestmark = pytest.mark.skipif(not AVAILABLE, reason=f"no sandbox: "
                                f"{AVAILABLE.reason}; fix: {AVAILABLE.fix}")
AS_ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not AS_ROOT, reason="needs root (slot uids, cgroups)")
VENV_TORCH = pathlib.Path(sys.prefix, "lib", f"python{sys.version_info.major}."
                          f"{sys.version_info.minor}", "site-packages", "torch",
                          "__init__.py")
SOURCE_NB = sorted((ROOT / "source").rglob("*.ipynb"))[0]
SLOT_UIDS = range(scratch.UID_BASE, scratch.UID_BASE + scratch.SLOTS)

PRELUDE = '''
import json, os, sys
def attempt(fn):
    """What an attack got: its value, or the exception that stopped it."""
    try:
        value = fn()
    except BaseException as error:
        return {"ok": False, "error": type(error).__name__,
                "errno": getattr(error, "errno", None)}
    return {"ok": True, "value": repr(value)[:300]}
'''


def observe(code: str, **kwargs) -> dict:
    """Run PRELUDE + code in a sandbox; it prints one JSON line as its last line."""
    result = run_command(["python", "-c", PRELUDE + textwrap.dedent(code)], **kwargs)
    assert result.returncode == 0, (result.reason, result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[str, pathlib.Path]:
    """Secrets the grader has: another submission, a token in the home folder."""
    base = tmp_path_factory.mktemp("host")
    other = base / "submitted" / "other_student" / "01_data_types"
    other.mkdir(parents=True)
    (other / "01_data_types.ipynb").write_text('{"answer": 42}')
    home = pathlib.Path(os.path.expanduser("~"))
    with tempfile.NamedTemporaryFile("w", dir=home, prefix=".sandbox-test-token-",
                                     delete=False) as token:
        token.write("hf_secret_token")
    extra = base / "extra_pkg"
    extra.mkdir()
    (extra / "sandbox_extra_mod.py").write_text("VALUE = 1234\n")
    os.chmod(base, 0o755)
    files = {"submission": other / "01_data_types.ipynb",
             "home_token": pathlib.Path(token.name), "extra": extra,
             "source_nb": SOURCE_NB, "torch_init": VENV_TORCH}
    yield files
    pathlib.Path(token.name).unlink()


@pytest.fixture(scope="module")
def hashes_before(planted) -> dict[str, str]:
    """Hashes of host files the attacks aim at, taken before any attack."""
    return _hash_targets(planted)


def _hash_targets(planted) -> dict[str, str]:
    targets = {name: path for name, path in planted.items() if path.is_file()}
    targets["extra_mod"] = planted["extra"] / "sandbox_extra_mod.py"
    out = {name: sha256(path) for name, path in targets.items()}
    site = VENV_TORCH.parents[1]
    out["site-packages listing"] = hashlib.sha256(
        "\n".join(sorted(os.listdir(site))).encode()).hexdigest()
    out["repository listing"] = hashlib.sha256(
        "\n".join(sorted(os.listdir(ROOT))).encode()).hexdigest()
    return out


def _host_processes_with(token: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if token in pathlib.Path(f"/proc/{entry}/cmdline").read_text():
                    found.append(int(entry))
            except OSError:
                pass
    return found


def _uptime() -> float:
    return float(pathlib.Path("/proc/uptime").read_text().split()[0])


def _processes_of_uid_started_before(uid: int, uptime: float) -> list[int]:
    """Processes of ``uid`` that started before ``uptime`` (seconds since boot).

    Other tests (other pytest-xdist workers) may take the same slot, and its
    uid, as soon as a sandbox releases it: their processes start later.
    """
    found, tick = [], os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid != uid:
                    continue
                stat = pathlib.Path(f"/proc/{entry}/stat").read_text()
                started = int(stat.rsplit(")", 1)[1].split()[19]) / tick
            except (OSError, ValueError, IndexError):
                continue
            if started < uptime:
                found.append(int(entry))
    return found


# ------------------------------------------------------------- availability


def test_availability_says_why_and_how_to_fix(monkeypatch):
    assert AVAILABLE.ok and AVAILABLE.mode == ("root" if AS_ROOT else "user")
    sandbox_available.cache_clear()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    missing = sandbox_available()
    sandbox_available.cache_clear()
    assert not missing and "bwrap" in missing.reason
    assert "apt-get install -y bubblewrap" in missing.fix
    assert "--unsafe-no-sandbox" in policy.refusal_message(missing)


def test_availability_names_the_sysctl_when_user_namespaces_are_off(monkeypatch):
    failed = subprocess.CompletedProcess(
        ["bwrap"], 1, "", "bwrap: No permissions to create new namespace, likely "
        "because the kernel does not allow non-privileged user namespaces.\n")
    sandbox_available.cache_clear()
    monkeypatch.setattr(policy.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(policy, "_trial", lambda mode: failed)
    off = sandbox_available()
    sandbox_available.cache_clear()
    assert not off and off.mode == "user" and "namespace" in off.reason
    assert "sysctl -w user.max_user_namespaces=" in off.fix


def test_limits_reject_bad_values():
    with pytest.raises(TypeError, match="processes"):
        Limits(processes="many")
    with pytest.raises(ValueError, match="file_size"):
        Limits(file_size=-1)
    with pytest.raises(TypeError):
        Limits().replace(nonsense=1)


def test_bad_scratch_names_and_binds_are_refused(tmp_path):
    for name in ("../escape", "/abs", ".tmp/x", ""):
        with pytest.raises(ValueError, match="scratch file name"):
            scratch.populate(tmp_path, {name: b"x"}, os.getuid())
    with pytest.raises(ValueError, match="bind"):
        Sandbox(binds=[("/nonexistent-host-path", "/x")])
    with pytest.raises(ValueError, match="bind"):
        Sandbox(binds=[("/usr", "relative")])


def test_docstring_examples_run():
    for module in (policy, scratch, sandbox, cgroup, kernel):
        failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failures == 0, module.__name__


# ------------------------------------------------------------ plain process


def test_secrets_cannot_be_read(planted, hashes_before):
    assert pathlib.Path("/etc/shadow").exists()
    paths = ["/etc/shadow", planted["source_nb"], planted["submission"],
             planted["home_token"], ROOT / "nbgrader_config.py"]
    seen = observe(f"""
        paths = {[str(p) for p in paths]!r}
        print(json.dumps({{p: attempt(lambda p=p: open(p).read()) for p in paths}}))
    """)
    for path, outcome in seen.items():
        assert not outcome["ok"], f"read {path}: {outcome}"


def _on_the_way_to_python(folder: str) -> set[str]:
    """Names in ``folder`` that the sandbox shows because the Python lies below."""
    names = set()
    for prefix in {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}:
        rel = os.path.relpath(prefix, folder)
        if not rel.startswith(".."):
            names.add(rel.split(os.sep)[0])
    return names


def test_host_folders_are_hidden_or_unlistable():
    home = os.path.expanduser("~")
    folders = ["/root", "/home", "/srv", "/run", "/var", "/mnt", home, str(ROOT),
               str(ROOT.parent), "/"]
    seen = observe(f"""
        def listing(d):
            try:
                return {{"ok": True, "names": sorted(os.listdir(d))}}
            except OSError as error:
                return {{"ok": False, "errno": error.errno}}
        print(json.dumps({{d: listing(d) for d in {folders!r}}}))
    """)
    for folder in folders:
        host = set(os.listdir(folder)) if os.path.isdir(folder) else set()
        secret = host - _on_the_way_to_python(folder)
        if folder == "/":
            secret -= {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32",
                       "etc", "proc", "dev", "tmp", "root"}
        outcome = seen[folder]
        if outcome["ok"]:  # listable: then nothing of the host's may show
            shown = set(outcome["names"])
            assert not shown & secret, f"{folder} shows {shown & secret}"
    # the folders holding the Python and the repository are not even listable
    for folder in ("/root", str(ROOT), str(ROOT.parent)):
        assert not seen[folder]["ok"], f"listed {folder}: {seen[folder]}"


def test_writes_outside_scratch_fail(planted, hashes_before):
    site = VENV_TORCH.parents[1]
    targets = ["/x", "/usr/lib/x", "/etc/x", "/dev/x", "/proc/x", str(site / "x.pth"),
               str(ROOT / "x"), "/root/x", "/opt/extra/x.py"]
    seen = observe(f"""
        out = {{t: attempt(lambda t=t: open(t, "w").write("pwned"))
               for t in {targets!r}}}
        out["append torch"] = attempt(lambda: open({str(VENV_TORCH)!r}, "a").write("#"))
        out["chmod torch"] = attempt(lambda: os.chmod({str(VENV_TORCH)!r}, 0o777))
        out["scratch"] = attempt(lambda: open("mine.txt", "w").write("ok"))
        out["tmp"] = attempt(lambda: open("/tmp/mine.txt", "w").write("ok"))
        print(json.dumps(out))
    """, binds=[(str(planted["extra"]), "/opt/extra")])
    assert seen.pop("scratch")["ok"] and seen.pop("tmp")["ok"]
    for target, outcome in seen.items():
        assert not outcome["ok"], f"wrote {target}: {outcome}"
    assert not (ROOT / "x").exists() and not (site / "x.pth").exists()


def test_environment_is_cleared(monkeypatch):
    monkeypatch.setenv("COURSE_SECRET_TOKEN", "tok_5ecret_value")
    seen = observe("""
        def environs():
            found = []
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        found.append(open(f"/proc/{pid}/environ", "rb").read())
                    except OSError:
                        pass
            return found
        print(json.dumps({"env": dict(os.environ), "procs": os.listdir("/proc"),
                          "environs": [e.decode(errors="replace")
                                       for e in environs()]}))
    """)
    assert "COURSE_SECRET_TOKEN" not in seen["env"]
    assert all("tok_5ecret_value" not in text for text in seen["environs"])
    assert seen["env"]["HOME"] == sandbox.SCRATCH
    assert not {"SSH_AUTH_SOCK", "JUPYTERHUB_API_TOKEN"} & set(seen["env"])
    pids = [int(p) for p in seen["procs"] if p.isdigit()]
    assert max(pids) < 10, f"host processes visible: {pids}"


def test_no_privileges_left():
    seen = observe("""
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        print(json.dumps({"uid": os.getuid(), "euid": os.geteuid(),
                          "groups": os.getgroups(),
                          "CapEff": status["CapEff"].strip(),
                          "CapBnd": status["CapBnd"].strip(),
                          "NoNewPrivs": status["NoNewPrivs"].strip(),
                          "setuid0": attempt(lambda: os.setuid(0))}))
    """)
    assert seen["uid"] != 0 and seen["euid"] != 0
    if AS_ROOT:
        assert seen["uid"] in SLOT_UIDS and seen["groups"] == []
    assert int(seen["CapEff"], 16) == 0 and int(seen["CapBnd"], 16) == 0
    assert seen["NoNewPrivs"] == "1" and not seen["setuid0"]["ok"]


@pytest.fixture
def host_listener():
    """A TCP listener on the host's 127.0.0.1; yields (port, accepted list)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted: list[tuple] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except (TimeoutError, OSError):
                continue
            accepted.append(peer)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    # the listener works: the host itself can connect
    socket.create_connection(("127.0.0.1", server.getsockname()[1]), 2).close()
    for _ in range(50):
        if accepted:
            break
        time.sleep(0.02)
    assert len(accepted) == 1
    accepted.clear()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_host_loopback_is_unreachable(host_listener):
    port, accepted = host_listener
    seen = observe(f"""
        import socket
        def connect(host):
            socket.create_connection((host, {port}), timeout=3).close()
        print(json.dumps({{"v4": attempt(lambda: connect("127.0.0.1")),
                          "name": attempt(lambda: connect("localhost")),
                          "ifaces": socket.if_nameindex()}}))
    """)
    assert not seen["v4"]["ok"] and not seen["name"]["ok"]
    assert [name for _, name in seen["ifaces"]] == ["lo"]
    time.sleep(0.3)
    assert accepted == [], "the sandbox reached the host's listener"


def test_dns_and_outbound_connections_fail():
    try:  # a package registry's address: allowed traffic, should the sandbox fail
        pypi = socket.getaddrinfo("pypi.org", 443, socket.AF_INET)[0][4][0]
    except OSError:
        pypi = None
    seen = observe(f"""
        import socket
        out = {{"dns": attempt(lambda: socket.getaddrinfo("pypi.org", 443))}}
        if {pypi!r}:
            out["tcp"] = attempt(lambda: socket.create_connection(({pypi!r}, 443), 3))
        print(json.dumps(out))
    """)
    assert not seen["dns"]["ok"]
    if pypi:
        assert not seen["tcp"]["ok"] and seen["tcp"]["errno"] == 101  # ENETUNREACH


# ------------------------------------------------------------------ limits


def test_address_space_limit_stops_a_big_allocation():
    result = run_command(["python", "-c", "x = bytearray(3 * 2**30)"],
                         limits=Limits(address_space=1 * GiB))
    assert result.returncode == 1 and "MemoryError" in result.stderr
    assert "address-space limit" in result.reason


@root_only
def test_memory_cgroup_caps_many_processes_together():
    code = """
        import os, time
        kids = []
        for _ in range(4):  # 4 x 700 MiB, each under RLIMIT_AS, 2.8 GiB in all
            pid = os.fork()
            if pid == 0:
                block = bytearray(700 * 2**20)
                for i in range(0, len(block), 4096):
                    block[i] = 1
                time.sleep(1)
                os._exit(0)
            kids.append(pid)
        print([os.waitpid(k, 0)[1] for k in kids])
    """
    with Sandbox(limits=Limits(memory=1 * GiB, address_space=1 * GiB)) as box:
        if box.cgroup is None:
            pytest.skip("no memory cgroup on this machine")
        result = box.run(["python", "-c", textwrap.dedent(code)])
    assert result.limit == "memory", result
    statuses = json.loads(result.stdout.strip() or "[]") if result.stdout else []
    assert not statuses or any(status != 0 for status in statuses)


@root_only
def test_a_slot_uid_starts_with_no_process_left():
    # a uid of the slots' range that no slot uses, so parallel tests keep theirs
    uid = scratch.UID_BASE + scratch.SLOTS + 7
    # its parent (root, like a sandbox's init) reaps it and says how it ended
    parent = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess; p = subprocess.Popen(['sleep', "
         f"'600'], user={uid}, group={uid}); print(p.pid, flush=True); "
         f"print(p.wait(), flush=True)"], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(parent.stdout.readline())
        assert scratch.processes_of(uid) == [pid]
        assert scratch.end_processes_of(uid)
        assert scratch.processes_of(uid) == []
        assert parent.stdout.readline().strip() == "-9"
    finally:
        parent.kill()
        parent.wait()
    with pytest.raises(ValueError, match="only a slot's uid"):
        scratch.end_processes_of(os.getuid())


@root_only
def test_a_leftover_cgroup_is_made_anew():
    name = f"test-leftover-{os.getpid()}"
    old = cgroup.Cgroup.create(name, 64 * MiB, 8)
    if old is None:
        pytest.skip("no memory cgroup on this machine")
    stray = subprocess.Popen(["sleep", "600"])
    try:
        for procs in old.procs_files:  # what a crashed grader leaves behind
            pathlib.Path(procs).write_text(str(stray.pid))
        new = cgroup.Cgroup.create(name, 64 * MiB, 8)
        assert stray.wait(timeout=15) == -9 and new.pids() == []
        assert not new.oom_killed()
    finally:
        stray.kill()
        cgroup.Cgroup.create(name, 1, 1).remove()


def test_fork_bomb_stops_at_the_process_limit():
    token = f"forkbomb-{os.getpid()}-{time.monotonic_ns()}"
    seen = observe(f"""
        import subprocess
        kids, error = [], None
        try:
            for _ in range(500):
                kids.append(subprocess.Popen(["sleep", "30", {token!r}]))
        except OSError as exc:
            error = exc.errno
        print(json.dumps({{"started": len(kids), "errno": error}}))
    """, limits=Limits(processes=16))
    assert seen["errno"] == 11 and seen["started"] < 16  # EAGAIN
    assert _host_processes_with(token) == []  # all died with the sandbox


@root_only
def test_parallel_sandboxes_do_not_share_the_process_limit():
    hog_code = """
        import os, time, subprocess
        kids = []
        try:
            while True:
                kids.append(subprocess.Popen(["sleep", "60"]))
        except OSError:
            open("full", "w").write(str(len(kids)))
        while not os.path.exists("stop"):  # the test writes it from the host
            time.sleep(0.05)
    """
    with Sandbox(limits=Limits(processes=12, wall_seconds=60)) as hog:
        outcome: list = []
        thread = threading.Thread(target=lambda: outcome.append(
            hog.run(["python", "-c", textwrap.dedent(hog_code)])))
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while not (hog.scratch / "full").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert 0 < int((hog.scratch / "full").read_text()) < 12
            seen = observe("""
                import subprocess
                kids = [subprocess.Popen(["sleep", "1"]) for _ in range(8)]
                print(json.dumps({"started": len(kids), "uid": os.getuid()}))
            """, limits=Limits(processes=12))
            assert seen["started"] == 8 and seen["uid"] != hog.uid
        finally:
            (hog.scratch / "stop").write_text("")
            thread.join()
    assert outcome[0].returncode == 0, outcome[0].reason


def test_file_size_limit():
    result = run_command(["python", "-c", "open('big', 'wb').write(b'x' * 3 * 2**20)"],
                         limits=Limits(file_size=1 * MiB))
    assert result.returncode == 1 and "File too large" in result.stderr
    assert "file-size limit" in result.reason


def test_scratch_folder_cannot_grow_past_its_size():
    seen = observe("""
        def fill(folder):
            written = 0
            try:
                for i in range(100):
                    with open(f"{folder}/f{i}", "wb") as out:
                        out.write(b"x" * 2**20)
                    written += 1
            except OSError as error:
                return {"written": written, "errno": error.errno}
            return {"written": written, "errno": None}
        def many_files():
            made = 0
            try:
                for i in range(10000):
                    open(f"/tmp/e{i}", "w").close()
                    made += 1
            except OSError as error:
                return {"made": made, "errno": error.errno}
            return {"made": made, "errno": None}
        print(json.dumps({"cwd": fill("."), "tmp": fill("/tmp"),
                          "inodes": many_files()}))
    """, limits=Limits(scratch_bytes=8 * MiB, scratch_inodes=200))
    for where in ("cwd", "tmp"):  # /tmp is the same tmpfs
        assert seen[where]["errno"] == 28 and seen[where]["written"] < 9  # ENOSPC
    assert seen["inodes"]["errno"] == 28 and seen["inodes"]["made"] < 200


def test_infinite_loop_is_stopped_by_the_cpu_limit():
    result = run_command(["python", "-c", "while True: pass"],
                         limits=Limits(cpu_seconds=1, wall_seconds=30))
    assert result.limit == "cpu" and result.killed_by == "SIGXCPU", result.reason
    assert result.seconds < 20


def test_sleeping_forever_is_stopped_by_the_wall_timeout():
    result = run_command(["python", "-c", "import time; time.sleep(1000)"],
                         limits=Limits(wall_seconds=2))
    assert result.timed_out and result.limit == "wall" and result.seconds < 15
    assert "wall-clock timeout" in result.reason


def test_a_process_ignoring_sigterm_is_killed():
    token = f"stubborn-{os.getpid()}-{time.monotonic_ns()}"
    code = f"""
        import signal, subprocess, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 300; : {token}"])
        print("ready", flush=True)
        while True:
            time.sleep(1)
    """
    result = run_command(["python", "-c", textwrap.dedent(code)],
                         limits=Limits(wall_seconds=5))
    assert result.limit == "wall" and "ready" in result.stdout
    time.sleep(0.2)
    assert _host_processes_with(token) == []


def test_a_daemon_cannot_outlive_the_sandbox():
    token = f"daemon-{os.getpid()}-{time.monotonic_ns()}"
    code = f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "300", {token!r}])
            os._exit(0)
        time.sleep(0.5)
        print("parent exits", os.getuid(), flush=True)
    """
    result = run_command(["python", "-c", textwrap.dedent(code)])
    ended = _uptime()
    assert result.returncode == 0 and "parent exits" in result.stdout
    time.sleep(0.2)
    assert _host_processes_with(token) == []
    if AS_ROOT:
        uid = int(result.stdout.split()[-1])
        assert uid in SLOT_UIDS
        assert _processes_of_uid_started_before(uid, ended) == []


def test_output_is_capped():
    result = run_command(["python", "-c", "import sys; sys.stdout.write('x' * 10**7)"],
                         limits=Limits(output_bytes=1000))
    assert result.returncode == 0 and len(result.stdout) == 1000


# ----------------------------------------------------------------- positive


def test_scratch_files_in_binds_and_results_out(planted, tmp_path):
    seen = observe("""
        import sandbox_extra_mod
        text = open("given.txt").read()
        open("answer.txt", "w").write(text.upper())
        print(json.dumps({"value": sandbox_extra_mod.VALUE, "cwd": os.getcwd(),
                          "listing": sorted(os.listdir("."))}))
    """, files={"given.txt": b"hello", "data": planted["extra"]},
        binds=[(str(planted["extra"]), "/opt/extra")],
        env={"PYTHONPATH": "/opt/extra"}, collect_to=tmp_path / "out")
    assert seen["value"] == 1234 and seen["cwd"] == sandbox.SCRATCH
    assert {"given.txt", "data"} <= set(seen["listing"])
    if AS_ROOT:
        assert (tmp_path / "out" / "answer.txt").read_text() == "HELLO"


@root_only
def test_copy_out_never_follows_links(planted, tmp_path):
    code = f"""
        import os
        os.symlink({str(planted["home_token"])!r}, "stolen")
        os.symlink("/etc", "etc_link")
        open("real.txt", "w").write("mine")
    """
    result = run_command(["python", "-c", textwrap.dedent(code)],
                         collect_to=tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "real.txt" in result.files
    assert not {"stolen", "etc_link"} & set(result.files)
    out = tmp_path / "out"
    assert (out / "real.txt").read_text() == "mine"
    assert not (out / "stolen").exists() and not (out / "etc_link").exists()
    for path in out.rglob("*"):
        assert not path.is_symlink()
        assert not path.is_file() or "hf_secret_token" not in path.read_text()


def test_torch_works_under_the_default_limits():
    seen = observe("""
        import torch
        x = torch.randn(256, 256)
        status = open("/proc/self/status").read()
        peak = int(status.split("VmPeak:")[1].split()[0]) * 1024
        print(json.dumps({"sum": float(torch.ones(3).sum()),
                          "mm": list((x @ x).shape), "peak": peak}))
    """)
    assert seen["sum"] == 3.0 and seen["mm"] == [256, 256]
    assert seen["peak"] < Limits().address_space


# ------------------------------------------------------------------ kernels


def _notebook(*sources: str):
    from nbformat.v4 import new_code_cell, new_notebook

    return new_notebook(cells=[new_code_cell(src) for src in sources], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3",
                       "language": "python"}})


def _texts(nb) -> list[str]:
    """Each cell's stdout text and error names, joined."""
    out = []
    for cell in nb.cells:
        parts = [o.get("text", "") for o in cell.outputs if o.output_type == "stream"]
        parts += [f"!{o.ename}" for o in cell.outputs if o.output_type == "error"]
        out.append("".join(parts))
    return out


def _execute(nb, km, **client_options):
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    try:
        client_options.setdefault("timeout", 60)
        NotebookClient(nb, km=km, **client_options).execute()
    finally:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
        else:
            run_sync(km.cleanup_resources)()
    return _texts(nb)


@pytest.mark.slow
def test_kernel_runs_torch_binds_and_keeps_its_files(planted, tmp_path):
    km = kernel.SandboxKernelManager(
        binds=[[str(planted["extra"]), "/opt/extra"]], files={"given.txt": b"hi"},
        sandbox_env={"PYTHONPATH": "/opt/extra"}, output_dir=str(tmp_path / "out"))
    texts = _execute(_notebook(
        "import torch\nprint(torch.ones(3).sum())",
        "import sandbox_extra_mod\nprint(sandbox_extra_mod.VALUE)",
        "import os\nopen('answer.txt', 'w').write(open('given.txt').read() * 2)\n"
        "print(os.getuid(), os.getcwd())",
        "status = open('/proc/self/status').read()\n"
        "print(int(status.split('VmPeak:')[1].split()[0]) * 1024)"), km)
    assert texts[0] == "tensor(3.)\n" and texts[1] == "1234\n"
    uid, cwd = texts[2].split()
    assert int(uid) != 0 and cwd == sandbox.SCRATCH
    assert int(texts[3]) < Limits().address_space  # measured ~0.85 GiB of 2
    if AS_ROOT:
        assert int(uid) in SLOT_UIDS
        assert (tmp_path / "out" / "answer.txt").read_text() == "hihi"
    assert km.sandbox is None  # cleaned up: slot freed, tmpfs unmounted


@pytest.mark.slow
def test_kernel_attacks_fail(planted, host_listener, monkeypatch):
    port, accepted = host_listener
    monkeypatch.setenv("COURSE_SECRET_TOKEN", "tok_kernel_secret")
    reads = [str(p) for p in ("/etc/shadow", planted["source_nb"],
                              planted["submission"], planted["home_token"])]
    attack = PRELUDE + textwrap.dedent(f"""
        import socket, ipykernel
        cf = ipykernel.get_connection_file()
        sockdir = os.path.dirname(cf)
        sock = sorted(p for p in os.listdir(sockdir) if p.startswith("k-"))[0]
        out = {{p: attempt(lambda p=p: open(p).read()) for p in {reads!r}}}
        out["list /root"] = attempt(lambda: os.listdir("/root"))
        out["write venv"] = attempt(lambda: open({str(VENV_TORCH)!r}, "a").write("#"))
        out["write /"] = attempt(lambda: open("/evil", "w").write("x"))
        out["host tcp"] = attempt(lambda: socket.create_connection(
            ("127.0.0.1", {port}), timeout=3))
        out["socket dir: new file"] = attempt(lambda: open(sockdir + "/evil", "w"))
        out["socket dir: unlink"] = attempt(lambda: os.unlink(f"{{sockdir}}/{{sock}}"))
        out["socket dir: rename"] = attempt(lambda: os.rename(
            f"{{sockdir}}/{{sock}}", sockdir + "/moved"))
        out["socket dir: chmod"] = attempt(lambda: os.chmod(sockdir, 0o777))
        out["connection file: write"] = attempt(lambda: open(cf, "a"))
        out["env"] = {{"ok": "COURSE_SECRET_TOKEN" in os.environ}}
        print(json.dumps(out))
    """)
    texts = _execute(_notebook(attack, "print('still alive')"),
                     kernel.SandboxKernelManager())
    seen = json.loads(texts[0].strip().splitlines()[-1])
    for name, outcome in seen.items():
        if name.startswith("socket dir") and not AS_ROOT:
            continue  # user mode: the socket folder stays the learner's (README)
        assert not outcome["ok"], f"{name}: {outcome}"
    assert texts[1] == "still alive\n"
    time.sleep(0.3)
    assert accepted == []


@pytest.mark.slow
def test_a_submitted_ipykernel_launcher_is_not_run(tmp_path):
    """A learner's file must not replace the kernel before its sockets are locked."""
    evil = ("import os\nopen('/scratch/pwned', 'w').write('ran')\n"
            "raise SystemExit(3)\n")
    km = kernel.SandboxKernelManager(files={"ipykernel_launcher.py": evil.encode()},
                                     output_dir=str(tmp_path / "out"))
    texts = _execute(_notebook("import os\nprint(sorted(os.listdir('.')))"), km)
    assert "ipykernel_launcher.py" in texts[0] and "pwned" not in texts[0]


@pytest.mark.slow
def test_kernel_interrupt_by_message_then_next_cell_runs():
    km = kernel.SandboxKernelManager()
    texts = _execute(_notebook("while True:\n    pass", "print('after')"), km,
                     timeout=3, interrupt_on_timeout=True, allow_errors=True)
    assert texts[0].startswith("!") and texts[1] == "after\n"


@pytest.mark.slow
def test_kernel_wall_timeout_kills_the_whole_sandbox():
    from nbclient.exceptions import DeadKernelError

    km = kernel.SandboxKernelManager(limits={"wall_seconds": 10})
    start = time.monotonic()
    nb = _notebook("import os, subprocess, time\n"
                   "subprocess.Popen(['sleep', '300', 'wall-kernel-token'])\n"
                   "print('started', os.getuid(), flush=True)\n"
                   "time.sleep(100)")
    with pytest.raises(DeadKernelError):
        _execute(nb, km)
    ended = _uptime()
    assert time.monotonic() - start < 40
    assert "started" in _texts(nb)[0]  # the child was running when the wall hit
    assert km.sandbox_status().startswith("wall-clock timeout after 10 s")
    assert _host_processes_with("wall-kernel-token") == []
    if AS_ROOT:
        uid = int(_texts(nb)[0].split("started", 1)[1].split()[0])
        assert uid in SLOT_UIDS
        assert _processes_of_uid_started_before(uid, ended) == []


@pytest.mark.slow
def test_blocking_manager_and_client():
    km = kernel.SyncSandboxKernelManager(limits={"wall_seconds": 60})
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        seen: list[str] = []
        kc.execute_interactive("import os; print(os.getuid())", timeout=30,
                               output_hook=lambda msg: seen.append(
                                   msg["content"].get("text", "")))
        assert int("".join(seen)) != 0
        assert km.connection_file.startswith(str(km.sandbox.slot.path))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert km.sandbox is None and not km.is_alive()


@pytest.mark.slow
def test_nbgrader_execute_uses_the_sandbox_through_config(planted):
    from nbgrader.preprocessors import Execute
    from traitlets.config import Config

    class SandboxedExecute(Execute):  # the nbgrader_config.py snippet of the README
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("kernel_manager_class", kernel.SandboxKernelManager)
            super().__init__(*args, **kwargs)

    config = Config()
    config.SandboxKernelManager.limits = {"wall_seconds": 120}
    config.SandboxKernelManager.binds = [[str(planted["extra"]), "/opt/extra"]]
    config.SandboxKernelManager.sandbox_env = {"PYTHONPATH": "/opt/extra"}
    nb = _notebook("import os, sandbox_extra_mod\n"
                   "print(os.getuid(), sandbox_extra_mod.VALUE)")
    nb, _ = SandboxedExecute(config=config).preprocess(nb, {})
    uid, value = _texts(nb)[0].split()
    assert int(uid) != 0 and value == "1234"


# --------------------------------------------------------------- user mode

USER = "course-sbx-test"
USER_ATTACKS = """
import socket
res = {p: attempt(lambda p=p: open(p).read()) for p in ["/etc/shadow", SECRET]}
res["list /root"] = attempt(lambda: os.listdir("/root"))
res["list /home"] = attempt(lambda: os.listdir("/home"))
res["write /"] = attempt(lambda: open("/evil", "w").write("x"))
res["write /dev"] = attempt(lambda: open("/dev/evil", "w").write("x"))
res["write /usr"] = attempt(lambda: open("/usr/evil", "w").write("x"))
res["host tcp"] = attempt(lambda: socket.create_connection(("127.0.0.1", PORT), 3))
res["nested user namespace"] = attempt(lambda: os.unshare(os.CLONE_NEWUSER))
res["env"] = {"ok": "COURSE_SECRET_TOKEN" in os.environ}
print(json.dumps(res))
"""
USER_FORK = """
import subprocess
kids = []
try:
    for _ in range(200):
        kids.append(subprocess.Popen(["sleep", "20", "user-fork-token"]))
except OSError:
    pass
print(json.dumps({"started": len(kids)}))
"""
USER_DISK = """
n = 0
try:
    for i in range(100):
        open(f"f{i}", "wb").write(b"x" * 2**20)
        n += 1
except OSError as e:
    print(json.dumps({"written": n, "errno": e.errno}))
"""
USER_DRIVER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from tools.grading.policy import Limits, sandbox_available
from tools.grading.sandbox import run_command
jobs = json.loads(sys.stdin.read())
def run(code, limits):
    r = run_command(["python3", "-c", code], python="/usr/bin/python3",
                    limits=Limits(**limits))
    return {"code": r.returncode, "limit": r.limit, "out": r.stdout[-2000:],
            "err": r.stderr[-500:]}
out = {"mode": sandbox_available().mode, "ok": sandbox_available().ok}
out.update({name: run(code, limits) for name, (code, limits) in jobs.items()})
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def test_account() -> str:
    """An ordinary account for the user-mode tests (created once, idempotently)."""
    if not AS_ROOT:
        pytest.skip("creating the test account needs root")
    if not os.path.exists("/usr/bin/python3"):
        pytest.skip("user mode is tested with Debian's /usr/bin/python3: "
                    "apt-get install -y python3")
    if subprocess.run(["id", USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", USER], check=True)
    return USER


def test_user_mode_contains_the_same_attacks(test_account, host_listener):
    port, accepted = host_listener
    code = pathlib.Path(tempfile.mkdtemp(prefix="sbx-user-code-"))
    os.chmod(code, 0o755)
    shutil.copytree(ROOT / "tools" / "grading", code / "tools" / "grading",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "tools" / "__init__.py", code / "tools")
    secret = code / "grader_secret.txt"  # the grading account's own file
    secret.write_text("only the grader account may read this")
    os.chown(secret, int(subprocess.check_output(["id", "-u", test_account])), -1)
    os.chmod(secret, 0o600)
    attacks = PRELUDE + f"SECRET, PORT = {str(secret)!r}, {port}\n" + USER_ATTACKS
    jobs = {"attacks": (attacks, {}),
            "fork": (PRELUDE + USER_FORK, {"processes": 16}),
            "memory": ("x = bytearray(3 * 2**30)", {"address_space": 2**30}),
            "disk": (PRELUDE + USER_DISK, {"scratch_bytes": 8 * 2**20}),
            "wall": ("import time; time.sleep(100)", {"wall_seconds": 2})}
    try:
        run = subprocess.run(
            ["setpriv", "--reuid", test_account, "--regid", test_account,
             "--init-groups", "--", "/usr/bin/python3", "-c", USER_DRIVER, str(code)],
            input=json.dumps(jobs), capture_output=True, text=True, timeout=120,
            cwd="/", env={"PATH": "/usr/bin:/bin", "COURSE_SECRET_TOKEN": "tok_user"})
    finally:
        shutil.rmtree(code)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["mode"] == "user" and seen["ok"]
    found = json.loads(seen["attacks"]["out"].strip().splitlines()[-1])
    assert len(found) == 10
    for name, outcome in found.items():
        assert not outcome["ok"], f"user mode, {name}: {outcome}"
    time.sleep(0.3)
    assert accepted == []
    assert json.loads(seen["fork"]["out"])["started"] < 16
    assert _host_processes_with("user-fork-token") == []
    assert "MemoryError" in seen["memory"]["err"]
    assert json.loads(seen["disk"]["out"])["errno"] == 28
    assert seen["wall"]["limit"] == "wall"


USER_KERNEL_DRIVER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from tools.grading.kernel import SandboxKernelManager
cells = json.loads(sys.stdin.read())
nb = new_notebook(cells=[new_code_cell(c) for c in cells], metadata={"kernelspec": {
    "name": "python3", "display_name": "Python 3", "language": "python"}})
km = SandboxKernelManager()
try:
    NotebookClient(nb, km=km, timeout=60).execute()
finally:
    run_sync(km.shutdown_kernel)(now=True)
print(json.dumps([[o.get("text", o.get("ename", "")) for o in c.outputs]
                  for c in nb.cells]))
"""


def _hidden_tops(paths: list[str]) -> dict[str, str]:
    """For each path, its topmost ancestor that others cannot traverse (or none)."""
    tops = {}
    for path in paths:
        for parent in reversed(pathlib.Path(path).parents):
            if parent != pathlib.Path("/") and not os.stat(parent).st_mode & 0o001:
                tops[path] = str(parent)
                break
    return tops


@pytest.mark.slow
def test_user_mode_kernel_runs_and_is_contained(test_account, planted):
    """The grading account runs the kernel manager itself (bwrap --unshare-user).

    The venv's base interpreter lives under /root here, which an ordinary account
    cannot reach: the driver runs in a private mount namespace where just the
    Python installation is bound back (what a grader account's own Python is).
    """
    code = pathlib.Path(tempfile.mkdtemp(prefix="sbx-user-code-", dir="/var/tmp"))
    os.chmod(code, 0o755)
    shutil.copytree(ROOT / "tools" / "grading", code / "tools" / "grading",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "tools" / "__init__.py", code / "tools")
    prefixes = sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)})
    hidden = _hidden_tops(prefixes)
    script = []
    for number, prefix in enumerate(hidden):
        (code / f"src{number}").mkdir()
        script.append(f"mount --bind {prefix} {code}/src{number}")
    for top in sorted(set(hidden.values())):
        script.append(f"mount -t tmpfs -o mode=0755 tmpfs {top}")
    for number, prefix in enumerate(hidden):
        script.append(f"mkdir -p {prefix} && mount --bind {code}/src{number} {prefix}")
    script.append(f'exec setpriv --reuid {test_account} --regid {test_account} '
                  f'--init-groups -- {sys.executable} -c "$0" {code}')
    cells = [PRELUDE + textwrap.dedent(f"""
        import torch, ipykernel
        out = {{"sum": float(torch.ones(3).sum()), "uid": os.getuid()}}
        out["shadow"] = attempt(lambda: open("/etc/shadow").read())
        out["source"] = attempt(lambda: open({str(planted["source_nb"])!r}).read())
        out["venv"] = attempt(lambda: open({str(VENV_TORCH)!r}, "a").write("#"))
        out["write /"] = attempt(lambda: open("/evil", "w").write("x"))
        out["socket dir"] = os.path.dirname(ipykernel.get_connection_file())
        print(json.dumps(out))
    """)]
    try:
        run = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             " && ".join(script), USER_KERNEL_DRIVER], input=json.dumps(cells),
            capture_output=True, text=True, timeout=180, cwd="/",
            env={"PATH": "/usr/bin:/bin"})
    finally:
        shutil.rmtree(code)
    assert run.returncode == 0, run.stderr[-3000:]
    outputs = json.loads(run.stdout.strip().splitlines()[-1])
    seen = json.loads(outputs[0][0].strip().splitlines()[-1])
    uid = int(subprocess.check_output(["id", "-u", test_account]))
    assert seen.pop("sum") == 3.0 and seen.pop("uid") == uid
    assert not seen.pop("socket dir").startswith("/tmp")
    for name, outcome in seen.items():
        assert not outcome["ok"], f"user-mode kernel, {name}: {outcome}"


def test_grading_refuses_a_course_under_tmp(monkeypatch):
    import course_utils
    from tools.grading import session

    session.require_sandbox()  # this checkout is fine
    monkeypatch.setattr(course_utils, "__file__", "/tmp/c/course_utils/__init__.py")
    with pytest.raises(SystemExit, match=r"under /tmp .*move the checkout out of /tmp"):
        session.require_sandbox()


def test_files_outside_scratch_unchanged(planted, hashes_before):
    """Run last in this file: after every attack above, the host is as it was."""
    assert _hash_targets(planted) == hashes_before

