import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import check_reduction, unreduce


def target_weights(target, weight, ignore_index, dtype):
    """The safe class indices (ignored ones set to 0) and :math:`w_{y_i}` (0 where ignored)."""
    kept = target != ignore_index
    safe = torch.where(kept, target, 0)
    w_y = kept.to(dtype) if weight is None else weight.to(dtype)[safe] * kept
    return safe, w_y


@register_loss("nll")
class NLL(LossFunction):
    r"""Negative log-likelihood of the target class, from log-probabilities.

    .. math::
        \ell_i = -w_{y_i}\, x_{i,y_i}, \qquad
        \frac{\partial \ell_i}{\partial x_{ic}} = -w_{y_i}\,[c = y_i]

    where :math:`x` holds log-probabilities (``log_softmax`` of the logits: ``nll`` after
    ``log_softmax`` is :class:`CrossEntropy`) and :math:`w` is the class ``weight`` (1 if
    ``None``). Targets equal to ``ignore_index`` add nothing to the loss or the gradient.
    ``reduction`` as PyTorch: ``"sum"``, ``"none"`` (one loss per sample), and ``"mean"``,
    which divides by :math:`\sum_i w_{y_i}` over the samples not ignored (their number without
    ``weight``). The gradient does not depend on :math:`x`; only the target is saved.

    Shape: input :math:`(N, C)` or :math:`(N, C, d_1, \dots, d_K)`; target integer classes in
    :math:`[0, C)` of shape :math:`(N)` or :math:`(N, d_1, \dots, d_K)`; ``weight`` :math:`(C)`.

    Example::

        >>> log_p = torch.tensor([[0.9, 0.1]]).log().requires_grad_()
        >>> LOSSES.build("nll")(log_p, torch.tensor([0]))
        tensor(0.1054, grad_fn=<NLLBackward>)
    """

    reference = staticmethod(F.nll_loss)
    target = "class_index"
    check_variants = (
        {},
        {"reduction": "sum"},
        {"reduction": "none"},
        {"weight": [1.0, 2.0, 0.5, 1.5, 3.0], "ignore_index": 1},
    )

    @staticmethod
    def forward(input, target, weight=None, ignore_index=-100, reduction="mean"):
        check_reduction(reduction)
        weight = None if weight is None else weight.to(input.dtype)
        # the native op (one fused pass); ignored samples add 0 even where x is -inf
        return F.nll_loss(input, target, weight, ignore_index=ignore_index, reduction=reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, weight, ignore_index, reduction = inputs
        ctx.save_for_backward(target, weight)
        ctx.n_classes = input.shape[1]
        ctx.dtype = input.dtype
        ctx.ignore_index = ignore_index
        ctx.reduction = reduction

    @staticmethod
    def backward(ctx, grad_output):
        target, weight = ctx.saved_tensors
        safe, w_y = target_weights(target, weight, ctx.ignore_index, ctx.dtype)
        if ctx.reduction == "mean":
            g = unreduce(grad_output / w_y.sum(), target.shape, "sum")
        else:
            g = unreduce(grad_output, target.shape, ctx.reduction)
        one_hot = F.one_hot(safe, ctx.n_classes).movedim(-1, 1).to(ctx.dtype)
        return -one_hot * (w_y * g).unsqueeze(1)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        target, weight = ctx.saved_tensors
        safe, w_y = target_weights(target, weight, ctx.ignore_index, ctx.dtype)
        if ctx.reduction == "mean":
            g = unreduce(grad_output / w_y.sum(), target.shape, "sum")
        else:
            g = unreduce(grad_output, target.shape, ctx.reduction)
        # -w_y g at each target, 0 elsewhere: zeros with one value scattered per sample
        shape = (target.shape[0], ctx.n_classes, *target.shape[1:])
        grad = torch.zeros(shape, dtype=ctx.dtype, device=target.device)
        return grad.scatter_(1, safe.unsqueeze(1), (w_y * g).neg_().unsqueeze(1))
