"""nbgrader settings of a student's server on the course's JupyterHub."""

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# A submission readable by its author and the grader's group only (nbgrader's own
# submit leaves it world-readable, in a folder anyone may write to).
c.ExchangeFactory.submit = "course_hub.exchange.PrivateSubmit"
