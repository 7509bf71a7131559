import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import reduce, unreduce


@register_loss("cross_entropy")
class CrossEntropy(LossFunction):
    r"""Multiclass cross-entropy from logits, with class-index targets.

    .. math::
        \log p_{ic} = z_{ic} - \log\sum_{k} e^{z_{ik}}, \qquad
        L = \frac{1}{m}\sum_{i=1}^{m} -\log p_{i,y_i}, \qquad
        \frac{\partial L}{\partial z_{ic}} = \frac{1}{m}\left(p_{ic} - [c = y_i]\right)

    The log-sum-exp subtracts the row maximum first, so logits :math:`\pm 10^4` apart stay
    finite. Natural logarithm, as PyTorch. ``reduction`` as PyTorch.

    Shape: input :math:`(m, C)` logits, target :math:`(m,)` integer classes in
    :math:`[0, C)`.

    Example::

        >>> LOSSES.build("cross_entropy")(torch.zeros(1, 2), torch.tensor([1]))
        tensor(0.6931, grad_fn=<CrossEntropyBackward>)
    """

    reference = staticmethod(F.cross_entropy)
    target = "class_index"

    @staticmethod
    def forward(input, target, reduction="mean"):
        log_p = input - torch.logsumexp(input, dim=1, keepdim=True)
        return reduce(-log_p.gather(1, target.unsqueeze(1)).squeeze(1), reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, reduction = inputs
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        p = torch.softmax(input, dim=1)
        one_hot = F.one_hot(target, input.shape[1]).to(input.dtype)
        g = unreduce(grad_output, target.shape, ctx.reduction)
        return (p - one_hot) * g.unsqueeze(1)
