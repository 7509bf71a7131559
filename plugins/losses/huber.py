import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import check_reduction, grad_scale, unreduce


@register_loss("huber")
class Huber(LossFunction):
    r"""Huber loss: quadratic for small errors, linear (slope :math:`\delta`) for large ones.

    .. math::
        \ell_i = \begin{cases} \tfrac12 d_i^2 & |d_i| < \delta \\
                 \delta\,(|d_i| - \tfrac12\delta) & \text{otherwise} \end{cases}, \quad
        d_i = \hat y_i - y_i, \qquad
        \frac{\partial \ell_i}{\partial \hat y_i} = \operatorname{clamp}(d_i, -\delta, \delta)

    The classic cheat sheet's formula drops the absolute value in the second branch (its code has
    it); this is the form with :math:`|d_i|`, as PyTorch. The loss is continuously
    differentiable; its second derivative jumps at :math:`|d_i| = \delta`. ``delta`` > 0,
    default 1.0 as PyTorch. ``reduction`` as PyTorch: ``"mean"`` divides by the number of
    elements, ``"sum"`` does not, ``"none"`` keeps the elementwise :math:`\ell`. The target
    receives the opposite gradient.

    Shape: input and target of the same shape.

    Example::

        >>> y_hat = torch.tensor([0.5, 3.0], requires_grad=True)
        >>> LOSSES.build("huber")(y_hat, torch.tensor([0.0, 0.0]))
        tensor(1.3125, grad_fn=<HuberBackward>)
    """

    reference = staticmethod(F.huber_loss)
    check_variants = ({}, {"delta": 0.5, "reduction": "sum"}, {"delta": 2.0, "reduction": "none"})

    @staticmethod
    def forward(input, target, reduction="mean", delta=1.0):
        check_reduction(reduction)
        return F.huber_loss(input, target, reduction=reduction, delta=delta)  # one fused pass

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, reduction, delta = inputs
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction
        ctx.delta = delta

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        diff = input - target
        grad = diff.clamp(-ctx.delta, ctx.delta)
        grad = grad * unreduce(grad_output, diff.shape, ctx.reduction)
        return grad, (-grad if ctx.needs_input_grad[1] else None)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        input, target = ctx.saved_tensors
        grad = torch.sub(input, target).clamp_(-ctx.delta, ctx.delta)
        grad = grad.mul_(grad_scale(grad_output, grad.shape, ctx.reduction))
        return grad, (-grad if ctx.needs_input_grad[1] else None)
