"""Grading: learners' code in an OS sandbox, the tests judged apart.

- ``execute``: nbgrader's Execute step (``GradeInSandbox``), set in the course's
  ``nbgrader_config.py``;
- ``plan``, ``transport``, ``judge``: what the learner's kernel exports, how the
  answers travel as plain data, and the tests run on them;
- ``session``: one submission's sandbox (the course package as the sandbox sees
  it, the kernel manager);
- ``sandbox``, ``kernel``, ``policy``, ``scratch``, ``cgroup``: the bubblewrap
  sandbox itself (see docs/sandbox.md);
- ``engine``: every submission graded in parallel; ``samples``: sample
  submissions for tests and benchmarks.
"""
