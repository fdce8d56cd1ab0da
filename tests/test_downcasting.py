"""Tests of course_utils.downcasting: the measurement behind lesson 3's figure.

That the measurement still supports workbook 02's answer key is checked in
``test_keys_match_lessons.py``; here, its arithmetic and its input checks.
"""

from __future__ import annotations

import pytest
import torch

from course_utils import downcasting


def test_relative_error_by_hand():
    assert downcasting.relative_error(torch.tensor([3.0, 4.0]),
                                      torch.tensor([3.0, 4.0])) == 0.0
    # |(0, 1)| / |(3, 4)| = 1 / 5
    assert downcasting.relative_error(torch.tensor([3.0, 5.0]),
                                      torch.tensor([3.0, 4.0])) == pytest.approx(0.2)


def test_errors_are_those_of_torch_casts():
    (k,) = sizes = (32,)
    errors = downcasting.matmul_errors(sizes, rows=4, cols=3, seed=5)
    g = torch.Generator().manual_seed(5)
    a, b = torch.randn(4, k, generator=g), torch.randn(k, 3, generator=g)
    exact = a.double() @ b.double()
    low = (a.half() @ b.half()).double()
    assert errors["fp16"] == [pytest.approx(
        ((low - exact).norm() / exact.norm()).item(), rel=1e-12)]
    assert all(len(v) == 1 and v[0] > 0 for v in errors.values())


def test_bad_input():
    with pytest.raises(ValueError):
        downcasting.matmul_errors(())
    with pytest.raises(ValueError):
        downcasting.matmul_errors((0,))
    with pytest.raises(TypeError):
        downcasting.matmul_errors((2.5,))
    with pytest.raises(ValueError):
        downcasting.relative_error(torch.ones(2), torch.zeros(2))
    with pytest.raises(ValueError):
        downcasting.relative_error(torch.ones(2), torch.ones(3))
