"""Tests of course_utils.models: loading, true memory footprint, output comparison.

The packaged MiniLM is loaded once per session (the ``minilm`` fixture); tests
that change it work on a deep copy. Only the loading test loads it again.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from course_utils import models


@pytest.fixture(scope="module")
def tokenizer():
    return models.load_tokenizer()


# --- memory_footprint -----------------------------------------------------------


def test_tiny_model_footprint_is_hand_computed():
    model = models.build_tiny_model()
    # embedding 10x8, linear 8->16 (+bias), LayerNorm(16) weight+bias, head 16->4
    n_params = 10 * 8 + (8 * 16 + 16) + (16 + 16) + 16 * 4
    assert sum(p.numel() for p in model.parameters()) == n_params == 320
    assert models.memory_footprint(model) == n_params * 4
    assert models.memory_footprint(model.to(torch.float16)) == n_params * 2
    assert models.dtype_summary(model) == {"float16": n_params}


def test_footprint_counts_buffers_and_mixed_dtypes():
    model = nn.BatchNorm1d(5)  # weight, bias, running mean/var (fp32), count (int64)
    assert models.memory_footprint(model) == 4 * 5 * 4 + 8
    model.register_buffer("extra", torch.zeros(3, dtype=torch.int8), persistent=False)
    assert models.memory_footprint(model) == 88
    assert models.memory_footprint(model, non_persistent=True) == 91


def test_footprint_counts_shared_storage_once():
    first = nn.Linear(6, 6, bias=False)
    model = nn.Sequential(first, nn.Linear(6, 6, bias=False))
    model[1].weight = first.weight  # tied weights, as in many language models
    assert len(model.state_dict()) == 2
    assert models.memory_footprint(model) == 6 * 6 * 4


def test_tensors_nbytes_views_and_overlaps():
    w = torch.zeros(10, 10)
    assert models.tensors_nbytes([w[:5], w[5:]]) == 400  # two halves = whole
    assert models.tensors_nbytes([w[:6], w[4:]]) == 400  # overlap counted once
    assert models.tensors_nbytes([w[:2], w[8:]]) == 160  # a gap is not counted
    assert models.tensors_nbytes([w.t()]) == 400
    with pytest.raises(TypeError):
        models.tensors_nbytes([[1.0, 2.0]])


def test_minilm_bf16_footprint_ratio_is_exactly_two(minilm):
    bf16 = models.load_model(dtype=torch.bfloat16)
    fp32_bytes = models.memory_footprint(minilm)
    n_params = sum(p.numel() for p in minilm.parameters())
    assert fp32_bytes == 4 * n_params == 90_852_864
    assert fp32_bytes == 2 * models.memory_footprint(bf16)
    assert models.dtype_summary(bf16) == {"bfloat16": n_params}
    # transformers also counts BERT's non-persistent position/token-type id buffers
    hf = minilm.get_memory_footprint()
    assert hf == models.memory_footprint(minilm, non_persistent=True)


@pytest.mark.parametrize("weights", ["qint8", "qint4"])
def test_quanto_frozen_footprint_is_its_real_tensors(weights, minilm):
    quanto = pytest.importorskip("optimum.quanto")
    model = copy.deepcopy(minilm)
    before = models.memory_footprint(model)
    quanto.quantize(model, weights=getattr(quanto, weights))
    quanto.freeze(model)
    after = models.memory_footprint(model)
    # reference: bytes of every plain tensor quanto itself puts in the state_dict
    state = model.state_dict()
    assert all(type(t) is torch.Tensor for t in state.values())
    reference = sum(t.numel() * t.element_size() for t in state.values())
    assert after == reference
    assert after < before
    # transformers' own figure does not shrink for quanto-frozen models
    assert model.get_memory_footprint() >= before
    # one layer by hand: codes + per-row scales (int8) or packed nibbles + group
    # scales and shifts (int4), for a 384x384 weight
    weight = model.encoder.layer[0].attention.self.query.weight
    if weights == "qint8":
        assert models.tensors_nbytes([weight]) == 384 * 384 + 384 * 4
    else:
        n_groups = 384 * 384 // 128
        assert models.tensors_nbytes([weight]) == 384 * 384 // 2 + 2 * n_groups * 4
    linears = 6 * 6 + 1  # 6 layers of 6 linear layers each, and the pooler
    assert models.dtype_summary(model)[weights] == sum(
        m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear)
    )
    assert sum(isinstance(m, nn.Linear) for m in model.modules()) == linears


# --- loading ---------------------------------------------------------------------


def test_hub_id_offline_raises_clear_error(monkeypatch):
    monkeypatch.delenv("COURSE_ONLINE", raising=False)
    with pytest.raises(models.ModelUnavailableError, match="COURSE_ONLINE=1"):
        models.load_model("facebook/opt-125m")
    with pytest.raises(models.ModelUnavailableError, match="offline"):
        models.load_tokenizer("facebook/opt-125m", online=False)


def test_hub_unreachable_raises_model_unavailable(monkeypatch):
    # online requested, but the hub cannot be reached (the hub library is switched
    # to offline mode, so the test does not wait for network time-outs): no stack
    # trace from deep inside transformers, our error instead
    hub_constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(models.ModelUnavailableError, match="Could not load"):
        models.load_model("no-such-user/no-such-model-xyz", online=True)


def test_loading_a_folder_in_a_dtype_is_quiet(capfd, minilm):
    model = models.load_model(models.packaged_model_path(), dtype="fp16")
    models.load_tokenizer()
    out, err = capfd.readouterr()
    assert err == "" and out == ""
    assert next(model.parameters()).dtype == torch.float16
    assert not model.training
    for (name, a), (_, b) in zip(model.state_dict().items(),
                                 minilm.state_dict().items(), strict=True):
        assert torch.equal(a, b.to(a.dtype)), name
    with pytest.raises(ValueError, match="unknown dtype"):
        models.load_model(dtype="fp12")
    with pytest.raises(ValueError, match="floating-point dtype"):
        models.load_model(dtype="int8")
    with pytest.raises(TypeError):
        models.load_model(42)


# --- embed, compare_outputs, ranking ---------------------------------------------


def test_embed_shape_and_norm(minilm, tokenizer):
    sentences = ["The cat sleeps.", "Stocks fell sharply today.", "A kitten naps."]
    e = models.embed(minilm, tokenizer, sentences)
    assert e.shape == (3, 384) and e.dtype == torch.float32
    torch.testing.assert_close(e.norm(dim=1), torch.ones(3))
    # a sentence alone gets the same embedding as in a padded batch
    alone = models.embed(minilm, tokenizer, "The cat sleeps.")
    torch.testing.assert_close(alone[0], e[0], atol=1e-5, rtol=0)
    # meaning: the two cat sentences are closer to each other than to finance
    assert models.similarity_ranking(e, query=0) == [2, 1]
    with pytest.raises(TypeError):
        models.embed(minilm, tokenizer, [])


@pytest.mark.slow
def test_embed_matches_sentence_transformers(minilm, tokenizer):
    st = pytest.importorskip("sentence_transformers")
    sentences = ["Quantization stores numbers in fewer bits.", "Hello there!"]
    reference = st.SentenceTransformer(
        str(models.packaged_model_path()), device="cpu"
    ).encode(sentences, convert_to_tensor=True)
    ours = models.embed(minilm, tokenizer, sentences)
    torch.testing.assert_close(ours, reference.to(torch.float32), atol=1e-5, rtol=0)


def test_compare_outputs_known_values():
    r = torch.tensor([[3.0, 4.0], [1.0, 0.0]])
    o = torch.tensor([[3.0, 4.0], [0.0, 1.0]])
    result = models.compare_outputs(r, o)
    assert result["cosine_mean"] == pytest.approx(0.5)
    assert result["cosine_min"] == pytest.approx(0.0)
    assert result["max_abs_diff"] == 1.0
    assert result["mean_abs_diff"] == 0.5
    assert result["rel_error"] == pytest.approx(2**0.5 / 26**0.5)
    same = models.compare_outputs(r, r.clone())
    assert same["cosine_min"] == pytest.approx(1.0) and same["max_abs_diff"] == 0
    with pytest.raises(ValueError, match="shapes differ"):
        models.compare_outputs(r, o[:1])
    with pytest.raises(TypeError):
        models.compare_outputs(r, [[3.0, 4.0], [0.0, 1.0]])


def test_compare_outputs_matches_torch_on_random_rows():
    torch.manual_seed(0)
    r = torch.randn(5, 7)
    o = r + 0.01 * torch.randn(5, 7)
    result = models.compare_outputs(r, o.to(torch.bfloat16))
    cos = torch.nn.functional.cosine_similarity(
        r.double(), o.to(torch.bfloat16).double(), dim=1
    )
    assert result["cosine_mean"] == pytest.approx(float(cos.mean()))
    diff = (o.to(torch.bfloat16).double() - r.double()).abs()
    assert result["max_abs_diff"] == pytest.approx(float(diff.max()))


def test_bf16_model_stays_close_to_fp32(minilm, tokenizer):
    sentences = ["Small numbers, big savings.", "The weather is nice."]
    ref = models.embed(minilm, tokenizer, sentences)
    bf16 = copy.deepcopy(minilm).to(torch.bfloat16)
    other = models.embed(bf16, tokenizer, sentences)
    result = models.compare_outputs(ref, other)
    assert 0.99 < result["cosine_min"] < 1.0  # close, but not identical
    assert result["max_abs_diff"] > 0


def test_similarity_ranking_validates():
    with pytest.raises(ValueError):
        models.similarity_ranking(torch.zeros(3), 0)
    with pytest.raises(ValueError):
        models.similarity_ranking(torch.eye(3), 3)


def test_tiny_model_is_reproducible_and_keeps_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    a, b = models.build_tiny_model(seed=1), models.build_tiny_model(seed=1)
    assert torch.rand(1) == expected  # building did not consume the global RNG
    ids = torch.tensor([[1, 2, 3]])
    torch.testing.assert_close(a(ids), b(ids))
    assert a(ids).shape == (1, 3, 4)
    assert not torch.equal(a(ids), models.build_tiny_model(seed=2)(ids))


def test_format_bytes():
    assert models.format_bytes(1023) == "1023 B"
    assert models.format_bytes(2**30) == "1.00 GiB"


# --- memory of loading (fresh processes) -----------------------------------------


@pytest.mark.slow
def test_measure_load_memory_cases():
    """The measurement's own facts; its numbers are reported by
    bench/bench_load_memory.py, not asserted here."""
    cases = [("fp32", None), ("bf16", None), ("bf16", "fp32")]
    fp32, bf16, cast = models.measure_load_memories(cases)
    assert (fp32.via, bf16.via, cast.via) == ("direct", "direct", "float32")
    assert (fp32.dtype, bf16.dtype, cast.dtype) == ("float32", "bfloat16",
                                                    "bfloat16")
    assert fp32.footprint == 2 * bf16.footprint == 2 * cast.footprint == 90_852_864
    for m in (fp32, bf16, cast):
        assert m.peak >= m.rss_after > m.rss_before > 0
        assert m.peak_increase == m.peak - m.rss_before
    with pytest.raises(ValueError):
        models.measure_load_memories([])
