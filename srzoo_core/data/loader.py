"""``load_data``: one entry point from a source string to a :class:`DataBundle`.

Sources:

* ``builtin`` — scikit-image's colour photographs (offline), fixed train / held-out split.
* ``synthetic-grid`` or ``synthetic-grid:N`` — N smooth 2-channel 64x64 fields (default 256).
* a folder of images (PNG/JPEG/...) — HR only, or paired with ``lr=<folder>`` (same file names).
* a ``.npy`` file shaped (N, C, H, W) — HR only, or paired with ``lr=<file.npy>``.
* a directory holding ``HR_data_{train,valid,test}_tm[_<Season>].npy`` (seed 004's layout);
  ``<dir>:<Season>`` picks a season when there are several.

``val=``/``test=`` name a separate split (folder or .npy); for paired data write ``"HR,LR"``.
"""

from __future__ import annotations

from pathlib import Path

from srzoo_core.data.bundle import DataBundle
from srzoo_core.data.datasets import AUGMENTATIONS
from srzoo_core.data.errors import DataError
from srzoo_core.data.normalise import Normaliser
from srzoo_core.data.images import IMAGE_EXTENSIONS, list_images
from srzoo_core.data.resize import DEFAULT_DEGRADATION, check_degradation

SOURCES_HINT = ("give builtin, synthetic-grid[:N], a folder of images, a .npy file shaped (N, C, H, W), "
                "or a directory of HR_data_{train,valid,test}_tm[_<Season>].npy")


