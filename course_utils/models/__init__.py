"""Models for lessons 4 and 5: loading in a dtype, footprint, output comparison.

``from course_utils import models`` gives the names the lessons use; each lives in
the module that owns its idea:

- :mod:`.loading`: the packaged MiniLM, hub ids behind ``COURSE_ONLINE=1``;
- :mod:`.footprint`: the bytes a model's tensors really hold;
- :mod:`.embeddings`: sentence embeddings and how close two outputs are;
- :mod:`.tiny`: a 320-parameter model to look inside;
- :mod:`.load_memory`: resident memory of loading, measured in a fresh process.
"""

from __future__ import annotations

from course_utils.models.embeddings import compare_outputs, embed, similarity_ranking
from course_utils.models.footprint import (
    dtype_summary,
    format_bytes,
    memory_footprint,
    tensors_nbytes,
)
from course_utils.models.load_memory import (
    LoadMemory,
    LoadMemoryJob,
    measure_load_memories,
    measure_load_memory,
    start_load_memories,
)
from course_utils.models.loading import (
    ONLINE_ENV,
    PACKAGED_MODEL_ID,
    ModelUnavailableError,
    as_dtype,
    is_online,
    load_model,
    load_tokenizer,
    packaged_model_path,
)
from course_utils.models.tiny import TinyModel, build_tiny_model

__all__ = [
    "ONLINE_ENV", "PACKAGED_MODEL_ID", "LoadMemory", "LoadMemoryJob",
    "ModelUnavailableError", "TinyModel", "as_dtype", "build_tiny_model",
    "compare_outputs", "dtype_summary", "embed", "format_bytes", "is_online",
    "load_model", "load_tokenizer", "measure_load_memories", "measure_load_memory",
    "memory_footprint", "packaged_model_path", "similarity_ranking",
    "start_load_memories", "tensors_nbytes",
]
