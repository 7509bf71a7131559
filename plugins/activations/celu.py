import torch

from framework import ActivationFunction, register_activation


@register_activation("celu")
class CELU(ActivationFunction):
    r"""Continuously differentiable exponential linear unit (Barron, 2017).

    .. math::
        f(z) = \max(0, z) + \min\bigl(0, \alpha (e^{z/\alpha} - 1)\bigr), \qquad
        f'(z) = \begin{cases} 1 & z > 0 \\ e^{z/\alpha} = f(z)/\alpha + 1 & z \le 0 \end{cases}

    with ``alpha`` = 1.0 by default, as PyTorch. Unlike ELU the derivative is continuous at
    :math:`z = 0` for every :math:`\alpha` (both sides give 1), so there is no kink; the second
    derivative jumps there. The output has the input's sign for every :math:`\alpha \ne 0` and
    gives the derivative, so only the output is saved for the backward.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("celu")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-0.6321,  0.0000,  2.0000], grad_fn=<CELUBackward>)
    """

    reference = staticmethod(torch.nn.functional.celu)

    @staticmethod
    def forward(x, alpha=1.0):
        return torch.nn.functional.celu(x, alpha)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.alpha = inputs[1]
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return torch.where(y > 0, grad_output, grad_output * (y / ctx.alpha + 1))

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (y,) = ctx.saved_tensors
        # f' = 1 + min(y, 0) / alpha on both sides (continuous at 0): two fused passes
        return torch.addcmul(grad_output, grad_output, y.clamp(max=0), value=1 / ctx.alpha)
