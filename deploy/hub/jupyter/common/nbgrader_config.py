"""nbgrader settings of every account on the course's JupyterHub (not grading rules).

Found through JUPYTER_CONFIG_PATH, which the hub sets for every server. The
grading rules are the course's own ``nbgrader_config.py``, read by the grader only.
"""

import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# nbgrader's default exchange: one folder on a file system every server mounts
c.Exchange.root = os.environ.get("QF_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
# several courses can share the hub: ~/quantization-fundamentals/01_data_types/
c.Exchange.path_includes_course = True
# the hub's groups say who takes (nbgrader-<course>) and who grades (formgrade-<course>)
c.Authenticator.plugin_class = JupyterHubAuthPlugin
