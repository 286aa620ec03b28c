"""The images of a benchmark, read the way BasicSR's test scripts read them.

BasicSR's test datasets read every file with OpenCV's ``imread(IMREAD_COLOR)``
(``basicsr.utils.imfrombytes``), so whatever is stored, the network and the metrics see 8-bit,
three-channel colour:

* grey images (and grey + alpha) are replicated to three channels; scored on Y, a replicated grey
  value ``v`` becomes ``16 + 219·v/255``, exactly as a grey image stored as RGB;
* an alpha channel is dropped (not composited);
* 16-bit images are reduced to 8 bits as OpenCV does it: the high byte (``v >> 8``) for PNG (and
  every format but colour TIFF), ``round(v / 257)`` for colour TIFF;
* 1-bit images become 0/255; floating-point images in [0, 1] are rounded to 8 bits.

The HR image is cropped at the bottom and right to a multiple of the scale (MATLAB's ``modcrop``);
with a paired LR folder it is cropped to the LR size × scale instead (BasicSR's paired dataset).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from srzoo_core.data.errors import DataError
from srzoo_core.data.images import IMAGE_EXTENSIONS, list_images, read_raw

READING_RULES = {
    "reader": "as BasicSR's test scripts: OpenCV imread(IMREAD_COLOR) semantics, every image 8-bit RGB",
    "grey": "replicated to R = G = B (a grey image and the same image stored as RGB score the same)",
    "alpha": "dropped, not composited",
    "16-bit": "reduced to 8 bits as OpenCV does: v >> 8 (PNG, grey TIFF), round(v / 257) (colour TIFF)",
    "1-bit": "0 and 255",
    "float": "values in [0, 1] rounded to 8 bits",
}


@dataclass
class BenchImage:
    name: str                 # the file name in its folder
    hr: np.ndarray            # (H, W, 3) uint8, cropped as the protocol says
    kind: str                 # rgb | grey | grey-as-rgb | rgba | grey+alpha (and ", 16-bit" where reduced)
    lr: np.ndarray | None = None   # (H/s, W/s, 3) uint8 from a paired folder


@dataclass
class BenchFolder:
    name: str                 # the table's column name
    path: Path
    images: list[BenchImage] = field(default_factory=list)
    lr_path: Path | None = None


def _stored_mode(path: Path) -> str:
    """Pillow's mode for the file (``RGBA``, ``LA``, ``I;16``…), read from the header only."""
    try:
        from PIL import Image

        with Image.open(path) as image:
            return str(image.mode)
    except Exception:  # noqa: BLE001 - the decoder in read_raw gives the real error, if any
        return ""


def to_8bit(array: np.ndarray, white: float, colour_tiff: bool) -> np.ndarray:
    """Stored pixels (uint8, uint16 or float in [0, 1]) as OpenCV's IMREAD_COLOR gives them: uint8."""
    if white == 255.0:
        return array.astype(np.uint8, copy=False)
    if white == 65535.0:
        wide = array.astype(np.uint32)
        return ((wide + 128) // 257 if colour_tiff else wide >> 8).astype(np.uint8)
    if array.dtype == np.uint8:    # 1-bit images: 0/1
        return (array * 255).astype(np.uint8)
    return np.rint(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)


def read_bench_image(path: Path) -> tuple[np.ndarray, str]:
    """(H, W, 3) uint8 RGB and what was stored (see the module docstring)."""
    raw, white = read_raw(path)
    mode = _stored_mode(path)
    grey = raw.shape[2] == 1
    pixels = to_8bit(raw, white, colour_tiff=path.suffix.lower() in (".tif", ".tiff") and not grey)
    if grey:
        kind = "grey+alpha" if mode in ("LA", "La") else "grey"
        pixels = np.repeat(pixels, 3, axis=2)
    elif "A" in mode or "a" in mode:
        kind = "rgba"
    else:
        kind = "grey-as-rgb" if np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 0], pixels[..., 2]) else "rgb"
    if white == 65535.0:
        kind += ", 16-bit"
    return np.ascontiguousarray(pixels), kind


def _paired_lr(lr_folder: Path, image: Path) -> Path:
    candidates = [lr_folder / image.name] + [lr_folder / (image.stem + ext) for ext in IMAGE_EXTENSIONS]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise DataError(f"no LR image for {image.name} in {lr_folder}", hint=f"the LR folder must hold a file named {image.stem}.<ext> for every HR image")
    return found


def load_folder(path: Path, name: str, scale: int, lr_folder: Path | None = None) -> BenchFolder:
    """Every image directly inside ``path``, read, converted and cropped as the protocol says."""
    if not path.is_dir():
        raise DataError(f"benchmark folder not found: {path}" if not path.exists() else f"{path} is not a folder of images")
    files = list_images(path)
    if not files:
        raise DataError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in {path}")
    if lr_folder is not None and not lr_folder.is_dir():
        raise DataError(f"LR folder not found: {lr_folder}")
    folder = BenchFolder(name, path, lr_path=lr_folder)
    for file in files:
        hr, kind = read_bench_image(file)
        lr = None if lr_folder is None else read_bench_image(_paired_lr(lr_folder, file))[0]
        folder.images.append(cropped(file.name, hr, kind, scale, lr, lr_folder))
    return folder


def cropped(name: str, hr: np.ndarray, kind: str, scale: int, lr: np.ndarray | None = None,
            lr_folder: Path | None = None) -> BenchImage:
    """The HR image cropped to a multiple of the scale, or to the paired LR's size × scale."""
    if lr is not None:
        h, w = lr.shape[0] * scale, lr.shape[1] * scale
        if hr.shape[0] < h or hr.shape[1] < w:
            raise DataError(f"{name}: LR {lr.shape[1]}x{lr.shape[0]} × {scale} = {w}x{h} is larger than the HR "
                            f"image ({hr.shape[1]}x{hr.shape[0]})", hint=f"check that {lr_folder} holds ×{scale} LR images")
    else:
        h, w = hr.shape[0] - hr.shape[0] % scale, hr.shape[1] - hr.shape[1] % scale
    if h == 0 or w == 0:
        raise DataError(f"{name} ({hr.shape[1]}x{hr.shape[0]}) is smaller than the scale {scale}")
    return BenchImage(name, np.ascontiguousarray(hr[:h, :w]), kind, lr)


BUILTIN = "builtin"


def load_builtin(scale: int) -> BenchFolder:
    """``builtin``: the built-in data's held-out photographs (scikit-image's astronaut and coffee), whole."""
    import skimage.data

    from srzoo_core.data.photos import BUILTIN_VAL

    folder = BenchFolder(f"{BUILTIN}-val", Path(f"{BUILTIN}: skimage.data {', '.join(BUILTIN_VAL)}"))
    for name in BUILTIN_VAL:
        folder.images.append(cropped(f"{name}.png", np.asarray(getattr(skimage.data, name)(), dtype=np.uint8), "rgb", scale))
    return folder


def column_names(paths: list[Path]) -> list[str]:
    """Each folder's name, lengthened by its parents where two would otherwise read the same
    (``Set5/HR`` and ``Set14/HR``)."""
    parts = [p.resolve().parts for p in paths]
    depth = [1] * len(paths)
    while True:
        names = ["/".join(p[-d:]) for p, d in zip(parts, depth)]
        clashes = {n for n in names if names.count(n) > 1}
        if not clashes:
            return names
        grown = False
        for i, name in enumerate(names):
            if name in clashes and depth[i] < len(parts[i]):
                depth[i] += 1
                grown = True
        if not grown:
            return [f"{n}#{i + 1}" if n in clashes else n for i, n in enumerate(names)]
