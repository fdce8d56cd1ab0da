"""course_utils.layers: Int8Linear against optimum-quanto's qint8 weights and a
hand-computed reference; the swap of a model's linear layers (issue 2, section 4)."""

from __future__ import annotations

import copy
import logging
import warnings

import pytest
import torch
from torch import nn

from course_utils.layers import Int8Linear, int8_layer_names, quantize_linear_layers


def linear(in_f: int, out_f: int, bias: bool = True, seed: int = 0,
           dtype: torch.dtype = torch.float32) -> nn.Linear:
    torch.manual_seed(seed)
    layer = nn.Linear(in_f, out_f, bias=bias)
    with torch.no_grad():  # weights with outliers, like trained ones
        layer.weight.mul_(torch.exp(torch.randn_like(layer.weight)))
    return layer.to(dtype)


def state_bytes(model: nn.Module) -> int:
    return sum(t.numel() * t.element_size() for t in model.state_dict().values())


@pytest.fixture(scope="module")
def quanto():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from optimum import quanto
    return quanto


@pytest.mark.parametrize("in_f,out_f,bias", [(64, 32, True), (384, 1536, True),
                                             (17, 5, False)])
def test_codes_and_scales_match_quanto_qint8(quanto, in_f, out_f, bias):
    ours = Int8Linear.from_linear(linear(in_f, out_f, bias, seed=in_f))
    model = nn.Sequential(linear(in_f, out_f, bias, seed=in_f))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quanto.quantize(model, weights=quanto.qint8)
        quanto.freeze(model)
    qweight = model[0].weight
    assert torch.equal(ours.q, qweight._data)
    assert torch.equal(ours.scale, qweight._scale.reshape(-1))
    x = torch.randn(3, 7, in_f)
    with torch.no_grad():
        assert torch.allclose(ours(x), model(x), rtol=1e-5, atol=1e-5)


def test_forward_equals_hand_reference_and_is_close_to_float():
    lin = linear(96, 48, seed=1)
    layer = Int8Linear.from_linear(lin)
    x = torch.randn(4, 10, 96)
    by_hand = ((x.double() @ layer.q.double().T) * layer.scale.double()
               + lin.bias.double())
    with torch.no_grad():
        y, y_float = layer(x), lin(x)
    assert y.shape == (4, 10, 48) and y.dtype == torch.float32
    assert torch.allclose(y.double(), by_hand, rtol=1e-5, atol=1e-5)
    w_hat = layer.q.double() * layer.scale.double()[:, None]
    assert torch.allclose(layer.dequantize_weight().double(), w_hat)
    # each weight moves by at most scale/2, so output j by sum|x| * scale_j / 2
    err = (y - y_float).abs()
    bound = x.abs().sum(-1, keepdim=True) * layer.scale / 2
    assert bool((err <= bound * (1 + 1e-4) + 1e-5).all())
    assert float(err.max()) > 0  # it really is quantized
    rel_rms = float((y - y_float).pow(2).mean().sqrt() / y_float.pow(2).mean().sqrt())
    assert rel_rms < 0.02, rel_rms


def test_codes_are_int8_per_output_channel_and_clamped():
    lin = linear(32, 8, seed=2)
    layer = Int8Linear.from_linear(lin)
    assert layer.q.dtype == torch.int8 and layer.scale.shape == (8,)
    assert int(layer.q.abs().max()) == 127
    w = lin.weight.detach()
    assert torch.equal(layer.scale, w.abs().amax(dim=1) / 127)
    rows_at_max = (layer.q.abs() == 127).any(dim=1)
    assert bool(rows_at_max.all())  # every row uses its full range


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_forward_in_the_activation_dtype(dtype):
    lin = linear(64, 16, seed=3, dtype=dtype)
    layer = Int8Linear.from_linear(lin)
    assert layer.q.dtype == torch.int8 and layer.bias.dtype == dtype
    x = torch.randn(5, 64, dtype=dtype)
    y = layer(x)
    assert y.dtype == dtype
    ref = (torch.nn.functional.linear(x, layer.q.to(dtype)) * layer.scale.to(dtype)
           + layer.bias)
    assert torch.equal(y, ref)
    assert torch.allclose(y.float(), lin(x).float(), rtol=0.05, atol=0.05)
    assert layer(x.float()).dtype == torch.float32


