"""An int8-weight linear layer and the swap of a model's linear layers.

Lesson 5: Linear quantization. Weights are stored in int8 and activations stay in
their own dtype: "W8A32" with float32 inputs (as in lesson 5), "W8A16" with bf16
or fp16 inputs. Weights are quantized as optimum-quanto's ``qint8`` weights are:
symmetric, one scale per output channel, ``scale = max|w_row| / 127``,
``q = clamp(round(w / scale), -128, 127)``.
"""

from __future__ import annotations

import copy
import fnmatch
import logging
from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_utils.quant import quantize

__all__ = ["Int8Linear", "int8_layer_names", "quantize_linear_layers"]

logger = logging.getLogger(__name__)


class Int8Linear(nn.Module):
    """A linear layer holding int8 weight codes and one scale per output channel.

    Lesson 5: Linear quantization. ``forward(x)`` computes, in ``x``'s dtype,
    ``F.linear(x, q.to(x.dtype)) * scale.to(x.dtype) + bias``, which equals
    ``x @ (q * scale[:, None]).T + bias`` (the scale of output ``j`` factors out
    of its dot product).

    Attributes:
        q: int8 buffer ``(out_features, in_features)``, the weight codes.
        scale: float32 buffer ``(out_features,)``.
        bias: float parameter ``(out_features,)`` (dtype of the original layer,
            no gradient) or ``None``.

    >>> torch.manual_seed(0) and None
    >>> linear = nn.Linear(4, 2)
    >>> layer = Int8Linear.from_linear(linear)
    >>> layer
    Int8Linear(in_features=4, out_features=2, bias=True)
    >>> layer.q.dtype, layer.scale.shape
    (torch.int8, torch.Size([2]))
    >>> x = torch.ones(1, 4)
    >>> bool((layer(x) - linear(x)).abs().max() < 0.01)
    True
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: torch.device | str | None = None,
                 dtype: torch.dtype = torch.float32) -> None:
        """An all-zero layer; ``dtype`` is the dtype of the bias."""
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.register_buffer("q", torch.zeros(out_features, in_features,
                                              dtype=torch.int8, device=device))
        self.register_buffer("scale", torch.ones(out_features, dtype=torch.float32,
                                                 device=device))
        if bias:
            self.bias = nn.Parameter(torch.zeros(out_features, dtype=dtype,
                                                 device=device), requires_grad=False)
        else:
            self.register_parameter("bias", None)

    @classmethod
    def from_linear(cls, linear: nn.Linear) -> Int8Linear:
        """Quantize an ``nn.Linear`` (its weight per output channel, symmetric int8).

        The bias is copied unchanged. Lesson 5.

        >>> Int8Linear.from_linear(nn.Linear(3, 5, bias=False)).q.shape
        torch.Size([5, 3])
        """
        if not isinstance(linear, nn.Linear):
            raise TypeError(f"from_linear expects an nn.Linear, got "
                            f"{type(linear).__name__}")
        weight = linear.weight.detach()
        if not weight.is_floating_point():
            raise TypeError(f"the linear layer's weight must be floating point, got "
                            f"{weight.dtype}")
        layer = cls(linear.in_features, linear.out_features,
                    bias=linear.bias is not None, device=weight.device,
                    dtype=weight.dtype)
        qt = quantize(weight, 8, symmetric=True, granularity="per_channel", axis=0)
        layer.q.copy_(qt.q)
        layer.scale.copy_(qt.scale.reshape(-1))
        if linear.bias is not None:
            layer.bias.data.copy_(linear.bias.detach())
        return layer

    def dequantize_weight(self) -> Tensor:
        """The float32 weight the codes stand for, ``q * scale[:, None]``.

        >>> layer = Int8Linear(2, 1, bias=False)
        >>> layer.dequantize_weight()
        tensor([[0., 0.]])
        """
        return self.q.to(self.scale.dtype) * self.scale[:, None]

    def forward(self, x: Tensor) -> Tensor:
        """``F.linear(x, q) * scale + bias`` computed in ``x``'s dtype."""
        if not isinstance(x, Tensor) or not x.is_floating_point():
            got = x.dtype if isinstance(x, Tensor) else type(x).__name__
            raise TypeError(f"Int8Linear expects a floating-point input, got {got}")
        if x.shape[-1] != self.in_features:
            raise ValueError(f"Int8Linear expects inputs with last dimension "
                             f"{self.in_features}, got shape {tuple(x.shape)}")
        y = F.linear(x, self.q.to(x.dtype)) * self.scale.to(x.dtype)
        if self.bias is not None:
            y = y + self.bias.to(x.dtype)
        return y

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


