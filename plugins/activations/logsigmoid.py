import torch

from framework import ActivationFunction, register_activation


@register_activation("logsigmoid")
class LogSigmoid(ActivationFunction):
    r"""Logarithm of the logistic sigmoid.

    .. math::
        f(z) = \log \sigma(z) = -\log(1 + e^{-z}), \qquad
        f'(z) = 1 - \sigma(z) = 1 - e^{f(z)}

    Computed stably (``F.logsigmoid`` never forms :math:`e^{-z}` for very negative :math:`z`):
    :math:`f(-1000) = -1000` and :math:`f(1000) = 0`, both finite. The derivative is written
    as :math:`1 - \sigma(z) = \sigma(-z)` from the saved input, accurate also where it is tiny
    and one pass cheaper than :math:`-\operatorname{expm1}(f(z))` from the output; only the input
    is saved for the backward (PyTorch saves the input and a buffer).

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("logsigmoid")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-1.3133, -0.6931, -0.1269], grad_fn=<LogSigmoidBackward>)
    """

    reference = staticmethod(torch.nn.functional.logsigmoid)

    @staticmethod
    def forward(x):
        return torch.nn.functional.logsigmoid(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(-x)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.neg(x).sigmoid_().mul_(grad_output)
