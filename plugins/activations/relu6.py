import torch

from framework import ActivationFunction, OneBit, register_activation


@register_activation("relu6")
class ReLU6(ActivationFunction):
    r"""ReLU capped at 6.

    .. math::
        f(z) = \min(\max(0, z), 6), \qquad
        f'(z) = \begin{cases} 1 & 0 < z < 6 \\ 0 & \text{otherwise} \end{cases}

    The derivative is undefined at :math:`z = 0` and :math:`z = 6`; as PyTorch, the value 0 is
    used at both. The output lies strictly inside :math:`(0, 6)` exactly where the input does,
    so only the output is saved for the backward.

    ``compact=True`` (opt-in) keeps :math:`[0 < z < 6]` as one bit per element, packed eight to
    a byte, instead of the output: the same derivative, exactly, from a
    32nd of the memory. (In a network the next layer often keeps the output anyway; the bits
    pay where it does not.)

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("relu6")(torch.tensor([-1.0, 3.0, 8.0], requires_grad=True))
        tensor([0., 3., 6.], grad_fn=<ReLU6Backward>)
    """

    reference = staticmethod(torch.nn.functional.relu6)
    kinks = (0.0, 6.0)
    compact = OneBit(lambda x, y: (x > 0) & (x < 6))

    @staticmethod
    def forward(x):
        return torch.nn.functional.relu6(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * ((y > 0) & (y < 6))

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (y,) = ctx.saved_tensors
        # y (6 - y) > 0 exactly inside (0, 6); one fresh buffer updated in place
        return torch.rsub(y, 6).mul_(y).gt_(0).mul_(grad_output)
