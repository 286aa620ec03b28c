"""Photos as ``srzoo upscale`` reads and writes them: alpha kept, grey fitted to an RGB model.

* **Alpha** is upscaled separately, by MATLAB-style bicubic (:func:`srzoo_core.data.upsample`),
  clipped to [0, 1], and written back with the upscaled colour. A generator trained on photos has
  never seen an alpha mask, so it is not asked to invent one: a mask's edges stay as smooth as the
  original's, and fully opaque or transparent regions stay exactly 1 or 0.
* **Grey** images given to an RGB model are replicated to R = G = B, upscaled, and written back
  grey as the BT.601 luma of the output (``0.299 R + 0.587 G + 0.114 B``, as Pillow's
  ``convert("L")``), so a grey file stays a grey file. A colour image given to a grey (``L``) model
  is refused: which grey the user wants is theirs to choose.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from srzoo_core.data.errors import DataError

LUMA = (0.299, 0.587, 0.114)


@dataclass
class Kept:
    """What :func:`fit_channels` took off an image, for :func:`restore` to put back."""

    alpha: np.ndarray | None = None   # (h, w) in [0, 1]
    grey: bool = False                 # replicated to RGB for the model


def read_alpha(path: Path) -> np.ndarray | None:
    """The alpha channel of an image file as float32 (h, w) in [0, 1], or None when it has none."""
    from PIL import Image

    with Image.open(path) as image:
        mode = image.mode
        if mode == "P" and "transparency" in image.info:
            image = image.convert("RGBA")
        elif mode not in ("RGBA", "LA", "La", "RGBa", "PA"):
            return None
        alpha = np.asarray(image.getchannel("A"))
    return alpha.astype(np.float32) / np.float32(255.0)


def fit_channels(array: np.ndarray, channels: int, has_alpha: bool) -> tuple[np.ndarray, Kept]:
    """``(H, W, C)`` photo (alpha last where ``has_alpha``) as the model's ``channels``, and what was kept aside."""
    kept = Kept()
    if array.ndim == 2:
        array = array[:, :, None]
    if has_alpha:
        kept.alpha, array = array[:, :, -1], array[:, :, :-1]
    colour = array.shape[2]
    if colour == 1 and channels == 3:
        kept.grey = True
        array = np.repeat(array, 3, axis=2)
    elif colour == 3 and channels == 1:
        raise DataError("the checkpoint takes grey images (1 channel, L) but this image is in colour",
                        hint="convert it to grey first, or use a checkpoint trained on colour photos")
    return np.ascontiguousarray(array), kept


def restore(result: np.ndarray, kept: Kept, scale: int) -> np.ndarray:
    """The upscaled ``(sH, sW, C)`` photo in the input's form: grey where it was, alpha upscaled and appended."""
    import torch

    from srzoo_core.data.resize import upsample

    if kept.grey:
        result = np.tensordot(result, np.asarray(LUMA, dtype=np.float32), axes=([2], [0]))[:, :, None].astype(np.float32)
    if kept.alpha is None:
        return result
    alpha = upsample(torch.from_numpy(np.ascontiguousarray(kept.alpha, dtype=np.float32))[None, None], scale, "bicubic")
    alpha = alpha[0, 0].clamp(0.0, 1.0).numpy()
    return np.concatenate([result, alpha[:, :, None]], axis=2)


def write_grey_alpha(path: Path, array: np.ndarray) -> None:
    """A (H, W, 2) grey + alpha image as an 8-bit file (JPEG, which has no alpha, gets the grey alone)."""
    import imageio.v3 as iio

    from srzoo_core.data.images import write_image
    from srzoo_core.files import atomic_path

    if path.suffix.lower() in (".jpg", ".jpeg"):
        write_image(path, array[:, :, :1])
        return
    pixels = np.rint(np.clip(np.nan_to_num(array, nan=0.0), 0.0, 1.0) * 255.0).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        iio.imwrite(tmp, pixels, plugin=None if path.suffix.lower() in (".tif", ".tiff") else "pillow")
