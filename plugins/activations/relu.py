import torch

from framework import ActivationFunction, register_activation


@register_activation("relu")
class ReLU(ActivationFunction):
    r"""Rectified linear unit.

    .. math::
        f(z) = \max(0, z), \qquad
        f'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}

    The derivative is undefined at :math:`z = 0`; as PyTorch (and the classic references), the
    value 0 is used there. The backward needs only the sign of the input, which the output
    carries, so the output is saved (PyTorch does the same).

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("relu")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([0., 0., 2.], grad_fn=<ReLUBackward>)
    """

    reference = staticmethod(torch.relu)
    generate_vmap_rule = True
    kinks = (0.0,)

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
