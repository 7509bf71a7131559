import torch

from framework import ActivationFunction, register_activation


@register_activation("silu", aliases=("swish",))
class SiLU(ActivationFunction):
    r"""Sigmoid linear unit, also called swish (with :math:`\beta = 1`).

    .. math::
        f(z) = z\,\sigma(z), \qquad f'(z) = \sigma(z)\,\bigl(1 + z\,(1 - \sigma(z))\bigr),
        \quad \sigma(z) = \frac{1}{1 + e^{-z}}

    The sigmoid is recomputed from the saved input (the output does not determine the input:
    SiLU is not monotonic), as PyTorch does. Stable for large :math:`|z|`: ``torch.sigmoid``
    saturates to exactly 0 or 1 and no product overflows.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("silu")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-0.2689,  0.0000,  1.7616], grad_fn=<SiLUBackward>)
    """

    reference = staticmethod(torch.nn.functional.silu)
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.nn.functional.silu(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * s * (1 + x * (1 - s))
