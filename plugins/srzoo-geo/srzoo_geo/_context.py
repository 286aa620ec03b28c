"""What every geo diagnostic shares: the run's grid context, input checks and the protocol record.

The optional metric method ``setup(context)`` receives, once before scoring, a mapping with
``channel_names`` (list[str]), ``units`` (per channel a str or None, or None), ``scale`` (int),
``latitude`` and ``longitude`` (1-D, HR-grid cell centres in degrees, or None). Missing keys
count as None; keys a metric does not know are ignored, so the core may add more later. A metric that needs something
the context lacks raises ``ValueError`` (at ``setup`` when it can tell then, else when scoring).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import torch

EARTH_RADIUS_M = 6.371e6  # mean radius; the spacing a lat/lon grid's central differences use


@dataclass(frozen=True)
class GridContext:
    channel_names: tuple[str, ...] | None = None
    units: tuple[str | None, ...] | None = None
    scale: int | None = None
    latitude: torch.Tensor | None = None   # float64 (H,), degrees
    longitude: torch.Tensor | None = None  # float64 (W,), degrees

    @classmethod
    def from_mapping(cls, context: Mapping[str, Any]) -> GridContext:
        if not isinstance(context, Mapping):
            raise TypeError(f"setup expects a mapping of context values, not {type(context).__name__}")
        names = _strings(context.get("channel_names"), "channel_names", unknown_allowed=False)
        units = _strings(context.get("units"), "units", unknown_allowed=True)
        if names is not None and units is not None and len(units) != len(names):
            raise ValueError(f"context: {len(units)} units for {len(names)} channel names")
        scale = context.get("scale")
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int) or scale < 1):
            raise ValueError(f"context: scale must be a whole number >= 1, not {scale!r}")
        return cls(names, units, scale, _coordinate(context.get("latitude"), "latitude", 90.0),
                   _coordinate(context.get("longitude"), "longitude", None))


def _strings(value: Any, key: str, unknown_allowed: bool) -> tuple[str | None, ...] | None:
    """A list of strings (``None`` entries allowed for ``unknown_allowed``: a unit the source does not know)."""
    if value is None:
        return None
    ok = (str, type(None)) if unknown_allowed else str
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, ok) for v in value):
        raise ValueError(f"context: {key} must be a list of strings{' (or None)' if unknown_allowed else ''}, not {value!r}")
    return tuple(value)


def _coordinate(value: Any, key: str, bound: float | None) -> torch.Tensor | None:
    if value is None:
        return None
    values = torch.as_tensor(value, dtype=torch.float64).detach().cpu()
    if values.dim() != 1 or values.numel() < 1:
        raise ValueError(f"context: {key} must be a 1-D array of cell-centre degrees, got shape {tuple(values.shape)}")
    if not torch.isfinite(values).all():
        raise ValueError(f"context: {key} has non-finite values")
    if bound is not None and values.abs().max() > bound:
        raise ValueError(f"context: {key} must lie within [-{bound:g}, {bound:g}] degrees")
    return values


def implementation(metric: str) -> str:
    try:
        version = metadata.version("srzoo-geo")
    except metadata.PackageNotFoundError:
        version = "0+source"
    return f"srzoo-geo {version} {metric}"


def prepare(sr: torch.Tensor, hr: torch.Tensor, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Two (N, C, H, W) batches of one shape, detached, in float64; a wrong size is an error."""
    if not (isinstance(sr, torch.Tensor) and isinstance(hr, torch.Tensor)):
        raise TypeError(f"{name}: sr and hr must be tensors, got {type(sr).__name__} and {type(hr).__name__}")
    if sr.dim() != 4 or sr.shape != hr.shape:
        raise ValueError(f"{name}: expects two (N, C, H, W) batches of one shape, got {tuple(sr.shape)} and "
                         f"{tuple(hr.shape)} (a prediction of the wrong size is never resized before scoring)")
    return sr.detach().to(torch.float64), hr.detach().to(torch.float64)


def check_mask(mask: torch.Tensor, like: torch.Tensor, name: str) -> torch.Tensor:
    """The valid cells (bool, ``like``'s shape): True where the HR has data."""
    if not isinstance(mask, torch.Tensor) or tuple(mask.shape) != tuple(like.shape):
        raise ValueError(f"{name}: the mask must be a tensor of the fields' shape {tuple(like.shape)}, "
                         f"got {tuple(mask.shape) if isinstance(mask, torch.Tensor) else type(mask).__name__}")
    return mask.to(device=like.device, dtype=torch.bool)


def channel_index(token: str, names: Sequence[str] | None, channels: int | None, name: str) -> int:
    """A channel named by its variable name (needs the context's channel names) or by its index
    (checked against ``channels`` when known)."""
    if token.isdigit():
        index = int(token)
    elif names is None:
        raise ValueError(f"{name}: channel {token!r} is named, but the run gave no channel names (setup); "
                         "name channels by index instead, e.g. '0,1'")
    elif token not in names:
        raise ValueError(f"{name}: no channel {token!r}; the channels are {', '.join(names)}")
    else:
        index = list(names).index(token)
    if channels is not None and index >= channels:
        raise ValueError(f"{name}: channel {token!r} is index {index}, but the data have {channels} channels")
    return index


class GeoMetric:
    """Base of every diagnostic: ``setup`` (optional context), ``protocol``, ``__call__(sr, hr)``."""

    name = ""
    space = "channel"
    formula = ""
    reduction = "per sample and channel, float64"
    higher_is_better = False
    best_at_zero = False
    needs_lr = False
    takes_mask = True            # scores only the cells a mask marks valid (see compute_masked)
    value_units: str | None = "data"  # the scored variable's unit

    def __init__(self) -> None:
        self.context = GridContext()

    def setup(self, context: Mapping[str, Any]) -> None:
        """Take the run's grid context (replacing any earlier one) and check this metric can use it."""
        self.context = GridContext.from_mapping(context)
        self.check_context()

    def check_context(self) -> None:
        """Raise ValueError when the context lacks what this metric needs (override)."""

    def options(self) -> dict[str, Any]:
        return {}

    def context_protocol(self) -> dict[str, Any]:
        return {}

    def protocol(self) -> dict[str, Any]:
        return {"metric": self.name, "space": self.space, "units": "physical (de-normalise first)",
                **self.options(), "formula": self.formula, "reduction": self.reduction,
                **self.context_protocol(), **self.input_units(), "implementation": implementation(self.name)}

    def input_units(self) -> dict[str, Any]:
        units, names = self.context.units, self.context.channel_names
        if units is None:
            return {}
        return {"input_units": dict(zip(names or [f"ch{c}" for c in range(len(units))], units))}

    def __call__(self, sr: torch.Tensor, hr: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        sr, hr = prepare(sr, hr, self.name)
        if mask is None:
            return self.compute(sr, hr)
        return self.compute_masked(sr, hr, check_mask(mask, sr, self.name))

    def compute(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def compute_masked(self, sr: torch.Tensor, hr: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Scores over the valid cells only (a sample or channel without any: NaN)."""
        raise ValueError(f"{self.name} cannot leave out missing cells")

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"{self.name}({options})"
