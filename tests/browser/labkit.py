"""Drive a real JupyterLab in headless Chromium: server, settings, page helpers.

Used by the browser tests (``tests/browser/``); the fixtures live in ``conftest.py``.
The server runs on a throw-away copy of the course with its own config, data,
runtime and settings directories, so nothing the tests do touches the repository or
the user's Jupyter set-up.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

#: Where Debian's package puts Chromium (what CI installs); the environment
#: variable COURSE_CHROMIUM may name another Chromium executable.
CHROMIUM = os.environ.get("COURSE_CHROMIUM") or "/usr/bin/chromium"
INSTALL_HINT = "apt-get update && apt-get install -y chromium"

#: Flags for a quiet, headless, sandbox-free Chromium (root, containers, CI).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]

#: What the tests copy from the repository into the throw-away course root.
COURSE_ITEMS = ("notebooks", "source", "release", "nbgrader_config.py")

#: JupyterLab user settings for the tests: every cell in the DOM (the default
#: windowing leaves off-screen cells out of the page), no extension manager. The
#: news prompt and the update check are switched off by the course's own settings
#: (``jupyter/``, installed into the venv by ``make setup``), not here: the tests
#: check that those settings work (``test_lab_settings.py``). Toasts are not
#: silenced (``doNotDisturbMode``), so the tests see what a learner sees.
QUIET_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}

#: Front-end plugins switched off in the tests' own page_config.json (none: the
#: course's page config, in the venv, is the one under test).
DISABLED_PLUGINS: dict[str, bool] = {}

SERVER_START_TIMEOUT = 90.0


def find_chromium() -> str | None:
    """Path of the Chromium executable, or None if it is not installed."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return None


def copy_course(repo: Path, dest: Path) -> Path:
    """Copy the course items of ``repo`` into ``dest`` (created) and return it."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for name in COURSE_ITEMS:
        src = repo / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dest / name)
    return dest


def write_quiet_config(config_dir: Path, settings_dir: Path) -> None:
    """Write the page config and the user settings that keep JupyterLab quiet."""
    labconfig = config_dir / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    page_config = {"disabledExtensions": DISABLED_PLUGINS}
    (labconfig / "page_config.json").write_text(json.dumps(page_config, indent=1))
    for plugin, values in QUIET_SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=1))


def write_nbgrader_user_config(config_dir: Path, exchange: Path) -> None:
    """A user-level nbgrader config with a private exchange directory.

    The course's own ``nbgrader_config.py`` (in the server's working directory)
    is read after it and wins where both set something.
    """
    exchange.mkdir(parents=True, exist_ok=True)
    text = f"c = get_config()  # noqa: F821\nc.Exchange.root = {str(exchange)!r}\n"
    (config_dir / "nbgrader_config.py").write_text(text)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Ask Linux to SIGTERM the server if pytest dies without cleaning up."""
    os.setsid()
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


