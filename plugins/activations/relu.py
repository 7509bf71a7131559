import torch

from framework import ActivationFunction, OneBit, register_activation


@register_activation("relu")
class ReLU(ActivationFunction):
    r"""Rectified linear unit.

    .. math::
        f(z) = \max(0, z), \qquad
        f'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}

    The derivative is undefined at :math:`z = 0`; as PyTorch (and the classic references), the
    value 0 is used there. The backward needs only the sign of the input, which the output
    carries, so the output is saved (PyTorch does the same).

    ``compact=True`` (opt-in) keeps :math:`[z > 0]` as one bit per element, packed eight to
    a byte, instead of the output: the same derivative, exactly, from a 32nd of the memory. (In
    a network the next layer often keeps the output anyway; the bits pay where it does not.)

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("relu")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([0., 0., 2.], grad_fn=<ReLUBackward>)
    """

    reference = staticmethod(torch.nn.functional.relu)
    kinks = (0.0,)
    compact = OneBit(lambda x, y: y > 0)

    @staticmethod
    def forward(x):
        return x.clamp_min(0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (y > 0)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return torch.sign(y).mul_(grad_output)  # y >= 0: sign(y) is f'(z); no bool mask
