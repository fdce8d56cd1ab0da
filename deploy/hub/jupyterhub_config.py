"""JupyterHub for one class of the course: accounts, groups, roles, the formgrader.

Started by ``deploy/hub/hubctl.py start`` (``make hub``), which sets the ``QF_HUB_*``
variables read here. It follows nbgrader's multi-class demo
(``demos/demo_multiple_classes``): the formgrader runs as a JupyterHub service named
after the course, as the grader account; group ``formgrade-<course>`` may use it,
group ``nbgrader-<course>`` takes the course. Single-user servers and the service
are reached on their own subdomains of ``localhost`` (see ``docs/hub.md``: that is
what lets the formgrader be framed by the grader's JupyterLab only).
"""

import os

from jupyterhub.spawner import LocalProcessSpawner

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

COURSE = "quantization-fundamentals"
GRADER = f"grader-{COURSE}"
INSTRUCTORS = ["instructor"]
STUDENTS = ["student1", "student2", "student3"]

env = os.environ
PREFIX = env.get("QF_HUB_PREFIX", "/opt/quantization-fundamentals")
STATE = env.get("QF_HUB_STATE", "/srv/quantization-fundamentals")
EXCHANGE = env.get("QF_HUB_EXCHANGE", "/srv/nbgrader/exchange")
COURSE_ROOT = env.get("QF_HUB_COURSE_ROOT", f"/home/{GRADER}/{COURSE}")
PORT = int(env.get("QF_HUB_PORT", "8000"))
HUB_API_PORT = int(env.get("QF_HUB_API_PORT", "8081"))
PROXY_API_PORT = int(env.get("QF_HUB_PROXY_API_PORT", "8001"))
SERVICE_PORT = int(env.get("QF_HUB_SERVICE_PORT", "8002"))
VENV = f"{PREFIX}/venv"
ETC = f"{PREFIX}/etc"

# -- where the hub listens, where it keeps its state ---------------------------------
c.JupyterHub.bind_url = f"http://127.0.0.1:{PORT}"
# Every user server and service gets its own origin: <user>.localhost,
# <service>--service.localhost (browsers resolve *.localhost to the loopback).
c.JupyterHub.subdomain_host = f"http://localhost:{PORT}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{HUB_API_PORT}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API_PORT}"
c.ConfigurableHTTPProxy.command = [
    f"{PREFIX}/proxy/node_modules/.bin/configurable-http-proxy"
]
c.ConfigurableHTTPProxy.debug = False
c.JupyterHub.db_url = f"sqlite:///{STATE}/hub/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{STATE}/hub/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{STATE}/hub/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# -- who may log in ------------------------------------------------------------------
# A local demo: every account has the password `course-demo` (hubctl prints it).
# JupyterHub's shared-password authenticator checks it for the listed users only;
# the system accounts themselves keep a locked password (no ssh or su with it).
# A real class plugs in its own authenticator (PAM, LDAP, OAuth, LTI).
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = env.get("QF_HUB_PASSWORD", "course-demo")
c.Authenticator.allowed_users = set(INSTRUCTORS + STUDENTS)
# the grader account runs the formgrader service and never logs in itself
c.Authenticator.allow_existing_users = False

# -- groups and roles: nbgrader's multi-class demo, for one course ---------------------
c.JupyterHub.load_groups = {
    "instructors": {"users": INSTRUCTORS},
    f"formgrade-{COURSE}": {"users": INSTRUCTORS + [GRADER]},
    f"nbgrader-{COURSE}": {"users": STUDENTS},
}
c.JupyterHub.load_roles = [
    {
        # the admin page: see the class, start and stop servers (not enter them)
        "name": "instructor",
        "groups": ["instructors"],
        "scopes": ["admin:users", "admin:servers"],
    },
    {
        # a user server's own token: nbgrader asks the hub for the user's courses
        # (groups) and finds the course's formgrader service. The demo uses
        # 'inherit'; these are the scopes it needs, intersected with the owner's.
        "name": "server",
        "scopes": [
            "users:activity!user",
            "access:servers!server",
            "read:users:name!user",
            "read:users:groups!user",
            "list:services",
            "read:services",
        ],
    },
    {
        "name": f"formgrade-{COURSE}",
        "groups": [f"formgrade-{COURSE}"],
        "scopes": [f"access:services!service={COURSE}"],
    },
    {
        "name": f"nbgrader-{COURSE}",
        "groups": [f"nbgrader-{COURSE}"],
        "scopes": ["list:services", f"read:services!service={COURSE}"],
    },
    {
        # the formgrader service: read the class list, add students to the course
        # group (nbgrader's JupyterHubAuthPlugin), nothing else
        "name": f"service-{COURSE}",
        "services": [COURSE],
        "scopes": [
            "read:users:name",
            "read:users:groups",
            "list:groups",
            f"read:groups!group=nbgrader-{COURSE}",
            f"groups!group=nbgrader-{COURSE}",
        ],
    },
]


def _base_env(role: str) -> dict:
    """Environment of a server: the course's venv, its role's Jupyter config."""
    return {
        "PATH": f"{VENV}/bin:/usr/local/bin:/usr/bin:/bin",
        "JUPYTER_CONFIG_PATH": f"{ETC}/{role}:{ETC}/common",
        "QF_EXCHANGE_ROOT": EXCHANGE,
        # marks this hub's processes (hubctl stop ends any that outlive it)
        "QF_HUB_STATE": STATE,
        "LANG": "C.UTF-8",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "HF_HUB_OFFLINE": "1",
    }


class CourseSpawner(LocalProcessSpawner):
    """A local process as the user's own uid, with its role's Jupyter config."""

    def get_env(self):
        env = super().get_env()
        role = "instructor" if self.user.name in INSTRUCTORS else "student"
        env.update(_base_env(role))
        return env


c.JupyterHub.spawner_class = CourseSpawner
c.Spawner.cmd = [f"{VENV}/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90
# Nothing from root's environment leaks into a user's server.
c.Spawner.env_keep = []
c.Spawner.args = [
    "--ServerApp.shutdown_no_activity_timeout=3600",
    "--MappingKernelManager.cull_idle_timeout=3600",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.news_url=None",
]

# -- the course's formgrader, a service run as the grader account ----------------------
c.JupyterHub.services = [
    {
        "name": COURSE,
        "url": f"http://127.0.0.1:{SERVICE_PORT}",
        "command": [
            f"{VENV}/bin/jupyterhub-singleuser",
            # the course root is the server's root and working directory, so the
            # formgrader and a terminal's `nbgrader` read its nbgrader_config.py
            f"--ServerApp.root_dir={COURSE_ROOT}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=None",
        ],
        "user": GRADER,
        "cwd": COURSE_ROOT,
        "environment": {
            **_base_env("grader"),
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            "QF_COURSE_ROOT": COURSE_ROOT,
        },
        "oauth_no_confirm": True,
    }
]
