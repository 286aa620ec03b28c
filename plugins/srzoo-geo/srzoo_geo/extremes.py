"""Extremes: the error of a high quantile and of the maximum, per sample and channel.

- ``quantile``: ``Q_q(sr) - Q_q(hr)`` over the pixels of one sample and channel, with linear
  interpolation between order statistics (numpy's default ``method="linear"``: position
  ``q (n - 1)`` in the sorted values).
- ``maxerr``: ``max(P(sr)) - max(P(hr))``, where ``P`` averages ``pool x pool`` blocks (``pool=1``:
  the pixel maximum; ``pool=scale``: the maximum at the LR resolution, robust to single pixels).

Absolute by default (lower is better); ``signed=true`` keeps the sign (negative: the extremes are
underestimated, as by a smooth MSE-trained model) and is best at zero (rank by the absolute value).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from srzoo_geo._context import GeoMetric


def quantile_of_pixels(x: torch.Tensor, q: float) -> torch.Tensor:
    """The q-quantile over (H, W) of every sample and channel: (N, C, H, W) -> (N, C).

    Sort-based, since ``torch.quantile`` refuses inputs of more than 2^24 elements (a batch of
    global 0.25-degree fields is larger)."""
    values = x.flatten(2).sort(dim=-1).values
    position = q * (values.shape[-1] - 1)
    low = int(position)
    high = min(low + 1, values.shape[-1] - 1)
    return values[..., low] + (values[..., high] - values[..., low]) * (position - low)


def quantile_of_valid(x: torch.Tensor, valid: torch.Tensor, q: float) -> torch.Tensor:
    """The q-quantile over the valid pixels of every sample and channel (NaN where none is)."""
    values = torch.where(valid, x, torch.inf).flatten(2).sort(dim=-1).values  # valid values first
    count = valid.flatten(2).sum(-1)
    position = q * (count - 1).clamp_min(0).to(x.dtype)
    low = position.floor().long()
    high = torch.minimum(low + 1, (count - 1).clamp_min(0))
    at = lambda index: values.gather(-1, index.unsqueeze(-1)).squeeze(-1)  # noqa: E731
    level = at(low) + (at(high) - at(low)) * (position - low)
    return torch.where(count > 0, level, torch.nan)


class _ExtremeError(GeoMetric):
    def __init__(self, signed: bool):
        super().__init__()
        self.signed = bool(signed)
        self.best_at_zero = self.signed

    def level(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def compute(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        difference = self.level(sr) - self.level(hr)
        return difference if self.signed else difference.abs()

    def compute_masked(self, sr: torch.Tensor, hr: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        difference = self.masked_level(sr, valid) - self.masked_level(hr, valid)
        return difference if self.signed else difference.abs()


class QuantileError(_ExtremeError):
    name = "quantile"

    def __init__(self, q: float, signed: bool):
        super().__init__(signed)
        if not 0 < q < 1:
            raise ValueError(f"quantile: q must lie strictly between 0 and 1, not {q}")
        self.q = float(q)
        self.formula = f"{'' if signed else 'abs'}(Q_{self.q:g}(sr) - Q_{self.q:g}(hr)) over pixels, linear interpolation"

    def options(self) -> dict[str, Any]:
        return {"q": self.q, "signed": self.signed}

    def level(self, x: torch.Tensor) -> torch.Tensor:
        return quantile_of_pixels(x, self.q)

    def masked_level(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        return quantile_of_valid(x, valid, self.q)


class MaximumError(_ExtremeError):
    name = "maxerr"

    def __init__(self, pool: int, signed: bool):
        super().__init__(signed)
        if isinstance(pool, bool) or not isinstance(pool, int) or pool < 1:
            raise ValueError(f"maxerr: pool must be a whole number of pixels >= 1, not {pool!r}")
        self.pool = pool
        self.formula = (f"{'' if signed else 'abs'}(max(P(sr)) - max(P(hr))), P the mean of "
                        f"{pool}x{pool} blocks" + (" (identity)" if pool == 1 else ""))

    def options(self) -> dict[str, Any]:
        return {"pool": self.pool, "signed": self.signed}

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2] % self.pool or x.shape[-1] % self.pool:
            raise ValueError(f"maxerr: a {tuple(x.shape[-2:])} field does not split into {self.pool}x{self.pool} blocks")
        return F.avg_pool2d(x, self.pool)

    def level(self, x: torch.Tensor) -> torch.Tensor:
        return self.pooled(x).amax(dim=(2, 3))

    def masked_level(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """The maximum over the blocks whose every cell is valid (NaN where none is)."""
        whole = self.pooled(valid.to(x.dtype)) == 1
        level = torch.where(whole, self.pooled(x), -torch.inf).amax(dim=(2, 3))
        return torch.where(whole.any(dim=(2, 3)), level, torch.nan)


def quantile(q: float = 0.99, signed: bool = False) -> QuantileError:
    """Error of the q-quantile (default 0.99; 0.999 for rarer extremes) of SR vs HR per sample and
    channel, in physical units; absolute unless signed."""
    return QuantileError(q, signed)


def maxerr(pool: int = 1, signed: bool = False) -> MaximumError:
    """Error of the maximum of SR vs HR (of pool x pool block means) per sample and channel, in
    physical units; absolute unless signed."""
    return MaximumError(pool, signed)
