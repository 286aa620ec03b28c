"""Inference: upscale images and grids of any size with a trained generator, tile by tile.

Tiling bounds memory by the tile size, not the image size: the low-resolution (LR) input is cut
into overlapping tiles, each tile is upscaled on its own, and the outputs are blended into one
preallocated output with smooth weights, normalised by the sum of the weights.

Overlap and receptive field
---------------------------
A generator's output pixel depends on the LR pixels within its *receptive-field radius* ``r``
(in LR pixels; e.g. a stack of ``k`` 3×3 convolutions has ``r = k``, a 9×9 head adds 4). Near a
tile's inner edge the generator sees padding instead of the neighbouring pixels, so the outputs
of the outer ``r`` LR pixels of every tile are wrong. The blend is therefore built as follows
(per axis, per inner edge of a tile, with ``m = overlap // 4``):

    | overlap                                                   |
    | m: weight 0 | overlap - 2m: sin² cross-fade | m: weight 0 |

The outermost ``m`` LR pixels of each tile are context only (weight 0); the middle
``overlap - 2m`` pixels cross-fade between the two tiles (the two weights sum to one); the rest
of a tile has weight 1. Image borders are no inner edges: there the tile's output is used as is,
exactly as in an untiled run (which also pads there).

Consequences:

- if ``r <= overlap // 4`` (receptive field ``2r + 1`` at most about half the overlap; with the
  default overlap of 32, ``r <= 8``), tiled and untiled outputs agree up to floating-point rounding;
- if ``r`` is larger (a deep SRResNet has a theoretical radius of ~40 LR pixels, though its
  *effective* receptive field is much smaller), the difference is small and spread over the
  cross-fade (measured with a random SRResNet-16 on 512²: 0.1 % of the output's spread at overlap
  32, but 7 % — a visible seam — at 16); raise ``overlap`` to shrink it further. The cost of
  tiling is the recomputed overlap: about ``(tile / (tile - overlap))²`` times the untiled work.

Everything runs in float32 under ``torch.inference_mode()`` (the result is a normal tensor).
``tile=0`` runs each batch in one untiled pass; with tiling on, images no larger than a tile run
whole, in batches of about one tile's worth of pixels.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from srzoo_core.errors import UsageError
from srzoo_core.interfaces import optional_attribute
from srzoo_core.training import DEFAULT_OVERLAP, DEFAULT_TILE

__all__ = ["blend_weights", "normaliser_of", "resolve_device", "tile_layout", "upscale_array", "upscale_tiled"]



def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"auto"`` (or ``None``) picks CUDA when available, else the CPU; an unavailable CUDA is an error."""
    name = "auto" if device is None else str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(name)
    except RuntimeError:
        raise UsageError(f"unknown device {name!r}", hint="use auto, cpu or cuda (or cuda:N)") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise UsageError("device cuda was asked for but CUDA is not available", hint="use --device cpu or --device auto")
    return resolved


def tile_layout(size: int, tile: int, overlap: int) -> tuple[int, list[int]]:
    """Length and start offsets of the tiles covering ``[0, size)`` along one axis.

    Uses the fewest tiles of at most ``tile`` pixels overlapping by at least ``overlap``, all of one
    length, as short as that count allows (so little work is wasted on extra overlap); the last
    tile ends exactly at ``size``."""
    if size <= tile:
        return size, [0]
    count = math.ceil((size - overlap) / (tile - overlap))
    length = min(tile, math.ceil((size - overlap) / count) + overlap)
    stride = length - overlap
    starts = [i * stride for i in range(count - 1)] + [size - length]
    return length, starts


def _ramp(length: int, margin: int, fade: int) -> Tensor:
    """Weights of the first ``length`` output pixels, counted from an inner tile edge:
    0 over ``margin`` pixels, then a sin² rise over ``fade`` pixels, then 1 (sampled at pixel centres)."""
    d = torch.arange(length, dtype=torch.float64) + 0.5 - margin
    t = (d / max(fade, 1)).clamp(0.0, 1.0)
    return torch.sin(t * (math.pi / 2)) ** 2


