"""Helpers for the rcan tests: seeded weights in state-dict order and the figures pinned from the
reference (BasicSR run in a scratch folder on the same weights and inputs)."""

from __future__ import annotations

from typing import Callable

import pytest
import torch
from torch import nn


def _seeded_weights(model: nn.Module, seed: int, std: float) -> dict[str, torch.Tensor]:
    """randn × std for every state-dict entry, in key order, from one generator: the same tensors
    whichever implementation builds the (identical) key list."""
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(v.shape, generator=g) * std for k, v in model.state_dict().items()}


def _seeded_input(seed: int, channels: int = 3, height: int = 7, width: int = 9) -> torch.Tensor:
    return torch.rand(2, channels, height, width, generator=torch.Generator().manual_seed(seed))


@pytest.fixture
def seeded_weights() -> Callable[..., dict[str, torch.Tensor]]:
    return _seeded_weights


@pytest.fixture
def seeded_input() -> Callable[..., torch.Tensor]:
    return _seeded_input


@pytest.fixture
def matches_reference() -> Callable[..., None]:
    """``check(model, seed, std, x, (sum, std, four values))``: load seeded weights, run ``x``, compare."""

    def check(model: nn.Module, seed: int, std: float, x: torch.Tensor, pinned: tuple) -> None:
        model.load_state_dict(_seeded_weights(model, seed, std), strict=True)
        with torch.no_grad():
            y = model.eval()(x)
        total, spread, values = pinned
        assert y.double().sum().item() == pytest.approx(total, rel=1e-6)
        assert y.double().std().item() == pytest.approx(spread, rel=1e-5)
        torch.testing.assert_close(y.flatten()[:: y.numel() // 4][:4], torch.tensor(values), rtol=1e-5, atol=1e-6)

    return check


@pytest.fixture
def adam_step() -> Callable[[nn.Module, int, int], None]:
    """One Adam step on random data; every parameter gets a finite gradient and moves."""

    def step(model: nn.Module, channels: int, scale: int) -> None:
        before = {k: v.clone() for k, v in model.state_dict().items()}
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
        lr, hr = torch.rand(2, channels, 8, 8), torch.rand(2, channels, 8 * scale, 8 * scale)
        loss = (model(lr) - hr).abs().mean()
        loss.backward()
        assert torch.isfinite(loss) and all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
        optimiser.step()
        assert all(not torch.equal(before[k], v) for k, v in model.named_parameters())

    return step
