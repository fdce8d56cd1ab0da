"""Activation calibration: observers, and a W8A8 linear layer (Lesson 5).

Weights are known before inference, so their scales come from the weights
themselves. Activations are not: a **W8A8** layer (8-bit weights, 8-bit
activations) needs the range of its inputs in advance. *Calibration* runs a few
typical inputs through the float model while an **observer** at every linear
layer's input records what it sees; the observer turns that into a scale and a
zero point, which then stay fixed.

- :class:`MinMaxObserver`: the smallest and largest value seen (torch's
  ``MinMaxObserver`` does the same);
- :class:`PercentileObserver`: the ``100 - p`` and ``p`` percentiles of every
  value seen, which clips the rarest outliers;
- :func:`calibrate` runs a model with an observer on every ``nn.Linear`` input;
- :class:`W8A8Linear` quantizes its input with the calibrated scale and zero
  point and multiplies int8 codes by int8 codes, summed exactly as in int32;
  :func:`quantize_w8a8` swaps every linear layer of a model for one.

Scales and zero points follow :mod:`course_utils.quant`'s asymmetric rule, from
the observed range instead of the tensor's own.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import Tensor, nn

from course_utils.layers import Int8Linear, quantize_linear_layers
from course_utils.quant import quantize_with
from course_utils.quant_core import check_float, check_quant_bits, qparams

__all__ = ["MinMaxObserver", "PercentileObserver", "W8A8Linear", "calibrate",
           "int8_matmul", "quantile", "quantize_w8a8"]


def quantile(x: Tensor, q: float) -> Tensor:
    """The ``q`` quantile (0 to 1) of all values of ``x``, linearly interpolated.

    The same as ``numpy.quantile``'s default method, with no size limit (torch's
    own ``quantile`` refuses more than 2**24 values).

    >>> quantile(torch.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
    tensor(2.5000)
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be from 0 to 1, got {q}")
    values = x.detach().flatten().sort().values
    position = q * (values.numel() - 1)
    below = int(position)
    above = min(below + 1, values.numel() - 1)
    frac = position - below
    return values[below] + frac * (values[above] - values[below])


class MinMaxObserver:
    """Records the smallest and the largest value of every tensor it is fed.

    Lesson 5. Call it on tensors (``observer(x)``); :meth:`scale_zero_point` gives
    the asymmetric scale and zero point of the range seen.

    >>> observer = MinMaxObserver()
    >>> observer(torch.tensor([-1.0, 0.5])); observer(torch.tensor([3.0]))
    >>> observer.range()
    (-1.0, 3.0)
    >>> observer.scale_zero_point()
    (tensor(0.0157), tensor(-64, dtype=torch.int32))
    """

    def __init__(self) -> None:
        self.x_min: float | None = None
        self.x_max: float | None = None
        self.n_seen = 0

    def __call__(self, x: Tensor) -> None:
        """Take ``x`` into account."""
        check_float(x)
        x = x.detach()
        if not bool(torch.isfinite(x).all()):
            raise ValueError("the observed tensor contains NaN or infinity")
        low, high = x.min().item(), x.max().item()
        self.x_min = low if self.x_min is None else min(self.x_min, low)
        self.x_max = high if self.x_max is None else max(self.x_max, high)
        self.n_seen += x.numel()

    def range(self) -> tuple[float, float]:
        """``(x_min, x_max)`` of what was seen."""
        if self.x_min is None or self.x_max is None:
            raise ValueError(f"{type(self).__name__} has seen no data: was its layer "
                             "run during calibration?")
        return self.x_min, self.x_max

    def scale_zero_point(self, n_bits: int = 8) -> tuple[Tensor, Tensor]:
        """Asymmetric ``(scale, zero_point)`` of the range, as :mod:`quant` does.

        ``scale`` is a 0-d float32 tensor, ``zero_point`` a 0-d int32 tensor.
        """
        check_quant_bits(n_bits)
        x_min, x_max = self.range()
        return qparams(torch.tensor(x_min), torch.tensor(x_max), n_bits,
                       symmetric=False, signed=True, reciprocal=False,
                       work=torch.float32)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_seen={self.n_seen})"


