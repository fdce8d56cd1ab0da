"""The error of downcasting a matrix multiplication, measured (Lesson 3).

Lesson 3 multiplies random ``(rows x k)`` and ``(k x cols)`` fp32 matrices in
bf16 and fp16 for growing inner sizes ``k`` and compares each result with the
exact product (float64 from the same fp32 numbers). The lesson's figure and the
answer key of workbook 02 (the error does not grow with ``k``, because torch adds
the products in fp32) both rest on :func:`matmul_errors`, so a test can recompute
the measurement and check that the key still holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from course_utils.integers import check_int

__all__ = ["INNER_SIZES", "matmul_errors", "relative_error"]

#: The inner sizes lesson 3 measures: 16, 64, ..., 16384.
INNER_SIZES = tuple(2**k for k in range(4, 15, 2))

#: The results measured, by label: how each product is computed from fp32 a, b.
_PRODUCTS = {
    "bf16": lambda a, b: a.to(torch.bfloat16) @ b.to(torch.bfloat16),
    "fp16": lambda a, b: a.to(torch.float16) @ b.to(torch.float16),
    "bf16 inputs, fp32 result": lambda a, b: (a.to(torch.bfloat16).float()
                                              @ b.to(torch.bfloat16).float()),
}


def relative_error(approx: torch.Tensor, exact: torch.Tensor) -> float:
    """``‖approx - exact‖ / ‖exact‖`` (Frobenius norms), computed in float64.

    >>> round(relative_error(torch.tensor([3.0, 4.1]), torch.tensor([3.0, 4.0])), 6)
    0.02
    """
    for name, t in (("approx", approx), ("exact", exact)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if approx.shape != exact.shape:
        raise ValueError(f"approx and exact must have the same shape, got "
                         f"{tuple(approx.shape)} and {tuple(exact.shape)}")
    norm = exact.double().norm()
    if norm == 0:
        raise ValueError("exact is all zero: a relative error is undefined")
    return float((approx.double() - exact.double()).norm() / norm)


def matmul_errors(inner_sizes: Sequence[int] = INNER_SIZES, rows: int = 64,
                  cols: int = 64, seed: int = 1) -> dict[str, list[float]]:
    """Relative error of a downcast matrix multiplication, per inner size (Lesson 3).

    For each ``k`` in ``inner_sizes``, two random fp32 matrices ``a`` (``rows x
    k``) and ``b`` (``k x cols``, standard normal, from a generator seeded with
    ``seed``) are multiplied three ways: in bf16, in fp16, and with bf16 inputs
    but an fp32 result; each is compared with the exact ``a @ b`` (float64) by
    :func:`relative_error`.

    Returns:
        ``{"bf16": [...], "fp16": [...], "bf16 inputs, fp32 result": [...]}``,
        one error per inner size, in order.

    >>> errors = matmul_errors((16, 1024))
    >>> sorted(errors)
    ['bf16', 'bf16 inputs, fp32 result', 'fp16']
    >>> [f"{e:.1e}" for e in errors["bf16"]]  # about 2**-8.5, whatever k
    ['2.9e-03', '2.8e-03']
    """
    if isinstance(inner_sizes, int) or not inner_sizes:
        raise ValueError("inner_sizes must be a non-empty sequence of sizes")
    sizes = [check_int(k, "an inner size") for k in inner_sizes]
    for what, n in (("an inner size", min(sizes)), ("rows", check_int(rows, "rows")),
                    ("cols", check_int(cols, "cols"))):
        if n < 1:
            raise ValueError(f"{what} must be at least 1, got {n}")
    generator = torch.Generator().manual_seed(check_int(seed, "seed"))
    errors: dict[str, list[float]] = {label: [] for label in _PRODUCTS}
    for k in sizes:
        a = torch.randn(rows, k, generator=generator)
        b = torch.randn(k, cols, generator=generator)
        exact = a.double() @ b.double()
        for label, product in _PRODUCTS.items():
            errors[label].append(relative_error(product(a, b), exact))
    return errors
