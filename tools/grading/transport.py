"""Answers as plain data: how a learner's answers leave the grading sandbox.

Inside the sandbox, :func:`export` turns the names a test reads into tagged JSON
(tensors as raw bytes, finfo objects and dtypes by name, models as their
parameters, functions as their outputs on the grader's probe inputs) and sends
it as one display message. Outside, :func:`decode` turns that data back into
plain Python and torch objects, :class:`RecordedFunction` and
:class:`RecordedModule`, without running any of the learner's code.

This file runs in the sandbox by itself (it is bound there read-only and
``exec``-ed by the export cells), so it imports only the standard library and
torch.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from typing import Any

import torch

__all__ = ["MIME", "RecordedFunction", "RecordedModule", "decode", "encode",
           "export", "fingerprint"]

#: The MIME type of the display message that carries a test's answers.
MIME = "application/x-course-answers+json"
#: At most this many bytes of tensor data per export (a flood is an error).
MAX_BYTES = 4 << 20
_TYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16",
          "bfloat16", "float32", "float64")


class TooLarge(ValueError):
    """An answer with more tensor data than :data:`MAX_BYTES`."""


# ------------------------------------------------------------------ encoding
def _tensor(t: torch.Tensor, budget: list[int]) -> dict:
    t = t.detach().cpu().contiguous()
    name = str(t.dtype).removeprefix("torch.")
    if name not in _TYPES:
        t, name = t.to(torch.float64), "float64"
    raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
    budget[0] -= len(raw)
    if budget[0] < 0:
        raise TooLarge(f"more than {MAX_BYTES >> 20} MiB of tensor data")
    return {"$tensor": {"dtype": name, "shape": list(t.shape),
                        "data": base64.b64encode(raw).decode("ascii")}}


def encode(value: Any, budget: list[int] | None = None,
           seen: dict[int, int] | None = None) -> Any:
    """Tagged JSON of a value (see the module docstring); never raises for odd
    values: what it cannot encode becomes ``{"$object": type name}``."""
    budget = [MAX_BYTES] if budget is None else budget
    seen = {} if seen is None else seen
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, bool):
        return bool.__bool__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        number = float.__float__(value)
        return number if math.isfinite(number) else {"$float": repr(number)}
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, torch.Tensor):
        return _tensor(value, budget)
    if isinstance(value, tuple | list):
        items = [encode(v, budget, seen) for v in value]
        return {"$tuple": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {"$dict": [[encode(k, budget, seen), encode(v, budget, seen)]
                          for k, v in list(value.items())]}
    if isinstance(value, range):
        return {"$range": [value.start, value.stop, value.step]}
    if isinstance(value, torch.dtype):
        return {"$dtype": str(value).removeprefix("torch.")}
    if isinstance(value, torch.finfo | torch.iinfo):
        kind = "$finfo" if isinstance(value, torch.finfo) else "$iinfo"
        return {kind: str(value.dtype).removeprefix("torch.")}
    if isinstance(value, torch.nn.Module):
        if id(value) in seen:
            return {"$ref": seen[id(value)]}
        seen[id(value)] = len(seen)
        return {"$module": {"ref": seen[id(value)], "class": type(value).__name__,
                            "params": [[n, _tensor(p, budget)]
                                       for n, p in value.named_parameters()]}}
    if hasattr(value, "__array__") or type(value).__module__.startswith("numpy"):
        try:
            return _tensor(torch.as_tensor(value), budget)
        except (TypeError, ValueError, RuntimeError):
            pass
    return {"$object": type(value).__name__}


def fingerprint(args: tuple) -> str:
    """A short hash of encoded probe arguments: how a probe call is looked up."""
    text = json.dumps(encode(tuple(args)), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


# ------------------------------------------------------------------ decoding
def _decode_tensor(spec: dict) -> torch.Tensor:
    name = spec["dtype"]
    if name not in _TYPES:
        raise ValueError(f"unexpected tensor dtype {name!r}")
    dtype = getattr(torch, name)
    raw = bytearray(base64.b64decode(spec["data"]))
    shape = [int(n) for n in spec["shape"]]
    if not raw:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(raw, dtype=torch.uint8).view(dtype).reshape(shape)


def _dtype(name: str) -> torch.dtype:
    dtype = getattr(torch, str(name), None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"unexpected dtype {name!r}")
    return dtype


class RecordedModule(torch.nn.Module):
    """A learner's model as its parameters (as they were when exported)."""

    def __init__(self, class_name: str, params: list[tuple[str, torch.Tensor]]):
        super().__init__()
        self.class_name = class_name
        self._recorded = [(n, torch.nn.Parameter(t, requires_grad=False))
                          for n, t in params]

    def named_parameters(self, *args, **kwargs):
        yield from self._recorded

    def parameters(self, *args, **kwargs):
        for _, param in self._recorded:
            yield param

    def forward(self, *args: Any) -> Any:
        raise RuntimeError("a graded model is judged by its parameters only")


