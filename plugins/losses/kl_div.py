import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import reduce, unreduce


@register_loss("kl_div")
class KLDiv(LossFunction):
    r"""Kullback–Leibler divergence :math:`\mathrm{KL}(P \,\|\, Q)`, with :math:`\log Q` as input.

    .. math::
        \ell_i = p_i (\log p_i - x_i), \qquad
        \frac{\partial \ell_i}{\partial x_i} = -p_i, \qquad
        \frac{\partial \ell_i}{\partial p_i} = \log p_i + 1 - x_i

    where the input :math:`x = \log q` holds log-probabilities (as PyTorch, unlike the classic
    :math:`\sum p \log(p/q)` written with :math:`q` itself) and the target :math:`p` holds
    probabilities; :math:`0 \log 0 = 0`. With ``log_target=True`` the target is
    :math:`t = \log p`: :math:`\ell_i = e^{t_i}(t_i - x_i)`, derivatives :math:`-e^{t_i}` and
    :math:`e^{t_i}(t_i - x_i + 1)`. Where :math:`p_i = 0` the target derivative is
    :math:`-\infty` (PyTorch gives NaN).

    ``reduction`` as PyTorch: ``"batchmean"`` divides the sum by the batch size :math:`N` and
    is the true KL divergence per sample; ``"mean"`` (the default, as PyTorch) divides by the
    number of elements, ``"sum"`` does not, ``"none"`` keeps the elementwise :math:`\ell`.

    Shape: input and target of the same shape :math:`(N, *)`, the distributions along the last
    dimension.

    Example::

        >>> log_q = torch.tensor([[0.5, 0.5]]).log().requires_grad_()
        >>> kl = LOSSES.build("kl_div", reduction="batchmean")
        >>> kl(log_q, torch.tensor([[0.9, 0.1]]))
        tensor(0.3681, grad_fn=<KLDivBackward>)
    """

    reference = staticmethod(F.kl_div)
    target = "probability"
    check_variants = (
        {},
        {"reduction": "batchmean"},
        {"reduction": "sum", "log_target": True},
        {"reduction": "none"},
    )

    @staticmethod
    def forward(input, target, reduction="mean", log_target=False):
        if log_target:
            loss = target.exp() * (target - input)
        else:
            loss = torch.xlogy(target, target) - target * input
        if reduction == "batchmean":
            return loss.sum() / (input.shape[0] if input.dim() else 1)
        return reduce(loss, reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, reduction, log_target = inputs
        # the input is needed only for the target's gradient
        ctx.save_for_backward(input if ctx.needs_input_grad[1] else None, target)
        ctx.reduction = reduction
        ctx.log_target = log_target

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        if ctx.reduction == "batchmean":
            n = target.shape[0] if target.dim() else 1
            g = unreduce(grad_output / n, target.shape, "sum")
        else:
            g = unreduce(grad_output, target.shape, ctx.reduction)
        p = target.exp() if ctx.log_target else target
        if not ctx.needs_input_grad[1]:
            return -p * g
        if ctx.log_target:
            return -p * g, p * (target - input + 1) * g
        return -p * g, (target.log() + 1 - input) * g