def test_state_dict_really_shrinks():
    lin = linear(512, 512, seed=4)
    layer = Int8Linear.from_linear(lin)
    sd = layer.state_dict()
    assert set(sd) == {"q", "scale", "bias"} and sd["q"].dtype == torch.int8
    assert state_bytes(lin) == 512 * 512 * 4 + 512 * 4
    assert state_bytes(layer) == 512 * 512 + 512 * 4 + 512 * 4
    # and it loads back
    fresh = Int8Linear(512, 512)
    fresh.load_state_dict(sd)
    x = torch.randn(2, 512)
    assert torch.equal(fresh(x), layer(x))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(8, 8)
        self.value = nn.Linear(8, 8)
        self.out = nn.Sequential(nn.ReLU(), nn.Linear(8, 8))

    def forward(self, x):
        return self.out(self.query(x) + self.value(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.layers = nn.ModuleList([Block(), Block()])
        self.pooler = nn.Sequential(nn.Linear(8, 8), nn.Tanh())
        self.lm_head = nn.Linear(8, 3)

    def forward(self, x):
        for block in self.layers:
            x = block(x)
        return self.lm_head(self.pooler(x))


ALL = ["layers.0.query", "layers.0.value", "layers.0.out.1", "layers.1.query",
       "layers.1.value", "layers.1.out.1", "pooler.0", "lm_head"]


@pytest.mark.parametrize("exclude,kept", [
    ((), []),
    (["lm_head"], ["lm_head"]),
    ("lm_head", ["lm_head"]),  # one string is one name, not its letters
    (["pooler"], ["pooler.0"]),
    (["query"], ["layers.0.query", "layers.1.query"]),
    (["layers.1.*"], ["layers.1.query", "layers.1.value", "layers.1.out.1"]),
    (["layers.0"], ["layers.0.query", "layers.0.value", "layers.0.out.1"]),
    (("*.out.*", "lm_head"), ["layers.0.out.1", "layers.1.out.1", "lm_head"]),
    (["nothing"], []),
])
def test_swap_with_exclude(exclude, kept):
    model = Net()
    x = torch.randn(4, 8)
    with torch.no_grad():
        before = model(x)
    out = quantize_linear_layers(model, exclude=exclude)
    assert out is model
    assert int8_layer_names(model) == [n for n in ALL if n not in kept]
    for name in kept:
        assert type(model.get_submodule(name)) is nn.Linear
    with torch.no_grad():
        after = model(x)
    assert torch.allclose(before, after, atol=0.02)


def test_not_inplace_leaves_the_model_alone_and_logs_the_count(caplog):
    model = Net()
    with caplog.at_level(logging.INFO, logger="course_utils.layers"):
        new = quantize_linear_layers(model, inplace=False)
    assert new is not model
    assert int8_layer_names(model) == [] and len(int8_layer_names(new)) == 8
    assert "swapped 8 nn.Linear" in caplog.text
    assert state_bytes(new) < 0.5 * state_bytes(model)


def test_shared_layers_stay_shared_and_mha_is_left_alone():
    shared = nn.Linear(6, 6)
    model = nn.ModuleDict({"a": shared, "b": shared,
                           "mha": nn.MultiheadAttention(6, 2, batch_first=True)})
    quantize_linear_layers(model)
    assert isinstance(model["a"], Int8Linear) and model["a"] is model["b"]
    kept = nn.modules.linear.NonDynamicallyQuantizableLinear
    assert type(model["mha"].out_proj) is kept
    x = torch.randn(1, 3, 6)
    model["mha"](x, x, x)  # still runs


def test_a_bare_linear_comes_back_as_int8_linear():
    assert isinstance(quantize_linear_layers(nn.Linear(3, 3)), Int8Linear)


def test_the_real_packaged_model(minilm):
    """all-MiniLM-L6-v2: every linear layer swapped, embeddings barely move."""
    from course_utils import models

    model = copy.deepcopy(minilm)
    tokenizer = models.load_tokenizer()
    batch = tokenizer(["Quantization maps reals to integers.",
                       "A cat sat on the mat."], padding=True, return_tensors="pt")

    def embed(m):
        with torch.no_grad():
            h = m(**batch).last_hidden_state
        mask = batch["attention_mask"][..., None].float()
        return torch.nn.functional.normalize((h * mask).sum(1) / mask.sum(1), dim=-1)

    before, bytes_before = embed(model), state_bytes(model)
    shapes = [m.weight.shape for m in model.modules() if isinstance(m, nn.Linear)]
    quantize_linear_layers(model)
    assert len(int8_layer_names(model)) == len(shapes) == 37
    after = embed(model)
    cosine = (before * after).sum(-1)
    assert bool((cosine > 0.99).all()), cosine
    # each weight: 4 bytes -> 1 byte per value, plus one float32 scale per row
    saved = sum(3 * o * i - 4 * o for o, i in shapes)
    assert state_bytes(model) == bytes_before - saved
    assert saved > 0.3 * bytes_before  # the embeddings are the rest


@pytest.mark.parametrize("call,err,match", [
    (lambda: Int8Linear.from_linear(nn.Conv1d(2, 2, 1)), TypeError, "nn.Linear"),
    (lambda: Int8Linear(4, 2)(torch.ones(1, 4, dtype=torch.int64)), TypeError,
     "floating"),
    (lambda: Int8Linear(4, 2)(torch.ones(1, 3)), ValueError, "last dimension 4"),
    (lambda: quantize_linear_layers("model"), TypeError, "nn.Module"),
    (lambda: quantize_linear_layers(Net(), exclude=[1]), TypeError, "exclude"),
])
def test_bad_input_is_a_clear_error(call, err, match):
    with pytest.raises(err, match=match):
        call()
