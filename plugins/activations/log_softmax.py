import math

import torch

from framework import ActivationFunction, register_activation

LOG2E = math.log2(math.e)


@register_activation("log_softmax")
class LogSoftmax(ActivationFunction):
    r"""Logarithm of the softmax along ``dim`` (default -1, the last dimension).

    .. math::
        y_i = z_i - \log \sum_j e^{z_j}, \qquad
        \frac{\partial y_i}{\partial z_j} = \delta_{ij} - e^{y_j},

    so the backward is :math:`\nabla_z = g - e^{y} \sum_j g_j`. The forward is the
    log-sum-exp with the maximum subtracted (``torch.log_softmax``), so logits :math:`10^4`
    apart give finite values and :math:`e^{y}` cannot overflow (:math:`y \le 0`). Only the
    output is saved for the backward. PyTorch's ``F.log_softmax`` has no default ``dim`` (it
    guesses one, with a warning); here it is -1.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("log_softmax")(torch.tensor([0.0, 1.0, 2.0], requires_grad=True))
        tensor([-2.4076, -1.4076, -0.4076], grad_fn=<LogSoftmaxBackward>)
    """

    reference = staticmethod(torch.nn.functional.log_softmax)

    @staticmethod
    def forward(x, dim=-1):
        return torch.log_softmax(x, dim)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dim = inputs[1]
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        total = grad_output.sum(ctx.dim, keepdim=True)
        return torch.addcmul(grad_output, y.exp(), total, value=-1)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (y,) = ctx.saved_tensors
        total = grad_output.sum(ctx.dim, keepdim=True)
        if y.dtype in (torch.float32, torch.float64):  # e^y = 2^(y log2 e): a cheaper kernel
            p = torch.mul(y, LOG2E).exp2_()
        else:
            p = torch.exp(y)
        return p.mul_(total).neg_().add_(grad_output)
