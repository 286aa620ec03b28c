"""Modalities: what kind of data a run trains on, and everything that depends on it.

The core never branches on a kind string: it asks the run's modality how to augment by default,
which metrics to score by default, how outputs are brought into the scoring domain, how sample
panels are drawn, and how inputs are read and outputs written by ``srzoo upscale``. A third
modality (e.g. volumes, spectra) is one more :class:`Modality` subclass passed to
:func:`register_modality`; nothing in the core changes.

Photo
    values in [0, 1] (8- or 16-bit files, read at full precision), layout (H, W, C) on disk; outputs
    clipped and quantised to 8 bits before scoring, as when saved to a PNG; PSNR/SSIM on Y with
    ``crop = scale`` (grey images: on their one channel).
Grid
    physical units, layout (C, H, W) or (N, C, H, W); outputs de-normalised before scoring; metrics
    that declare a ``data_range`` get each channel min–max scaled by a range fixed once on the
    validation HR; per-variable RMSE/MAE/bias/correlation.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from srzoo_core.data.errors import DataError

if TYPE_CHECKING:
    import numpy as np

AUGMENTATIONS: tuple[str, ...] = ("none", "flips", "dihedral")
AUGMENTATION_DOC: dict[str, str] = {
    "none": "no augmentation",
    "flips": "random horizontal and vertical flips",
    "dihedral": "random flips and 90-degree rotations (the 8 symmetries of the square)",
}


class Modality:
    """The behaviour of one kind of data. Subclasses set the class attributes and override the
    methods that differ; instances are stateless singletons looked up by :attr:`name`."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    normalisation: ClassVar[str] = ""          # the Normaliser kind this modality's data is stored with
    panel: ClassVar[str] = "fields"            # "rgb": colour images; "fields": one colour-mapped row per channel
    scales_by_range: ClassVar[bool] = False    # metrics with a data_range get each channel min-max scaled
    summary_for_per_channel: ClassVar[bool] = False  # a per-channel metric also gets one mean over channels
    suffixes: ClassVar[tuple[str, ...]] = ()   # files `srzoo upscale` reads and writes for this modality
    auto_precision: ClassVar[bool] = False     # precision="auto" may pick a reduced precision (bf16) for this data

    def default_augment(self, requested: bool | str | None) -> str:
        """None: the modality's default; True: its full set; False: none; or a mode by name."""
        if requested is False:
            return "none"
        if isinstance(requested, str) and requested in AUGMENTATIONS:
            return requested
        if requested is None or requested is True:
            return self._augment(requested is True)
        raise DataError(f"unknown augmentation {requested!r}; use true/false or one of {', '.join(AUGMENTATIONS)}")

    def _augment(self, asked: bool) -> str:
        raise NotImplementedError

    def default_metrics(self, scale: int, channels: int = 3) -> str:
        """The ``metric=`` expression scored when a spec names none, for data with ``channels``."""
        raise NotImplementedError

    def scoring_domain(self, physical: Any) -> Any:
        """Outputs and targets (physical units, float64) as the metrics see them."""
        return physical

    def output_note(self) -> str:
        return "de-normalised to physical units"

    # -- files (srzoo upscale) --------------------------------------------------------------

    def handles(self, path: Path) -> bool:
        return path.suffix.lower() in self.suffixes

    def read(self, path: Path) -> np.ndarray:
        raise NotImplementedError

    def write(self, path: Path, array: np.ndarray) -> None:
        raise NotImplementedError

    def to_batch(self, array: np.ndarray) -> tuple[np.ndarray, Any]:
        """A file's array as (N, C, H, W) float32, and what :meth:`from_batch` needs to undo it."""
        raise NotImplementedError

    def from_batch(self, batch: np.ndarray, layout: Any) -> np.ndarray:
        raise NotImplementedError

    def fit_channels(self, array: np.ndarray, channels: int) -> tuple[np.ndarray, Any]:
        """A file's array as a model with ``channels`` takes it, and what :meth:`restore` needs to
        give the result the file's form again (photos: alpha set aside, grey replicated)."""
        return array, None

    def restore(self, result: np.ndarray, kept: Any, scale: int) -> np.ndarray:
        return result

    def describe_shape(self, shape: tuple[int, ...]) -> str:
        *lead, h, w = shape
        return f"{'×'.join(str(d) for d in lead)} × {h}×{w}"


