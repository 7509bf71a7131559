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
    receives the opposite gradient. The backward keeps only :math:`d = \hat y - y` (one tensor;
    PyTorch's composite op keeps the same), not the input and the target.

    Shape: input and target of the same shape.

    Example::

        >>> y_hat = torch.tensor([1.0, -3.0], requires_grad=True)
        >>> LOSSES.build("mae")(y_hat, torch.tensor([0.0, 0.0]))
        tensor(2., grad_fn=<MAEBackward>)
    """

    reference = staticmethod(F.l1_loss)
    check_variants = ({}, {"reduction": "sum"}, {"reduction": "none"})
    intermediates = 1  # the difference, kept for the backward

    @staticmethod
    def forward(input, target, reduction="mean"):
        check_reduction(reduction)
        diff = torch.sub(input, target)
        if reduction == "none":
            return diff.abs(), diff
        total = torch.linalg.vector_norm(diff, 1)  # sum |d| in one pass, nothing materialised
        return (total / diff.numel() if reduction == "mean" else total), diff

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.reduction = inputs[2]
        ctx.save_for_backward(output[1])  # only the sign of the difference is needed: keep d

    @staticmethod
    def backward(ctx, grad_output):
        (diff,) = ctx.saved_tensors
        grad = diff.sign() * unreduce(grad_output, diff.shape, ctx.reduction)
        return grad, (-grad if ctx.needs_input_grad[1] else None)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (diff,) = ctx.saved_tensors
        grad = torch.sign(diff).mul_(grad_scale(grad_output, diff.shape, ctx.reduction))
        return grad, (-grad if ctx.needs_input_grad[1] else None)
