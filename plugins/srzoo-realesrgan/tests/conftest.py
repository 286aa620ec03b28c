"""Helpers for the srvggnet and unetsn tests: seeded weights in state-dict order (spectral norm's u and v
as unit vectors) and the figures pinned from the reference (Real-ESRGAN run in a scratch folder on the
same weights and inputs)."""

from __future__ import annotations

from typing import Callable

import pytest
import torch
from torch import nn


def _seeded_weights(model: nn.Module, seed: int, std: float) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    out = {}
    for key, value in model.state_dict().items():
        t = torch.randn(value.shape, generator=g)
        out[key] = t / t.norm() if key.endswith(("weight_u", "weight_v")) else t * std
    return out


@pytest.fixture
def seeded_weights() -> Callable[..., dict[str, torch.Tensor]]:
    return _seeded_weights


@pytest.fixture
def seeded_input() -> Callable[..., torch.Tensor]:
    def make(seed: int, channels: int = 3, height: int = 7, width: int = 9) -> torch.Tensor:
        return torch.rand(2, channels, height, width, generator=torch.Generator().manual_seed(seed))

    return make


@pytest.fixture
def assert_figures() -> Callable[[torch.Tensor, tuple], None]:
    """Compare an output with pinned (sum, std, four evenly spaced values)."""

    def check(y: torch.Tensor, pinned: tuple) -> None:
        total, spread, values = pinned
        y = y.detach()
        assert y.double().sum().item() == pytest.approx(total, rel=1e-6)
        assert y.double().std().item() == pytest.approx(spread, rel=1e-5)
        torch.testing.assert_close(y.flatten()[:: y.numel() // 4][:4], torch.tensor(values), rtol=1e-5, atol=1e-6)

    return check
