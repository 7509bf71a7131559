import math

import torch

from framework import ActivationFunction, IntervalTable, register_activation

SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
KAPPA = 0.044715
LOG2E = math.log2(math.e)
# compact mode: 16 intervals of z and f' on each, per `approximate` (benchmarks/fewbit_tables.py)
BOUNDARIES = {
    "none": (-2.4425, -0.8575, -0.6525, -0.4925, -0.3575, -0.2325, -0.1175, -0.0025,
             0.1125, 0.2275, 0.3525, 0.4875, 0.6475, 0.8575, 1.9725),
    "tanh": (-2.4525, -0.8575, -0.6525, -0.4925, -0.3575, -0.2325, -0.1175, -0.0025,
             0.1125, 0.2275, 0.3525, 0.4875, 0.6475, 0.8575, 1.9825),
}  # fmt: skip
VALUES = {
    "none": (-0.02093, -0.08552, 0.00249, 0.09175, 0.18176, 0.27211, 0.36220, 0.45233,
             0.54371, 0.63394, 0.72424, 0.81493, 0.90542, 0.99624, 1.08552, 1.04397),
    "tanh": (-0.02074, -0.08540, 0.00277, 0.09193, 0.18184, 0.27215, 0.36221, 0.45233,
             0.54371, 0.63393, 0.72421, 0.81485, 0.90525, 0.99596, 1.08540, 1.04386),
}  # fmt: skip


def _native(x, approximate="none"):
    return torch.nn.functional.gelu(x, approximate=approximate)


@register_activation("gelu")
class GELU(ActivationFunction):
    r"""Gaussian error linear unit (Hendrycks & Gimpel, 2016).

    With ``approximate="none"`` (default), :math:`\Phi` and :math:`\varphi` the standard normal
    CDF and density:

    .. math::
        f(z) = z\,\Phi(z), \qquad f'(z) = \Phi(z) + z\,\varphi(z),
        \quad \varphi(z) = \frac{e^{-z^2/2}}{\sqrt{2\pi}}

    With ``approximate="tanh"``, :math:`u = \sqrt{2/\pi}\,(z + 0.044715 z^3)`:

    .. math::
        f(z) = \tfrac12 z (1 + \tanh u), \qquad
        f'(z) = \tfrac12 (1 + \tanh u)
            + \tfrac12 z (1 - \tanh^2 u) \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715 z^2)

    The output does not determine the input (GELU is not monotonic), so the input is saved
    for the backward, as PyTorch does. Smooth everywhere: no kinks. The backward takes
    :math:`\Phi(z) = f(z)/z` from the forward op (:math:`\tfrac12` at 0) and
    :math:`e^{-z^2/2} = 2^{-z^2 \log_2 e / 2}`, the cheapest accurate forms on the CPU; the tanh
    form uses :math:`1 + \tanh u = 2\sigma(2u)`.

    ``compact=True`` (opt-in; exact is the default) keeps a 4-bit code of each input instead of
    the input, an eighth of its memory: which of 16 intervals it lies in. The backward then uses
    one derivative value per interval (few-bit backward, Novikov et al., ICML 2023; boundaries
    and values from ``benchmarks/fewbit_tables.py``, chosen to minimise the largest error):
    the derivative used is within 0.047 of :math:`f'` for every input (root-mean-square
    0.028 for standard-normal inputs), so each gradient element is within 0.047
    :math:`|\delta|` of the exact one. Gradient checks do not apply to this approximation
    (``approximate_options``).

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("gelu")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-0.1587,  0.0000,  1.9545], grad_fn=<GELUBackward>)
    """

    reference = staticmethod(_native)
    check_variants = ({}, {"approximate": "tanh"})
    compact = IntervalTable(BOUNDARIES, VALUES, error=0.047, by="approximate")

    @staticmethod
    def forward(x, approximate="none"):
        return torch.nn.functional.gelu(x, approximate=approximate)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, ctx.approximate = inputs
        ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        x2 = x * x
        if ctx.approximate == "tanh":
            t = torch.tanh(SQRT_2_OVER_PI * x * (1 + KAPPA * x2))
            slope = 0.5 * (1 + t) + 0.5 * SQRT_2_OVER_PI * x * (1 - t * t) * (1 + 3 * KAPPA * x2)
        else:
            slope = torch.special.ndtr(x) + INV_SQRT_2PI * x * torch.exp(-0.5 * x2)
        return grad_output * slope

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return _slope_in_place(x, ctx.approximate).mul_(grad_output)


def _slope_in_place(x, approximate):
    """f'(x) in fresh buffers updated in place."""
    if approximate == "tanh":
        # 1 + tanh u = 2 s and 1 - tanh^2 u = 4 s (1 - s) with s = sigmoid(2u)
        x2 = torch.mul(x, x)
        s = torch.mul(x2, KAPPA).add_(1).mul_(x).mul_(2 * SQRT_2_OVER_PI).sigmoid_()
        du = x2.mul_(3 * KAPPA).add_(1).mul_(x).mul_(2 * SQRT_2_OVER_PI)  # x du/dx, doubled
        return du.mul_(torch.rsub(s, 1)).add_(1).mul_(s)
    density = torch.mul(x, x).mul_(-0.5 * LOG2E).exp2_()  # sqrt(2 pi) phi(x)
    cdf = torch.nn.functional.gelu(x).div_(x).nan_to_num_(0.5)  # Phi(x); 1/2 at x = 0
    return cdf.addcmul_(x, density, value=INV_SQRT_2PI)
