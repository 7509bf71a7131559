import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import grad_scale, reduce, unreduce


@register_loss("rmse")
class RMSE(LossFunction):
    r"""Root mean squared error: the square root of :class:`MSE`.

    .. math::
        L = \sqrt{\frac{1}{m}\sum_{i=1}^{m} (\hat y_i - y_i)^2}, \qquad
        \frac{\partial L}{\partial \hat y_i} = \frac{\hat y_i - y_i}{m\,L}

    ``reduction`` takes the root of the reduced squared error, as
    ``torch.sqrt(F.mse_loss(input, target, reduction=reduction))`` (the reference; PyTorch has
    no RMSE op): ``"mean"`` is the RMSE above, ``"sum"`` the root of the sum of squares
    :math:`\sqrt{\sum_i (\hat y_i - y_i)^2}` (the Euclidean norm of the error, derivative
    :math:`(\hat y_i - y_i)/L`), and ``"none"`` the root of each squared error, i.e. the
    elementwise :math:`|\hat y_i - y_i|` (derivative :math:`\operatorname{sign}(\hat y_i - y_i)`).
    Where :math:`L = 0` the derivative is undefined (the reference gives NaN); the subgradient 0
    is used there. The target receives the opposite gradient.

    Shape: input and target of the same shape.

    Example::

        >>> y_hat = torch.tensor([3.0, 1.0], requires_grad=True)
        >>> LOSSES.build("rmse")(y_hat, torch.tensor([0.0, 0.0]))
        tensor(2.2361, grad_fn=<RMSEBackward>)
    """

    reference = staticmethod(
        lambda input, target, reduction="mean": torch.sqrt(
            F.mse_loss(input, target, reduction=reduction)
        )
    )
    check_variants = ({}, {"reduction": "sum"}, {"reduction": "none"})

    @staticmethod
    def forward(input, target, reduction="mean"):
        if reduction in ("mean", "sum"):  # the native op: one fused pass
            return F.mse_loss(input, target, reduction=reduction).sqrt()
        return reduce((input - target).square(), reduction).sqrt()

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, reduction = inputs
        ctx.save_for_backward(input, target, output)
        ctx.reduction = reduction

    @staticmethod
    def backward(ctx, grad_output):
        input, target, output = ctx.saved_tensors
        # where L = 0 every difference it covers is 0 too, so dividing by 1 gives the 0 subgradient
        root = torch.where(output == 0, 1.0, output)
        diff = input - target
        grad = diff / root * unreduce(grad_output, diff.shape, ctx.reduction)
        return grad, (-grad if ctx.needs_input_grad[1] else None)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        input, target, output = ctx.saved_tensors
        # where L = 0 every difference it covers is 0 too, so dividing by 1 gives the 0 subgradient
        root = torch.where(output == 0, 1.0, output)
        grad = torch.sub(input, target)
        grad = grad.mul_(grad_scale(grad_output, grad.shape, ctx.reduction) / root)
        return grad, (-grad if ctx.needs_input_grad[1] else None)