def _is_swappable(module: nn.Module) -> bool:
    # MultiheadAttention reads out_proj.weight directly: leave its projection alone
    nd_linear = getattr(nn.modules.linear, "NonDynamicallyQuantizableLinear", ())
    return isinstance(module, nn.Linear) and not isinstance(module, nd_linear)


def _excluded(name: str, patterns: tuple[str, ...]) -> bool:
    parts = name.split(".")
    candidates = {".".join(parts[: i + 1]) for i in range(len(parts))} | set(parts)
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in candidates)


def quantize_linear_layers(model: nn.Module, exclude: Iterable[str] | str = (),
                           inplace: bool = True,
                           factory: Callable[[str, nn.Linear], nn.Module] | None = None,
                           ) -> nn.Module:
    """Replace every ``nn.Linear`` of ``model`` by an :class:`Int8Linear` (Lesson 5).

    Args:
        model: any ``nn.Module`` (a bare ``nn.Linear`` is returned as a new
            ``Int8Linear``).
        exclude: names or ``fnmatch`` patterns; a linear layer is kept in float
            when a pattern matches its qualified name (``"encoder.layer.0.dense"``),
            the name of a module containing it (``"pooler"``), or one of the
            dotted parts of its name (``"lm_head"``, ``"query"``, ``"*proj"``).
        inplace: modify ``model`` itself; ``False`` works on a deep copy.
        factory: makes the replacement of the layer called ``name`` (default:
            ``Int8Linear.from_linear``); ``calibration.quantize_w8a8`` uses it.

    Returns:
        The model with its linear layers swapped. How many were swapped is logged
        (logger ``course_utils.layers``) and :func:`int8_layer_names` lists them.
        ``nn.MultiheadAttention``'s output projection is never swapped; a weight
        tied to another module (e.g. ``lm_head`` and the embeddings) is untied.

    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> model = quantize_linear_layers(model, exclude=["2"])
    >>> [type(m).__name__ for m in model]
    ['Int8Linear', 'ReLU', 'Linear']
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    patterns = (exclude,) if isinstance(exclude, str) else tuple(exclude)
    for p in patterns:
        if not isinstance(p, str):
            raise TypeError(f"exclude must hold names or patterns (str), got {p!r}")
    if not inplace:
        model = copy.deepcopy(model)
    if _is_swappable(model):
        logger.info("quantize_linear_layers: the model is one nn.Linear, returned "
                    "as an Int8Linear")
        return (factory("", model) if factory else Int8Linear.from_linear(model))
    targets = [(name, m) for name, m in model.named_modules(remove_duplicate=False)
               if name and _is_swappable(m) and not _excluded(name, patterns)]
    swapped: dict[int, nn.Module] = {}  # a shared layer stays shared
    for name, module in targets:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        if id(module) not in swapped:
            swapped[id(module)] = (factory(name, module) if factory
                                   else Int8Linear.from_linear(module))
        setattr(parent, child, swapped[id(module)])
    logger.info("quantize_linear_layers: swapped %d nn.Linear layers", len(targets))
    return model


def int8_layer_names(model: nn.Module) -> list[str]:
    """Qualified names of the :class:`Int8Linear` layers of ``model`` (Lesson 5).

    >>> model = quantize_linear_layers(nn.Sequential(nn.Linear(2, 2), nn.Tanh()))
    >>> int8_layer_names(model)
    ['0']
    """
    return [name for name, m in model.named_modules() if isinstance(m, Int8Linear)]
