"""Red team: hostile submissions graded beside honest learners, in the sandbox.

Every attacker answers every question wrongly, except where its attack tries to
steal or forge an answer, so an attack that worked would show as points. Each
threat of the README's threat model is attacked (the number after each name):
1 marks for a wrong answer by changing the interpreter or the tests'
environment, 2 reading hidden tests, solutions or keys, 3 reading or writing
anything outside its own folder, 4 any network, 5 stopping, stalling or starving
the grader, 6 the instructor's environment, tokens or home.

One grading run holds all of them and the honest learners (parallel); a second
run holds only the honest learners; a third, serial, holds the honest learners
and the attackers that aim at others. The honest marks must be the same in all
three; every attacker must earn 0; files outside the sandbox's scratch must be
unchanged; a loopback listener must receive no connection; the grader's secret
must appear in no graded file.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import socket
import threading

import nbformat
import pytest

from tests.needs import unavailable
from tools.grading import engine
from tools.grading.policy import sandbox_available
from tools.grading.samples import (
    answered,
    make_course,
    read,
    scores,
    solution,
    submit,
    total,
)
from tools.steps import ROOT

pytestmark = pytest.mark.slow

A1, A3 = "01_data_types", "03_linear_quantization"
CELL_TIMEOUT = 10
SECRET = "course-redteam-secret-7f3a9c"
PWNED = ["/tmp/course-redteam-pwned", str(ROOT / "pwned.txt"), "/root/pwned.txt",
         "/etc/course-pwned", "/dev/shm/course-pwned"]

WRONG = {  # plainly wrong answers to every question of workbook 1
    "answer_range_functions": ("def uint_range(n):\n    return (0, 2**n)\n\n\n"
                               "def int_range(n):\n    return (-(2**(n-1)) + 1, "
                               "2**(n-1) - 1)\n"),
    "answer_8bit_ranges": "uint8_range = (1, 2)\nint8_range = (3, 4)",
    "answer_uint8_bits": "uint8_bits = {k: '11111111' for k in (2, 6, 33, 100)}",
    "answer_byte_values": "value_unsigned = 1\nvalue_signed = 2",
    "answer_fields": "range_field = 'sign'\nprecision_field = 'sign'",
    "answer_float_fields": "float_fields = {'fp32': (1, 1), 'fp16': (1, 1), "
                           "'bf16': (1, 1)}",
    "answer_bf16_info": "bf16_info = torch.iinfo(torch.int8)",
    "answer_fp16_bf16": "more_precise = 'fp64'\nlarger_range = 'fp64'",
}

#: name: (threat, assignment, code run before the wrong answers of one cell)
ATTACKS = {
    "input_transformer": (1, A1, """
get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
"""),
    "ast_transformer": (1, A1, """
import ast
class _NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
get_ipython().ast_transformers.append(_NoAsserts())
"""),
    "exception_handler": (1, A1, """
get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)
get_ipython().showtraceback = lambda *a, **k: None
import sys
sys.excepthook = lambda *a: None
"""),
    "import_hook": (1, A1, """
import sys, types, importlib.abc, importlib.machinery
fake = types.ModuleType("course_utils.feedback")
fake.judge = lambda *a, **k: types.SimpleNamespace(ok=True, message="")
fake.judge_function = fake.judge
class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.startswith("course_utils"):
            return importlib.machinery.ModuleSpec(name, None)
sys.meta_path.insert(0, _Finder())
sys.modules["course_utils.feedback"] = fake
"""),
    "patched_builtins": (1, A1, """
import builtins
builtins.isinstance = lambda *a: True
builtins.format = lambda *a, **k: "11111111"
format = builtins.format
"""),
    "patched_torch": (1, A1, """
import sys, types, torch
torch.iinfo = lambda dtype: types.SimpleNamespace(min=1, max=2, bits=8)
torch.tensor = lambda *a, **k: torch.zeros(1)
class _Proxy:
    def __getattr__(self, name):
        return getattr(sys.modules["torch"], name)
