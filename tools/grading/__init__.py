"""Grading engine: the operating-system sandbox that learners' code runs in.

``sandbox`` runs a command in a bubblewrap sandbox, ``kernel`` runs a Jupyter
kernel in one (for nbclient / nbgrader), ``policy`` holds the limits and the
availability check, ``cgroup`` the optional total memory and process caps.
"""
