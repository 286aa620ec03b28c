"""Device and precision choices: bf16 autocast + channels_last on CPU, AMP on CUDA, fp32 to score."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from srzoo_core.errors import UsageError


@dataclass
class Placement:
    device: torch.device
    dtype: torch.dtype | None  # autocast dtype; None = fp32
    channels_last: bool

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def to_input(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device, non_blocking=True)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def prepare(self, module: torch.nn.Module) -> torch.nn.Module:
        module = module.to(self.device)
        return module.to(memory_format=torch.channels_last) if self.channels_last else module

    @property
    def needs_scaler(self) -> bool:
        return self.dtype == torch.float16

    def describe(self) -> str:
        precision = {None: "fp32", torch.bfloat16: "bf16 autocast", torch.float16: "fp16 AMP"}[self.dtype]
        return f"{self.device.type}, {precision}{', channels_last' if self.channels_last else ''}"


def choose(device: str, precision: str, channels_last: bool | None, local_rank: int = 0) -> Placement:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for but no CUDA device is available", hint="use --device cpu or auto")
    torch_device = torch.device("cuda", local_rank) if device == "cuda" else torch.device("cpu")
    if precision == "auto":
        if device == "cuda":
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        else:
            precision = "bf16"
    if precision == "fp16" and device == "cpu":
        raise UsageError("fp16 autocast is for CUDA; on CPU use --precision bf16 or fp32")
    dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    return Placement(torch_device, dtype, True if channels_last is None else channels_last)
