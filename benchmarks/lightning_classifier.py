"""The LightningModule of the two minimal-Lightning yardsticks (``lightning_digits.py`` and
``table_reference.py --kind lightning``): a given ``torch.nn`` network, cross-entropy, Adam lr
1e-3; the training loss per step and the validation and test loss and accuracy per epoch."""

from __future__ import annotations

import lightning as L
import torch
from torch import nn


class Classifier(L.LightningModule):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.loss = nn.CrossEntropyLoss()

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], _: int) -> torch.Tensor:
        x, y = batch
        loss = self.loss(self.model(x), y)
        self.log("train/loss", loss)
        return loss

    def _evaluate(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> None:
        x, y = batch
        out = self.model(x)
        self.log(f"{stage}/loss", self.loss(out, y))
        self.log(f"{stage}/acc", (out.argmax(1) == y).float().mean())

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], _: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], _: int) -> None:
        self._evaluate(batch, "test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-3)
