"""Tests that need what a machine may lack: skipped here, failed under CI.

Under ``CI=true`` (also ``1`` or ``yes``) a missing browser, sandbox or root is
a failure, so those tests can never pass by being skipped.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """Whether ``CI`` says this is a CI run."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> NoReturn:
    """Skip with ``reason`` (which says how to fix it); under CI, fail instead."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: these tests must run in CI)")
    pytest.skip(reason)