class LabServer:
    """A JupyterLab server on a free loopback port, with a token, in ``root``.

    The server's working directory is ``root`` so nbgrader finds the course's
    ``nbgrader_config.py``; its Jupyter config, data, runtime and settings
    directories all live under ``state``. Use as a context manager, or call
    :meth:`start` and :meth:`stop`.
    """

    def __init__(self, root: Path, state: Path, log_path: Path | None = None):
        self.root = Path(root)
        self.state = Path(state)
        self.log_path = log_path or self.state / "jupyterlab.log"
        self.token = secrets.token_hex(16)
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self._log = None

    # -- life cycle ---------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.state / "config"),
            JUPYTER_DATA_DIR=str(self.state / "data"),
            JUPYTER_RUNTIME_DIR=str(self.state / "runtime"),
            IPYTHONDIR=str(self.state / "ipython"),
            JUPYTERLAB_SETTINGS_DIR=str(self.state / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.state / "workspaces"),
            JUPYTER_PLATFORM_DIRS="1",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        # nbgrader's gradebook runs the `alembic` command: find the venv's one.
        bindir = str(Path(sys.executable).parent)
        env["PATH"] = os.pathsep.join([bindir, env.get("PATH", os.defpath)])
        # The kernel should see what a learner's kernel sees: no test runner.
        for name in [n for n in env if n.startswith(("PYTEST_", "COURSE_"))]:
            del env[name]
        env.pop("JUPYTER_PATH", None)
        return env

    def command(self) -> list[str]:
        # No paths on the command line: the root is the working directory and
        # the other directories come from the environment. (The course's widgets
        # look at the kernel's parent command line to tell a batch run, e.g.
        # one under pytest, from a live front end.)
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            # A backstop if pytest is killed hard: the server exits when idle.
            "--ServerApp.shutdown_no_activity_timeout=900",
            "--MappingKernelManager.cull_idle_timeout=900",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=None",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def start(self, attempts: int = 3) -> LabServer:
        """Start the server and wait until ``/api/status`` answers."""
        for sub in ("config", "data", "runtime", "ipython", "workspaces"):
            (self.state / sub).mkdir(parents=True, exist_ok=True)
        write_quiet_config(self.state / "config", self.state / "settings")
        write_nbgrader_user_config(self.state / "config", self.state / "exchange")
        last_error = ""
        for _ in range(attempts):
            self.port = _free_port()
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
            self.proc = subprocess.Popen(
                self.command(),
                cwd=self.root,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                start_new_session=sys.platform != "linux",
            )
            try:
                self._wait_ready()
                return self
            except RuntimeError as err:  # e.g. the port was taken meanwhile
                last_error = str(err)
                self.stop()
        raise RuntimeError(f"JupyterLab did not start: {last_error}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"exited with code {self.proc.returncode}; log:\n{self.log_tail()}"
                )
            try:
                status = self.api("GET", "/api/status", timeout=2)
            except (urllib.error.URLError, OSError, ValueError):
                time.sleep(0.25)
                continue
            if isinstance(status, dict) and "started" in status:
                return
        raise RuntimeError(
            f"no answer from /api/status within {SERVER_START_TIMEOUT:.0f} s; "
            f"log:\n{self.log_tail()}"
        )

    def api(self, method: str, path: str, body: dict | None = None, timeout=10):
        """Call the server's REST API with the token; return the decoded JSON."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            text = resp.read().decode() or "null"
        return json.loads(text)

    def stop(self, timeout: float = 20.0) -> None:
        """Shut the server (and its kernels) down; kill it if it does not obey."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(Exception):
                self.api("POST", "/api/shutdown", timeout=5)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(proc, signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._signal_group(proc, signal.SIGKILL)
                    proc.wait(timeout=5)
        if proc is not None:
            # Kernels are in the server's own session: end any that outlived it.
            self._signal_group(proc, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None

    @staticmethod
    def _signal_group(proc: subprocess.Popen, sig: int) -> None:
        # The server is the leader of its own session (setsid), so its process
        # group id is its pid: this reaches only the server and its kernels.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)

    def log_tail(self, n_chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n_chars:]
        except OSError:
            return ""

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- URLs -----------------------------------------------------------------------
    def lab_url(self, path: str = "") -> str:
        """URL of the JupyterLab page opening ``path`` (relative to the root)."""
        suffix = f"/tree/{path}" if path else ""
        return f"{self.url}/lab{suffix}?token={self.token}&reset"

    def page_url(self, path: str) -> str:
        """URL of another server page (e.g. ``/formgrader``), with the token."""
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path}{sep}token={self.token}"


# ---------------------------------------------------------------------------------
# Page helpers (``page`` is a playwright.sync_api.Page)
# ---------------------------------------------------------------------------------

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
CODE_CELL = ".jp-Cell.jp-CodeCell"
#: Outputs that mean something went wrong in a cell.
ERROR_OUTPUTS = (
    '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]',
    '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]',
    ".jp-OutputArea-output.jp-mod-error",
)
LOAD_TIMEOUT = 60_000
RUN_TIMEOUT = 150_000


def open_notebook(page, server: LabServer, path: str):
    """Open ``path`` in JupyterLab and wait until its kernel is idle.

    Returns the locator of the notebook panel.
    """
    page.goto(server.lab_url(path), wait_until="domcontentloaded")
    panel = page.locator(NOTEBOOK).first
    panel.locator(".jp-Cell").first.wait_for(timeout=LOAD_TIMEOUT)
    wait_kernel_idle(page)
    return panel


def wait_kernel_idle(page, timeout: float = LOAD_TIMEOUT) -> None:
    """Wait until the visible notebook's kernel is connected and ``idle``.

    The toolbar indicator says ``idle`` even before the kernel connects; the
    status bar's "Python 3 (ipykernel) | Idle" appears only once it has.
    """
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$")).wait_for(
        timeout=timeout
    )
    page.locator(
        f'{NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status="idle"]'
    ).first.wait_for(timeout=timeout)


def collapse_left_sidebar(page) -> None:
    """Close the file browser so the main area (and screenshots) get the width."""
    current = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if current.count():
        current.first.click()
        page.locator("#jp-left-stack").wait_for(state="hidden")