def blend_weights(length: int, scale: int, overlap: int, first: bool, last: bool) -> Tensor:
    """1-D blending weights of one tile's output (``length`` output pixels) along one axis.

    ``first``/``last`` say whether the tile touches the image's start/end on that axis (no
    neighbour there: weight 1 up to the border). For two neighbours overlapping by exactly
    ``overlap`` LR pixels the weights sum to one across the overlap."""
    w = torch.ones(length, dtype=torch.float64)
    margin = (overlap // 4) * scale
    fade = overlap * scale - 2 * margin
    ramp = _ramp(length, margin, fade)
    if not first:
        w = w * ramp
    if not last:
        w = w * ramp.flip(0)
    return w.to(torch.float32)


def _size_multiple(generator: nn.Module) -> int:
    """Generators that need input sizes divisible by some number (e.g. an encoder-decoder) may
    say so with an int attribute ``size_multiple``; tiles are then padded (replicate) and cropped."""
    multiple = optional_attribute(generator, "gen", "size_multiple")
    return int(multiple) if isinstance(multiple, int) and multiple > 1 else 1


def _run(generator: nn.Module, x: Tensor, scale: int, device: torch.device) -> Tensor:
    """One forward pass on ``x`` (N, C, h, w); returns float32 (N, C_out, h*scale, w*scale) on ``device``."""
    h, w = x.shape[-2:]
    x = x.to(device=device, dtype=torch.float32, non_blocking=True)
    multiple = _size_multiple(generator)
    pad_h, pad_w = (-h) % multiple, (-w) % multiple
    if pad_h or pad_w:
        x = torch.nn.functional.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
    y = generator(x)
    if not isinstance(y, Tensor) or y.ndim != 4:
        raise ValueError(f"the generator returned {type(y).__name__}{tuple(getattr(y, 'shape', ()))}, expected a (N, C, H, W) tensor")
    expected = ((h + pad_h) * scale, (w + pad_w) * scale)
    if tuple(y.shape[-2:]) != expected or y.shape[0] != x.shape[0]:
        raise ValueError(f"the generator mapped {tuple(x.shape)} to {tuple(y.shape)}; expected (N, C, {expected[0]}, {expected[1]}) at scale {scale}")
    return y[..., : h * scale, : w * scale].float()


def upscale_tiled(generator: nn.Module, lr: Tensor, scale: int, tile: int = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
                  device: str | torch.device = "cpu") -> Tensor:
    """Upscale ``lr`` (N, C, h, w) by ``scale`` with ``generator``; returns float32 (N, C_out, h*scale, w*scale) on the CPU.

    ``tile`` and ``overlap`` are in LR pixels; ``tile=0`` runs untiled. Tiles are processed one
    at a time (one sample at a time) and accumulated, weighted, into a preallocated output, so
    memory holds the output plus one tile's activations. Images smaller than a tile run whole;
    any other size is covered by the fewest equal tiles of at most ``tile`` pixels per axis
    (:func:`tile_layout`). See the module docstring for how ``overlap`` relates to the receptive
    field.

    The generator is moved to ``device`` in float32 and put in eval mode for the call (its previous
    train/eval mode is restored afterwards).
    """
    if lr.ndim != 4:
        raise ValueError(f"expected an (N, C, h, w) tensor, got shape {tuple(lr.shape)}")
    scale, tile, overlap = int(scale), int(tile), int(overlap)
    if scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale}")
    if tile < 0 or overlap < 0:
        raise ValueError(f"tile and overlap must be >= 0, got tile={tile}, overlap={overlap}")
    if tile and overlap >= tile:
        raise ValueError(f"overlap ({overlap}) must be smaller than the tile ({tile})")
    device = resolve_device(device)
    was_training = generator.training
    generator.to(device=device, dtype=torch.float32)
    generator.eval()
    try:
        with torch.inference_mode():
            return _upscale(generator, lr, scale, tile, overlap, device)
    finally:
        generator.train(was_training)


def _zeros(shape: tuple[int, ...], device: torch.device | str = "cpu") -> Tensor:
    """A normal (not an inference-mode) tensor, so callers may modify the result in place."""
    with torch.inference_mode(False):
        return torch.zeros(shape, dtype=torch.float32, device=device)


