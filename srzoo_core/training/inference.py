"""Inference: upscale images and grids of any size with a trained generator, whole or tile by tile.

How an input is run is planned from a memory budget (:mod:`srzoo_core.training.tiling`): the
generator's memory per LR pixel is measured once by a small probe, and an input that fits the budget
runs untiled (several per pass when they fit); a larger one is cut into the fewest overlapping
tiles that fit. Each tile is upscaled on its own and the outputs are blended into one preallocated
output with smooth weights, normalised by the sum of the weights. ``tile=N`` forces tiles of at most
N LR pixels (small tiles then run several per pass: faster on the CPU, measured); ``tile=0`` runs
untiled whatever the budget.

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

If ``r <= overlap // 4``, tiled and untiled outputs agree up to floating-point rounding: the
default overlap is ``4 r`` from the generator's declared ``receptive_field``, the radius capped at
16 (:func:`~srzoo_core.training.tiling.overlap_for`). A larger ``r`` leaves a small difference
spread over the cross-fade (``make bench`` measures it; target: under 1 % of the output's σ). The
cost of tiling is the recomputed overlap, about ``(tile / (tile - overlap))²`` times the untiled
work: an input that fits runs whole.

Precision and memory format
---------------------------
``precision``: ``fp32`` (the default here, so that scores computed through these functions are
exact); ``bf16`` (autocast, CPU or CUDA); ``fp16`` (autocast, CUDA only; a tile whose fp16 output
is not finite is redone in fp32); ``auto`` (``srzoo upscale``'s default) = :data:`AUTO_PRECISION`
for the device: the faster precision whose measured cost against fp32 is under 0.01 dB PSNR on the
held-out photos, else fp32 (``benchmarks/results/2026-12-01.md``). Weights and inputs run channels_last
(NHWC) by default, which is faster for convolutions on the CPU (measured) and changes the output
only by rounding; a generator whose forward refuses it runs NCHW. Every pass runs under
``torch.inference_mode()``; the result is a normal float32 tensor on the CPU.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from srzoo_core.errors import UsageError
from srzoo_core.interfaces import optional_attribute
from srzoo_core.training import DEFAULT_TILE
from srzoo_core.training.tiling import (
    TilePlan,
    default_budget,
    measure_memory,
    overlap_for,
    parse_memory,
    plan_tiles,
    tile_layout,
)

__all__ = ["AUTO_PRECISION", "PRECISIONS", "blend_weights", "normaliser_of", "resolve_device", "resolve_precision",
           "tile_layout", "upscale_array", "upscale_tiled"]

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
# What "auto" means per device, from the precision table of benchmarks/results/2026-12-01.md: on the
# CPU bf16 cost at most 0.0045 dB (limit 0.01 dB) and ran 4.5× faster than fp32; CUDA was not measured.
AUTO_PRECISION = {"cpu": "bf16", "cuda": "fp32"}
_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
MAX_TILE_BATCH = 8
BATCH_TILES_BELOW = 128 * 128  # LR pixels: smaller forced tiles run several per pass (measured faster)


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


def resolve_precision(precision: str, device: torch.device) -> str:
    """The precision a run uses on ``device``: ``auto`` resolved, an impossible choice a UsageError."""
    name = str(precision).lower()
    if name not in PRECISIONS:
        raise UsageError(f"unknown precision {precision!r}", hint="use " + ", ".join(PRECISIONS))
    if name == "auto":
        name = AUTO_PRECISION.get(device.type, "fp32")
    if name == "fp16" and device.type != "cuda":
        raise UsageError("--precision fp16 needs a CUDA device", hint="on the CPU use --precision bf16 or fp32")
    if name == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise UsageError("this CUDA device has no bf16 support", hint="use --precision fp16 or fp32")
    return name


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


def _run(generator: nn.Module, x: Tensor, scale: int, device: torch.device, precision: str = "fp32",
         channels_last: bool = False) -> Tensor:
    """One forward pass on ``x`` (N, C, h, w); returns float32 (N, C_out, h*scale, w*scale) on ``device``."""
    h, w = x.shape[-2:]
    x = x.to(device=device, dtype=torch.float32, non_blocking=True)
    multiple = _size_multiple(generator)
    pad_h, pad_w = (-h) % multiple, (-w) % multiple
    if pad_h or pad_w:
        x = torch.nn.functional.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    dtype = _DTYPES[precision]
    with torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext():
        y = generator(x)
    if not isinstance(y, Tensor) or y.ndim != 4:
        raise ValueError(f"the generator returned {type(y).__name__}{tuple(getattr(y, 'shape', ()))}, expected a (N, C, H, W) tensor")
    expected = ((h + pad_h) * scale, (w + pad_w) * scale)
    if tuple(y.shape[-2:]) != expected or y.shape[0] != x.shape[0]:
        raise ValueError(f"the generator mapped {tuple(x.shape)} to {tuple(y.shape)}; expected (N, C, {expected[0]}, {expected[1]}) at scale {scale}")
    return y[..., : h * scale, : w * scale].float()


@dataclass
class _Runner:
    """Forward passes in one configuration, with the two fallbacks: NCHW for a generator whose
    forward refuses channels_last, fp32 for an fp16 tile that overflowed."""

    generator: nn.Module
    scale: int
    device: torch.device
    precision: str
    channels_last: bool
    fell_back: str = ""

    def __call__(self, x: Tensor) -> Tensor:
        try:
            y = _run(self.generator, x, self.scale, self.device, self.precision, self.channels_last)
        except RuntimeError:
            if not self.channels_last:
                raise
            self.channels_last, self.fell_back = False, "channels_last refused: NCHW"
            self.generator.to(memory_format=torch.contiguous_format)
            y = _run(self.generator, x, self.scale, self.device, self.precision, False)
        if self.precision == "fp16" and not torch.isfinite(y).all():
            self.precision, self.fell_back = "fp32", "fp16 overflowed: fp32"
            y = _run(self.generator, x, self.scale, self.device, "fp32", self.channels_last)
        return y

    def estimate(self, in_channels: int, exact: bool = True) -> Any:
        return measure_memory(self.generator, self, in_channels, self.device, _size_multiple(self.generator),
                              (self.scale, self.precision, self.channels_last), exact=exact)


def _is_channels_last(module: nn.Module) -> bool:
    weights = [p for p in module.parameters() if p.ndim == 4]
    return bool(weights) and all(p.is_contiguous(memory_format=torch.channels_last) and not p.is_contiguous() for p in weights)


def upscale_tiled(generator: nn.Module, lr: Tensor, scale: int, tile: int | None = DEFAULT_TILE,
                  overlap: int | None = None, device: str | torch.device = "cpu", *,
                  max_memory: int | str | None = None, precision: str = "fp32", channels_last: bool = True,
                  info: dict[str, Any] | None = None) -> Tensor:
    """Upscale ``lr`` (N, C, h, w) by ``scale`` with ``generator``; returns float32 (N, C_out, h*scale, w*scale) on the CPU.

    ``tile``: ``None`` (default) plans from the memory budget: untiled when the input fits, else the
    fewest tiles that fit; ``0`` runs untiled; ``N`` forces tiles of at most N LR pixels.
    ``overlap`` (LR pixels): ``None`` = from the generator's ``receptive_field``
    (:func:`~srzoo_core.training.tiling.overlap_for`; with a forced tile at most half of it).
    ``max_memory``: the budget in bytes or as text (``"2GiB"``); ``None`` = half the memory available
    now; a stated budget too small for the smallest tile is a UsageError. ``precision``: ``auto``,
    ``fp32``, ``bf16`` or ``fp16``; ``channels_last``: run NHWC (module docstring). ``info``, if
    given, receives the plan (``tiles``, ``tile``, ``overlap``, ``batch``, ``budget``, ``estimate``,
    ``precision``, ``channels_last``, ``fell_back``, ``plan``: a one-line description).

    The generator is moved to ``device`` in float32 and put in eval mode for the call (its previous
    train/eval mode and memory format are restored afterwards).
    """
    if lr.ndim != 4:
        raise ValueError(f"expected an (N, C, h, w) tensor, got shape {tuple(lr.shape)}")
    scale = int(scale)
    tile = None if tile is None else int(tile)
    overlap = None if overlap is None else int(overlap)
    if scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale}")
    if (tile is not None and tile < 0) or (overlap is not None and overlap < 0):
        raise ValueError(f"tile and overlap must be >= 0, got tile={tile}, overlap={overlap}")
    if tile and overlap is not None and overlap >= tile:
        raise ValueError(f"overlap ({overlap}) must be smaller than the tile ({tile})")
    if lr.shape[0] == 0:
        raise ValueError("nothing to upscale: the batch is empty")
    device = resolve_device(device)
    precision = resolve_precision(precision, device)
    budget = None if max_memory is None else parse_memory(max_memory)
    was_training, was_channels_last = generator.training, _is_channels_last(generator)
    generator.to(device=device, dtype=torch.float32)
    if channels_last:
        generator.to(memory_format=torch.channels_last)
    generator.eval()
    runner = _Runner(generator, scale, device, precision, bool(channels_last))
    try:
        with torch.inference_mode():
            plan = _plan(runner, lr, tile, overlap, budget)
            out = _upscale(runner, lr, plan)
    finally:
        generator.train(was_training)
        if channels_last and not was_channels_last:
            generator.to(memory_format=torch.contiguous_format)
    if info is not None:
        info.update(tiles=plan.tiles, tile=(plan.tile_h, plan.tile_w), overlap=plan.overlap, batch=plan.batch,
                    budget=plan.budget, estimate=plan.estimate, precision=runner.precision,
                    channels_last=runner.channels_last, fell_back=runner.fell_back, plan=plan.describe())
    return out


def _plan(runner: _Runner, lr: Tensor, tile: int | None, overlap: int | None, budget: int | None) -> TilePlan:
    n, channels, h, w = lr.shape
    if tile == 0:
        return TilePlan(0, 0, 0, n)
    if overlap is None:
        overlap = overlap_for(runner.generator) if tile is None else min(overlap_for(runner.generator), tile // 2)
    if tile is None:
        bound = runner.estimate(channels, exact=False)  # one small probe: enough when the input fits whole
        return plan_tiles(n, h, w, bound, budget or default_budget(runner.device), overlap,
                          _output_bytes(runner, bound.out_channels, lr.shape), explicit=budget is not None,
                          multiple=_size_multiple(runner.generator), refine=lambda: runner.estimate(channels))
    if h <= tile and w <= tile:  # whole images, batched so one pass holds about one tile's worth of pixels
        return TilePlan(0, 0, 0, max(1, (tile * tile) // (h * w)))
    (th, ys), (tw, xs) = tile_layout(h, tile, overlap), tile_layout(w, tile, overlap)
    tiles, batch = len(ys) * len(xs), 1
    if th * tw < BATCH_TILES_BELOW and tiles > 1:
        estimate = runner.estimate(channels)
        room = (budget or default_budget(runner.device)) - _output_bytes(runner, estimate.out_channels, lr.shape)
        batch = max(1, min(tiles, MAX_TILE_BATCH, estimate.pixels_within(room) // (th * tw)))
    return TilePlan(th, tw, overlap, batch, tiles, budget)


def _output_bytes(runner: _Runner, out_channels: int, shape: torch.Size) -> int:
    """The float32 output counts against the budget where it lives with the passes (the CPU)."""
    n, _, h, w = shape
    return n * out_channels * h * w * runner.scale ** 2 * 4 if runner.device.type == "cpu" else 0


def _zeros(shape: tuple[int, ...], device: torch.device | str = "cpu") -> Tensor:
    """A normal (not an inference-mode) tensor, so callers may modify the result in place."""
    with torch.inference_mode(False):
        return torch.zeros(shape, dtype=torch.float32, device=device)


def _upscale(runner: _Runner, lr: Tensor, plan: TilePlan) -> Tensor:
    n, _, h, w = lr.shape
    s = runner.scale
    out: Tensor | None = None
    if not plan.tiled:
        for i in range(0, n, plan.batch):
            sr = runner(lr[i:i + plan.batch]).cpu()
            if out is None:
                out = _zeros((n, sr.shape[1], h * s, w * s))
            out[i:i + plan.batch].copy_(sr)
            del sr
        assert out is not None
        return out

    overlap = plan.overlap
    (th, ys), (tw, xs) = tile_layout(h, plan.tile_h, overlap), tile_layout(w, plan.tile_w, overlap)
    wy = [blend_weights(th * s, s, overlap, i == 0, i == len(ys) - 1) for i in range(len(ys))]
    wx = [blend_weights(tw * s, s, overlap, j == 0, j == len(xs) - 1) for j in range(len(xs))]
    # The weights are separable, so their sum over all tiles is the outer product of 1-D sums:
    # no (H, W) weight-sum buffer is needed.
    norm_y, norm_x = torch.zeros(h * s), torch.zeros(w * s)
    for y0, weight in zip(ys, wy):
        norm_y[y0 * s:(y0 + th) * s] += weight
    for x0, weight in zip(xs, wx):
        norm_x[x0 * s:(x0 + tw) * s] += weight
    places = [(k, i, j) for k in range(n) for i in range(len(ys)) for j in range(len(xs))]
    for start in range(0, len(places), plan.batch):
        group = places[start:start + plan.batch]
        x = torch.cat([lr[k:k + 1, :, ys[i]:ys[i] + th, xs[j]:xs[j] + tw] for k, i, j in group])
        sr = runner(x).cpu()
        if out is None:
            out = _zeros((n, sr.shape[1], h * s, w * s))
        for tile_out, (k, i, j) in zip(sr, group):
            oy, ox = ys[i] * s, xs[j] * s
            out[k, :, oy:oy + th * s, ox:ox + tw * s].addcmul_(tile_out, (wy[i][:, None] * wx[j][None, :]).unsqueeze(0))
        del sr, x
    assert out is not None
    out.div_(norm_y.view(1, 1, -1, 1)).div_(norm_x.view(1, 1, 1, -1))
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


def _denormalise_in_place(normaliser: Any, y: Tensor, rows: int = 256) -> Tensor:
    """Row band by row band, so a large output is never held twice."""
    for r in range(0, y.shape[-2], rows):
        band = y[..., r:r + rows, :]
        band.copy_(normaliser.denormalise(band))
    return y


def upscale_array(generator: nn.Module, description: Any, array: np.ndarray, *, tile: int | None = DEFAULT_TILE,
                  overlap: int | None = None, device: str | torch.device = "cpu",
                  max_memory: int | str | None = None, precision: str = "fp32", channels_last: bool = True,
                  info: dict[str, Any] | None = None) -> np.ndarray:
    """Upscale an array in the layout of the run's modality (a photo (H, W, C) in [0, 1], a grid
    (C, H, W) / (N, C, H, W) in physical units) with a checkpoint's generator and description.

    The array is normalised with the run's normaliser, upscaled by ``description.scale`` with
    :func:`upscale_tiled` (same tiling, budget and precision options), de-normalised, and returned
    as float32 in the input's layout. A layout or channel count that does not fit the checkpoint is
    a :class:`~srzoo_core.errors.UsageError`.
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
    if str(precision).lower() == "auto" and not kind.auto_precision:
        precision = "fp32"  # a grid's float values in physical units are the result: no reduced precision by default
    normaliser = normaliser_of(description)
    y = upscale_tiled(generator, normaliser.normalise(batch), description.scale, tile=tile, overlap=overlap, device=device,
                      max_memory=max_memory, precision=precision, channels_last=channels_last, info=info)
    return kind.from_batch(_denormalise_in_place(normaliser, y).numpy(), layout)
