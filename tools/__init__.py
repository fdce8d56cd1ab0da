"""Course tools: workbook and lesson generators, the instructor CLI, grading."""
