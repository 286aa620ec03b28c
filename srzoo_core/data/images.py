"""Reading and writing 8/16-bit images (PNG, JPEG, BMP, TIFF) through imageio, as scikit-image does.

16-bit files are read at full precision (uint16, white = 65535), 16-bit colour PNGs included, which
Pillow alone would cut to 8 bits. Before any pixel is decoded, an image's size is checked against a
pixel limit (:func:`max_pixels`: 100 megapixels unless ``SRZOO_MAX_PIXELS`` or
:func:`pixel_limit` say otherwise), so a decompression bomb — a small file that claims a huge
image — is refused with one message instead of exhausting memory.
"""

from __future__ import annotations

import os
import struct
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from srzoo_core.data.errors import DataError
from srzoo_core.files import atomic_path

IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
DEFAULT_MAX_PIXELS = 100_000_000
ENV_MAX_PIXELS = "SRZOO_MAX_PIXELS"
_limit: list[int] = []  # set by pixel_limit(); innermost last
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def max_pixels() -> int:
    """The largest image (width × height) srzoo decodes."""
    if _limit:
        return _limit[-1]
    text = os.environ.get(ENV_MAX_PIXELS, "").strip().replace("_", "")
    if not text:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(float(text))
    except ValueError:
        value = 0
    if value < 1:
        raise DataError(f"{ENV_MAX_PIXELS}={os.environ[ENV_MAX_PIXELS]!r} is not a positive pixel count",
                        hint=f"e.g. {ENV_MAX_PIXELS}=200000000 for 200 megapixels")
    return value


@contextmanager
def pixel_limit(pixels: int | None) -> Iterator[None]:
    """Within the block, images up to ``pixels`` (width × height) are read; None keeps the limit in force."""
    if pixels is None:
        yield
        return
    if isinstance(pixels, bool) or not isinstance(pixels, int) or pixels < 1:
        raise DataError(f"the pixel limit must be a positive whole number, not {pixels!r}")
    _limit.append(pixels)
    try:
        yield
    finally:
        _limit.pop()


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
        raise DataError(f"image {p} is a folder, not a file" if p.is_dir() else f"image not found: {p}")
    if p.stat().st_size == 0:
        raise DataError(f"image {p} is an empty file (0 bytes)", hint="copy it again, or remove it from the folder")
    tiff = p.suffix.lower() in (".tif", ".tiff")
    limit = _check_size(p, tiff)
    try:
        with _pillow_limit(limit):
            a = _read_png16(p)
            if a is None:
                a = np.asarray(iio.imread(p, plugin=None if tiff else "pillow"))
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


def _check_size(p: Path, tiff: bool) -> int:
    """Refuse an image larger than the pixel limit from its header, before decoding it; the limit."""
    limit = max_pixels()
    try:
        if tiff:
            import tifffile

            with tifffile.TiffFile(p) as handle:
                width, height = handle.pages[0].imagewidth, handle.pages[0].imagelength
        else:
            from PIL import Image

            with _pillow_limit(None), Image.open(p) as image:
                width, height = image.size
    except Exception as exc:  # noqa: BLE001 - a header no decoder understands
        raise DataError(f"cannot read image {p}: {exc}") from exc
    if width * height > limit:
        raise DataError(f"image {p} claims {width}×{height} pixels ({width * height / 1e6:.1f} megapixels), more than the "
                        f"limit of {limit / 1e6:g} megapixels; a small file claiming a huge image is a decompression bomb",
                        hint=f"if the image is genuine, raise the limit: {ENV_MAX_PIXELS}={width * height}")
    return limit


@contextmanager
def _pillow_limit(pixels: int | None) -> Iterator[None]:
    """Pillow's own decompression-bomb limit set to srzoo's (None: off, for reading a header), and
    its warning an error: no image is decoded past the limit with only a warning."""
    from PIL import Image

    previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


# 16-bit PNG colour types whose samples Pillow decodes to 8 bits: (rawmode of the high bytes,
# rawmode of the low bytes). Both decode the same zlib stream and filters (same bits per pixel).
_PNG16_RAWMODES = {2: ("RGB;16B", "RGB;16L"), 6: ("RGBA;16B", "RGBA;16L")}


def _read_png16(p: Path) -> np.ndarray | None:
    """A 16-bit colour (or grey+alpha) PNG at full precision; None for any other file."""
    with open(p, "rb") as handle:
        head = handle.read(33)
    if len(head) < 33 or not head.startswith(PNG_SIGNATURE) or head[12:16] != b"IHDR":
        return None
    depth, colour = struct.unpack(">BB", head[24:26])
    if depth != 16 or colour not in (2, 4, 6):
        return None  # 16-bit grey comes through Pillow whole ("I;16")
    from PIL import Image, ImageFile

    def decode(rawmode: str) -> np.ndarray:
        with Image.open(p) as image:
            image.tile = [ImageFile._Tile(t[0], t[1], t[2], rawmode) for t in image.tile]
            image.load()
            return np.asarray(image).astype(np.uint16)

    if colour == 4:  # grey+alpha: decoded as 8-bit RGBA, the bytes are grey high, grey low, alpha high, alpha low
        both = decode("RGBA")
        return both[:, :, 0] * 256 + both[:, :, 1]
    high, low = (decode(rawmode) for rawmode in _PNG16_RAWMODES[colour])
    return high * 256 + low


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
