"""Sentence embeddings of a model and how close two sets of outputs are (Lesson 4).

Used to ask whether a model in another dtype, or quantized, still gives the same
answers: embeddings as sentence-transformers makes them, the cosine and absolute
differences of matching rows, and the ranking of sentences by similarity.
(In the doctests, ``minilm`` is the packaged model, loaded once by the tests.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["compare_outputs", "embed", "similarity_ranking"]


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

    >>> from course_utils.models import load_tokenizer
    >>> e = embed(minilm, load_tokenizer(), ["A cat sat.", "A dog ran."])
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