class RecordedFunction:
    """A learner's function as its outputs on the grader's probe inputs."""

    def __init__(self, name: str, calls: dict[str, Any]) -> None:
        self.__name__ = name
        self._calls = calls

    def __call__(self, *args: Any) -> Any:
        key = fingerprint(args)
        if key not in self._calls:
            raise LookupError(f"{self.__name__} was not called on these inputs "
                              "while it was graded")
        result = self._calls[key]
        if isinstance(result, dict) and "$raised" in result:
            error = {"NotImplementedError": NotImplementedError}.get(
                result["$raised"], RuntimeError)
            raise error(f"{result['$raised']}: {result.get('message', '')}")
        return decode(result)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: What a missing name decodes to (``course_utils.feedback.MISSING`` when the
#: judge sets it, so verdicts say "not answered").
MISSING: Any = _Missing()


def decode(data: Any, modules: dict[int, RecordedModule] | None = None) -> Any:
    """Plain Python and torch objects from tagged JSON (no learner code runs)."""
    modules = {} if modules is None else modules
    if isinstance(data, list):
        return [decode(v, modules) for v in data]
    if not isinstance(data, dict):
        return data
    (tag, body), = data.items() if len(data) == 1 else ((None, None),)
    if tag == "$tuple":
        return tuple(decode(v, modules) for v in body)
    if tag == "$dict":
        return {_hashable(decode(k, modules)): decode(v, modules) for k, v in body}
    if tag == "$float":
        return float(body)
    if tag == "$tensor":
        return _decode_tensor(body)
    if tag == "$range":
        return range(*[int(v) for v in body])
    if tag == "$dtype":
        return _dtype(body)
    if tag in ("$finfo", "$iinfo"):
        return (torch.finfo if tag == "$finfo" else torch.iinfo)(_dtype(body))
    if tag == "$module":
        module = RecordedModule(str(body["class"]), [
            (str(n), _decode_tensor(t["$tensor"])) for n, t in body["params"]])
        modules[int(body["ref"])] = module
        return module
    if tag == "$ref":
        return modules[int(body)]
    if tag == "$missing":
        return MISSING
    if tag == "$object":
        return _Opaque(str(body))
    raise ValueError(f"unexpected answer data: {str(data)[:80]}")


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


class _Opaque:
    """An answer of a type the export could not carry (only its type name)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<a {self.type_name}>"


# ------------------------------------------------------ inside the sandbox
def export(test_id: str, names: list[str], calls: dict[str, str],
           namespace: dict) -> None:
    """Send the answers ``test_id`` reads, and probe calls of its functions.

    ``calls`` maps a function's name to the base64 JSON of its probe argument
    tuples (made by the grader). Runs in the learner's kernel.
    """
    from IPython.display import publish_display_data

    budget: list[int] = [MAX_BYTES]
    seen: dict[int, int] = {}
    values, outputs = {}, {}
    for name in names:
        try:
            values[name] = encode(namespace[name], budget, seen) if (
                name in namespace) else {"$missing": True}
        except TooLarge as error:
            values[name] = {"$object": f"answer too large: {error}"}
    for name, blob in calls.items():
        fn = namespace.get(name)
        outputs[name] = {}
        if not callable(fn):
            continue
        for args_data in json.loads(base64.b64decode(blob)):
            args = decode(args_data)
            key = fingerprint(tuple(args))
            try:
                outputs[name][key] = encode(fn(*args), budget, seen)
            except TooLarge as error:
                outputs[name][key] = {"$raised": "TooLarge", "message": str(error)}
            except Exception as error:  # the learner's function failed
                outputs[name][key] = {"$raised": type(error).__name__,
                                      "message": str(error)[:300]}
    publish_display_data({MIME: {"test": test_id, "values": values,
                                 "calls": outputs}})
