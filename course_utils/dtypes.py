"""Dtype names: torch's name of a dtype written any way, floats and integers.

Float names go through the format registry's aliases (:func:`get_format`:
``fp16``, ``half``, ``bf16``, ...); integer names come from one small table.
Lesson 4 loads models in a dtype given this way; the workbooks accept any of
these names in answers.
"""

from __future__ import annotations

from typing import Any

import torch

from course_utils.formats import get_format, normalise_name

__all__ = ["dtype_name", "torch_dtype"]

_INT_DTYPES: dict[str, str] = {
    "int8": "int8", "i8": "int8", "qint8": "int8", "char": "int8",
    "uint8": "uint8", "u8": "uint8", "byte": "uint8",
    "int16": "int16", "short": "int16", "int32": "int32", "int": "int32",
    "int64": "int64", "long": "int64",
    "int4": "int4", "qint4": "int4", "uint4": "uint4", "int2": "int2",
}


def dtype_name(dtype: Any) -> str:
    """Torch's name of a dtype given by name or alias, any case, or a torch dtype.

    Float names go through :func:`get_format`'s aliases (``fp16``, ``half``,
    ``bf16``, ...); integer names (``int8``, ``i8``, ``uint8``, ``int4``, ...) come
    from one small table. ``int4`` has no torch dtype but is still a name.

    >>> dtype_name("BF16"), dtype_name(torch.float16), dtype_name("I8")
    ('bfloat16', 'float16', 'int8')
    """
    text = str(dtype) if isinstance(dtype, torch.dtype) else dtype
    if not isinstance(text, str):
        raise TypeError(f"expected a dtype or a dtype name, got {type(dtype).__name__}")
    key = normalise_name(text).replace("_", "")
    if key in _INT_DTYPES:
        return _INT_DTYPES[key]
    try:
        fmt = get_format(text)
    except ValueError:
        raise ValueError(f"unknown dtype name {dtype!r}; expected a float format "
                         "(fp32, bf16, half, ...) or an integer type (int8, uint8, "
                         "...)") from None
    if fmt.torch_dtype is None:
        raise ValueError(f"{fmt.name} has no torch dtype")
    return str(fmt.torch_dtype).removeprefix("torch.")


def torch_dtype(dtype: Any) -> torch.dtype:
    """The torch dtype of a name such as ``"bf16"`` (or a torch dtype itself).

    Lesson 4 loads models in a dtype given this way.

    >>> torch_dtype("bf16"), torch_dtype(torch.float16), torch_dtype("int8")
    (torch.bfloat16, torch.float16, torch.int8)
    """
    if isinstance(dtype, torch.dtype):
        return dtype
    name = dtype_name(dtype)
    result = getattr(torch, name, None)
    if not isinstance(result, torch.dtype):
        raise ValueError(f"{dtype!r} has no torch dtype")
    return result
