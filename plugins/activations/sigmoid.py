import torch

from framework import ActivationFunction, register_activation


@register_activation("sigmoid")
class Sigmoid(ActivationFunction):
    r"""Logistic sigmoid.

    .. math::
        S(z) = \frac{1}{1 + e^{-z}}, \qquad S'(z) = S(z)\,(1 - S(z))

    Computed stably for large :math:`|z|` (``torch.sigmoid`` never forms :math:`e^{-z}` for
    very negative :math:`z`): :math:`S(\pm 1000) = 1, 0`, both finite. The backward uses the
    saved output only.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("sigmoid")(torch.tensor([0.0], requires_grad=True))
        tensor([0.5000], grad_fn=<SigmoidBackward>)
    """

    reference = staticmethod(torch.sigmoid)

    @staticmethod
    def forward(x):
        return torch.sigmoid(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return grad_output * s * (1 - s)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return torch.addcmul(s, s, s, value=-1).mul_(grad_output)  # s - s^2, then times g
