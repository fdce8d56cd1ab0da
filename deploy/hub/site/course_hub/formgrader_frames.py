"""Let the grader's own JupyterLab frame the formgrader, and nothing else.

JupyterHub >= 4.1 sends ``Content-Security-Policy: frame-ancestors 'none'`` from
every single-user server (its ``singleuser`` extension puts it in the server's
default headers), so nbgrader's Formgrader tab, an iframe, stays blank. This server
extension, enabled only in the formgrader service, gives nbgrader's formgrader
pages ``frame-ancestors 'self'``; every other page keeps JupyterHub's ``'none'``.

``'self'`` is only safe when the service has an origin of its own, i.e. when the
hub runs with subdomains (``JupyterHub.subdomain_host``, which sets
``JUPYTERHUB_HOST``): then no student's server can frame the formgrader. Without
subdomains every server shares one origin, and this extension changes nothing.
"""

from __future__ import annotations

import os

FRAME_POLICY = "frame-ancestors 'self'"


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "course_hub.formgrader_frames"}]


def frames_allowed(environ: dict | None = None) -> bool:
    """Whether this server runs on its own origin (a JupyterHub subdomain).

    >>> frames_allowed({"JUPYTERHUB_HOST": "http://course--service.localhost:8000"})
    True
    >>> frames_allowed({"JUPYTERHUB_HOST": ""})
    False
    """
    environ = os.environ if environ is None else environ
    return bool(environ.get("JUPYTERHUB_HOST", "").strip())


def _load_jupyter_server_extension(serverapp) -> None:
    from nbgrader.server_extensions.formgrader.base import BaseHandler

    if not frames_allowed():
        serverapp.log.warning(
            "course_hub.formgrader_frames: no JupyterHub subdomain, so the "
            "formgrader keeps frame-ancestors 'none' (open it in its own tab)"
        )
        return
    BaseHandler.content_security_policy = property(lambda self: FRAME_POLICY)
    serverapp.log.info("course_hub.formgrader_frames: formgrader pages: %s",
                       FRAME_POLICY)
