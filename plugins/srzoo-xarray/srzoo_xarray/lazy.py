"""Datasets that read their samples when asked: memory holds a few samples, not the file.

``SplitSamples`` makes one split's normalised (LR, HR) pair on demand, as the core's grids do in
memory: the HR z-scored in float64 with NaN kept where it has no data; the LR made by the run's
degradation from the whole HR field, in physical units and float64, with the cells without data
filled by the channel's training mean first (0 once normalised), so the model's input is finite.
The last pair is kept, because a training crop asks for the HR and then the LR of one sample.

``LazyFields`` hands the core's ``CropDataset`` one :class:`LazyField` per sample: an object with
``.shape`` whose ``[:, rows, cols]`` reads the sample and returns that crop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from srzoo_core.data import Normaliser, degrade
from srzoo_xarray.store import FieldStore


class SplitSamples:
    def __init__(self, store: FieldStore, positions: Sequence[int], normaliser: Normaliser, scale: int, degradation: str):
        self.store, self.positions = store, np.asarray(positions, dtype=int)
        self.normaliser, self.scale, self.degradation = normaliser, scale, degradation
        self.fill = np.asarray(normaliser.mean, dtype=np.float64).reshape(-1, 1, 1)
        self.hr_shape = (store.channels, store.height, store.width)
        self.lr_shape = (store.channels, store.height // scale, store.width // scale)
        self._last: tuple[int, tuple[torch.Tensor, torch.Tensor]] | None = None

    def __len__(self) -> int:
        return len(self.positions)

    def pair(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self._last is None or self._last[0] != index:
            hr = self.store.read([self.positions[index]])[0]
            filled = np.where(np.isfinite(hr), hr, self.fill)
            lr = degrade(torch.from_numpy(filled), self.scale, self.degradation).numpy()
            to_tensor = lambda a: torch.from_numpy(self.normaliser.normalise_array(a).astype(np.float32))
            self._last = (index, (to_tensor(lr), to_tensor(hr)))
        return self._last[1]

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_last": None}  # a DataLoader worker starts without the cached pair


class LazyField:
    """Sample ``index`` of ``samples``, LR (``which`` 0) or HR (1), read when sliced."""

    def __init__(self, samples: SplitSamples, index: int, which: int):
        self.samples, self.index, self.which = samples, index, which
        self.shape = samples.lr_shape if which == 0 else samples.hr_shape

    def __getitem__(self, key: object) -> torch.Tensor:
        return self.samples.pair(self.index)[self.which][key]


class LazyFields(Sequence):
    def __init__(self, samples: SplitSamples, which: int):
        self.samples, self.which = samples, which

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> LazyField:  # type: ignore[override]
        if not 0 <= index < len(self):
            raise IndexError(index)
        return LazyField(self.samples, index, self.which)


class LazyPairs(Dataset):
    """Validation / test: every sample of the split, whole fields, read one at a time."""

    def __init__(self, samples: SplitSamples):
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.samples.pair(index)
