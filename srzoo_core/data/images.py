"""Reading and writing 8/16-bit images (PNG, JPEG, BMP, TIFF) through imageio, as scikit-image does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from srzoo_core.data.errors import DataError
from srzoo_core.files import atomic_path

IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside ``folder`` (not recursive), sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def read_raw(path: str | Path) -> tuple[np.ndarray, float]:
    """The pixels as stored, (H, W, C) with C in {1, 3}, and the value that means white.

    Alpha channels are dropped (grey+alpha -> grey, RGBA -> RGB). Integer images keep their
    dtype (uint8 or uint16) so large folders stay small in memory.
    """
    import imageio.v3 as iio

    p = Path(path)
    if not p.is_file():
        raise DataError(f"image not found: {p}")
    try:
        plugin = None if p.suffix.lower() in (".tif", ".tiff") else "pillow"
        a = np.asarray(iio.imread(p, plugin=plugin))
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a bad file for the user
        raise DataError(f"cannot read image {p}: {exc}") from exc
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
        raise DataError(f"image {p} has shape {a.shape}; expected a single grey or RGB image (H, W[, C])")
    if a.shape[2] in (2, 4):
        a = a[:, :, : a.shape[2] - 1]
    if a.dtype == np.bool_:
        return a.astype(np.uint8), 1.0
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a), 255.0
    if np.issubdtype(a.dtype, np.integer):
        if a.min() < 0 or a.max() > 65535:
            raise DataError(f"image {p} has integer values outside 0..65535 ({a.min()}..{a.max()})")
        return np.ascontiguousarray(a.astype(np.uint16)), 65535.0
    if np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float32)
        if not np.isfinite(a).all():
            raise DataError(f"image {p} contains NaN or Inf")
        if a.min() < 0 or a.max() > 1:
            raise DataError(f"floating-point image {p} has values outside [0, 1] ({a.min():.4g}..{a.max():.4g})")
        return np.ascontiguousarray(a), 1.0
    raise DataError(f"image {p} has unsupported pixel type {a.dtype}")


def read_image(path: str | Path) -> np.ndarray:
    """An image as float32 (H, W, C) in [0, 1]; grey images have C = 1."""
    a, white = read_raw(path)
    return a.astype(np.float32) / np.float32(white)


def write_image(path: str | Path, array: Any) -> Path:
    """Write (H, W, C) or (H, W) values in [0, 1] as an 8-bit image (clipped, rounded); format from the suffix."""
    import imageio.v3 as iio

    p = Path(path)
    if hasattr(array, "detach"):
        array = array.detach().cpu().numpy()
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        raise DataError(f"write_image expects (H, W, C) with C in 1, 3, 4 or (H, W); got shape {a.shape}")
    if a.dtype != np.uint8:
        # float32 and in place: a float64 copy of a large upscaled photo costs gigabytes at peak
        scaled = np.multiply(a, 255.0, dtype=np.float32)
        np.nan_to_num(scaled, copy=False, nan=0.0)
        np.clip(scaled, 0.0, 255.0, out=scaled)
        a = np.rint(scaled, out=scaled).astype(np.uint8)
    if p.suffix.lower() not in IMAGE_EXTENSIONS:
        raise DataError(f"cannot tell the image format of {p}; use one of {', '.join(IMAGE_EXTENSIONS)}")
    p.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(p) as tmp:
        if p.suffix.lower() in (".tif", ".tiff"):
            iio.imwrite(tmp, a)
        else:
            extra = {}
            if p.suffix.lower() in (".jpg", ".jpeg"):
                extra = {"quality": 95}
                a = a[:, :, :3] if a.ndim == 3 else a          # JPEG has no alpha
            iio.imwrite(tmp, a, plugin="pillow", **extra)
    return p
