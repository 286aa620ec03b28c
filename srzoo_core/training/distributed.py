"""Multi-process training under ``torchrun`` (gloo on CPU, nccl on GPU): each process trains on its
own share of the data through DistributedDataParallel; only rank 0 validates and writes."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass
class DistContext:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @classmethod
    def from_environment(cls) -> "DistContext":
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        if not dist.is_initialized():
            backend = "nccl" if torch.cuda.is_available() and os.environ.get("SRZOO_DIST_BACKEND") != "gloo" else "gloo"
            dist.init_process_group(backend=backend)
        return cls(rank=dist.get_rank(), world=dist.get_world_size(), local_rank=int(os.environ.get("LOCAL_RANK", "0")))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1

    def wrap(self, module: nn.Module | None) -> nn.Module | None:
        if module is None or not self.active:
            return module
        device_ids = [self.local_rank] if next(module.parameters()).is_cuda else None
        # BatchNorm buffers are broadcast from rank 0 each forward (the DDP default); SyncBatchNorm is GPU-only.
        return nn.parallel.DistributedDataParallel(module, device_ids=device_ids)

    def all_agree(self, flag: bool) -> bool:
        """True only if ``flag`` is true in every process."""
        if not self.active:
            return flag
        device = torch.device("cuda", self.local_rank) if dist.get_backend() == "nccl" else torch.device("cpu")
        value = torch.tensor([1 if flag else 0], device=device)
        dist.all_reduce(value, op=dist.ReduceOp.MIN)
        return bool(value.item())

    def barrier(self) -> None:
        if self.active:
            dist.barrier()

    def close(self) -> None:
        if self.active and dist.is_initialized():
            dist.destroy_process_group()
