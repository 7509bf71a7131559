import torch

from framework import ActivationFunction, register_activation


@register_activation("mish")
class Mish(ActivationFunction):
    r"""Mish (Misra, 2019): a self-regularised smooth activation.

    .. math::
        f(z) = z \tanh(\operatorname{softplus}(z)), \qquad
        f'(z) = \tanh(\operatorname{softplus}(z))
            + z\,\sigma(z)\,\bigl(1 - \tanh^2(\operatorname{softplus}(z))\bigr)

    with :math:`\operatorname{softplus}(z) = \log(1 + e^{z})` (computed without overflow),
    whose derivative is the sigmoid :math:`\sigma(z)`. The input is saved for the backward
    (Mish is not monotonic, so the output does not determine it), as PyTorch does. Smooth
    everywhere: no kinks.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("mish")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-0.3034,  0.0000,  1.9440], grad_fn=<MishBackward>)
    """

    reference = staticmethod(torch.nn.functional.mish)
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.nn.functional.mish(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        t = torch.tanh(torch.nn.functional.softplus(x))
        return grad_output * (t + x * torch.sigmoid(x) * (1 - t * t))
