"""Scientific grids: ``.npy`` arrays (N, C, H, W) in physical units, seed-004 directories, synthetic fields.

Protocol (grids):

* LR is made from the whole HR field by the degradation in physical units (float64), unless an LR
  array is given; then both are z-scored per channel with statistics of the training HR only.
* Training items: the full field (default, or when ``patch`` >= the field), else random aligned
  ``patch`` x ``patch`` crops; no augmentation unless asked (fields have an orientation).
* Validation / test items: every sample of the split, full fields.
* Without a validation file the *last* 10% of the training samples (at least one) are held out:
  a contiguous block, so neighbouring time steps do not leak between the splits.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from srzoo_core.data.bundle import DataBundle
from srzoo_core.data.datasets import CropDataset, PairDataset
from srzoo_core.data.errors import DataError
from srzoo_core.data.modality import GRID
from srzoo_core.data.normalise import Normaliser
from srzoo_core.data.resize import degrade
from srzoo_core.data.synthetic import CHANNEL_DOC, SYNTHETIC_DATA_SEED, SYNTHETIC_DEFAULT_SAMPLES, synthetic_grid

HOLDOUT_FRACTION = 0.1
SEED004_PATTERN = re.compile(r"^HR_data_(?P<split>train|valid|test)_tm(?:_(?P<season>[A-Za-z0-9]+))?\.npy$")


def check_array(a: Any, label: str) -> np.ndarray:
    """A finite real array shaped (N, C, H, W), as float64; ``label`` names it in messages."""
    a = np.asarray(a)
    if a.ndim != 4:
        raise DataError(f"{label}: expected an array shaped (N, C, H, W), found {a.ndim}-D shape {a.shape}",
                        hint="add the missing axes, e.g. a[:, None] for a single channel" if a.ndim == 3 else None)
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise DataError(f"{label}: expected real numbers (float32/float64), found dtype {a.dtype}")
    if min(a.shape) == 0:
        raise DataError(f"{label}: the array is empty, shape {a.shape}")
    a = a.astype(np.float64, copy=False)
    finite = np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
    if not finite.all():
        first = int(np.argmin(finite))
        raise DataError(f"{label}: NaN or Inf values, first in sample {first} "
                        f"({int((~finite).sum())} of {a.shape[0]} samples affected)")
    return a


def load_array(path: Path, what: str) -> np.ndarray:
    if not path.exists():
        raise DataError(f"{what} file not found: {path}")
    if path.suffix.lower() != ".npy":
        raise DataError(f"{what} should be a .npy file, got {path}")
    try:
        a = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - corrupt or non-array files
        raise DataError(f"cannot read {what} file {path}: {exc}") from exc
    return check_array(a, f"{what} file {path}")


def _check_pair(hr: np.ndarray, lr: np.ndarray, scale: int, label: str) -> None:
    if lr.shape[:2] != hr.shape[:2]:
        raise DataError(f"{label}: LR has (N, C) = {lr.shape[:2]} but HR has {hr.shape[:2]}; they must match")
    h, w = lr.shape[2:]
    if (h * scale, w * scale) != hr.shape[2:]:
        raise DataError(f"{label}: LR size {h}x{w} x scale {scale} = {h * scale}x{w * scale} "
                        f"does not match HR size {hr.shape[2]}x{hr.shape[3]}")


def _lr_for(hr: np.ndarray, lr: np.ndarray | None, scale: int, degradation: str, label: str) -> np.ndarray:
    if lr is not None:
        _check_pair(hr, lr, scale, label)
        return lr
    H, W = hr.shape[2:]
    if H % scale or W % scale:
        raise DataError(f"{label}: grid size {H}x{W} is not divisible by scale {scale}")
    return degrade(torch.from_numpy(hr), scale, degradation).numpy()


def assemble(*, name: str, train: np.ndarray, train_lr: np.ndarray | None, val: np.ndarray | None,
             val_lr: np.ndarray | None, test: np.ndarray | None, test_lr: np.ndarray | None, scale: int,
             patch: int | None, degradation: str, augment: str, seed: int, samples: int | None,
             notes: dict[str, str], extra: dict[str, Any], normaliser: Normaliser | None = None) -> DataBundle:
    """Split, degrade, fit the normaliser on the training HR, normalise and wrap into a bundle."""
    channels = train.shape[1]
    for label, a in (("validation", val), ("test", test), ("training LR", train_lr), ("validation LR", val_lr),
                     ("test LR", test_lr)):
        if a is not None and a.shape[1] != channels:
            raise DataError(f"mixed channel counts: training data has {channels} channels, {label} has {a.shape[1]}")
    if val is None:
        n = train.shape[0]
        if n < 2:
            raise DataError(f"too few samples to split: {name} has {n} training sample(s); need at least 2 "
                            "to hold some out for validation", hint="give more samples or a separate val= file")
        k = max(1, int(round(HOLDOUT_FRACTION * n)))
        val, train = train[n - k:], train[:n - k]
        if train_lr is not None:
            val_lr, train_lr = train_lr[n - k:], train_lr[:n - k]
        notes["val"] = f"held out: the last {k} of {n} training samples (contiguous block)"
    if samples:
        train = train[:samples]
        train_lr = train_lr[:samples] if train_lr is not None else None
    H, W = train.shape[2:]
    eff = min(H, W) if patch is None else min(patch, H, W)
    eff = (eff // scale) * scale
    if eff < scale:
        raise DataError(f"training fields {H}x{W} are too small for scale {scale}")
    norm = normaliser if normaliser is not None else Normaliser.fit(train)
    if norm.kind != "zscore" or len(norm.mean) != channels:
        raise DataError(f"the given normalisation ({norm.kind}, {len(norm.mean)} channels) does not fit {name} "
                        f"({channels}-channel grids)")

    def prepared(hr: np.ndarray, lr: np.ndarray | None, label: str) -> tuple[torch.Tensor, torch.Tensor]:
        lr = _lr_for(hr, lr, scale, degradation, label)
        to_t = lambda a: torch.from_numpy(norm.normalise_array(a).astype(np.float32))  # noqa: E731
        return to_t(lr), to_t(hr)

    tr_lr, tr_hr = prepared(train, train_lr, "training data")
    va_lr, va_hr = prepared(val, val_lr, "validation data")
    train_ds = CropDataset(tr_hr, tr_lr, scale=scale, patch=eff, augment=augment, seed=seed)
    val_ds = PairDataset(va_lr, va_hr)
    splits: dict[str, Any] = {
        "train": {"samples": int(train.shape[0]), "field": [H, W], "source": notes.get("train", ""),
                  "protocol": "full fields" if eff == H == W else f"random aligned {eff}x{eff} crops"},
        "val": {"samples": int(val.shape[0]), "field": list(val.shape[2:]), "source": notes.get("val", ""),
                "protocol": "every sample, full fields"},
    }
    test_ds = None
    if test is not None:
        te_lr, te_hr = prepared(test, test_lr, "test data")
        test_ds = PairDataset(te_lr, te_hr)
        splits["test"] = {"samples": int(test.shape[0]), "field": list(test.shape[2:]),
                          "source": notes.get("test", ""), "protocol": "every sample, full fields"}
    return DataBundle(
        name=name, modality=GRID, channels=channels, scale=scale, patch=eff, degradation=degradation,
        normaliser=norm, train=train_ds, val=val_ds, test=test_ds, channel_names=[f"ch{c}" for c in range(channels)],
        lr_source="paired" if train_lr is not None else "degradation", augment=augment, seed=seed, splits=splits,
        extra={"values": "physical units as stored; LR made before normalisation", **extra},
    )


def seed004_files(folder: Path) -> dict[str | None, dict[str, Path]]:
    """``HR_data_{train,valid,test}_tm[_<Season>].npy`` in ``folder``, grouped by season (None: no suffix)."""
    found: dict[str | None, dict[str, Path]] = {}
    for p in sorted(folder.glob("HR_data_*_tm*.npy")):
        m = SEED004_PATTERN.match(p.name)
        if m:
            found.setdefault(m.group("season"), {})[m.group("split")] = p
    return {s: f for s, f in found.items() if "train" in f}


def _label(folder: Path, season: str | None) -> str:
    return f"{folder}:{season}" if season else str(folder)


def pick_season(folder: Path, season: str | None) -> tuple[str | None, dict[str, Path]]:
    sets = seed004_files(folder)
    choices = ", ".join(_label(folder, s) for s in sorted(sets, key=lambda s: s or ""))
    if season is not None:
        if season not in sets:
            raise DataError(f"no season {season!r} in {folder}; found: {choices}")
        return season, sets[season]
    if len(sets) > 1:
        raise DataError(f"{folder} holds several data sets; pick one: {choices}",
                        hint="append :<Season> to the directory, e.g. " + _label(folder, sorted(s for s in sets if s)[0]))
    return next(iter(sets.items()))


def siblings(train_file: Path) -> dict[str, Path]:
    """Validation/test files next to a seed-004 style training file, when present."""
    m = SEED004_PATTERN.match(train_file.name)
    if not m or m.group("split") != "train":
        return {}
    out = {}
    for split in ("valid", "test"):
        p = train_file.with_name(train_file.name.replace("HR_data_train_", f"HR_data_{split}_", 1))
        if p.is_file():
            out[split] = p
    return out


def load_npy(train_file: Path, *, season: str | None = None, scale: int, patch: int | None, degradation: str,
             augment: str, seed: int, samples: int | None, lr: Path | None, val: tuple[Path, Path | None] | None,
             test: tuple[Path, Path | None] | None, name: str | None = None, found: dict[str, Path] | None = None,
             normaliser: Normaliser | None = None) -> DataBundle:
    found = found if found is not None else siblings(train_file)
    notes = {"train": str(train_file)}
    files: dict[str, Any] = {"train": str(train_file)}
    train = load_array(train_file, "training")
    train_lr = load_array(lr, "training LR") if lr else None
    if lr:
        files["train_lr"] = str(lr)

    def split_arrays(given: tuple[Path, Path | None] | None, key: str, what: str):
        if given is None and key in found and lr is None:
            given = (found[key], None)
        if given is None:
            return None, None
        files[what] = str(given[0])
        notes[what] = str(given[0])
        if given[1]:
            files[what + "_lr"] = str(given[1])
        return load_array(given[0], what), (load_array(given[1], what + " LR") if given[1] else None)

    val_a, val_lr = split_arrays(val, "valid", "val")
    test_a, test_lr = split_arrays(test, "test", "test")
    extra: dict[str, Any] = {"files": files}
    if season:
        extra["season"] = season
    return assemble(name=name or str(train_file), train=train, train_lr=train_lr, val=val_a, val_lr=val_lr,
                    test=test_a, test_lr=test_lr, scale=scale, patch=patch, degradation=degradation, augment=augment,
                    seed=seed, samples=samples, notes=notes, extra=extra, normaliser=normaliser)


def load_npy_dir(folder: Path, season: str | None, *, name: str, **kw: Any) -> DataBundle:
    season, found = pick_season(folder, season)
    return load_npy(found["train"], season=season, name=name, found=found, **kw)


def load_synthetic(n: int | None, *, scale: int, patch: int | None, degradation: str, augment: str,
                   seed: int, normaliser: Normaliser | None = None) -> DataBundle:
    n = SYNTHETIC_DEFAULT_SAMPLES if n is None else n
    if n < 3:
        raise DataError(f"too few samples to split: synthetic-grid:{n} gives {n} sample(s); need at least 3 "
                        "(train, validation and test)")
    k = max(1, n // 10)
    data = synthetic_grid(n)
    notes = {"train": f"first {n - 2 * k} of {n} synthetic fields", "val": f"next {k} synthetic fields",
             "test": f"last {k} synthetic fields"}
    extra = {"synthetic": {"samples": n, "data_seed": SYNTHETIC_DATA_SEED, "spectrum": "E(k) ~ k^-3",
                           "channels": list(CHANNEL_DOC)}}
    return assemble(name="synthetic-grid", train=data[: n - 2 * k], train_lr=None, val=data[n - 2 * k: n - k],
                    val_lr=None, test=data[n - k:], test_lr=None, scale=scale, patch=patch, degradation=degradation,
                    augment=augment, seed=seed, samples=None, notes=notes, extra=extra, normaliser=normaliser)
