"""Instructor tools of the course: generators, the instructor CLI, grading reports.

``tools.report`` holds the item-analysis report, the LMS exports and the late
policy; ``tools/instructor.py`` is the command line that calls them.
"""
