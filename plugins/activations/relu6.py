import torch

from framework import ActivationFunction, register_activation


@register_activation("relu6")
class ReLU6(ActivationFunction):
    r"""ReLU capped at 6.

    .. math::
        f(z) = \min(\max(0, z), 6), \qquad
        f'(z) = \begin{cases} 1 & 0 < z < 6 \\ 0 & \text{otherwise} \end{cases}

    The derivative is undefined at :math:`z = 0` and :math:`z = 6`; as PyTorch, the value 0 is
    used at both. The output lies strictly inside :math:`(0, 6)` exactly where the input does,
    so only the output is saved for the backward.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("relu6")(torch.tensor([-1.0, 3.0, 8.0], requires_grad=True))
        tensor([0., 3., 6.], grad_fn=<ReLU6Backward>)
    """

    reference = staticmethod(torch.nn.functional.relu6)
    kinks = (0.0, 6.0)
    generate_vmap_rule = True

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
