"""nbgrader settings of the grader's formgrader service (exchange, not grading rules).

The grading rules are the course's ``nbgrader_config.py``: the course root holds a
symbolic link to the repository's file, and nbgrader reads it there (the service's
working directory) after this one.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.root = os.environ["QF_COURSE_ROOT"]
# Collect only submissions owned by the student their name claims (nbgrader's own
# collect warns and takes them anyway: anyone could hand in for anyone else).
c.ExchangeFactory.collect = "course_hub.exchange.OwnerCheckedCollect"
# Feedback readable by its student only (nbgrader's own leaves it world-readable,
# hidden by an unguessable name).
c.ExchangeFactory.release_feedback = "course_hub.exchange.PrivateReleaseFeedback"
