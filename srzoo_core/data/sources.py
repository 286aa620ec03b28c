"""The built-in data sources, registered through the same ``srzoo_register_datasources`` hook as
any plugin's (the host loads this module as the built-in plugin ``srzoo``).

A data source is an object with ``accepts(location) -> bool`` and ``load(location, request) ->
DataBundle`` (see :mod:`srzoo_core.interfaces`). ``--data`` is resolved by
:func:`srzoo_core.data.loader.resolve_source`: ``scheme:args`` names a source directly, anything
else is offered to each source in turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srzoo_core.registry.hookspecs import hookimpl


@dataclass
class DataRequest:
    """What a run asks of its data, whatever the source. ``val``/``test`` are ``(HR, LR or None)``
    paths; ``normaliser`` (a :class:`~srzoo_core.data.Normaliser`) replaces fitting when given."""

    scale: int = 4
    patch: int | None = None
    degradation: str = "bicubic"
    val: tuple[Path, Path | None] | None = None
    test: tuple[Path, Path | None] | None = None
    lr: Path | None = None
    seed: int = 0
    augment: bool | str | None = None
    samples: int | None = None
    normaliser: Any = None

    def grid_options(self) -> dict[str, Any]:
        from srzoo_core.data.modality import GRID

        return dict(scale=self.scale, patch=self.patch, degradation=self.degradation, augment=GRID.default_augment(self.augment),
                    seed=self.seed, samples=self.samples, lr=self.lr, val=self.val, test=self.test, normaliser=self.normaliser)

    def photo_normaliser(self) -> None:
        if self.normaliser is not None and self.normaliser.kind != "unit":
            from srzoo_core.data.errors import DataError

            raise DataError(f"this model was trained on grids ({self.normaliser.kind} normalisation); give it grid data, not images")


def _path(location: str) -> Path:
    return Path(location)


class BuiltinPhotos:
    """scikit-image's colour photographs (offline), a fixed train / held-out split."""

    example = "builtin"
    fixed_splits = True  # no lr=/val=/test=: the loader refuses them

    def accepts(self, location: str) -> bool:
        return location == "builtin"

    def load(self, location: str, request: DataRequest) -> Any:
        from srzoo_core.data.modality import PHOTO
        from srzoo_core.data.photos import PHOTO_DEFAULT_PATCH, load_builtin

        request.photo_normaliser()
        return load_builtin(scale=request.scale, patch=request.patch or PHOTO_DEFAULT_PATCH, degradation=request.degradation,
                            augment=PHOTO.default_augment(request.augment), seed=request.seed, samples=request.samples)


class SyntheticGrid:
    """``synthetic-grid[:N]``: N smooth 2-channel 64×64 fields (default 256), generated."""

    example = "synthetic-grid:256"
    fixed_splits = True

    def accepts(self, location: str) -> bool:
        return location == "synthetic-grid" or location.startswith("synthetic-grid:")

    def load(self, location: str, request: DataRequest) -> Any:
        from srzoo_core.data.errors import DataError
        from srzoo_core.data.grids import load_synthetic
        from srzoo_core.data.modality import GRID

        qualifier = location.partition(":")[2]
        n = request.samples
        if qualifier:
            if not qualifier.isdigit():
                raise DataError(f"synthetic-grid:N takes a number of samples, got {location!r}")
            n = int(qualifier)
        return load_synthetic(n, scale=request.scale, patch=request.patch, degradation=request.degradation,
                              augment=GRID.default_augment(request.augment), seed=request.seed, normaliser=request.normaliser)


class ImageFolder:
    """A folder of images (PNG, JPEG, BMP, TIFF): HR only, or paired with ``lr=`` (same names)."""

    example = "path/to/images/"

    def accepts(self, location: str) -> bool:
        from srzoo_core.data.images import list_images

        path = _path(location)
        return path.is_dir() and bool(list_images(path))

    def load(self, location: str, request: DataRequest) -> Any:
        from srzoo_core.data.modality import PHOTO
        from srzoo_core.data.photos import PHOTO_DEFAULT_PATCH, load_folder

        request.photo_normaliser()
        return load_folder(_path(location), scale=request.scale, patch=request.patch or PHOTO_DEFAULT_PATCH,
                           degradation=request.degradation, augment=PHOTO.default_augment(request.augment), seed=request.seed,
                           samples=request.samples, lr=request.lr, val=request.val, test=request.test)


class NpyFile:
    """A ``.npy`` array shaped (N, C, H, W) in physical units: HR only, or paired with ``lr=``."""

    example = "fields.npy"

    def accepts(self, location: str) -> bool:
        path = _path(location)
        return path.is_file() and path.suffix.lower() == ".npy"

    def load(self, location: str, request: DataRequest) -> Any:
        from srzoo_core.data.grids import load_npy

        return load_npy(_path(location), **request.grid_options())


class Seed004Folder:
    """A folder of ``HR_data_{train,valid,test}_tm[_<Season>].npy``; ``<folder>:<Season>`` picks a season."""

    example = "path/to/seed004/:Summer"

    def _split(self, location: str) -> tuple[Path, str | None]:
        path = _path(location)
        if not path.exists() and ":" in location:
            head, _, tail = location.rpartition(":")
            if Path(head).is_dir():
                return Path(head), tail
        return path, None

    def accepts(self, location: str) -> bool:
        from srzoo_core.data.grids import seed004_files

        path, _ = self._split(location)
        return path.is_dir() and bool(seed004_files(path))

    def load(self, location: str, request: DataRequest) -> Any:
        from srzoo_core.data.grids import load_npy_dir

        path, season = self._split(location)
        return load_npy_dir(path, season, name=location, **request.grid_options())


@hookimpl
def srzoo_register_datasources(register):
    register("builtin", "srzoo_core.data.sources:BuiltinPhotos",
             description="scikit-image's colour photographs (offline): fixed train / held-out split, LR by degradation")
    register("synthetic-grid", "srzoo_core.data.sources:SyntheticGrid",
             description="synthetic-grid[:N]: N smooth 2-channel 64×64 fields, generated (default 256)")
    register("folder", "srzoo_core.data.sources:ImageFolder",
             description="a folder of images (PNG/JPEG/BMP/TIFF), HR only or paired with lr=; val=/test= folders")
    register("npy", "srzoo_core.data.sources:NpyFile",
             description="a .npy array (N, C, H, W) in physical units, HR only or paired with lr=; val=/test= files")
    register("seed004", "srzoo_core.data.sources:Seed004Folder",
             description="a folder of HR_data_{train,valid,test}_tm[_<Season>].npy; <folder>:<Season> picks a season")