def _positive_int(value: object, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DataError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return value


def resolve_augment(augment: bool | str | None, kind: str) -> str:
    """None: per-kind default (photos: flips + 90-degree rotations; grids: none). True: photos dihedral,
    grids flips only (a rotation would mix a vector field's components). False: none. Or a mode by name."""
    if augment is None:
        return "dihedral" if kind == "photo" else "none"
    if augment is True:
        return "dihedral" if kind == "photo" else "flips"
    if augment is False:
        return "none"
    if isinstance(augment, str) and augment in AUGMENTATIONS:
        return augment
    raise DataError(f"unknown augmentation {augment!r}; use true/false or one of {', '.join(AUGMENTATIONS)}")


def _split_arg(value: str | None, what: str) -> tuple[Path, Path | None] | None:
    if value is None:
        return None
    parts = [p.strip() for p in str(value).split(",")]
    if len(parts) > 2 or not all(parts):
        raise DataError(f"{what}= takes a path, or 'HR,LR' for paired data; got {value!r}")
    return Path(parts[0]), (Path(parts[1]) if len(parts) == 2 else None)


def _parse_source(source: str) -> tuple[str, Path | None, str | None]:
    """(kind of source, path, qualifier): builtin / synthetic / npy / npydir / folder."""
    if source == "builtin":
        return "builtin", None, None
    if source == "synthetic-grid" or source.startswith("synthetic-grid:"):
        return "synthetic", None, source.partition(":")[2] or None
    path = Path(source)
    qualifier = None
    if not path.exists() and ":" in source:
        head, _, tail = source.rpartition(":")
        if Path(head).is_dir():
            path, qualifier = Path(head), tail
    if not path.exists():
        raise DataError(f"data source not found: {source}", hint=SOURCES_HINT)
    if path.is_file():
        if path.suffix.lower() == ".npy":
            return "npy", path, None
        if path.suffix.lower() in IMAGE_EXTENSIONS:
            raise DataError(f"{source} is a single image; give the folder that holds the training images")
        raise DataError(f"unsupported data file {source}", hint=SOURCES_HINT)
    from srzoo_core.data.grids import seed004_files

    if seed004_files(path):
        return "npydir", path, qualifier
    if qualifier is not None:
        raise DataError(f"{path} holds no HR_data_train_tm_<Season>.npy files, so :{qualifier} selects nothing")
    if list_images(path):
        return "folder", path, None
    if any(path.glob("*.npy")):
        raise DataError(f"{path} holds .npy files but none named HR_data_train_tm[_<Season>].npy",
                        hint="give the .npy file itself as the source, and val=/test= for the other splits")
    raise DataError(f"no images (.png, .jpg, ...) or .npy data in folder {path}", hint=SOURCES_HINT)


def load_data(source: str = "builtin", *, scale: int = 4, patch: int | None = None, degradation: str | None = None,
              val: str | None = None, test: str | None = None, lr: str | None = None, seed: int = 0,
              augment: bool | str | None = None, samples: int | None = None,
              normaliser: Normaliser | None = None) -> DataBundle:
    """Load a data source into train / val / test datasets of normalised (LR, HR) pairs.

    ``patch``: HR training crop; default 96 for photos and the full field for grids (a patch
    larger than a grid field also means the full field). ``degradation``: how LR is made where
    it is not given; default ``bicubic`` (MATLAB-style, antialiased) for photos and grids alike.
    ``augment``: see :func:`resolve_augment`. ``samples``: for ``synthetic-grid`` the number of
    fields generated (all splits); for other sources keep only the first ``samples`` training
    images / samples (quick runs). ``seed`` drives the training crops only, never the splits.
    ``normaliser``: use these statistics instead of fitting them (evaluating a trained model on
    the normalisation it was trained with).
    """
    bundle = _load(str(source), scale=scale, patch=patch, degradation=degradation, val=val, test=test, lr=lr,
                   seed=seed, augment=augment, samples=samples, normaliser=normaliser)
    # Everything needed to load the same data again, e.g. by `srzoo eval` from a checkpoint alone.
    bundle.extra.update(source=str(source), val_source=val, test_source=test, lr_path=lr, samples=samples)
    return bundle


def _load(source: str, *, scale: int, patch: int | None, degradation: str | None, val: str | None, test: str | None,
          lr: str | None, seed: int, augment: bool | str | None, samples: int | None,
          normaliser: Normaliser | None) -> DataBundle:
    scale = _positive_int(scale, "scale")
    seed = _positive_int(seed, "seed", minimum=0)
    if patch is not None:
        patch = _positive_int(patch, "patch")
        if patch % scale:
            raise DataError(f"patch {patch} is not divisible by scale {scale}; the LR crop would be {patch / scale:g} pixels")
    if samples is not None:
        samples = _positive_int(samples, "samples")
    degradation = check_degradation(degradation or DEFAULT_DEGRADATION)
    kind, path, qualifier = _parse_source(source)
    if kind in ("builtin", "synthetic"):
        for name, value in (("lr", lr), ("val", val), ("test", test)):
            if value is not None:
                raise DataError(f"{name}= does not apply to {source}: its splits are fixed and its LR is made by degradation")
    lr_path = Path(lr) if lr else None
    val_arg, test_arg = _split_arg(val, "val"), _split_arg(test, "test")
    if lr_path is not None and not lr_path.exists():
        raise DataError(f"LR {'folder' if kind == 'folder' else 'file'} not found: {lr_path}")
    for arg, what in ((val_arg, "val"), (test_arg, "test")):
        if arg is None:
            continue
        if lr_path is not None and arg[1] is None:
            raise DataError(f"lr= pairs the training data with real LR, but {what}= gives HR only, whose LR would "
                            "be synthetic: a mixed protocol", hint=f"write {what}=HR,LR or drop {what}= to hold out paired data")
        for p in arg:
            if p is not None and not p.exists():
                raise DataError(f"{what} {'folder' if kind == 'folder' else 'file'} not found: {p}")
    common = dict(scale=scale, degradation=degradation, seed=seed)
    if kind == "builtin":
        from srzoo_core.data.photos import PHOTO_DEFAULT_PATCH, load_builtin

        _check_unit(normaliser)
        return load_builtin(patch=patch or PHOTO_DEFAULT_PATCH, augment=resolve_augment(augment, "photo"),
                            samples=samples, **common)
    if kind == "synthetic":
        from srzoo_core.data.grids import load_synthetic

        n = samples
        if qualifier is not None:
            if not qualifier.isdigit():
                raise DataError(f"synthetic-grid:N takes a number of samples, got {source!r}")
            n = int(qualifier)
        return load_synthetic(n, patch=patch, augment=resolve_augment(augment, "grid"), normaliser=normaliser, **common)
    if kind == "folder":
        from srzoo_core.data.photos import PHOTO_DEFAULT_PATCH, load_folder

        _check_unit(normaliser)
        return load_folder(path, patch=patch or PHOTO_DEFAULT_PATCH, augment=resolve_augment(augment, "photo"),
                           samples=samples, lr=lr_path, val=val_arg, test=test_arg, **common)
    from srzoo_core.data.grids import load_npy, load_npy_dir

    grid_kw = dict(patch=patch, augment=resolve_augment(augment, "grid"), samples=samples, lr=lr_path,
                   val=val_arg, test=test_arg, normaliser=normaliser, **common)
    if kind == "npydir":
        return load_npy_dir(path, qualifier, name=source, **grid_kw)
    return load_npy(path, **grid_kw)


def _check_unit(normaliser: Normaliser | None) -> None:
    if normaliser is not None and normaliser.kind != "unit":
        raise DataError(f"this model was trained on grids ({normaliser.kind} normalisation); give it grid data (.npy), not images")
