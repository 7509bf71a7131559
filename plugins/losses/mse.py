import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import check_reduction, grad_scale, unreduce


@register_loss("mse", aliases=("l2",))
class MSE(LossFunction):
    r"""Mean squared error (L2 loss).

    .. math::
        L = \frac{1}{m}\sum_{i=1}^{m} (\hat y_i - y_i)^2, \qquad
        \frac{\partial L}{\partial \hat y_i} = \frac{2}{m}(\hat y_i - y_i)

    (the classic cheat sheet's ``MSE_prime = yHat - y`` drops the :math:`2/m`). ``reduction``
    as PyTorch: ``"mean"`` divides by the number of elements, ``"sum"`` does not, ``"none"``
    keeps the elementwise squares. The target receives the opposite gradient. The forward is
    the native op (one fused pass); the backward is this formula.

    Shape: input and target of the same shape.

    Example::

        >>> y_hat = torch.tensor([1.0, 3.0], requires_grad=True)
        >>> LOSSES.build("mse")(y_hat, torch.tensor([0.0, 0.0]))
        tensor(5., grad_fn=<MSEBackward>)
    """

    reference = staticmethod(F.mse_loss)

    @staticmethod
    def forward(input, target, reduction="mean"):
        check_reduction(reduction)
        return F.mse_loss(input, target, reduction=reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, reduction = inputs
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        diff = input - target
        grad = 2 * diff * unreduce(grad_output, diff.shape, ctx.reduction)
        return grad, (-grad if ctx.needs_input_grad[1] else None)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        input, target = ctx.saved_tensors
        grad = torch.sub(input, target)
        grad = grad.mul_(2 * grad_scale(grad_output, grad.shape, ctx.reduction))
        return grad, (-grad if ctx.needs_input_grad[1] else None)
