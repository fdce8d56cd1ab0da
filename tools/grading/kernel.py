"""A Jupyter kernel manager whose kernel runs in the sandbox, over unix sockets.

``SandboxKernelManager`` (async, what nbclient and nbgrader use) and
``SyncSandboxKernelManager`` start ``python -m ipykernel_launcher -f <file>``
inside a ``Sandbox``, with jupyter_client's ipc transport. The connection file
and the five sockets live in ``<slot>/kernel-<random>/`` (a name no earlier
holder of the slot used, so a stale manager's clean-up cannot remove this
kernel's files), bound into the sandbox at the same path: owned by the sandbox's
uid while the kernel binds its sockets, then handed to root (0755) so the
learner can no longer add, swap or remove anything there; every socket is
checked to be a socket of that uid before the grader connects. The kernel's
working folder is the sandbox's scratch (the caller's ``files``), never
nbclient's ``cwd``, which may hold the notebook with its hidden tests. nbgrader
set-up: docs/sandbox.md.
"""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
import threading
import time

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager, KernelManager
from traitlets import Dict, Float, List, Unicode
from traitlets.config import LoggingConfigurable

from tools.grading.policy import Limits
from tools.grading.sandbox import HOST_ENV, Sandbox

# ``python -m ipykernel_launcher`` would import a learner's ipykernel_launcher.py
# from the working folder (sys.path[0]); this drops that entry first (IPython
# puts it back for the notebook's own imports).
_LAUNCH = ("import sys; del sys.path[0]; "
           "from ipykernel import kernelapp; kernelapp.launch_new_instance()")
_CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


