"""A shuffling sampler that makes a resumed run see exactly the batches the run left alone would.

Each epoch's order is a permutation seeded by ``(seed, epoch)`` (Lightning calls ``set_epoch``),
so it does not depend on how many epochs this process has run. After a restart in the middle of
an epoch, ``resume(epoch, samples)`` skips the samples of that epoch already trained on.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


class EpochSampler(Sampler[int]):
    def __init__(self, n: int, seed: int, shuffle: bool = True) -> None:
        self.n = n
        self.seed = seed
        self.shuffle = shuffle
        self.epoch = 0
        self._skip: tuple[int, int] | None = None  # (epoch, samples already seen)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def resume(self, epoch: int, samples: int) -> None:
        """Skip the first ``samples`` of ``epoch`` (once): they were trained on before a restart."""
        self._skip = (epoch, samples) if samples > 0 else None

    def order(self, epoch: int) -> list[int]:
        if not self.shuffle:
            return list(range(self.n))
        gen = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        return torch.randperm(self.n, generator=gen).tolist()

    def __iter__(self) -> Iterator[int]:
        order = self.order(self.epoch)
        if self._skip is not None and self._skip[0] == self.epoch:
            order = order[self._skip[1] :]
            self._skip = None
        return iter(order)

    def __len__(self) -> int:
        return self.n
