"""Grading engine: the operating-system sandbox that learners' code runs in.

``sandbox`` runs a command in a bubblewrap sandbox, ``kernel`` runs a Jupyter
kernel in one (for nbclient / nbgrader), ``policy`` holds the limits and the
availability check, ``scratch`` the host side (uid slots, the scratch tmpfs,
copying files in and out), ``cgroup`` the total memory and process caps.
See docs/sandbox.md.
"""
