import torch

from framework import ActivationFunction, register_activation


@register_activation("hardshrink")
class Hardshrink(ActivationFunction):
    r"""Hard shrinkage (hard thresholding) by ``lambd`` :math:`\lambda` (default 0.5).

    .. math::
        f(z) = \begin{cases} z & |z| > \lambda \\ 0 & \text{otherwise} \end{cases}, \qquad
        f'(z) = \begin{cases} 1 & |z| > \lambda \\ 0 & \text{otherwise} \end{cases}

    The derivative is undefined at :math:`z = \pm\lambda` (the function jumps there); as
    PyTorch, the value 0 is used at both. For :math:`\lambda \ge 0` the output is nonzero
    exactly where :math:`|z| > \lambda`, so only the output is saved for the backward; a
    negative :math:`\lambda` (which PyTorch accepts) keeps every input, and the derivative is
    1 everywhere, at 0 included.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("hardshrink")(torch.tensor([-1.0, 0.2, 2.0], requires_grad=True))
        tensor([-1.,  0.,  2.], grad_fn=<HardshrinkBackward>)
    """

    reference = staticmethod(torch.nn.functional.hardshrink)
    kinks = (-0.5, 0.5)

    @staticmethod
    def forward(x, lambd=0.5):
        return torch.nn.functional.hardshrink(x, lambd)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.keeps_all = inputs[1] < 0
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        if ctx.keeps_all:
            return grad_output
        return grad_output * (y != 0)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (y,) = ctx.saved_tensors
        if ctx.keeps_all:
            return grad_output
        return torch.ne(y, 0, out=torch.empty_like(y)).mul_(grad_output)  # a float mask