class PercentileObserver(MinMaxObserver):
    """Records every value and takes the ``100 - p`` and ``p`` percentiles.

    Lesson 5. A min-max range stretches to the single largest outlier; the
    percentiles ignore the rarest ``2 * (100 - p)`` percent of values (they are
    clipped when quantized). It keeps every value it is fed, so it is meant for
    calibrating on a few inputs.

    >>> observer = PercentileObserver(percentile=90.0)
    >>> observer(torch.arange(11.0))
    >>> observer.range()
    (1.0, 9.0)
    """

    def __init__(self, percentile: float = 99.99) -> None:
        if not 50.0 < percentile <= 100.0:
            raise ValueError(f"percentile must be above 50 and at most 100, got "
                             f"{percentile}")
        super().__init__()
        self.percentile = percentile
        self._seen: list[Tensor] = []

    def __call__(self, x: Tensor) -> None:
        super().__call__(x)
        self._seen.append(x.detach().flatten().float())

    def range(self) -> tuple[float, float]:
        """``(x_min, x_max)``: the two percentiles of every value seen."""
        super().range()  # raises if nothing was seen
        values = torch.cat(self._seen)
        self._seen = [values]
        p = self.percentile / 100.0
        return quantile(values, 1.0 - p).item(), quantile(values, p).item()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(percentile={self.percentile}, "
                f"n_seen={self.n_seen})")


