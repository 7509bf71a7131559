import torch

from framework import ActivationFunction, register_activation


@register_activation("softplus")
class Softplus(ActivationFunction):
    r"""Softplus, a smooth ReLU; linear above ``threshold`` for numerical stability (as PyTorch).

    .. math::
        f(z) = \begin{cases} \frac{1}{\beta} \log(1 + e^{\beta z}) & \beta z \le t \\
            z & \beta z > t \end{cases}, \qquad
        f'(z) = \begin{cases} \sigma(\beta z) = 1 - e^{-\beta f(z)} & \beta z \le t \\
            1 & \beta z > t \end{cases}

    with ``beta`` :math:`\beta = 1` and ``threshold`` :math:`t = 20` by default. The derivative
    is written from the output, :math:`1 - e^{-\beta f(z)}` (computed with ``expm1``, exact
    for tiny outputs: :math:`f(-1000) = 0` gives 0 and :math:`f(1000) = 1000` gives 1), so only
    the output is saved for the backward. The switch to 1 is taken where
    :math:`\beta f(z) > t`, which also holds in a sliver of width :math:`\approx e^{-t}` just
    below the threshold; the value 1 used there differs from :math:`\sigma(\beta z)` by at most
    :math:`\sigma(-t)` (:math:`2 \cdot 10^{-9}` for the default), the size of the jump
    PyTorch's own formula has at the threshold. For ``threshold < 20`` that would no longer be
    negligible, so the input is saved instead and the derivative is :math:`\sigma(\beta z)`.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("softplus")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([0.3133, 0.6931, 2.1269], grad_fn=<SoftplusBackward>)
    """

    reference = staticmethod(torch.nn.functional.softplus)

    @staticmethod
    def forward(x, beta=1.0, threshold=20.0):
        return torch.nn.functional.softplus(x, beta, threshold)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, ctx.beta, ctx.threshold = inputs
        ctx.saved_output = ctx.threshold >= 20
        ctx.save_for_backward(output if ctx.saved_output else x)

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        bt = ctx.beta * t
        slope = -torch.expm1(-bt) if ctx.saved_output else torch.sigmoid(bt)
        return torch.where(bt > ctx.threshold, grad_output, grad_output * slope)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (t,) = ctx.saved_tensors
        if ctx.saved_output:
            # above the threshold 1 - e^{-beta f} is 1 within e^{-t}: no branch is needed
            return torch.mul(t, -ctx.beta).expm1_().mul_(grad_output).neg_()
        linear = torch.gt(t, ctx.threshold / ctx.beta, out=torch.empty_like(t))
        slope = torch.mul(t, ctx.beta).sigmoid_()
        return slope.add_(linear.mul_(torch.rsub(slope, 1))).mul_(grad_output)
