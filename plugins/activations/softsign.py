import torch

from framework import ActivationFunction, register_activation


@register_activation("softsign")
class Softsign(ActivationFunction):
    r"""Softsign: a rational sigmoid-shaped function.

    .. math::
        f(z) = \frac{z}{1 + |z|}, \qquad f'(z) = \frac{1}{(1 + |z|)^2} = (1 - |f(z)|)^2

    Smooth everywhere (the one-sided derivatives agree at 0). The derivative is written from
    the output, so only the output is saved for the backward (PyTorch's composite saves the
    input and the denominator).

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("softsign")(torch.tensor([-1.0, 0.0, 3.0], requires_grad=True))
        tensor([-0.5000,  0.0000,  0.7500], grad_fn=<SoftsignBackward>)
    """

    reference = staticmethod(torch.nn.functional.softsign)

    @staticmethod
    def forward(x):
        return x / (1 + x.abs())

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        d = 1 - y.abs()
        return grad_output * d * d

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (y,) = ctx.saved_tensors
        d = torch.abs(y).sub_(1)  # -(1 - |y|), squared below
        return d.mul_(d).mul_(grad_output)