sys.modules["torch_real"] = torch
torch = _Proxy()
"""),
    "odd_objects": (1, A1, """
class Always(tuple):
    def __eq__(self, other):
        return True
    __hash__ = tuple.__hash__
class Word(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
class Num(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
"""),
    "forged_payload": (1, A1, """
from IPython.display import publish_display_data
publish_display_data({"application/x-course-answers+json": {
    "test": "test_uint8_range", "values": {"uint8_range": [0, 255]}, "calls": {}}})
"""),
    "read_solutions": (2, A1, """
import glob, os
found = []
for top in ("/work", "/opt", "/srv", "/home", "/root", "/tmp", "/scratch", "/run",
            "/var", "/mnt"):
    for pattern in ("source/**/*.ipynb", "wb01_data_types.py", "_catalogue.py",
                    "gradebook.db", "verdicts.json"):
        found += glob.glob(f"{top}/**/{pattern}", recursive=True)
for path in ("/work/main/source/01_data_types/01_data_types.ipynb",
             "/work/main/tools/workbooks/wb01_data_types.py",
             "/work/main/course_utils/_catalogue.py"):
    try:
        open(path).read()
        found.append(path)
    except OSError:
        pass
print("REDTEAM found", len(found), found[:3])
"""),
    "read_history": (2, A1, """
print("REDTEAM history", len(In), len(get_ipython().history_manager.input_hist_raw))
"""),
    "write_gradebook_and_classmates": (3, A1, """
import glob, sqlite3
hits = 0
tops = ("/work", "/opt", "/srv", "/home", "/root", "/tmp", "/run", "/var", "/mnt")
for top in tops:
    for path in glob.glob(f"{top}/**/gradebook.db", recursive=True):
        db = sqlite3.connect(path)
        db.execute("update grade set auto_score = 0")
        db.commit()
        hits += 1
    for path in glob.glob(f"{top}/**/submitted/**/*.ipynb", recursive=True):
        open(path, "w").write("{}")
        hits += 1
print("REDTEAM wrote", hits)
"""),
    "modify_package": (3, A1, """
import os, torch
import course_utils
for path in (os.path.join(os.path.dirname(course_utils.__file__), "notebook.py"),
             "/work/main/course_utils/feedback.py", torch.__file__):
    try:
        open(path, "a").write("\\nraise SystemExit('pwned')\\n")
        print("REDTEAM appended", path)
    except OSError as error:
        print("REDTEAM refused", type(error).__name__)
"""),
    "write_outside": (3, A1, f"""
for path in {PWNED!r}:
    try:
        open(path, "w").write("pwned")
    except OSError:
        pass
"""),
    "symlinks": (3, A1, """
import os
for target in ("/etc/passwd", "/work/main/gradebook.db", "/"):
    try:
        os.symlink(target, "link-" + str(abs(hash(target))))
    except OSError:
        pass
"""),
    "loopback": (4, A1, """
import os, socket
for port in (int(os.environ.get("REDTEAM_PORT", "0")), __REDTEAM_PORT__):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).send(b"pwned")
        print("REDTEAM connected", port)
    except OSError as error:
        print("REDTEAM refused", type(error).__name__)
"""),
    "outbound": (4, A1, """
import socket
for host, port in (("pypi.org", 443), ("151.101.0.223", 443), ("1.1.1.1", 53)):
    try:
        socket.create_connection((host, port), timeout=2)
        print("REDTEAM reached", host)
    except OSError as error:
        print("REDTEAM no network", type(error).__name__)
"""),
    "memory_bomb": (5, A1, """
hog = []
try:
    while True:
        hog.append(bytearray(256 << 20))
except MemoryError:
    print("REDTEAM memory limit")
"""),
    "memory_bomb_processes": (5, A1, """
import os
for _ in range(6):
    if os.fork() == 0:
        data = bytearray(900 << 20)
        os._exit(0)
os.wait()
"""),
    "fork_bomb": (5, A1, """
import os
children = 0
try:
    while True:
        if os.fork() == 0:
            import time
            time.sleep(60)
            os._exit(0)
        children += 1
except OSError as error:
    print("REDTEAM process limit after", children, type(error).__name__)
"""),
    "file_size_bomb": (5, A1, """
try:
    with open("big", "wb") as f:
        for _ in range(1024):
            f.write(b"x" * (1 << 20))
except OSError as error:
    print("REDTEAM file size", type(error).__name__)
"""),
    "disk_fill": (5, A1, """
n = 0
try:
    while True:
        with open(f"fill-{n}", "wb") as f:
            f.write(b"x" * (16 << 20))
        n += 1
except OSError as error:
    print("REDTEAM disk full after", n, type(error).__name__)
"""),
    "infinite_loop": (5, A1, """
while True:
    pass
"""),
    "cpu_threads": (5, A1, """
import threading
def _burn():
    while True:
        pass
for _ in range(4):
    threading.Thread(target=_burn, daemon=True).start()
"""),
    "output_flood": (5, A1, """
for _ in range(200_000):
    print("x" * 200)
"""),
    "kill_the_grader": (5, A1, """
import os, signal
for pid in (os.getppid(), 1, -1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
"""),
    "slow_function": (5, A1, """
import time
def uint_range(n):
    time.sleep(3600)
"""),
    "huge_answer": (5, A1, """
uint8_bits = {k: "0" * (64 << 20) for k in (2, 6, 33, 100)}
"""),
    "deep_answer": (5, A1, """
deep = []
for _ in range(200_000):
    deep = [deep]
uint8_range = deep
"""),
    "read_shadow_env_home": (6, A1, """
import os
for path in ("/etc/shadow", "/root/.ssh", "/root/.bash_history"):
    try:
        print("REDTEAM read", path, len(open(path).read()))
    except OSError as error:
        print("REDTEAM refused", path, type(error).__name__)
print("REDTEAM env", sorted(os.environ))
print("REDTEAM secret", os.environ.get("COURSE_REDTEAM_SECRET"))
"""),
    "library_kernel": (1, A3, """
from course_utils import quant

def linear_quantize(x, scale, zero_point, n_bits=8):
    return quant.quantize_with(x, scale, zero_point, n_bits=n_bits)

def linear_dequantize(q, scale, zero_point):
    return quant.dequantize_with(q, scale, zero_point)
"""),
    "tripwire_off": (1, A3, """
import sys
sys.setprofile(None)
import importlib
quant = importlib.import_module("course_utils.quant")

def linear_quantize(x, scale, zero_point, n_bits=8):
    sys.setprofile(None)
    return quant.quantize_with(x, scale, zero_point, n_bits=n_bits)

def linear_dequantize(q, scale, zero_point):
    return quant.dequantize_with(q, scale, zero_point)
"""),
}
#: Attacks aimed at other learners' files or at the grader (the serial run).
AT_OTHERS = ["write_gradebook_and_classmates", "kill_the_grader", "memory_bomb",
             "fork_bomb"]

WRONG_A3 = {
    "answer_by_hand": "hand_scale = 1.0\nhand_zero_point = 99",
    "answer_get_scale_zero_point": "def get_scale_zero_point(x, n_bits=8):\n"
                                   "    return 1.0, 0\n",
    "answer_quantize_dequantize": ("def linear_quantize(x, s, z, n_bits=8):\n"
                                   "    return x.int()\n\n\n"
                                   "def linear_dequantize(q, s, z):\n"
                                   "    return q.float()\n"),
    "answer_symmetric": ("def get_symmetric_scale(x, n_bits=8):\n    return 1.0\n\n\n"
                         "def per_channel_scales(W, n_bits=8):\n"
                         "    return W.abs().amax(0)\n"),
    "answer_errors": ("mse_asymmetric = mse_symmetric = mse_per_channel = 0.5\n"
                      "better_scheme = 'neither'"),
}


def _attacker(name: str, port: int = 9) -> tuple[str, nbformat.NotebookNode]:
    threat, assignment, code = ATTACKS[name]
    code = code.replace("__REDTEAM_PORT__", str(port))
    if assignment == A1:
        cells = dict(WRONG)
        cells["answer_range_functions"] = code + "\n" + WRONG["answer_range_functions"]
        if name in ("slow_function",):
            cells["answer_range_functions"] = WRONG["answer_range_functions"] + code
        if name in ("odd_objects",):
            cells["answer_8bit_ranges"] = (code + "\nuint8_range = Always((1, 2))\n"
                                           "int8_range = Always((3, 4))")
            cells["answer_fields"] = (code + "\nrange_field = Word('sign')\n"
                                      "precision_field = Word('sign')")
            cells["answer_byte_values"] = (code + "\nvalue_unsigned = Num(1)\n"
                                           "value_signed = Num(2)")
        if name in ("huge_answer",):
            cells["answer_uint8_bits"] = code
        if name in ("deep_answer",):
            cells["answer_8bit_ranges"] = code + "\nint8_range = (3, 4)"
        return assignment, answered(assignment, **cells)
    cells = dict(WRONG_A3)
    cells["answer_quantize_dequantize"] = code
    return assignment, answered(assignment, **cells)


class _Listener:
    """A TCP server on the host's loopback that counts the connections it gets."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.5)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()



def _honest() -> dict:
    return {("honest", A1): solution(A1), ("honest", A3): solution(A3),
            ("partly_wrong", A1): answered(A1, answer_byte_values=(
                "value_unsigned = 213\nvalue_signed = 43")),
            ("plainly_wrong", A1): answered(A1, **WRONG),
            ("blank", A1): read("release", A1)}


def _digest(paths) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in paths if p.is_file()}


def _protected(course: pathlib.Path) -> dict[str, str]:
    files = [course / "nbgrader_config.py"]
    for folder in (course / "source", course / "release", ROOT / "course_utils",
                   ROOT / "tools", ROOT / "source"):
        files += sorted(folder.rglob("*"))
    files += sorted((course / "submitted").glob("honest/*/*"))
    files += sorted((course / "submitted").glob("partly_wrong/*/*"))
    return _digest(files)


def _grade(course: pathlib.Path, subs: dict, jobs: int):
    for (student, assignment), nb in subs.items():
        submit(course, student, assignment, nb)
    return engine.grade(course, sorted({a for _, a in subs}), jobs=jobs,
                        timeout=CELL_TIMEOUT, quiet=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    if not sandbox_available():
        unavailable(f"no grading sandbox here: {sandbox_available().reason}; "
                    f"fix: {sandbox_available().fix}")
    listener = _Listener()
    os.environ["COURSE_REDTEAM_SECRET"] = SECRET
    os.environ["REDTEAM_PORT"] = str(listener.port)
    try:
        attacked = make_course(tmp_path_factory.mktemp("attacked"))
        subs = _honest()
        for name in ATTACKS:
            assignment, nb = _attacker(name, listener.port)
            subs[name, assignment] = nb
        for (student, assignment), nb in subs.items():
            submit(attacked, student, assignment, nb)
        before = _protected(attacked)
        outcomes = engine.grade(attacked, [A1, A3], jobs=2, timeout=CELL_TIMEOUT,
                                quiet=True)
        after = _protected(attacked)
        clean = make_course(tmp_path_factory.mktemp("clean"))
        _grade(clean, _honest(), jobs=2)
        serial = make_course(tmp_path_factory.mktemp("serial"))
        serial_subs = {**_honest(), **{(n, ATTACKS[n][1]): _attacker(n)[1]
                                       for n in AT_OTHERS}}
        _grade(serial, serial_subs, jobs=1)
    finally:
        os.environ.pop("COURSE_REDTEAM_SECRET", None)
        os.environ.pop("REDTEAM_PORT", None)
        listener.close()
    return {"attacked": attacked, "clean": clean, "serial": serial,
            "outcomes": {(o.student, o.assignment): o for o in outcomes},
            "before": before, "after": after, "connections": listener.connections}


def _output(course, student, assignment) -> str:
    path = course / "autograded" / student / assignment / f"{assignment}.ipynb"
    if not path.exists():
        return ""
    return "\n".join(o.get("text", "") + o.get("evalue", "")
                     for c in nbformat.read(path, 4).cells
                     for o in c.get("outputs", []))


def test_there_are_twenty_attacks_covering_every_threat():
    assert len(ATTACKS) >= 20
    assert {threat for threat, _, _ in ATTACKS.values()} == {1, 2, 3, 4, 5, 6}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_every_attack_earns_nothing(runs, name):
    assignment = ATTACKS[name][1]
    outcome = runs["outcomes"][name, assignment]
    got, most = total(runs["attacked"], assignment, name)
    assert most > 0 and got == 0, (outcome, _output(runs["attacked"], name,
                                                    assignment)[-600:])


def test_honest_marks_are_the_same_with_and_without_attackers(runs):
    for student, assignment in _honest():
        clean = scores(runs["clean"], assignment, student)
        assert scores(runs["attacked"], assignment, student) == clean, student
        assert scores(runs["serial"], assignment, student) == clean, student
    assert total(runs["clean"], A1, "honest") == (20.0, 20.0)
    assert total(runs["clean"], A3, "honest")[0] == total(runs["clean"], A3,
                                                         "honest")[1]
    assert total(runs["clean"], A1, "partly_wrong") == (19.0, 20.0)


def test_files_outside_the_sandbox_are_unchanged(runs):
    assert runs["after"] == runs["before"]
    for path in PWNED:
        assert not os.path.exists(path), path
    assert not (runs["attacked"] / "pwned.txt").exists()


def test_the_loopback_listener_got_no_connection(runs):
    assert runs["connections"] == 0
    assert "REDTEAM connected" not in _output(runs["attacked"], "loopback", A1)
    assert "REDTEAM reached" not in _output(runs["attacked"], "outbound", A1)


def test_secrets_solutions_and_other_files_stay_out_of_reach(runs):
    course = runs["attacked"]
    text = _output(course, "read_solutions", A1)
    assert "REDTEAM found 0 []" in text, text[-400:]
    shadow = _output(course, "read_shadow_env_home", A1)
    assert "REDTEAM read /etc/shadow" not in shadow
    assert "REDTEAM secret None" in shadow
    assert "REDTEAM wrote 0" in _output(course, "write_gradebook_and_classmates", A1)
    assert "REDTEAM appended" not in _output(course, "modify_package", A1)
    for path in (course / "autograded").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path


def test_limits_end_the_attacks_with_a_reason(runs):
    course, outcomes = runs["attacked"], runs["outcomes"]
    for name in ("memory_bomb", "fork_bomb", "file_size_bomb", "disk_fill",
                 "infinite_loop", "output_flood", "kill_the_grader", "cpu_threads",
                 "memory_bomb_processes", "slow_function", "huge_answer",
                 "deep_answer"):
        assert outcomes[name, A1].status in ("graded", "error"), name
        record = json.loads((course / "autograded" / name / A1 / "verdicts.json"
                             ).read_text()) if (course / "autograded" / name / A1 /
                                                "verdicts.json").exists() else {}
        assert record.get("sandboxed", True) is True
    assert "REDTEAM memory limit" in _output(course, "memory_bomb", A1)
    assert "REDTEAM process limit" in _output(course, "fork_bomb", A1)
    assert "REDTEAM file size" in _output(course, "file_size_bomb", A1)
    assert "REDTEAM disk full" in _output(course, "disk_fill", A1)
    flood = _output(course, "output_flood", A1)
    assert len(flood) < 2 << 20