class _SandboxMixin(LoggingConfigurable):
    """What the sync and async managers share; see the module docstring."""

    limits = Dict(help="Overrides of tools.grading.policy.Limits fields, e.g. "
                  "{'wall_seconds': 600}").tag(config=True)
    binds = List(help="Extra read-only binds [host_path, sandbox_path]").tag(
        config=True)
    files = Dict(help="Files for the scratch folder: name -> host path or bytes").tag(
        config=True)
    sandbox_env = Dict(help="Extra environment variables of the kernel").tag(
        config=True)
    python = Unicode(sys.executable, help="The kernel's interpreter").tag(config=True)
    output_dir = Unicode(None, allow_none=True, help="Copy the scratch folder's "
                         "regular files here when the kernel is cleaned up").tag(
        config=True)
    kernel_log = Unicode(None, allow_none=True, help="Debugging: append the kernel "
                         "process's own stdout/stderr (start-up errors) to this "
                         "file; by default they are dropped").tag(config=True)
    socket_timeout = Float(60.0, help="Seconds to wait for the kernel's sockets").tag(
        config=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.transport = "ipc"
        self.sandbox: Sandbox | None = None
        self._timer: threading.Timer | None = None
        self.sandbox_limit_hit = ""

    @property
    def kernel_spec(self) -> KernelSpec:
        """Our own spec: no kernelspec's argv is run, interrupts go by message."""
        return KernelSpec(argv=[self.python, "-c", _LAUNCH, "-f", "{connection_file}"],
                          display_name="Python 3 (sandbox)", language="python",
                          interrupt_mode="message", env={}, metadata={})

    @property
    def ipykernel(self) -> bool:
        return True

    @property
    def scratch(self):
        """Host path of the kernel's working folder (root mode, until cleanup)."""
        return self.sandbox.scratch if self.sandbox else None

    def _open_sandbox(self) -> None:
        limits = Limits().replace(**self.limits)
        box = Sandbox(files=self.files, binds=[tuple(b) for b in self.binds],
                      limits=limits, env=self.sandbox_env, python=self.python)
        self.sandbox = box
        self._kernel_dir = box.slot.path / f"kernel-{secrets.token_hex(4)}"
        self._kernel_dir.mkdir(mode=0o700)
        self._own(self._kernel_dir)
        box.rw_dirs = [str(self._kernel_dir)]
        self.connection_file = str(self._kernel_dir / "kernel.json")
        self.ip = str(self._kernel_dir / "k")

    def _own(self, path) -> None:
        """Give ``path`` to the sandbox's uid (root mode; in user mode it is ours)."""
        if os.geteuid() == 0:
            os.chown(path, self.sandbox.uid, self.sandbox.uid)

    async def _async_pre_start_kernel(self, **kw):
        if self.sandbox is None:
            self._open_sandbox()
        else:  # a restart: the new kernel must be able to bind again
            self._own(self._kernel_dir)
            os.chmod(self._kernel_dir, 0o700)
        kw.pop("env", None)
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        self._own(self.connection_file)
        os.chmod(self.connection_file, 0o400)
        log = subprocess.DEVNULL
        if self.kernel_log:
            log = self._log = open(self.kernel_log, "ab")  # closed after launch
        kw.update(env=dict(HOST_ENV), cwd="/", stdin=None, stdout=log, stderr=log)
        return self.sandbox.command(kernel_cmd), kw

    async def _async_post_start_kernel(self, **kw) -> None:
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        try:
            await self._lock_sockets()
        except BaseException:
            await self._async_kill_kernel()
            raise
        wall = self.sandbox.limits.wall_seconds
        if self._timer is not None:  # a restart
            self._timer.cancel()
        self._timer = threading.Timer(wall, self._wall_timeout)
        self._timer.daemon = True
        self._timer.start()
        await super()._async_post_start_kernel(**kw)

    async def _lock_sockets(self) -> None:
        import asyncio

        paths = [f"{self.ip}-{getattr(self, name)}" for name in _CHANNELS]
        deadline = time.monotonic() + self.socket_timeout
        while not all(os.path.exists(p) for p in paths):
            if await self.provisioner.poll() is not None:
                raise RuntimeError("the sandboxed kernel exited before binding its "
                                   "sockets")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sandboxed kernel did not bind its sockets "
                                   f"in {self.socket_timeout:g} s")
            await asyncio.sleep(0.005)
        if os.geteuid() == 0:  # from now on the learner's uid cannot write here
            os.chown(self._kernel_dir, 0, 0)
            os.chmod(self._kernel_dir, 0o755)
        for path in paths:
            info = os.lstat(path)
            if not stat.S_ISSOCK(info.st_mode) or info.st_uid != self.sandbox.uid:
                raise RuntimeError(f"{path} is not a socket of the sandbox's uid")

    def _wall_timeout(self) -> None:
        """Kill the whole sandbox: the wall-clock limit is over."""
        self.sandbox_limit_hit = "wall"
        process = getattr(self.provisioner, "process", None)
        if process is not None and self.sandbox is not None:
            self.sandbox.kill(process.pid)

    def sandbox_status(self) -> str:
        """One line: which limit ended the kernel, if one did (also after cleanup)."""
        if self.sandbox is not None and not self.sandbox_limit_hit:
            cgroup = self.sandbox.cgroup
            if cgroup is not None and cgroup.oom_killed():
                self.sandbox_limit_hit = "memory"
        limits = Limits().replace(**self.limits)
        return {"wall": f"wall-clock timeout after {limits.wall_seconds:g} s: the "
                        f"sandbox was killed",
                "memory": f"out of memory: the sandbox's processes went over "
                          f"{limits.memory / 2**30:.1f} GiB and the kernel killed "
                          f"one"}.get(self.sandbox_limit_hit, "")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if restart or self.sandbox is None:
            return
        if self._timer is not None:
            self._timer.cancel()
        self.sandbox_status()  # remember an OOM kill before the cgroup goes
        try:
            if self.output_dir:
                self.sandbox.collect(self.output_dir)
        finally:
            self.sandbox.close()
            self.sandbox = None


class SandboxKernelManager(_SandboxMixin, AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs in a ``Sandbox`` (nbclient, nbgrader).

    >>> SandboxKernelManager(limits={"wall_seconds": 60}).transport
    'ipc'
    """


class SyncSandboxKernelManager(_SandboxMixin, KernelManager):
    """The blocking KernelManager flavour of ``SandboxKernelManager``."""