def _upscale(generator: nn.Module, lr: Tensor, scale: int, tile: int, overlap: int, device: torch.device) -> Tensor:
    n, _, h, w = lr.shape
    if n == 0:
        raise ValueError("nothing to upscale: the batch is empty")
    out: Tensor | None = None
    if tile == 0 or (h <= tile and w <= tile):
        # Whole images; batch so one forward pass holds about one tile's worth of pixels.
        chunk = n if tile == 0 else max(1, (tile * tile) // (h * w))
        for i in range(0, n, chunk):
            sr = _run(generator, lr[i:i + chunk], scale, device)
            if out is None:
                out = _zeros((n, sr.shape[1], h * scale, w * scale))
            out[i:i + chunk].copy_(sr)
            del sr
        assert out is not None
        return out

    th, ys = tile_layout(h, tile, overlap)
    tw, xs = tile_layout(w, tile, overlap)
    wy = [blend_weights(th * scale, scale, overlap, i == 0, i == len(ys) - 1).to(device) for i in range(len(ys))]
    wx = [blend_weights(tw * scale, scale, overlap, j == 0, j == len(xs) - 1).to(device) for j in range(len(xs))]
    # The weights are separable, so their sum over all tiles is the outer product of 1-D sums:
    # no (H, W) weight-sum buffer is needed.
    norm_y = torch.zeros(h * scale, dtype=torch.float32, device=device)
    norm_x = torch.zeros(w * scale, dtype=torch.float32, device=device)
    for y0, weight in zip(ys, wy):
        norm_y[y0 * scale:(y0 + th) * scale] += weight
    for x0, weight in zip(xs, wx):
        norm_x[x0 * scale:(x0 + tw) * scale] += weight
    for k in range(n):
        acc: Tensor | None = None
        for i, y0 in enumerate(ys):
            for j, x0 in enumerate(xs):
                sr = _run(generator, lr[k:k + 1, :, y0:y0 + th, x0:x0 + tw], scale, device)[0]
                if out is None:
                    out = _zeros((n, sr.shape[0], h * scale, w * scale))
                if acc is None:  # on the CPU, accumulate straight into the output
                    acc = out[k] if device.type == "cpu" else _zeros(out.shape[1:], device)
                oy, ox = y0 * scale, x0 * scale
                acc[:, oy:oy + th * scale, ox:ox + tw * scale].addcmul_(sr, (wy[i][:, None] * wx[j][None, :]).unsqueeze(0))
                del sr
        assert out is not None and acc is not None
        acc.div_(norm_y.view(1, -1, 1)).div_(norm_x.view(1, 1, -1))
        if acc.data_ptr() != out[k].data_ptr():
            out[k].copy_(acc)
        del acc
    assert out is not None
    return out


# --------------------------------------------------------------------------------------------
# Arrays in physical units, as the CLI reads and writes them.


def _identity_normaliser() -> Any:
    class _Identity:
        def normalise(self, x: Tensor) -> Tensor:
            return x

        def denormalise(self, x: Tensor) -> Tensor:
            return x

    return _Identity()


def normaliser_of(description: Any) -> Any:
    """The run's normaliser (identity when the checkpoint stores none)."""
    if not description.normaliser:
        return _identity_normaliser()
    from srzoo_core.data import Normaliser

    return Normaliser.from_state(description.normaliser)


def upscale_array(generator: nn.Module, description: Any, array: np.ndarray, *, tile: int = DEFAULT_TILE,
                  overlap: int = DEFAULT_OVERLAP, device: str | torch.device = "cpu") -> np.ndarray:
    """Upscale an array in the layout of the run's modality (a photo (H, W, C) in [0, 1], a grid
    (C, H, W) / (N, C, H, W) in physical units) with a checkpoint's generator and description.

    The array is normalised with the run's normaliser, upscaled by ``description.scale`` with
    :func:`upscale_tiled`, de-normalised, and returned as float32 in the input's layout. A layout or
    channel count that does not fit the checkpoint is a :class:`~srzoo_core.errors.UsageError`.
    """
    from srzoo_core.data.modality import modality

    kind = modality(description.modality)
    channels = len(description.channels)
    array = np.asarray(array)
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise UsageError(f"expected a real-valued numeric array, got dtype {array.dtype}")
    batch_array, layout = kind.to_batch(array)
    if batch_array.shape[1] != channels:
        names = ", ".join(c.label() for c in description.channels)
        raise UsageError(f"the input has {batch_array.shape[1]} channel(s) but the checkpoint was trained on {channels} ({names})",
                         hint=f"give {kind.description} with {channels} channel(s), in the layout of {kind.name} inputs")
    batch = torch.from_numpy(batch_array)
    if not torch.isfinite(batch).all():
        raise UsageError("the input holds NaN or infinite values", hint="fill or mask missing values before upscaling")
    normaliser = normaliser_of(description)
    y = upscale_tiled(generator, normaliser.normalise(batch), description.scale, tile=tile, overlap=overlap, device=device)
    return kind.from_batch(normaliser.denormalise(y).numpy(), layout)
