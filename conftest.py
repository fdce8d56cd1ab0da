"""Fixtures shared by the tests and the package's doctests.

The real MiniLM is loaded once per session (:func:`minilm`); tests that change a
model work on ``copy.deepcopy(minilm)``. Doctests of ``course_utils.models``
find it as ``minilm``.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def minilm():
    """The packaged all-MiniLM-L6-v2 in float32, loaded once per test session."""
    from course_utils import models

    return models.load_model()


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the whole session, shared by every browser test: its
    sync API cannot be started twice at once in one thread."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(autouse=True)
def _models_doctests(request, doctest_namespace):
    """Give the doctests of course_utils.models the session's model."""
    if request.node.name.startswith("course_utils.models"):
        doctest_namespace["minilm"] = request.getfixturevalue("minilm")
