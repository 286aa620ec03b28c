"""The training data stream: batch ``s`` on rank ``r`` holds global sample indices
``(s * world + r) * batch + j``, so what a step sees depends on the step alone — resuming at step
``s`` reproduces the data exactly, and ranks never draw the same samples. The training dataset maps
any non-negative index to a sample (random crop seeded by the index)."""

from __future__ import annotations

from typing import Any, Iterator

import torch
from torch.utils.data import DataLoader, Sampler


class _GlobalIndices(Sampler[int]):
    def __init__(self, start_step: int, batch: int, rank: int, world: int):
        self.start_step, self.batch, self.rank, self.world = start_step, batch, rank, world

    def __iter__(self) -> Iterator[int]:
        step = self.start_step
        while True:
            first = (step * self.world + self.rank) * self.batch
            yield from range(first, first + self.batch)
            step += 1


class TrainStream:
    def __init__(self, dataset: Any, batch: int, rank: int, world: int, workers: int, seed: int):
        self.dataset, self.batch, self.rank, self.world, self.workers, self.seed = dataset, batch, rank, world, workers, seed

    def batches(self, start_step: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        loader = DataLoader(
            self.dataset, batch_size=self.batch, sampler=_GlobalIndices(start_step, self.batch, self.rank, self.world),
            num_workers=self.workers, persistent_workers=self.workers > 0, drop_last=True,
        )
        return iter(loader)
