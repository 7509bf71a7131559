import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import check_reduction, unreduce


def class_coefficients(input, target, weight, ignore_index, label_smoothing):
    """The coefficients :math:`a_{ic}` of :math:`\\ell_i = -\\sum_c a_{ic} \\log p_{ic}`, and the
    divisor of ``reduction="mean"``."""
    n_classes = input.shape[1]
    w = 1.0 if weight is None else weight.to(input.dtype).reshape(-1, *(1,) * (input.dim() - 2))
    if target.is_floating_point():  # class probabilities; ignore_index does not apply
        q = target * (1 - label_smoothing) + label_smoothing / n_classes
        return q * w, input.numel() / n_classes
    kept = target != ignore_index
    one_hot = F.one_hot(torch.where(kept, target, 0), n_classes).movedim(-1, 1).to(input.dtype)
    keep = kept.unsqueeze(1).to(input.dtype)
    q = keep * (one_hot * (1 - label_smoothing) + label_smoothing / n_classes)
    return q * w, (keep * one_hot * w).sum()


@register_loss("cross_entropy")
class CrossEntropy(LossFunction):
    r"""Multiclass cross-entropy from logits, with class-index or class-probability targets.

    .. math::
        \log p_{ic} = z_{ic} - \log\sum_{k} e^{z_{ik}}, \qquad
        \ell_i = -\sum_{c} w_c\, q_{ic} \log p_{ic}, \qquad
        \frac{\partial \ell_i}{\partial z_{ic}} = p_{ic} \sum_k w_k q_{ik} - w_c q_{ic}

    with :math:`q_{ic} = (1 - \varepsilon)\,t_{ic} + \varepsilon / C`, where :math:`t_{ic}` is
    :math:`[c = y_i]` for a class-index target and the given probability for a probability
    target, :math:`\varepsilon` is ``label_smoothing`` and :math:`w` the class ``weight`` (1
    if ``None``). Without weight and smoothing this is the classic
    :math:`-\log p_{i,y_i}` with derivative :math:`p_{ic} - [c = y_i]`. Natural logarithm, as
    PyTorch; the log-sum-exp subtracts the row maximum first, so logits :math:`\pm 10^4` apart
    stay finite, and a class whose coefficient is 0 adds nothing even where :math:`p = 0`.

    Class-index targets equal to ``ignore_index`` add nothing to the loss or the gradient.
    ``reduction`` as PyTorch: ``"sum"``, ``"none"`` (one loss per sample), and ``"mean"``, which
    divides by :math:`\sum_i w_{y_i}` over the samples not ignored for class-index targets
    (the number of them without ``weight``), and by the number of samples for probability
    targets. A probability target receives no gradient (it is a constant to this loss): the
    backward returns only the input's.

    The forward is the native op (log-softmax and the pick in fused passes); the backward is
    this formula, from the softmax of the saved logits (the memory PyTorch keeps for its
    log-softmax), and for plain class indices (no weight, no smoothing) as :math:`p` with
    1 subtracted at each target, scaled per sample.

    Shape: input :math:`(N, C)` or :math:`(N, C, d_1, \dots, d_K)` logits; target either
    integer classes in :math:`[0, C)` of shape :math:`(N)` or :math:`(N, d_1, \dots, d_K)`, or
    floating-point class probabilities of the input's shape; ``weight`` :math:`(C)`.

    Example::

        >>> logits = torch.zeros(1, 2, requires_grad=True)
        >>> LOSSES.build("cross_entropy")(logits, torch.tensor([1]))
        tensor(0.6931, grad_fn=<CrossEntropyBackward>)
        >>> LOSSES.build("cross_entropy")(logits, torch.tensor([[0.5, 0.5]]))
        tensor(0.6931, grad_fn=<CrossEntropyBackward>)
    """

    reference = staticmethod(F.cross_entropy)
    target = "class_index"
    check_variants = (
        {},
        {"label_smoothing": 0.1},
        {"reduction": "sum"},
        {"reduction": "none", "label_smoothing": 0.2},
        {"weight": [1.0, 2.0, 0.5, 1.5, 3.0], "ignore_index": 1},
        {"weight": [1.0, 2.0, 0.5, 1.5, 3.0], "label_smoothing": 0.1, "reduction": "none"},
        {"_target": "probability"},
        {"_target": "probability", "label_smoothing": 0.1, "reduction": "sum"},
    )

    @staticmethod
    def forward(
        input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
    ):
        check_reduction(reduction)
        return F.cross_entropy(
            input,
            target,
            weight,
            ignore_index=ignore_index,
            reduction=reduction,
            label_smoothing=label_smoothing,
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, weight, ignore_index, reduction, label_smoothing = inputs
        ctx.save_for_backward(input, target, weight)
        ctx.ignore_index = ignore_index
        ctx.reduction = reduction
        ctx.label_smoothing = label_smoothing

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        coef, divisor = class_coefficients(
            input, target, weight, ctx.ignore_index, ctx.label_smoothing
        )
        shape = input.shape[:1] + input.shape[2:]
        if ctx.reduction == "mean":
            g = unreduce(grad_output / divisor, shape, "sum")
        else:
            g = unreduce(grad_output, shape, ctx.reduction)
        p = torch.softmax(input, dim=1)
        return (p * coef.sum(1, keepdim=True) - coef) * g.unsqueeze(1)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        if weight is None and ctx.label_smoothing == 0 and not target.is_floating_point():
            return _index_target_grad(input, target, ctx.ignore_index, ctx.reduction, grad_output)
        return NotImplemented  # the formula


def _index_target_grad(input, target, ignore_index, reduction, grad_output):
    """(p - onehot(y)) g_i per sample, 0 for ignored samples: the softmax in a fresh buffer,
    1 subtracted at each target in place, then each sample scaled (not differentiable).

    An ignored sample's row is scaled by 0, so its 1 is subtracted at class 0 (its target,
    ``ignore_index``, may be no class at all: 255, -100). The mean divides by the integer
    count of samples kept (a float16 sum of ones would overflow past 65,504).
    """
    kept = target != ignore_index
    g = grad_output / kept.sum() if reduction == "mean" else grad_output
    w = kept.to(input.dtype).mul_(g)  # g_i: 0 for an ignored sample
    p = torch.softmax(input, dim=1)
    p.scatter_(1, torch.where(kept, target, 0).unsqueeze(1), -1.0, reduce="add")
    return p.mul_(w.unsqueeze(1))
