"""``DataBundle``: everything a trainer needs from the data, and the protocol it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch.utils.data import Dataset

from srzoo_core.data.modality import AUGMENTATION_DOC, Modality
from srzoo_core.data.normalise import Normaliser
from srzoo_core.data.resize import DEGRADATION_DOC


@dataclass
class DataBundle:
    name: str                    # "builtin", "synthetic-grid", or the path given
    modality: Modality           # photo (values in [0, 1]), grid (physical units), or a plugin's
    channels: int
    scale: int
    patch: int                   # HR training crop size
    degradation: str             # how LR is made from HR where it is not given
    normaliser: Normaliser
    train: Dataset
    val: Dataset
    test: Dataset | None
    channel_names: list[str]
    units: list[str | None] = field(default_factory=list)   # per channel, where the source knows them
    lr_source: str = "degradation"   # "degradation" (made from HR) or "paired" (read from disk)
    augment: str = "none"            # "none", "flips" or "dihedral"
    seed: int = 0
    splits: dict[str, Any] = field(default_factory=dict)   # per split: where it came from, sizes, protocol
    extra: dict[str, Any] = field(default_factory=dict)    # source-specific facts (files, season, ...)
    # HR-grid coordinates where the source knows them: "latitude" / "longitude" (1-D cell-centre
    # degrees, one per row / column), "time" (per split, the samples' times as ISO strings)
    coords: dict[str, Any] = field(default_factory=dict)
    vectors: dict[str, str] = field(default_factory=dict)   # wind components: channel -> "x" | "y" (flips negate them)

    def channel_units(self) -> list[str | None]:
        return list(self.units) if len(self.units) == self.channels else [None] * self.channels

    def describe(self) -> dict[str, Any]:
        """The data protocol as JSON-serialisable fields, for run directories and reports."""
        if self.lr_source == "paired":
            lr = "given (paired LR read from disk)"
        else:
            lr = f"made on the fly from HR by {self.degradation} x{self.scale}: {DEGRADATION_DOC[self.degradation]}"
        norm = self.normaliser.state_dict()
        norm["fitted_on"] = "identity on [0, 1] data" if norm["kind"] == "unit" else "training split HR, per channel"
        splits: dict[str, Any] = {}
        for split in ("train", "val", "test"):
            ds = getattr(self, split)
            info = dict(self.splits.get(split, {}))
            if ds is None:
                splits[split] = None
                continue
            info["items"] = len(ds)
            splits[split] = info
        return {
            "dataset": self.name,
            "kind": self.modality.name,
            "channels": self.channels,
            "channel_names": list(self.channel_names),
            "units": self.channel_units(),
            "scale": self.scale,
            "patch": self.patch,
            "lr_patch": self.patch // self.scale,
            "degradation": self.degradation,
            "lr": lr,
            "normalisation": norm,
            "augmentation": self.augment,
            "augmentation_description": AUGMENTATION_DOC[self.augment],
            "seed": self.seed,
            "splits": splits,
            **({"vectors": dict(self.vectors)} if self.vectors else {}),
            **({"coordinates": _coordinate_summary(self.coords)} if self.coords else {}),
            **self.extra,
        }


def _coordinate_summary(coords: dict[str, Any]) -> dict[str, Any]:
    """First, last and count of each 1-D coordinate (per split for time): the record, not the arrays."""
    def summary(values: Any) -> dict[str, Any]:
        values = list(values)
        return {"first": values[0], "last": values[-1], "size": len(values)} if values else {"size": 0}

    return {name: {split: summary(v) for split, v in values.items()} if isinstance(values, dict) else summary(values)
            for name, values in coords.items() if values is not None}