def calibrate(model: nn.Module, run: Callable[[nn.Module], object],
              observer: Callable[[], MinMaxObserver] = MinMaxObserver
              ) -> dict[str, MinMaxObserver]:
    """Observe the input of every ``nn.Linear`` while ``run(model)`` runs (Lesson 5).

    Args:
        model: the float model; it is not changed.
        run: feeds the calibration data, e.g. ``lambda m: m(**batch)``.
        observer: makes one observer per layer (a class, or e.g.
            ``lambda: PercentileObserver(99.9)``).

    Returns:
        ``{qualified layer name: its observer}``.

    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> observers = calibrate(model, lambda m: m(torch.randn(8, 4)))
    >>> sorted(observers), observers["0"].n_seen
    (['0', '2'], 32)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    observers: dict[str, MinMaxObserver] = {}
    hooks = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            observers[name] = observer()
            hooks.append(module.register_forward_pre_hook(
                lambda _module, args, seen=observers[name]: seen(args[0])))
    if not observers:
        raise ValueError("the model has no nn.Linear layer to calibrate")
    try:
        with torch.no_grad():
            run(model)
    finally:
        for hook in hooks:
            hook.remove()
    return observers


def int8_matmul(a: Tensor, b: Tensor) -> Tensor:
    """``a @ b`` of int8 matrices, exactly, as an int32 accumulator gives it.

    Lesson 5. Int8 hardware adds the products of codes in int32. Here the codes
    are multiplied as float64 numbers, which is exact as well (every partial sum
    is a whole number far below 2**53) and, on a CPU without int8 matrix units,
    much faster than torch's own int8 kernel (``torch._int_mm``, about 15 times
    slower on the course's test machine).

    >>> a = torch.tensor([[127, -128]], dtype=torch.int8)
    >>> int8_matmul(a, torch.tensor([[100], [100]], dtype=torch.int8))
    tensor([[-100]], dtype=torch.int32)
    """
    if a.dtype != torch.int8 or b.dtype != torch.int8 or a.ndim != 2 or b.ndim != 2:
        raise TypeError("int8_matmul multiplies two 2-D int8 tensors")
    if a.shape[1] > 2**16:  # 2**16 * 128 * 128 = 2**30: int32 still holds the sum
        raise ValueError(f"inner size {a.shape[1]} is too large for an int32 "
                         "accumulator")
    return (a.double() @ b.double()).to(torch.int32)


class W8A8Linear(nn.Module):
    """A linear layer whose weights and inputs are int8 (Lesson 5).

    Weights: symmetric int8, one scale per output channel (as
    :class:`~course_utils.layers.Int8Linear`). Inputs: asymmetric int8 with one
    calibrated ``act_scale`` and ``act_zero_point`` for the whole input. The
    multiply-adds run on the codes, summed exactly (:func:`int8_matmul`); only
    the result is scaled back:
    ``y_j = act_scale * scale_j * sum_k (q_x_k - act_zero_point) * q_jk + bias_j``.

    >>> torch.manual_seed(0) and None
    >>> linear = nn.Linear(16, 4)
    >>> x = torch.randn(3, 16)
    >>> scale, zero_point = calibrate(linear, lambda m: m(x))[""].scale_zero_point()
    >>> layer = W8A8Linear.from_linear(linear, scale, zero_point)
    >>> layer
    W8A8Linear(in_features=16, out_features=4, bias=True)
    >>> bool((layer(x) - linear(x)).abs().max() < 0.02)
    True
    """

    def __init__(self, weights: Int8Linear, act_scale: Tensor,
                 act_zero_point: Tensor) -> None:
        super().__init__()
        self.in_features = weights.in_features
        self.out_features = weights.out_features
        self.register_buffer("q", weights.q.clone())
        self.register_buffer("scale", weights.scale.clone())
        self.register_buffer("act_scale", torch.as_tensor(
            act_scale, dtype=torch.float32).reshape(()).clone())
        self.register_buffer("act_zero_point", torch.as_tensor(
            act_zero_point, dtype=torch.int32).reshape(()).clone())
        # sum_k q_jk, so that the input's zero point comes out of the integer sum
        self.register_buffer("q_row_sums", weights.q.to(torch.int32).sum(dim=1))
        self.bias = (None if weights.bias is None
                     else nn.Parameter(weights.bias.detach().clone(),
                                       requires_grad=False))

    @classmethod
    def from_linear(cls, linear: nn.Linear, act_scale: Tensor | float,
                    act_zero_point: Tensor | int) -> W8A8Linear:
        """Quantize ``linear``'s weights; take the input's calibrated parameters."""
        if not float(act_scale) > 0:
            raise ValueError(f"act_scale must be positive, got {float(act_scale)}")
        if not -128 <= int(act_zero_point) <= 127:
            raise ValueError(f"act_zero_point must be an int8 code, got "
                             f"{int(act_zero_point)}")
        return cls(Int8Linear.from_linear(linear), torch.as_tensor(act_scale),
                   torch.as_tensor(act_zero_point))

    def forward(self, x: Tensor) -> Tensor:
        """Quantize ``x``, multiply the codes exactly, scale back to ``x``'s dtype."""
        check_float(x)
        if x.shape[-1] != self.in_features:
            raise ValueError(f"W8A8Linear expects inputs with last dimension "
                             f"{self.in_features}, got shape {tuple(x.shape)}")
        rows = x.reshape(-1, self.in_features).float()
        q_x = quantize_with(rows, self.act_scale, self.act_zero_point)  # clipped
        acc = int8_matmul(q_x, self.q.t()) - self.act_zero_point * self.q_row_sums
        y = acc.float() * (self.act_scale * self.scale)
        if self.bias is not None:
            y = y + self.bias.float()
        return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


def quantize_w8a8(model: nn.Module, observers: dict[str, MinMaxObserver],
                  inplace: bool = False) -> nn.Module:
    """Swap every calibrated ``nn.Linear`` for a :class:`W8A8Linear` (Lesson 5).

    Args:
        observers: from :func:`calibrate` on the same model; a linear layer
            without an observer stays in float.
        inplace: change ``model`` itself; by default a deep copy is changed.

    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> observers = calibrate(model, lambda m: m(torch.randn(8, 4)))
    >>> [type(m).__name__ for m in quantize_w8a8(model, observers)]
    ['W8A8Linear', 'ReLU', 'W8A8Linear']
    """
    if not inplace:
        model = copy.deepcopy(model)

    def make(name: str, linear: nn.Linear) -> nn.Module:
        if name not in observers:
            return linear
        return W8A8Linear.from_linear(linear, *observers[name].scale_zero_point())

    return quantize_linear_layers(model, factory=make)
