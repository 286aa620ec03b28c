"""Per-channel normalisation, fitted on the training split and stored with every checkpoint.

Two kinds:

* ``unit`` — photographs already in [0, 1]: the identity (mean 0, std 1 per channel).
* ``zscore`` — scientific grids in physical units: ``(x - mean_c) / std_c`` per channel, with the
  statistics of the *training* HR data only (population std, ddof=0), applied to LR and HR alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from srzoo_core.data.errors import DataError

NORMALISER_KINDS: tuple[str, ...] = ("unit", "zscore")


@dataclass
class Normaliser:
    kind: str
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in NORMALISER_KINDS:
            raise DataError(f"unknown normaliser kind {self.kind!r}; valid kinds: {', '.join(NORMALISER_KINDS)}")
        self.mean = [float(m) for m in self.mean]
        self.std = [float(s) for s in self.std]
        if len(self.mean) != len(self.std):
            raise DataError(f"normaliser has {len(self.mean)} means but {len(self.std)} stds")
        bad = [s for s in self.std if not (math.isfinite(s) and s > 0)]
        if bad or not all(math.isfinite(m) for m in self.mean):
            raise DataError(f"normaliser statistics must be finite with std > 0, got mean={self.mean} std={self.std}")

    @classmethod
    def unit(cls, channels: int) -> "Normaliser":
        return cls("unit", [0.0] * channels, [1.0] * channels)

    @classmethod
    def fit(cls, hr_train: np.ndarray) -> "Normaliser":
        """Per-channel z-score statistics of ``hr_train`` shaped (N, C, H, W) (the training split only)."""
        a = np.asarray(hr_train)
        if a.ndim != 4:
            raise DataError(f"Normaliser.fit expects the training HR array shaped (N, C, H, W), found shape {a.shape}")
        a64 = a.astype(np.float64, copy=False)
        mean = a64.mean(axis=(0, 2, 3))
        std = a64.std(axis=(0, 2, 3))
        for c, s in enumerate(std):
            if not s > 0:
                raise DataError(
                    f"channel {c} of the training data is constant ({mean[c]:.6g}): it cannot be z-scored",
                    hint="drop the channel from the array or give data where it varies",
                )
        return cls("zscore", mean.tolist(), std.tolist())

    @property
    def channels(self) -> int:
        return len(self.mean)

    def _stats(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if x.ndim < 3 or x.shape[-3] != self.channels:
            raise DataError(
                f"normaliser for {self.channels} channel(s) got a tensor shaped {tuple(x.shape)}; expected (N, C, H, W) or (C, H, W)"
            )
        dtype = x.dtype if x.is_floating_point() else torch.float32
        mean = torch.tensor(self.mean, dtype=dtype, device=x.device).view(-1, 1, 1)
        std = torch.tensor(self.std, dtype=dtype, device=x.device).view(-1, 1, 1)
        return mean, std

    def normalise(self, x: Tensor) -> Tensor:
        if self.kind == "unit":
            self._stats(x)
            return x
        mean, std = self._stats(x)
        return (x - mean) / std

    def denormalise(self, x: Tensor) -> Tensor:
        if self.kind == "unit":
            self._stats(x)
            return x
        mean, std = self._stats(x)
        return x * std + mean

    def normalise_array(self, a: np.ndarray) -> np.ndarray:
        """The same map on a NumPy array (N, C, H, W) or (C, H, W), computed in float64."""
        if self.kind == "unit":
            return a
        mean = np.asarray(self.mean).reshape(-1, 1, 1)
        std = np.asarray(self.std).reshape(-1, 1, 1)
        return (np.asarray(a, dtype=np.float64) - mean) / std

    def state_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Normaliser":
        try:
            return cls(state["kind"], list(state["mean"]), list(state["std"]))
        except (KeyError, TypeError) as exc:
            raise DataError(f"bad normaliser state {state!r}: needs kind, mean and std") from exc
