"""The two dataset types a :class:`DataBundle` holds.

``CropDataset`` (training): random, scale-aligned (LR, HR) crops cut from whole samples whose LR
was made once from the full HR (or given), plus optional flips / 90-degree rotations. An epoch
visits every sample as often as its crops tile it, in an order shuffled per ``(seed, epoch)``;
item ``i`` draws its crop from a generator seeded with ``(seed, epoch, i)``. So a run is
reproducible whatever the number of DataLoader workers, and consecutive indices (one batch) mix
images. Call ``set_epoch(e)`` at the start of each epoch (like
``DistributedSampler.set_epoch``) to get fresh crops; indices past ``len(ds)`` are also accepted
and count as later epochs (``ds[e * len(ds) + i]`` is item ``i`` of epoch ``e``), for samplers
that run across epochs.

With a random degradation chain (``deg=``, see :mod:`srzoo_core.data.degradation`) the LR is not
cut from a stored LR but made from the augmented HR crop in ``__getitem__`` by ``degrader``,
seeded by ``(seed, epoch, i)`` too; the crop and its augmentation are those drawn without it.

``PairDataset`` (validation / test): fixed (LR, HR) pairs, the whole split, deterministic. The
stacked tensors are also exposed as ``.lr`` and ``.hr`` for batched evaluation without a loader.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from srzoo_core.data.modality import AUGMENTATION_DOC, AUGMENTATIONS  # noqa: F401 - re-exported


def vector_flip_signs(components: Sequence[str | None] | None) -> dict[int, Tensor]:
    """Per flipped dimension (-1: west-east "x", -2: north-south "y"), the (C, 1, 1) signs that
    negate the vector components along it (u for x, v for y): a mirrored wind is reversed."""
    if not components or not any(components):
        return {}
    bad = sorted({str(c) for c in components if c not in (None, "x", "y")})
    if bad:
        raise ValueError(f"a vector component points along 'x' (west-east) or 'y' (south-north), not {', '.join(bad)}")
    return {dim: torch.tensor([-1.0 if c == axis else 1.0 for c in components]).view(-1, 1, 1)
            for dim, axis in ((-1, "x"), (-2, "y"))}


def _mirror(lr: Tensor, hr: Tensor, dim: int, signs: dict[int, Tensor]) -> tuple[Tensor, Tensor]:
    lr, hr = lr.flip(dim), hr.flip(dim)
    return (lr * signs[dim], hr * signs[dim]) if signs else (lr, hr)


def _augment(lr: Tensor, hr: Tensor, mode: str, rng: np.random.Generator,
             signs: dict[int, Tensor] | None = None) -> tuple[Tensor, Tensor]:
    if mode == "none":
        return lr, hr
    signs = signs or {}
    if mode == "dihedral":
        t = int(rng.integers(8))
        if t >= 4:
            lr, hr = lr.flip(-1), hr.flip(-1)
        k = t % 4
        if k:
            lr, hr = torch.rot90(lr, k, (-2, -1)), torch.rot90(hr, k, (-2, -1))
        return lr, hr
    hflip, vflip = rng.random(2) < 0.5
    if hflip:
        lr, hr = _mirror(lr, hr, -1, signs)
    if vflip:
        lr, hr = _mirror(lr, hr, -2, signs)
    return lr, hr


class CropDataset(Dataset):
    """Random (LR, HR) training crops; see the module docstring for the seeding contract.

    ``hr[j]`` is (C, H, W) and ``lr[j]`` is (C, H/scale, W/scale), either float32 already
    normalised or integer pixels divided by ``white`` on the way out (or any objects with
    ``.shape`` whose ``[:, rows, cols]`` gives such a tensor: storage read lazily). ``vectors``:
    per channel the axis its vector component points along ("x", "y") or None; flips negate
    the component along the flipped axis (rotations, which would mix components, are refused).
    ``degrader`` (None, or ``degrader(hr_crop, epoch, i) -> lr``) makes each item's LR instead.
    """

    degrader: Any = None

    def __init__(self, hr: Sequence[Tensor], lr: Sequence[Tensor], *, scale: int, patch: int,
                 augment: str = "none", seed: int = 0, white: float = 1.0,
                 vectors: Sequence[str | None] | None = None):
        if augment not in AUGMENTATIONS:
            raise ValueError(f"augment must be one of {AUGMENTATIONS}, got {augment!r}")
        self.signs = vector_flip_signs(vectors)
        if self.signs and augment == "dihedral":
            raise ValueError("vector fields take flips only: a 90-degree rotation would mix their components")
        self.hr, self.lr = hr, lr
        self.scale, self.patch, self.augment = int(scale), int(patch), augment
        self.seed, self.white, self.epoch = int(seed), float(white), 0
        counts = [max(1, (h.shape[-2] // self.patch) * (h.shape[-1] // self.patch)) for h in hr]
        self.counts = counts
        self._ends = np.cumsum(counts)
        self._order: tuple[int, np.ndarray] | None = None

    def order(self, epoch: int) -> np.ndarray:
        """The epoch's shuffled visiting order of the ``len(self)`` slots (cached per process)."""
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, np.random.default_rng([self.seed, epoch]).permutation(len(self)))
        return self._order[1]

    def sample_of(self, index: int) -> int:
        """Which stored sample item ``index`` crops from."""
        n = len(self)
        slot = self.order(self.epoch + index // n)[index % n]
        return int(np.searchsorted(self._ends, slot, side="right"))

    def __len__(self) -> int:
        return int(self._ends[-1])

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _float(self, x: Tensor) -> Tensor:
        x = x.to(torch.float32)
        return x / self.white if self.white != 1.0 else x

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        n = len(self)
        index = int(index)
        if index < 0:
            raise IndexError(index)
        epoch, i = self.epoch + index // n, index % n
        j = self.sample_of(index)
        rng = np.random.default_rng([self.seed, epoch, i])
        hr, lr = self.hr[j], self.lr[j]
        lp = self.patch // self.scale
        ly = int(rng.integers(0, lr.shape[-2] - lp + 1))
        lx = int(rng.integers(0, lr.shape[-1] - lp + 1))
        s, p = self.scale, self.patch
        lr_c = lr[:, ly:ly + lp, lx:lx + lp]
        hr_c = hr[:, ly * s:ly * s + p, lx * s:lx * s + p]
        lr_c, hr_c = _augment(lr_c, hr_c, self.augment, rng, self.signs)
        if self.degrader is not None:
            hr_f = self._float(hr_c).contiguous()
            return self.degrader(hr_f, epoch, i), hr_f
        return self._float(lr_c).contiguous(), self._float(hr_c).contiguous()


class PairDataset(Dataset):
    """Fixed (LR, HR) pairs: ``lr`` (M, C, h, w) and ``hr`` (M, C, H, W), float32, normalised."""

    def __init__(self, lr: Tensor, hr: Tensor, names: Sequence[str] | None = None):
        assert lr.shape[0] == hr.shape[0]
        self.lr = lr.to(torch.float32).contiguous()
        self.hr = hr.to(torch.float32).contiguous()
        self.names = list(names) if names is not None else [str(i) for i in range(lr.shape[0])]

    def __len__(self) -> int:
        return int(self.hr.shape[0])

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        return self.lr[index], self.hr[index]


def hide_missing(sr: Tensor, hr: Tensor) -> tuple[Tensor, Tensor]:
    """Cells where the HR has no data (NaN or Inf: a mask, missing values) set to 0 in both the
    output and the target: they add no error and no gradient to any loss, and a discriminator sees
    the same there in real and fake. A data source marks missing HR cells with NaN, never a value."""
    valid = torch.isfinite(hr)
    return torch.where(valid, sr, 0.0), torch.where(valid, hr, 0.0)
