"""The ``reduction`` argument shared by loss plugins: ``"mean"`` | ``"sum"`` | ``"none"``.

Forward: :math:`L = \\frac{1}{m}\\sum_i \\ell_i` (mean), :math:`\\sum_i \\ell_i` (sum) or the
elementwise :math:`\\ell` (none). Backward: the incoming gradient spread back over the elements,
:math:`\\partial L / \\partial \\ell_i = g / m` (mean), :math:`g` (sum) or :math:`g_i` (none).
"""

import torch

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction={reduction!r} is not valid; use one of {REDUCTIONS}")


def reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def grad_scale(grad_output: torch.Tensor, shape: torch.Size, reduction: str) -> torch.Tensor:
    """dL/dℓ broadcastable to ``shape``: one number (a 0-dim tensor) for "mean" and "sum", so
    that a backward multiplies by it in place without materialising ``shape``."""
    if reduction == "none":
        return grad_output
    return grad_output / shape.numel() if reduction == "mean" else grad_output


def unreduce(grad_output: torch.Tensor, shape: torch.Size, reduction: str) -> torch.Tensor:
    """dL/dℓ for every element ℓ of the unreduced loss, shaped ``shape``."""
    if reduction == "none":
        return grad_output
    scale = grad_output / shape.numel() if reduction == "mean" else grad_output
    return scale.expand(shape)