class PhotoModality(Modality):
    name = "photo"
    description = "photographs: values in [0, 1], 8-bit outputs, scored on Y"
    normalisation = "unit"
    panel = "rgb"
    summary_for_per_channel = True
    suffixes = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
    auto_precision = True  # 8-bit outputs hide bf16's rounding (docs/inference.md: at most 0.0045 dB)

    def _augment(self, asked: bool) -> str:
        return "dihedral"

    def default_metrics(self, scale: int, channels: int = 3) -> str:
        if channels != 3:  # luma needs R, G and B: grey photos are scored on their one channel
            return f"psnr(space=rgb,crop={scale})+ssim(space=rgb,crop={scale})"
        return f"psnr(space=y,crop={scale})+ssim(space=y,crop={scale})"

    def scoring_domain(self, physical: Any) -> Any:
        import torch

        return torch.round(physical.clamp(0, 1) * 255) / 255

    def output_note(self) -> str:
        return "clipped to [0,1] and quantised to 8 bits"

    def read(self, path: Path) -> np.ndarray:
        """(H, W, C) in [0, 1], C = 1 or 3, with the alpha channel appended where the file has one."""
        import numpy as np

        from srzoo_core.data.images import read_image
        from srzoo_core.data.photo_files import read_alpha

        colour = read_image(path)
        try:
            alpha = read_alpha(path)
        except Exception:  # noqa: BLE001 - a file only the colour decoder reads: no alpha to keep
            alpha = None
        if alpha is None or alpha.shape != colour.shape[:2]:
            return colour
        return np.concatenate([colour, alpha[:, :, None]], axis=2)

    def write(self, path: Path, array: np.ndarray) -> None:
        from srzoo_core.data.images import write_image
        from srzoo_core.data.photo_files import write_grey_alpha

        if array.ndim == 3 and array.shape[2] == 2:
            write_grey_alpha(path, array)
        else:
            write_image(path, array)

    def fit_channels(self, array: np.ndarray, channels: int) -> tuple[np.ndarray, Any]:
        """Alpha (a 2nd or 4th channel) set aside, grey replicated for an RGB model (see photo_files)."""
        from srzoo_core.data.photo_files import fit_channels

        return fit_channels(array, channels, has_alpha=array.ndim == 3 and array.shape[2] in (2, 4))

    def restore(self, result: np.ndarray, kept: Any, scale: int) -> np.ndarray:
        from srzoo_core.data.photo_files import restore

        return restore(result, kept, scale)

    def to_batch(self, array: np.ndarray) -> tuple[np.ndarray, Any]:
        import numpy as np

        if array.ndim == 2:
            array = array[:, :, None]
        if array.ndim != 3:
            raise DataError(f"a photo model takes an image shaped (H, W, C); got shape {array.shape}")
        return np.ascontiguousarray(array.transpose(2, 0, 1)[None], dtype=np.float32), None

    def from_batch(self, batch: np.ndarray, layout: Any) -> np.ndarray:
        import numpy as np

        return np.ascontiguousarray(np.clip(batch[0], 0.0, 1.0).transpose(1, 2, 0), dtype=np.float32)

    def describe_shape(self, shape: tuple[int, ...]) -> str:
        h, w, c = shape if len(shape) == 3 else (*shape, 1)
        return f"{w}×{h} ({c} channel{'s' if c != 1 else ''})"


class GridModality(Modality):
    name = "grid"
    description = "gridded fields in physical units (weather, climate, simulations)"
    normalisation = "zscore"
    scales_by_range = True
    suffixes = (".npy",)

    def _augment(self, asked: bool) -> str:
        # a rotation would mix a vector field's components, so grids get at most flips
        return "flips" if asked else "none"

    def default_metrics(self, scale: int, channels: int = 3) -> str:
        return "psnr(space=channel)+ssim(space=channel)+rmse+mae+bias+corr"

    def read(self, path: Path) -> np.ndarray:
        import numpy as np

        try:
            array = np.load(path, allow_pickle=False, mmap_mode="r")
        except (OSError, ValueError, EOFError) as exc:
            raise DataError(f"cannot read {path} as a .npy array: {exc}") from None
        if array.ndim not in (3, 4):
            raise DataError(f"{path} has shape {array.shape}; grids must be (C, H, W) or (N, C, H, W)")
        return array

    def write(self, path: Path, array: np.ndarray) -> None:
        import numpy as np

        from srzoo_core.files import atomic_output

        with atomic_output(path) as handle:
            np.save(handle, array, allow_pickle=False)

    def to_batch(self, array: np.ndarray) -> tuple[np.ndarray, Any]:
        import numpy as np

        if array.ndim not in (3, 4):
            raise DataError(f"a grid model takes an array shaped (C, H, W) or (N, C, H, W); got shape {array.shape}")
        batch = np.array(array, dtype=np.float32, order="C")  # a copy: inputs may be read-only (mmap)
        return (batch[None] if array.ndim == 3 else batch), array.ndim

    def from_batch(self, batch: np.ndarray, layout: Any) -> np.ndarray:
        import numpy as np

        return np.ascontiguousarray(batch[0] if layout == 3 else batch, dtype=np.float32)


_MODALITIES: dict[str, Modality] = {}


def register_modality(modality: Modality) -> Modality:
    """Make a modality known by name (checkpoints record the name and look it up here)."""
    if not modality.name:
        raise DataError(f"{type(modality).__name__} has no name")
    _MODALITIES[modality.name] = modality
    return modality


PHOTO = register_modality(PhotoModality())
GRID = register_modality(GridModality())


def modality(name: str) -> Modality:
    found = _MODALITIES.get(str(name))
    if found is None:
        raise DataError(f"unknown modality {name!r}", hint=f"known modalities: {', '.join(sorted(_MODALITIES))}")
    return found


def modality_for_file(path: Path) -> Modality | None:
    return next((m for m in _MODALITIES.values() if m.handles(path)), None)


def modalities() -> list[Modality]:
    return list(_MODALITIES.values())
