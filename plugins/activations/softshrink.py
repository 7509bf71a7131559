import torch

from framework import ActivationFunction, register_activation


@register_activation("softshrink")
class Softshrink(ActivationFunction):
    r"""Soft shrinkage (soft thresholding) by ``lambd`` :math:`\lambda \ge 0` (default 0.5).

    .. math::
        f(z) = \begin{cases} z - \lambda & z > \lambda \\ z + \lambda & z < -\lambda \\
            0 & \text{otherwise} \end{cases}, \qquad
        f'(z) = \begin{cases} 1 & |z| > \lambda \\ 0 & \text{otherwise} \end{cases}

    The derivative is undefined at :math:`z = \pm\lambda`; as PyTorch, the value 0 is used at
    both. The output is nonzero exactly where :math:`|z| > \lambda`, so only the output is
    saved for the backward.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("softshrink")(torch.tensor([-1.0, 0.2, 2.0], requires_grad=True))
        tensor([-0.5000,  0.0000,  1.5000], grad_fn=<SoftshrinkBackward>)
    """

    reference = staticmethod(torch.nn.functional.softshrink)
    kinks = (-0.5, 0.5)

    @staticmethod
    def forward(x, lambd=0.5):
        return torch.nn.functional.softshrink(x, lambd)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (y != 0)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return torch.ne(y, 0, out=torch.empty_like(y)).mul_(grad_output)  # a float mask
