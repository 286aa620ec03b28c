"""Photographs: the built-in scikit-image set and image folders (HR only or paired with LR).

Protocol (photos):

* HR images are cropped at the bottom/right to a multiple of the scale ("modcrop").
* Images are read at their full bit depth (8 or 16 bits; the data protocol states it as
  ``bit_depth``).
* Where no LR is given it is made once from the *whole* HR image by the degradation, then clipped
  to [0, 1] and quantised to the image's bit depth (8-bit images -> 8-bit LR), like LR images
  saved to disk; training crops and validation tiles are cut from the pair, aligned.
* Validation / test items: every complete, non-overlapping T x T HR tile of every image of the
  split (top-left aligned, T = 128, or less when an image is smaller), with the matching LR tile.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from srzoo_core.data.bundle import DataBundle
from srzoo_core.data.datasets import CropDataset, PairDataset
from srzoo_core.data.errors import DataError
from srzoo_core.data.modality import PHOTO
from srzoo_core.data.images import list_images, read_raw
from srzoo_core.data.normalise import Normaliser
from srzoo_core.data.resize import degrade

VAL_TILE = 128
HOLDOUT_FRACTION = 0.1
PHOTO_DEFAULT_PATCH = 96

# scikit-image's colour photographs that load offline (no pooch download).
BUILTIN_TRAIN = ("chelsea", "rocket", "hubble_deep_field", "immunohistochemistry", "retina",
                 "motorcycle_left", "motorcycle_right")
BUILTIN_VAL = ("astronaut", "coffee")   # a portrait and a close-up still life, held out


@dataclass
class Photo:
    name: str
    hr: np.ndarray                 # (H, W, C) native dtype
    white: float
    lr: np.ndarray | None = None   # (h, w, C) when given


def _builtin(name: str) -> np.ndarray:
    import skimage.data as skd

    if name.startswith("motorcycle_"):
        left, right, _disparity = _stereo_pair()
        return np.asarray(left if name.endswith("left") else right)
    return np.asarray(getattr(skd, name)())


@functools.lru_cache(maxsize=1)
def _stereo_pair() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import skimage.data as skd

    return skd.stereo_motorcycle()   # (left, right, disparity)


def _check_channels(groups: dict[str, list[Photo]]) -> int:
    seen: dict[int, str] = {}
    for photos in groups.values():
        for ph in photos:
            seen.setdefault(ph.hr.shape[2], ph.name)
            if ph.lr is not None:
                seen.setdefault(ph.lr.shape[2], ph.name + " (LR)")
    if len(seen) > 1:
        detail = ", ".join(f"{name} has {c}" for c, name in sorted(seen.items()))
        raise DataError(f"mixed channel counts: {detail}; all images must be grey or all RGB")
    return next(iter(seen))


def _tensor(pixels: np.ndarray) -> torch.Tensor:
    """(H, W, C) pixels as a (C, H, W) tensor; 16-bit ones as int32 (torch cannot flip or rotate uint16)."""
    chw = np.ascontiguousarray(pixels.transpose(2, 0, 1))
    return torch.from_numpy(chw.astype(np.int32) if chw.dtype == np.uint16 else chw)


def _prepare(ph: Photo, scale: int, degradation: str, white: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(C, H, W) HR and (C, H/s, W/s) LR tensors in storage dtype (integers, or float32 in [0, 1])."""
    hr = ph.hr
    if ph.white != white:   # mixed bit depths: everything becomes float32 in [0, 1]
        hr = hr.astype(np.float32) / np.float32(ph.white)
    if ph.lr is not None:
        lr = ph.lr if ph.white == white else ph.lr.astype(np.float32) / np.float32(ph.white)
        h, w = lr.shape[:2]
        if hr.shape[0] != h * scale or hr.shape[1] != w * scale:
            raise DataError(
                f"{ph.name}: LR size {h}x{w} x scale {scale} = {h * scale}x{w * scale} "
                f"does not match HR size {hr.shape[0]}x{hr.shape[1]}"
            )
        return _tensor(hr), _tensor(lr)
    H, W = (hr.shape[0] // scale) * scale, (hr.shape[1] // scale) * scale
    if H == 0 or W == 0:
        raise DataError(f"image {ph.name} ({hr.shape[0]}x{hr.shape[1]}) is smaller than the scale {scale}")
    hr_t = _tensor(hr[:H, :W])
    lr_f = degrade(hr_t.to(torch.float32) / float(white), scale, degradation)
    if hr_t.dtype == torch.float32:
        return hr_t, lr_f
    lr_q = torch.round(lr_f.clamp(0.0, 1.0) * float(white)).to(hr_t.dtype)
    return hr_t, lr_q


def _tiles(pairs: list[tuple[str, torch.Tensor, torch.Tensor]], scale: int, white: float, split: str
           ) -> tuple[PairDataset, dict[str, Any]]:
    smallest = min(min(hr.shape[-2:]) for _, hr, _ in pairs)
    tile = (min(VAL_TILE, smallest) // scale) * scale
    if tile < scale:
        raise DataError(f"{split} images are too small to tile at scale {scale} (smallest side {smallest})")
    lrs, hrs, names = [], [], []
    lt = tile // scale
    for name, hr, lr in pairs:
        for y in range(0, hr.shape[-2] - tile + 1, tile):
            for x in range(0, hr.shape[-1] - tile + 1, tile):
                hrs.append(hr[:, y:y + tile, x:x + tile])
                lrs.append(lr[:, y // scale:y // scale + lt, x // scale:x // scale + lt])
                names.append(f"{name}@y{y}x{x}")
    to_f = (lambda t: t.to(torch.float32) / white) if white != 1.0 else (lambda t: t.to(torch.float32))
    ds = PairDataset(to_f(torch.stack(lrs)), to_f(torch.stack(hrs)), names)
    info = {
        "images": [n for n, _, _ in pairs],
        "tile": tile,
        "hr_pixels": len(hrs) * tile * tile,
        "protocol": f"all complete non-overlapping {tile}x{tile} HR tiles of each image, top-left aligned",
    }
    return ds, info


def assemble(*, name: str, train: list[Photo], val: list[Photo], test: list[Photo] | None, scale: int,
             patch: int, degradation: str, augment: str, seed: int, paired: bool,
             split_note: dict[str, str], extra: dict[str, Any]) -> DataBundle:
    groups = {"train": train, "val": val, **({"test": test} if test else {})}
    channels = _check_channels(groups)
    whites = {ph.white for photos in groups.values() for ph in photos}
    white = next(iter(whites)) if len(whites) == 1 else 1.0
    prepared = {k: [(ph.name, *_prepare(ph, scale, degradation, white)) for ph in v] for k, v in groups.items()}
    for img, hr, _ in prepared["train"]:
        if hr.shape[-2] < patch or hr.shape[-1] < patch:
            raise DataError(
                f"training image {img} is {hr.shape[-2]}x{hr.shape[-1]}, smaller than the {patch}x{patch} crop",
                hint="use a smaller patch= or drop the image",
            )
    train_ds = CropDataset([h for _, h, _ in prepared["train"]], [l for _, _, l in prepared["train"]],
                           scale=scale, patch=patch, augment=augment, seed=seed, white=white)
    splits: dict[str, Any] = {"train": {
        "images": [n for n, _, _ in prepared["train"]],
        "hr_pixels": int(sum(h.shape[-2] * h.shape[-1] for _, h, _ in prepared["train"])),
        "protocol": f"random aligned {patch}x{patch} HR crops; an epoch has as many crops as tile the images",
        "source": split_note.get("train", ""),
    }}
    val_ds, splits["val"] = _tiles(prepared["val"], scale, white, "validation")
    splits["val"]["source"] = split_note.get("val", "")
    test_ds = None
    if "test" in prepared:
        test_ds, splits["test"] = _tiles(prepared["test"], scale, white, "test")
        splits["test"]["source"] = split_note.get("test", "")
    bits = {255.0: 8, 65535.0: 16}.get(white)
    depth = f"{bits}-bit" if bits else "mixed, each read at full precision into [0, 1]" if len(whites) > 1 else "float in [0, 1]"
    extra = {**extra, "bit_depth": depth, "lr_quantisation": f"{bits}-bit" if bits and not paired else "none"}
    return DataBundle(
        name=name, modality=PHOTO, channels=channels, scale=scale, patch=patch, degradation=degradation,
        normaliser=Normaliser.unit(channels), train=train_ds, val=val_ds, test=test_ds,
        channel_names=["L"] if channels == 1 else ["R", "G", "B"], lr_source="paired" if paired else "degradation",
        augment=augment, seed=seed, splits=splits, extra=extra,
    )


def load_builtin(*, scale: int, patch: int, degradation: str, augment: str, seed: int, samples: int | None) -> DataBundle:
    names = BUILTIN_TRAIN[:samples] if samples else BUILTIN_TRAIN
    train = [Photo(n, _builtin(n), 255.0) for n in names]
    val = [Photo(n, _builtin(n), 255.0) for n in BUILTIN_VAL]
    note = {"train": "scikit-image photographs (skimage.data), fixed split",
            "val": "held-out scikit-image photographs (fixed split)"}
    return assemble(name="builtin", train=train, val=val, test=None, scale=scale, patch=patch,
                    degradation=degradation, augment=augment, seed=seed, paired=False, split_note=note,
                    extra={"source": "builtin: scikit-image colour photographs, offline"})


def _read_folder(folder: Path, what: str, lr_folder: Path | None = None) -> list[Photo]:
    if not folder.exists():
        raise DataError(f"{what} folder not found: {folder}")
    if not folder.is_dir():
        raise DataError(f"{what} should be a folder of images, got a file: {folder}")
    files = list_images(folder)
    if not files:
        raise DataError(f"no images (.png, .jpg, ...) in {what} folder {folder}")
    if lr_folder is not None:
        if lr_folder.is_file():
            raise DataError(f"the {what} folder {folder} holds images, but its LR {lr_folder} is a file "
                            f"({lr_folder.suffix or 'no extension'}), not a folder of images",
                            hint="pair an image folder with a folder of LR images of the same names; a .npy LR "
                                 "goes with .npy HR data (--data fields.npy --lr-data fields_lr.npy)")
        if not lr_folder.is_dir():
            raise DataError(f"LR folder not found: {lr_folder}")
    photos = []
    for f in files:
        hr, white = read_raw(f)
        lr = None
        if lr_folder is not None:
            lf = lr_folder / f.name
            if not lf.is_file():
                raise DataError(f"paired LR image missing: {lf} (for HR {f})")
            lr, lwhite = read_raw(lf)
            if lwhite != white:
                raise DataError(f"{f.name}: HR and LR images have different bit depths")
        photos.append(Photo(str(f.name), hr, white, lr))
    return photos


def holdout(names: list[str], fraction: float = HOLDOUT_FRACTION) -> set[str]:
    """A deterministic hold-out: round(fraction * n) names (at least 1) with the smallest SHA-1, independent of the seed."""
    k = max(1, int(round(fraction * len(names))))
    return set(sorted(names, key=lambda n: hashlib.sha1(n.encode()).hexdigest())[:k])


def load_folder(folder: Path, *, scale: int, patch: int, degradation: str, augment: str, seed: int,
                samples: int | None, lr: Path | None, val: tuple[Path, Path | None] | None,
                test: tuple[Path, Path | None] | None) -> DataBundle:
    photos = _read_folder(folder, "image", lr)
    note: dict[str, str] = {"train": str(folder) + (f" paired with LR {lr}" if lr else "")}
    if val is not None:
        val_photos = _read_folder(val[0], "validation", val[1])
        train = photos
        note["val"] = str(val[0]) + (f" paired with LR {val[1]}" if val[1] else "")
    else:
        if len(photos) < 2:
            raise DataError(
                f"too few images to split: {folder} holds {len(photos)} image(s); need at least 2 "
                "to hold one out for validation", hint="add images or give a separate val= folder")
        held = holdout([p.name for p in photos])
        train = [p for p in photos if p.name not in held]
        val_photos = [p for p in photos if p.name in held]
        note["val"] = (f"held out from {folder}: {len(val_photos)} of {len(photos)} images "
                       "(smallest SHA-1 of the file name, independent of the seed)")
    test_photos = None
    if test is not None:
        test_photos = _read_folder(test[0], "test", test[1])
        note["test"] = str(test[0])
    if samples:
        train = train[:samples]
    return assemble(name=str(folder), train=train, val=val_photos, test=test_photos, scale=scale, patch=patch,
                    degradation=degradation, augment=augment, seed=seed, paired=lr is not None,
                    split_note=note, extra={"source": f"image folder {folder}"})

