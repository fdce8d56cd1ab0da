"""Self-checks of workbook answers: ✓ or ✗ with a hint, never the expected value.

Used in the graded workbooks (``source/`` and ``release/``) that follow every
lesson; a self-study learner calls ``check("uint8_bits", uint8_bits)`` or
``check_all()`` in the notebook. Works offline and without nbgrader.

How answers are compared without storing them: every answer is first brought to
a *canonical form* (:func:`canonical`: a range as a ``(min, max)`` tuple of ints,
a bit string without spaces, ``_`` or ``0b``, a field name in lower case with
synonyms merged, ...). The package stores only an HMAC-SHA256 of that form, keyed
per question (``course_utils._answer_keys``, written by
``tools/workbooks/build.py``). Numbers measured on tensors are compared by the
hash of their logarithmic bin, so a small tolerance is allowed. The learner's own
kernels (``03_linear_quantization``) are compared with ``course_utils.quant`` while
a tripwire (:func:`call_own`) makes sure they do not call it.

The hidden tests of the workbooks use :func:`canonical` and :func:`call_own` too,
so the self-check and the grader accept the same forms.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import inspect
import json
import math
import numbers
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

#: Lowest and highest bit widths the range functions are probed with.
RANGE_PROBES: tuple[int, ...] = (1, 2, 3, 4, 5, 7, 8, 12, 16, 24, 32)

#: Relative width of the bins measured numbers are hashed in (self-check only):
#: the self-check accepts within about 1.5 bins, the hidden tests within
#: ``FLOAT_RTOL``, so a number the self-check accepts is never graded wrong.
FLOAT_BIN = 0.002
#: Relative tolerance of the hidden tests for measured numbers.
FLOAT_RTOL = 0.005

_FIELD_SYNONYMS = {
    "sign": "sign",
    "s": "sign",
    "exponent": "exponent",
    "exp": "exponent",
    "e": "exponent",
    "mantissa": "fraction",
    "fraction": "fraction",
    "frac": "fraction",
    "significand": "fraction",
    "m": "fraction",
}

_DTYPE_SYNONYMS = {
    "float32": "float32", "fp32": "float32", "f32": "float32", "float": "float32",
    "single": "float32",
    "float16": "float16", "fp16": "float16", "f16": "float16", "half": "float16",
    "bfloat16": "bfloat16", "bf16": "bfloat16", "brainfloat16": "bfloat16",
    "float64": "float64", "fp64": "float64", "double": "float64",
    "int8": "int8", "i8": "int8", "qint8": "int8",
    "uint8": "uint8", "u8": "uint8",
    "int4": "int4", "uint4": "uint4", "int16": "int16", "int32": "int32",
    "int64": "int64",
}

_QUANT_WORDS = {
    "asymmetric": "asymmetric", "asym": "asymmetric", "affine": "asymmetric",
    "symmetric": "symmetric", "sym": "symmetric", "scale": "symmetric",
}


class AnswerFormatError(TypeError):
    """An answer that is not in any form the question accepts."""


class LibraryKernelUsed(AssertionError):
    """A learner's function reached course_utils' own kernel instead of its own."""


# --------------------------------------------------------------------------------
# Canonical forms, one per kind of answer
# --------------------------------------------------------------------------------


def as_int(value: Any) -> int:
    """Canonical integer: ints, integral floats, numeric strings, 0-d tensors.

    >>> as_int(" -7 "), as_int(12.0), as_int("1_000")
    (-7, 12, 1000)
    """
    if isinstance(value, bool):
        raise AnswerFormatError("expected a number, got a bool")
    if isinstance(value, str):
        text = value.strip().replace("_", "").replace(",", "")
        try:
            return int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise AnswerFormatError(
                    f"expected a whole number, got the text {value!r}"
                ) from None
    value = _scalar(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if math.isfinite(float(value)) and float(value) == int(value):
            return int(value)
        raise AnswerFormatError(f"expected a whole number, got {value!r}")
    raise AnswerFormatError(f"expected a whole number, got {type(value).__name__}")


def as_float(value: Any) -> float:
    """Canonical real number: floats, ints, numeric strings, 0-d tensors.

    >>> as_float("0.5"), as_float(2)
    (0.5, 2.0)
    """
    if isinstance(value, bool):
        raise AnswerFormatError("expected a number, got a bool")
    if isinstance(value, str):
        try:
            value = float(value.strip().replace("_", ""))
        except ValueError:
            raise AnswerFormatError(f"expected a number, got {value!r}") from None
    value = _scalar(value)
    if not isinstance(value, numbers.Real):
        raise AnswerFormatError(f"expected a number, got {type(value).__name__}")
    result = float(value)
    if math.isnan(result):
        raise AnswerFormatError("expected a number, got NaN")
    return result


def as_range(value: Any) -> tuple[int, int]:
    """Canonical range: a ``(min, max)`` tuple from a list, tuple or 2-element tensor.

    >>> as_range([0, "15"])
    (0, 15)
    """
    if isinstance(value, range):
        if value.step != 1 or len(value) == 0:
            raise AnswerFormatError(
                "expected (min, max), got an empty or stepped range")
        return (int(value.start), int(value.stop) - 1)
    if isinstance(value, dict) and set(value) == {"min", "max"}:
        value = (value["min"], value["max"])
    items = _items(value)
    if items is None or len(items) != 2:
        raise AnswerFormatError(
            f"expected a (min, max) pair of numbers, got {_describe(value)}"
        )
    return (as_int(items[0]), as_int(items[1]))


def as_bits(value: Any, n_bits: int | None = None) -> str:
    """Canonical bit string: no spaces, ``_`` or ``0b``; only 0 and 1.

    >>> as_bits("0b0101_1010"), as_bits("1010 1010", 8)
    ('01011010', '10101010')
    """
    if not isinstance(value, str):
        raise AnswerFormatError(
            f"expected a bit string such as '0000 1111', got {_describe(value)}"
        )
    text = "".join(value.split()).replace("_", "").replace("'", "")
    if text[:2].lower() == "0b":
        text = text[2:]
    if not text or set(text) - {"0", "1"}:
        raise AnswerFormatError(f"expected only 0s and 1s, got {value!r}")
    if n_bits is not None and len(text) != n_bits:
        raise AnswerFormatError(
            f"expected all {n_bits} bits (leading zeros too), got {len(text)}"
        )
    return text


def as_field(value: Any) -> str:
    """Canonical float field name: ``sign``, ``exponent`` or ``fraction``.

    Any case; "bits"/"field" ignored; mantissa, fraction, significand merged.

    >>> as_field("Mantissa bits"), as_field("EXPONENT")
    ('fraction', 'exponent')
    """
    if not isinstance(value, str):
        raise AnswerFormatError(f"expected a field name, got {_describe(value)}")
    words = value.strip().lower().replace("_", " ").replace("-", " ").split()
    words = [w for w in words if w not in {"the", "bits", "bit", "field", "fields"}]
    text = " ".join(words)
    return _FIELD_SYNONYMS.get(text, text)


def as_dtype(value: Any) -> str:
    """Canonical dtype name from a string (any case, fp32/bf16/...) or torch dtype.

    >>> as_dtype("BF16"), as_dtype("torch.float32"), as_dtype("Half")
    ('bfloat16', 'float32', 'float16')
    """
    text = str(value) if not isinstance(value, str) else value
    text = text.strip().lower().replace("torch.", "").replace("_", "")
    text = text.replace(" ", "").replace("-", "")
    if text not in _DTYPE_SYNONYMS:
        raise AnswerFormatError(f"expected a dtype name such as 'fp16', got {value!r}")
    return _DTYPE_SYNONYMS[text]


def as_word(value: Any) -> str:
    """Canonical scheme name: ``symmetric`` or ``asymmetric`` (any case).

    >>> as_word(" Asymmetric ")
    'asymmetric'
    """
    if not isinstance(value, str):
        raise AnswerFormatError(f"expected a word, got {_describe(value)}")
    text = value.strip().lower().rstrip(".")
    return _QUANT_WORDS.get(text, text)


def as_finfo(value: Any) -> str:
    """Canonical description object: the dtype a ``torch.finfo``/``iinfo`` is for.

    >>> import torch
    >>> as_finfo(torch.finfo(torch.float16))
    'finfo:float16'
    """
    import torch

    if isinstance(value, torch.finfo):
        return f"finfo:{as_dtype(value.dtype)}"
    if isinstance(value, torch.iinfo):
        return f"iinfo:{as_dtype(value.dtype)}"
    raise AnswerFormatError(f"expected a torch object, got {_describe(value)}")


def range_fn_outputs(fn: Any, n_values: tuple[int, ...] = RANGE_PROBES) -> tuple:
    """Canonical form of a range function: its ranges at several bit widths."""
    if not callable(fn):
        raise AnswerFormatError(f"expected a function, got {_describe(fn)}")
    return tuple(as_range(fn(n)) for n in n_values)


@dataclass(frozen=True)
class _Question:
    kind: str                         # "int", "float", "range", "bits", ...
    hint: str
    keys: str | None = None           # dict answers: kind of the keys
    arg: Any = None                   # extra argument (bit width, kernel name)
    part_hint: str = ""               # dict answers: hint per wrong entry


_BITS_HINT = (
    "{key}: write it as a sum of powers of two (128, 64, 32, ...), one bit per place, "
    "the highest place first"
)

#: Every autograded answer name, by assignment. Names are unique across the course.
QUESTIONS: dict[str, dict[str, _Question]] = {
    "01_data_types": {
        "uint_range": _Question(
            "range_fn", "n unsigned bits count from 0 up to all bits set; "
            "what is 1 + 2 + 4 + ... + 2**(n-1)?"),
        "int_range": _Question(
            "range_fn", "in two's complement the top bit has a negative place "
            "value; try n = 2 and n = 3 by hand"),
        "uint8_range": _Question("range", "8 unsigned bits, smallest and largest"),
        "int8_range": _Question(
            "range", "8 two's complement bits, most negative and most positive"),
        "uint8_bits": _Question(
            "dict", "each value is an 8-bit string such as '0000 0000'",
            keys="int", arg=8, part_hint=_BITS_HINT),
        "value_unsigned": _Question(
            "int", "add the place values 128, 64, ..., 1 of the bits that are 1"),
        "value_signed": _Question(
            "int", "in two's complement the highest place counts -128, not +128"),
        "range_field": _Question(
            "field", "which field says where the point floats to?"),
        "precision_field": _Question(
            "field", "which field holds the digits after the leading 1?"),
        "float_fields": _Question(
            "dict", "values are (exponent_bits, fraction_bits), sign bit not counted",
            keys="dtype", arg="range",
            part_hint="{key}: count its exponent and fraction bits; sign not included"),
        "bf16_info": _Question(
            "finfo", "torch has an object that describes a float dtype's range "
            "and eps"),
        "bf16_mean_abs_error": _Question(
            "float", "cast x to torch.bfloat16, back to float32, then average "
            "|x - x_back|"),
        "bf16_max_abs_error": _Question(
            "float", "as for the mean, but the largest |x - x_back|"),
    },
    "02_loading_models": {
        "footprint_bytes": _Question(
            "dict", "bytes = parameters x bytes per parameter of the dtype",
            keys="dtype", arg="int",
            part_hint="{key}: how many bytes does one {key} number take?"),
        "model_bf16": _Question(
            "model", "copy the model first (copy.deepcopy), then cast the copy"),
        "output_max_abs_diff": _Question(
            "float", "run both models on `inputs` (bf16 input for the bf16 model), "
            "compare in float32, take the largest |difference|"),
        "output_mean_abs_diff": _Question(
            "float", "as for the largest difference, but the mean"),
    },
    "03_linear_quantization": {
        "hand_scale": _Question(
            "float", "scale = (r_max - r_min) / (q_max - q_min)"),
        "hand_zero_point": _Question(
            "int", "zero_point = round(q_min - r_min / scale), then clamp"),
        "get_scale_zero_point": _Question(
            "kernel", "use x.min() and x.max() and the signed n-bit range",
            arg="get_scale_zero_point"),
        "linear_quantize": _Question(
            "kernel", "q = clamp(round(x / scale + zero_point), q_min, q_max)",
            arg="linear_quantize"),
        "linear_dequantize": _Question(
            "kernel", "x_hat = scale * (q - zero_point), as a float tensor",
            arg="linear_dequantize"),
        "get_symmetric_scale": _Question(
            "kernel", "symmetric: scale = max|x| / q_max, zero_point = 0",
            arg="get_symmetric_scale"),
        "per_channel_scales": _Question(
            "kernel", "one symmetric scale per row (output channel), shape (rows, 1)",
            arg="per_channel_scales"),
        "mse_asymmetric": _Question(
            "float", "quantize x asymmetrically, dequantize, mean of squared error"),
        "mse_symmetric": _Question(
            "float", "quantize x symmetrically, dequantize, mean of squared error"),
        "mse_per_channel": _Question(
            "float", "per-channel symmetric on W, dequantize, mean squared error"),
        "better_scheme": _Question(
            "word", "compare the two errors you measured on x"),
    },
}

_ALL: dict[str, _Question] = {
    name: q for questions in QUESTIONS.values() for name, q in questions.items()
}


def canonical(name: str, value: Any) -> Any:
    """Bring the answer ``value`` to question ``name`` into its canonical form.

    Dict answers give a dict with canonical keys; an entry in no accepted form
    becomes ``None`` so the other entries still count.

    Raises:
        KeyError: unknown question name.
        AnswerFormatError: the answer is in no accepted form.

    >>> canonical("uint8_range", [0, 15])
    (0, 15)
    >>> canonical("uint8_bits", {1: "0b0000_0001", "3": "11"})
    {1: '00000001', 3: None}
    >>> canonical("range_field", "Exponent bits")
    'exponent'
    """
    question = _question(name)
    kind = question.kind
    if kind == "dict":
        if not isinstance(value, dict):
            raise AnswerFormatError(f"expected a dict, got {_describe(value)}")
        key_form = as_int if question.keys == "int" else as_dtype
        result = {}
        for key, item in value.items():
            try:
                result[key_form(key)] = _part(question, item)
            except AnswerFormatError:
                result[_safe(key_form, key)] = None
        return result
    if kind == "range_fn":
        return range_fn_outputs(value)
    return _FORMS[kind](value)


def _part(question: _Question, item: Any) -> Any:
    if question.arg == "range":
        return as_range(item)
    if question.arg == "int":
        return as_int(item)
    return as_bits(item, question.arg)


def _safe(form: Callable[[Any], Any], key: Any) -> Any:
    try:
        return form(key)
    except AnswerFormatError:
        return key


_FORMS: dict[str, Callable[[Any], Any]] = {
    "int": as_int,
    "float": as_float,
    "range": as_range,
    "field": as_field,
    "finfo": as_finfo,
    "word": as_word,
}


# --------------------------------------------------------------------------------
# Keyed hashes
# --------------------------------------------------------------------------------


def _key(name: str) -> bytes:
    return hashlib.sha256(f"quantization-fundamentals/{name}".encode()).digest()


def answer_hash(name: str, form: Any) -> str:
    """HMAC-SHA256 of a canonical form, keyed per question (or dict entry) name.

    >>> len(answer_hash("uint8_range", (0, 1)))
    64
    """
    text = json.dumps(form, sort_keys=True)
    return hmac.new(_key(name), text.encode(), hashlib.sha256).hexdigest()


def float_bin(value: float) -> list[int]:
    """Logarithmic bin ``[sign, index]`` of a measured number (width ``FLOAT_BIN``).

    >>> float_bin(1.0), float_bin(-1.0), float_bin(0.0)
    ([1, 0], [-1, 0], [0, 0])
    """
    if value == 0:
        return [0, 0]
    index = round(math.log(abs(value)) / math.log1p(FLOAT_BIN))
    return [1 if value > 0 else -1, index]


def hashes_for(name: str, value: Any) -> dict[str, str]:
    """Keyed hashes of an answer, one per part (used to write the answer keys).

    >>> sorted(hashes_for("uint8_bits", {1: "00000001"}))
    ['uint8_bits[1]']
    """
    question = _question(name)
    form = canonical(name, value)
    if question.kind == "dict":
        return {f"{name}[{k}]": answer_hash(f"{name}[{k}]", v) for k, v in form.items()}
    if question.kind == "float":
        return {name: answer_hash(name, float_bin(form))}
    return {name: answer_hash(name, form)}


# --------------------------------------------------------------------------------
# The tripwire: the learner's kernels must not call course_utils' kernels
# --------------------------------------------------------------------------------

_GUARDED_MODULES = ("quant.py", "layers.py", "bits.py")
_STATE = {"armed": False, "tampered": False, "hooked": False}


def _guarded_files() -> set[str]:
    here = os.path.dirname(os.path.realpath(__file__))
    return {os.path.join(here, name) for name in _GUARDED_MODULES}


def _audit(event: str, args: tuple) -> None:
    if _STATE["armed"] and event in ("sys.setprofile", "sys.settrace"):
        _STATE["tampered"] = True


@contextlib.contextmanager
def _tripwire() -> Iterator[list[str]]:
    """Record every call into course_utils' kernel modules while the block runs."""
    if not _STATE["hooked"]:
        sys.addaudithook(_audit)  # cannot be removed: catches profiler switching
        _STATE["hooked"] = True
    guarded = _guarded_files()
    seen: dict[str, bool] = {}
    hits: list[str] = []

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event != "call":
            return
        filename = frame.f_code.co_filename
        if filename not in seen:
            seen[filename] = os.path.realpath(filename) in guarded
        if seen[filename]:
            hits.append(frame.f_code.co_name)

    previous = sys.getprofile()
    _STATE["tampered"] = False
    sys.setprofile(profile)
    _STATE["armed"] = True
    try:
        yield hits
    finally:
        _STATE["armed"] = False
        current = sys.getprofile()
        sys.setprofile(previous)
        if current is not profile or _STATE["tampered"]:
            hits.append("<the profiler was switched off>")


