"""Helpers for tests that pin a model against its published reference code (tests only).

The reference is run outside the project on the same seeded weights and inputs; its figures
are pinned in the plugin's tests. :func:`seeded_weights` makes those weights reproducibly from
nothing but the state dict's keys and shapes, so the reference and srzoo get the same tensors
whenever their key lists agree; :func:`seeded_input` the input; :func:`assert_figures` compares
an output with (sum, std, four evenly spaced values), :func:`assert_magnitude_figures` with (sum,
sum of |y|, chosen values); :func:`check_against_reference` does the first three.
:func:`assert_one_adam_step` checks that every parameter trains.

    from srzoo_core.testing.reference import check_against_reference, seeded_input
    check_against_reference(edsr(3, 3, 4, features=8, blocks=2), 104, 0.05, seeded_input(4), PINNED)
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
import torch
from torch import nn

Figures = tuple[float, float, "tuple[float, ...] | list[float]"]


def seeded_weights(source: nn.Module | Mapping[str, torch.Tensor], seed: int = 0, std: float = 0.1, *,
                   sort_keys: bool = False, keep: tuple[str, ...] = (), unit: tuple[str, ...] = ()) -> dict[str, torch.Tensor]:
    """``randn × std`` for every entry of ``source``'s state dict, drawn in key order (sorted with
    ``sort_keys``) from one generator seeded with ``seed``. Entries that are not floating point,
    or whose key ends in one of ``keep``, are kept as they are and draw nothing (index buffers,
    masks); those ending in one of ``unit`` are drawn and scaled to unit norm instead (spectral
    norm's ``weight_u`` / ``weight_v``)."""
    state = source.state_dict() if isinstance(source, nn.Module) else source
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for key in sorted(state) if sort_keys else state:
        value = state[key]
        if not value.is_floating_point() or (keep and key.endswith(keep)):
            out[key] = value
            continue
        drawn = torch.randn(value.shape, generator=gen)
        out[key] = drawn / drawn.norm() if unit and key.endswith(unit) else drawn * std
    return out


def seeded_input(seed: int, channels: int = 3, height: int = 7, width: int = 9, batch: int = 2) -> torch.Tensor:
    """``torch.rand(batch, channels, height, width)`` from a generator seeded with ``seed``."""
    return torch.rand(batch, channels, height, width, generator=torch.Generator().manual_seed(seed))


def assert_figures(y: torch.Tensor, pinned: Figures) -> None:
    """``y`` against pinned (sum, std, four evenly spaced values ``y.flatten()[::numel // 4][:4]``),
    sum and std computed in float64."""
    total, spread, values = pinned
    y = y.detach()
    assert y.double().sum().item() == pytest.approx(total, rel=1e-6)
    assert y.double().std().item() == pytest.approx(spread, rel=1e-5)
    torch.testing.assert_close(y.flatten()[:: y.numel() // 4][:4], torch.tensor(values), rtol=1e-5, atol=1e-6)


def assert_magnitude_figures(y: torch.Tensor, pinned: Figures, flat: tuple[int, ...]) -> None:
    """``y`` against pinned (sum, sum of |y|, the values at the flat indices ``flat``): the sum to
    1e-5 of the magnitude (it may be near zero), the magnitude and the values to 1e-5 relative."""
    total, magnitude, values = pinned
    y = y.detach()
    assert abs(y.double().sum().item() - total) <= 1e-5 * magnitude
    assert y.double().abs().sum().item() == pytest.approx(magnitude, rel=1e-5)
    torch.testing.assert_close(y.flatten()[list(flat)], torch.tensor(values), rtol=1e-5, atol=1e-5)


def check_against_reference(model: nn.Module, seed: int, std: float, x: torch.Tensor, pinned: Figures) -> None:
    """Load :func:`seeded_weights` (``seed``, ``std``) strictly, run ``x`` in eval mode without
    gradients, and compare the output with ``pinned`` (see :func:`assert_figures`)."""
    model.load_state_dict(seeded_weights(model, seed, std), strict=True)
    with torch.no_grad():
        y = model.eval()(x)
    assert_figures(y, pinned)


def assert_one_adam_step(model: nn.Module, channels: int, scale: int) -> None:
    """One Adam step of an L1 loss on random (2, channels, 8, 8) → ×scale data: the loss and every
    gradient are finite, and every parameter moves."""
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    lr, hr = torch.rand(2, channels, 8, 8), torch.rand(2, channels, 8 * scale, 8 * scale)
    loss = (model(lr) - hr).abs().mean()
    loss.backward()
    assert torch.isfinite(loss) and all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    optimiser.step()
    assert all(not torch.equal(before[k], v) for k, v in model.named_parameters())
