"""The course's additions to nbgrader and Jupyter Server on its JupyterHub.

Installed by ``deploy/hub/hubctl.py setup`` beside the hub's virtual environment
(a ``.pth`` file puts it on every server's path); not part of ``course_utils``.
"""