def click_menu(page, menu: str, item: str) -> None:
    """Click ``menu`` in the main menu bar, then its entry ``item``."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    entry = page.locator(
        ".lm-Menu-content > .lm-Menu-item:not(.lm-mod-disabled)",
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")),
    )
    entry.first.click()


def run_all_cells(page, timeout: float = RUN_TIMEOUT) -> None:
    """Run > Run All Cells, then wait until no cell is queued or running."""
    before = max_execution_count(page)
    click_menu(page, "Run", "Run All Cells")
    wait_run_finished(page, before, timeout)


def max_execution_count(page) -> int:
    """The highest execution count shown in the visible notebook (0 if none)."""
    prompts = page.locator(f"{NOTEBOOK} {CODE_CELL} .jp-InputPrompt").all_inner_texts()
    counts = [int(m.group(1)) for t in prompts if (m := re.search(r"\[(\d+)\]", t))]
    return max(counts, default=0)


def wait_run_finished(page, before: int = 0, timeout: float = RUN_TIMEOUT) -> None:
    """Wait until a run that started after count ``before`` has finished.

    Finished means: the first code cell shows a count above ``before`` (it ran
    in this run), no cell is queued or running (``[*]``) and the kernel idles.
    """
    page.wait_for_function(
        r"""(before) => {
            const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            if (!nb) return false;
            const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            const busy = nb.querySelector(
                '.jp-Notebook-ExecutionIndicator:not([data-status="idle"])');
            const first = prompts.length && /\[(\d+)\]/.exec(prompts[0].textContent);
            return !busy && first && Number(first[1]) > before
                && prompts.every(p => !p.textContent.includes('*'));
        }""",
        arg=before,
        timeout=timeout,
        polling=250,
    )


def code_cells(page):
    return page.locator(f"{NOTEBOOK} {CODE_CELL}")


def unexecuted_cells(page) -> list[int]:
    """Indices (among code cells) whose prompt shows no execution count."""
    prompts = page.locator(f"{NOTEBOOK} {CODE_CELL} .jp-InputPrompt").all_inner_texts()
    return [i for i, text in enumerate(prompts) if not re.search(r"\[\d+\]", text)]


def error_outputs(page) -> list[str]:
    """Text of every stderr/error output (and failed widget) in the notebook."""
    found = []
    for selector in ERROR_OUTPUTS:
        found += page.locator(f"{NOTEBOOK} {selector}").all_inner_texts()
    widget_errors = page.locator(
        f"{NOTEBOOK} .jp-OutputArea-output", has_text="Error displaying widget"
    ).all_inner_texts()
    return found + widget_errors


def set_cell_source(page, cell, text: str) -> None:
    """Replace the source of ``cell`` (a cell locator) with ``text``.

    A rendered markdown cell is opened for editing first (double click) and
    rendered again afterwards.
    """
    markdown = "jp-MarkdownCell" in (cell.get_attribute("class") or "")
    if markdown and "jp-mod-rendered" in (cell.get_attribute("class") or ""):
        rendered = cell.locator(".jp-MarkdownOutput").first
        rendered.scroll_into_view_if_needed()
        rendered.dblclick()
    editor = cell.locator(".cm-content").first
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    # insert_text types no keys: CodeMirror adds no auto-indent or brackets.
    page.keyboard.insert_text(text)
    page.keyboard.press("Escape")
    if markdown:
        page.keyboard.press("Control+Enter")  # render it again


def cell_source(cell) -> str:
    """Text of a cell's editor as the page shows it."""
    lines = cell.locator(".cm-content .cm-line").all_inner_texts()
    # An empty line holds a <br>, which reads as "\n".
    return "\n".join(line.replace("\u200b", "").rstrip("\n") for line in lines)


def wait_cell_source(page, index: int, text: str, timeout=LOAD_TIMEOUT) -> None:
    """Wait until cell ``index`` of the visible notebook shows ``text``.

    The cell is looked up afresh at every poll: reloading a notebook replaces
    the cells' elements.
    """
    page.wait_for_function(
        r"""([selector, index, text]) => {
            const cell = document.querySelectorAll(selector)[index];
            if (!cell) return false;
            return [...cell.querySelectorAll('.cm-content .cm-line')]
                .map(l => l.innerText.replace(/\u200b/g, '').replace(/\n$/, ''))
                .join('\n').trim() === text.trim();
        }""",
        arg=[f"{NOTEBOOK} .jp-Notebook-cell", index, text],
        timeout=timeout,
        polling=100,
    )


def run_cell(page, cell, timeout: float = RUN_TIMEOUT) -> None:
    """Select ``cell``, run it with Ctrl+Enter and wait for it to finish."""
    prompt = cell.locator(".jp-InputPrompt").first
    before = prompt.inner_text()
    prompt.click()
    page.keyboard.press("Control+Enter")
    # Wait for a new execution count (not ``*``, not blank, not the old one).
    page.wait_for_function(
        """([el, before]) => /\\[\\d+\\]/.test(el.textContent)
            && el.textContent !== before""",
        arg=[prompt.element_handle(), before],
        timeout=timeout,
        polling=250,
    )
    wait_kernel_idle(page, timeout)


def save_shot(page, artifacts: Path, name: str, locator=None) -> Path:
    """Screenshot the page (or ``locator``) as ``artifacts/name.png``."""
    artifacts.mkdir(parents=True, exist_ok=True)
    path = artifacts / f"{name}.png"
    if locator is None:
        page.screenshot(path=str(path))
    else:
        locator.screenshot(path=str(path))
    return path
