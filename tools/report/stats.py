"""Classical item statistics: facility, item-rest correlation, upper-lower index.

For one item (question) over the learners who took it:

- **facility**: the mean item score over its maximum (1 = everyone right);
- **item-rest correlation**: Pearson's r between the item score and the rest of
  the assignment (the total minus this item). For a right/wrong item this is
  the point-biserial correlation; leaving the item out of the total stops it
  correlating with itself;
- **upper-lower index** D (Kelley's 27 %): the item's mean score in the top 27 %
  of learners by total minus that in the bottom 27 %, over its maximum. Learners
  tied at a group's edge share the places left, each with the same weight, so
  the index does not depend on the order of their names.

Both discrimination indices are ``nan`` when they are undefined: fewer than
three learners (r) or two (D), or no spread in a score (r).
"""

from __future__ import annotations

import math

import numpy as np

UPPER_LOWER_FRACTION = 0.27


def _arrays(*values) -> list[np.ndarray]:
    arrays = [np.asarray(v, dtype=float) for v in values]
    shape = arrays[0].shape
    for a in arrays:
        if a.ndim != 1 or a.shape != shape:
            raise ValueError("expected 1-d score arrays of one length, got shapes "
                             f"{[x.shape for x in arrays]}")
        if not np.isfinite(a).all():
            raise ValueError("scores should be finite numbers")
    return arrays


def facility(item, max_points: float) -> float:
    """Mean item score over its maximum.

    >>> facility([1, 0, 1, 1], 1.0)
    0.75
    """
    (item,) = _arrays(item)
    if max_points <= 0:
        raise ValueError(f"max_points should be > 0, got {max_points}")
    return float(item.mean() / max_points) if item.size else math.nan


def item_rest_correlation(item, total) -> float:
    """Pearson's r of the item score with the total minus the item.

    >>> round(item_rest_correlation([1, 1, 0, 0], [3, 2, 2, 0]), 4)
    0.3015
    """
    item, total = _arrays(item, total)
    if item.size < 3:
        return math.nan
    rest = total - item
    di, dr = item - item.mean(), rest - rest.mean()
    denominator = math.sqrt(float((di * di).sum()) * float((dr * dr).sum()))
    if denominator == 0:
        return math.nan
    return float((di * dr).sum() / denominator)


def group_size(n: int, fraction: float = UPPER_LOWER_FRACTION) -> int:
    """Learners in each of the upper and lower groups: 27 % of n, rounded half up.

    >>> group_size(10), group_size(31), group_size(2)
    (3, 8, 1)
    """
    return max(1, math.floor(fraction * n + 0.5)) if n else 0


def _edge_weights(total: np.ndarray, k: int, top: bool) -> np.ndarray:
    """Weights (summing to k) of the k highest (or lowest) totals, ties shared."""
    ordered = np.sort(total)[::-1] if top else np.sort(total)
    edge = ordered[k - 1]
    inside = total > edge if top else total < edge
    tied = total == edge
    weights = inside.astype(float)
    weights[tied] = (k - inside.sum()) / tied.sum()
    return weights


def upper_lower_index(item, total, max_points: float,
                      fraction: float = UPPER_LOWER_FRACTION) -> float:
    """Mean item score of the top group minus that of the bottom, over the maximum.

    >>> upper_lower_index([1, 1, 0, 1, 0, 0], [5, 4, 3, 3, 1, 0], 1.0, 0.34)
    1.0
    """
    item, total = _arrays(item, total)
    if max_points <= 0:
        raise ValueError(f"max_points should be > 0, got {max_points}")
    if item.size < 2:
        return math.nan
    k = group_size(item.size, fraction)
    upper = _edge_weights(total, k, top=True)
    lower = _edge_weights(total, k, top=False)
    return float(((upper - lower) * item).sum() / k / max_points)
