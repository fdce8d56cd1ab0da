"""Item statistics against independent references (stdlib, brute force)."""

from __future__ import annotations

import itertools
import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.report import stats

scores = st.lists(st.integers(0, 4), min_size=2, max_size=7)


@given(scores, st.data())
@settings(max_examples=60, deadline=None)
def test_item_rest_correlation_is_pearson_of_item_and_rest(item, data):
    rest = data.draw(st.lists(st.integers(0, 9), min_size=len(item),
                              max_size=len(item)))
    total = [i + r for i, r in zip(item, rest, strict=True)]
    got = stats.item_rest_correlation(item, total)
    if len(item) < 3 or len(set(item)) == 1 or len(set(rest)) == 1:
        assert math.isnan(got)
    else:
        assert got == pytest.approx(statistics.correlation(item, rest), abs=1e-12)


def _strict_d(order, item, k, max_points):
    upper = sum(item[i] for i in order[:k]) / k
    lower = sum(item[i] for i in order[-k:]) / k
    return (upper - lower) / max_points


@given(scores, st.data())
@settings(max_examples=40, deadline=None)
def test_ties_at_a_group_edge_average_every_way_of_breaking_them(item, data):
    """Sharing tied places equals the mean D over all orders of the tied learners."""
    total = data.draw(st.lists(st.integers(0, 3), min_size=len(item),
                               max_size=len(item)))
    k = stats.group_size(len(item))
    orders = [p for p in itertools.permutations(range(len(item)))
              if all(total[a] >= total[b] for a, b in itertools.pairwise(p))]
    expected = statistics.fmean(_strict_d(p, item, k, 4.0) for p in orders)
    assert stats.upper_lower_index(item, total, 4.0) == pytest.approx(expected)


def test_upper_lower_by_hand():
    # 10 learners: 27 % -> 3 a group. Top by total: 9, 8, 7 scored 1, 1, 0;
    # bottom: 0, 1, 2 scored 0, 1, 0.  D = 2/3 - 1/3.
    total = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    item = [1, 1, 0, 1, 0, 1, 1, 0, 1, 0]
    assert stats.upper_lower_index(item, total, 1.0) == pytest.approx(1 / 3)


def test_facility_and_bad_input():
    assert stats.facility([2, 1, 0], 2.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="max_points should be > 0"):
        stats.facility([1], 0)
    with pytest.raises(ValueError, match="1-d score arrays of one length"):
        stats.item_rest_correlation([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="finite"):
        stats.upper_lower_index([1, float("nan")], [1, 2], 1.0)
