import torch

from framework import ActivationFunction, register_activation


@register_activation("tanhshrink")
class Tanhshrink(ActivationFunction):
    r"""Tanh shrink: the input minus its tanh.

    .. math::
        f(z) = z - \tanh(z), \qquad f'(z) = \tanh^2(z)

    The output does not give :math:`\tanh(z)` in closed form, so the input is saved for the
    backward and the tanh recomputed there, as :math:`2\sigma(2z) - 1` (a sigmoid costs a
    fraction of a tanh on the CPU; the result is exact to rounding, absolutely).

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("tanhshrink")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-0.2384,  0.0000,  1.0360], grad_fn=<TanhshrinkBackward>)
    """

    reference = staticmethod(torch.nn.functional.tanhshrink)

    @staticmethod
    def forward(x):
        return x - torch.tanh(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        t = torch.tanh(x)
        return grad_output * t * t

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (x,) = ctx.saved_tensors
        t = torch.mul(x, 2).sigmoid_().mul_(2).sub_(1)
        return t.mul_(t).mul_(grad_output)
