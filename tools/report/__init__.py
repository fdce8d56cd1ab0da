"""What the class got wrong, grades for an LMS, and the course's late policy.

One module, one job:

- ``verdicts``: read ``autograded/<student>/<assignment>/verdicts.json``
- ``catalogue``: the catalogue of mistakes (question -> mistake -> description)
- ``gradebook``: read nbgrader's gradebook into plain records, in one query
- ``late_policy``: due dates and a per-day late penalty with a cap and a grace
- ``late_feedback``: the feedback preprocessor that shows late days and penalty
- ``stats``: facility, item-rest correlation, upper-lower 27 % index
- ``analysis``: per question, per wrong answer and per student tables
- ``figures``: the report's matplotlib figures (Okabe-Ito colours)
- ``report_csv`` and ``html``: write ``reports/item_analysis.csv`` / ``.html``
- ``build``: ``make report``, from the gradebook and verdicts to the files
- ``lms``: Canvas and Moodle grade-import CSVs, keyed by a student mapping
- ``atomic``: write a file whole or not at all
- ``synthetic``: a synthetic class (gradebook + verdicts) for tests and bench
"""