def call_own(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a learner's function; fail if it reaches course_utils' kernels.

    Raises:
        LibraryKernelUsed: the call went into ``course_utils.quant``, ``layers``
            or ``bits`` (however they were imported or renamed).

    >>> call_own(lambda a: a + 1, 1)
    2
    """
    if not callable(fn):
        raise AnswerFormatError(f"expected a function, got {_describe(fn)}")
    with _tripwire() as hits:
        result = fn(*args, **kwargs)
    if hits:
        name = getattr(fn, "__name__", "your function")
        raise LibraryKernelUsed(
            f"{name} calls course_utils ({', '.join(sorted(set(hits)))}); "
            "write the computation yourself with torch operations"
        )
    return result


# --------------------------------------------------------------------------------
# Self-check
# --------------------------------------------------------------------------------


def check(name: str, value: Any) -> bool:
    """Say whether an answer is right: ✓, or ✗ with a hint; never the answer.

    Args:
        name: the answer's name in the workbook, e.g. ``"uint8_bits"``.
        value: the learner's answer.

    Returns:
        True if every part is right.

    >>> check("value_unsigned", "not a number")
    ✗ value_unsigned: expected a whole number, got the text 'not a number'
    False
    """
    try:
        question = _question(name)
    except KeyError as error:
        print(f"✗ {error.args[0]}")
        return False
    try:
        ok, detail = _verdict(name, question, value)
    except LibraryKernelUsed as error:
        ok, detail = False, str(error)
    except AnswerFormatError as error:
        ok, detail = False, str(error)
    except NotImplementedError:
        ok, detail = False, "not answered yet (replace `raise NotImplementedError()`)"
    except Exception as error:  # the learner's code failed: report, do not crash
        ok, detail = False, f"{name} raised {type(error).__name__}: {error}"
    if ok:
        print(f"✓ {name}")
    else:
        print(f"✗ {name}: {detail}")
    return ok


def check_all(namespace: dict | None = None) -> dict[str, bool]:
    """Check every workbook answer defined in ``namespace`` (default: the caller's).

    Returns:
        ``{name: right}`` for the answers found; missing ones are listed.

    >>> check_all({"value_unsigned": "x"})
    ✗ value_unsigned: expected a whole number, got the text 'x'
    0 of 1 answers right.
    Not answered yet: uint_range, int_range, ...
    {'value_unsigned': False}
    """
    if namespace is None:
        frame = inspect.currentframe()
        namespace = frame.f_back.f_globals if frame and frame.f_back else {}
    assignment = _assignment_of(namespace)
    names = QUESTIONS[assignment] if assignment else {}
    results = {}
    missing = []
    for name in names:
        if name in namespace:
            results[name] = check(name, namespace[name])
        else:
            missing.append(name)
    right = sum(results.values())
    print(f"{right} of {len(results)} answers right.")
    if missing:
        print("Not answered yet: " + ", ".join(missing))
    return results


def _assignment_of(namespace: dict) -> str | None:
    best, count = None, 0
    for assignment, questions in QUESTIONS.items():
        found = sum(name in namespace for name in questions)
        if found > count:
            best, count = assignment, found
    return best


def _verdict(name: str, question: _Question, value: Any) -> tuple[bool, str]:
    if question.kind == "kernel":
        return _kernel_verdict(question, value)
    if question.kind == "model":
        return _model_verdict(question, value)
    keys = _answer_keys()
    if question.kind == "dict":
        form = canonical(name, value)
        expected = sorted(k[len(name) + 1:-1] for k in keys if k.startswith(name + "["))
        wrong = []
        for key in expected:
            got = form.get(_parse_key(question, key))
            if got is None or answer_hash(f"{name}[{key}]", got) != keys[
                    f"{name}[{key}]"]:
                wrong.append(key)
        extra = [k for k in form if str(k) not in expected]
        right = len(expected) - len(wrong)
        if not wrong and not extra:
            return True, ""
        detail = f"{right} of {len(expected)} correct"
        if wrong:
            wrong.sort(key=lambda k: (len(k), k))
            detail += f"; not right yet: {', '.join(wrong)}; hint: " + (
                question.part_hint.format(key=wrong[0]))
        if extra:
            detail += f"; unexpected keys: {', '.join(map(str, extra))}"
        return False, detail
    form = canonical(name, value)
    if question.kind == "float":
        sign, index = float_bin(form)
        ok = any(answer_hash(name, [sign, i]) == keys[name]
                 for i in (index - 1, index, index + 1))
    else:
        ok = answer_hash(name, form) == keys[name]
    return ok, "" if ok else f"not right yet; hint: {question.hint}"


def _parse_key(question: _Question, key: str) -> Any:
    return int(key) if question.keys == "int" else key


def _kernel_verdict(question: _Question, fn: Any) -> tuple[bool, str]:
    from course_utils import _kernel_cases

    ok, why = _kernel_cases.agrees(question.arg, fn)
    return ok, "" if ok else f"{why}; hint: {question.hint}"


def _model_verdict(question: _Question, model: Any) -> tuple[bool, str]:
    import torch

    if not isinstance(model, torch.nn.Module):
        return False, f"expected a torch model, got {_describe(model)}"
    dtypes = {p.dtype for p in model.parameters()}
    if dtypes != {torch.bfloat16}:
        found = ", ".join(sorted(str(d) for d in dtypes))
        return False, f"parameters are {found}; hint: {question.hint}"
    return True, ""


def _answer_keys() -> dict[str, str]:
    from course_utils._answer_keys import KEYS

    return KEYS


def _question(name: str) -> _Question:
    if name not in _ALL:
        raise KeyError(f"no workbook answer is called {name!r}")
    return _ALL[name]


def _scalar(value: Any) -> Any:
    """A Python number from a 0-d/1-element tensor or numpy scalar."""
    if hasattr(value, "item") and callable(value.item) and not isinstance(
            value, numbers.Number):
        try:
            if getattr(value, "numel", lambda: getattr(value, "size", 1))() != 1:
                raise AnswerFormatError(f"expected one number, got {_describe(value)}")
            return value.item()
        except (TypeError, ValueError):
            raise AnswerFormatError(
                f"expected a number, got {_describe(value)}") from None
    return value


def _items(value: Any) -> list | None:
    if isinstance(value, (list, tuple)):
        return list(value)
    if hasattr(value, "tolist") and callable(value.tolist):
        items = value.tolist()
        return items if isinstance(items, list) else None
    return None


def _describe(value: Any) -> str:
    kind = type(value).__name__
    if isinstance(value, (list, tuple, dict, str)):
        return f"a {kind} of length {len(value)}"
    return f"a {kind}"
