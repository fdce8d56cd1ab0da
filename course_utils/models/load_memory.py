"""Measuring the resident memory of loading a model, in a fresh process (Lesson 4).

A new Python process (so that memory freed earlier in the notebook cannot hide
the cost) runs :mod:`course_utils.models._load_memory_child`; this module starts
it, in the background if asked, and reads its results. Linux only.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from course_utils.dtypes import torch_dtype
from course_utils.models.loading import resolve

__all__ = ["LoadMemory", "LoadMemoryJob", "measure_load_memories",
           "measure_load_memory", "start_load_memories"]


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


def _load_memory_case(
    dtype: torch.dtype | str,
    via: torch.dtype | str | None,
    name_or_path: str | os.PathLike | None,
    online: bool | None,
) -> dict:
    dtype = torch_dtype(dtype)
    return {
        "dtype": str(dtype).removeprefix("torch."),
        "via": "direct" if via is None else str(
            torch_dtype(via)).removeprefix("torch."),
        "name": resolve(name_or_path, online),
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
            [sys.executable, "-m", "course_utils.models._load_memory_child",
             json.dumps(cases)],
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
