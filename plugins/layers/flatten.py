import torch

from framework import LayerFunction, register_layer


@register_layer("flatten")
class Flatten(LayerFunction):
    r"""Flattens dimensions ``start_dim`` … ``end_dim`` into one (before a linear layer).

    .. math::
        Z_{n,\,(i_1 \ldots i_k)} = X_{n, i_1, \ldots, i_k}, \qquad
        \frac{\partial L}{\partial X} = \operatorname{reshape}(\delta,\ \text{shape of } X)

    Shape: input :math:`(N, *)`, output :math:`(N, \prod *)` with the defaults
    ``start_dim=1, end_dim=-1``.

    Example::

        >>> LAYERS.build("flatten")(torch.ones(4, 3, 5, 5)).shape
        torch.Size([4, 75])
    """

    reference = staticmethod(torch.flatten)
    example_input = (2, 3, 2, 2)
    check_variants = ({}, {"start_dim": 0, "end_dim": 2})

    @staticmethod
    def forward(x, start_dim=1, end_dim=-1):
        return x.flatten(start_dim, end_dim)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.input_shape = inputs[0].shape

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.reshape(ctx.input_shape)
