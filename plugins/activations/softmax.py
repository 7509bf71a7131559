import torch

from framework import ActivationFunction, register_activation


@register_activation("softmax")
class Softmax(ActivationFunction):
    r"""Softmax along ``dim`` (default -1, the last dimension).

    .. math::
        s_i = \frac{e^{z_i}}{\sum_j e^{z_j}}, \qquad
        \frac{\partial s_i}{\partial z_j} = s_i (\delta_{ij} - s_j),

    so the backward is the vector-Jacobian product
    :math:`\nabla_z = s \odot (g - \langle g, s \rangle)` without forming the Jacobian
    :math:`\operatorname{diag}(s) - s s^\top`. The forward subtracts the maximum first
    (``torch.softmax`` does), so logits far apart stay finite. Only the output :math:`s` is
    saved for the backward. PyTorch's ``F.softmax`` has no default ``dim`` (it guesses one,
    with a warning); here it is -1.

    Shape: any; the output has the input's shape and sums to 1 along ``dim``.

    Example::

        >>> ACTIVATIONS.build("softmax")(torch.tensor([0.0, 1.0, 2.0], requires_grad=True))
        tensor([0.0900, 0.2447, 0.6652], grad_fn=<SoftmaxBackward>)
    """

    reference = staticmethod(torch.nn.functional.softmax)

    @staticmethod
    def forward(x, dim=-1):
        return torch.softmax(x, dim)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dim = inputs[1]
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        gs = grad_output * s
        return torch.addcmul(gs, s, gs.sum(ctx.dim, keepdim=True), value=-1)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (s,) = ctx.saved_tensors
        gs = grad_output * s
        return gs.addcmul_(s, gs.sum(ctx.dim, keepdim=True), value=-1)
