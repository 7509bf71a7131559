import math

import torch

from framework import ActivationFunction, register_activation

SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
KAPPA = 0.044715


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
    for the backward, as PyTorch does. Smooth everywhere: no kinks.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("gelu")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-0.1587,  0.0000,  1.9545], grad_fn=<GELUBackward>)
    """

    reference = staticmethod(torch.nn.functional.gelu)
    check_variants = ({}, {"approximate": "tanh"})
    generate_vmap_rule = True

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
