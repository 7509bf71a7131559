import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import check_reduction, grad_scale, unreduce


@register_loss("mae", aliases=("l1",))
class MAE(LossFunction):
    r"""Mean absolute error (L1 loss).

    .. math::
        L = \frac{1}{m}\sum_{i=1}^{m} |\hat y_i - y_i|, \qquad
        \frac{\partial L}{\partial \hat y_i} = \frac{1}{m}\operatorname{sign}(\hat y_i - y_i)

    The derivative is undefined where :math:`\hat y_i = y_i`; the subgradient 0 is used there,
    as PyTorch does. ``reduction`` as PyTorch: ``"mean"`` divides by the number of elements,
    ``"sum"`` does not, ``"none"`` keeps the elementwise :math:`|\hat y - y|`. The target
    receives the opposite gradient.

    Shape: input and target of the same shape.

    Example::

        >>> y_hat = torch.tensor([1.0, -3.0], requires_grad=True)
        >>> LOSSES.build("mae")(y_hat, torch.tensor([0.0, 0.0]))
        tensor(2., grad_fn=<MAEBackward>)
    """

    reference = staticmethod(F.l1_loss)
    check_variants = ({}, {"reduction": "sum"}, {"reduction": "none"})

    @staticmethod
    def forward(input, target, reduction="mean"):
        check_reduction(reduction)
        return F.l1_loss(input, target, reduction=reduction)  # the native op: one fused pass

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, reduction = inputs
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        if torch.is_grad_enabled():  # double backward: differentiable, out of place
            diff = input - target
            grad = diff.sign() * unreduce(grad_output, diff.shape, ctx.reduction)
        else:
            grad = torch.sub(input, target).sign_()
            grad = grad.mul_(grad_scale(grad_output, grad.shape, ctx.reduction))
        return grad, (-grad if ctx.needs_input_grad[1] else None)
