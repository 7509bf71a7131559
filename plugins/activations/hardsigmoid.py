import torch

from framework import ActivationFunction, register_activation


@register_activation("hardsigmoid")
class Hardsigmoid(ActivationFunction):
    r"""Hard sigmoid: a piecewise-linear sigmoid.

    .. math::
        f(z) = \frac{\min(\max(z + 3, 0), 6)}{6}, \qquad
        f'(z) = \begin{cases} 1/6 & -3 < z < 3 \\ 0 & \text{otherwise} \end{cases}

    The derivative is undefined at :math:`z = \pm 3`; as PyTorch, the value 0 is used at both.
    The output lies strictly inside :math:`(0, 1)` exactly where :math:`-3 < z < 3`, so only
    the output is saved for the backward.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("hardsigmoid")(torch.tensor([-4.0, 0.0, 1.5], requires_grad=True))
        tensor([0.0000, 0.5000, 0.7500], grad_fn=<HardsigmoidBackward>)
    """

    reference = staticmethod(torch.nn.functional.hardsigmoid)
    kinks = (-3.0, 3.0)

    @staticmethod
    def forward(x):
        return torch.nn.functional.hardsigmoid(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return torch.where((y > 0) & (y < 1), grad_output / 6, 0)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (y,) = ctx.saved_tensors
        # y - y^2 = y (1 - y) > 0 exactly inside (0, 1); one fresh buffer updated in place
        return torch.addcmul(y, y, y, value=-1).gt_(0).mul_(grad_output).div_(6)
