import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import check_reduction, grad_scale, unreduce


@register_loss("smooth_l1")
class SmoothL1(LossFunction):
    r"""Smooth L1 loss: :class:`Huber` divided by ``beta``, so that the linear part has slope 1.

    .. math::
        \ell_i = \begin{cases} \tfrac{1}{2\beta} d_i^2 & |d_i| < \beta \\
                 |d_i| - \tfrac12\beta & \text{otherwise} \end{cases}, \quad
        d_i = \hat y_i - y_i, \qquad
        \frac{\partial \ell_i}{\partial \hat y_i} = \operatorname{clamp}(d_i / \beta, -1, 1)

    ``beta`` >= 0, default 1.0 as PyTorch; ``beta = 0`` is the L1 loss, with derivative
    :math:`\operatorname{sign}(d_i)` (0 at :math:`d_i = 0`). ``reduction`` as PyTorch:
    ``"mean"`` divides by the number of elements, ``"sum"`` does not, ``"none"`` keeps the
    elementwise :math:`\ell`. The target receives the opposite gradient.

    Shape: input and target of the same shape.

    Example::

        >>> y_hat = torch.tensor([0.25, 3.0], requires_grad=True)
        >>> LOSSES.build("smooth_l1", beta=0.5)(y_hat, torch.tensor([0.0, 0.0]))
        tensor(1.4062, grad_fn=<SmoothL1Backward>)
    """

    reference = staticmethod(F.smooth_l1_loss)
    check_variants = ({}, {"beta": 0.5, "reduction": "sum"}, {"beta": 0.0, "reduction": "none"})

    @staticmethod
    def forward(input, target, reduction="mean", beta=1.0):
        check_reduction(reduction)
        return F.smooth_l1_loss(input, target, reduction=reduction, beta=beta)  # one fused pass

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, reduction, beta = inputs
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction
        ctx.beta = beta

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        diff = input - target
        slope = diff.sign() if ctx.beta == 0 else (diff / ctx.beta).clamp(-1, 1)
        grad = slope * unreduce(grad_output, diff.shape, ctx.reduction)
        return grad, (-grad if ctx.needs_input_grad[1] else None)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        input, target = ctx.saved_tensors
        scale = grad_scale(grad_output, input.shape, ctx.reduction)
        if ctx.beta == 0:
            grad = torch.sub(input, target).sign_().mul_(scale)
        else:  # clamp(d / beta, -1, 1) = clamp(d, -beta, beta) / beta
            grad = torch.sub(input, target).clamp_(-ctx.beta, ctx.beta).mul_(scale / ctx.beta)
        return grad, (-grad if ctx.needs_input_grad[1] else None)
