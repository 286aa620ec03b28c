"""Tiles from a memory budget: what a generator needs per LR pixel, what the machine has, and how
much context (overlap) the model's receptive field asks for. :func:`srzoo_core.training.inference.upscale_tiled`
uses these; they are public so ``bench`` and ``eval`` can plan the same way.

Memory estimate
---------------
:func:`measure_memory` runs the generator (in the configuration the upscaling will use: device,
precision, memory format; one thread on the CPU) on a small probe input and records the peak
memory of the pass:

* CUDA: ``torch.cuda.max_memory_allocated`` above what was allocated before the pass;
* CPU: the peak of the bytes held by live tensors, counted by a dispatch mode that sees every
  tensor operation (each result's storage is counted from its creation until its last tensor dies).

The 24² probe's peak per pixel is an upper bound per LR pixel (its fixed part, e.g. autocast's
weight copies, counted as if it grew with the input); when that bound says an input does not fit
whole, a 48² probe splits the figure into a fixed part and a part per pixel, so ``p`` pixels need
``SAFETY × (fixed + per_pixel × p)``. The safety factor covers what the count cannot see: oneDNN's
internal reorder buffers (NCHW float32 convolutions) and the allocator's fragmentation (many
mid-sized tensors: transformers). Against the process's own high-water mark (``VmHWM`` of a fresh
process, untiled 256² LR), resident memory was 1.1–1.8× the counted peak (srresnet, rrdbnet, span,
swinir; swinir worst), hence 2.0; ``make bench`` re-checks that the estimate covers the peak.

Budget
------
The budget covers the output (``N × C_out × sH × sW`` float32, on the CPU: the output lives in
host memory, so on CUDA only the passes count) plus one pass. The default is half the memory
available now (``MemAvailable`` in ``/proc/meminfo``; CUDA: half the device's free memory). An
image that fits runs untiled (several images per pass when they fit); a larger one is cut into the
fewest tiles that fit, of the smallest area that count allows. A stated budget too small even for
the smallest tile (twice the overlap, at least 32 pixels) is an error; the default budget is a
guide, and such an image runs with the smallest tile.

Overlap
-------
A generator may declare ``receptive_field`` (LR pixels of context: the diameter ``2r + 1``). Tiles
are exact when the radius ``r <= overlap // 4`` (see the inference module), so the overlap is
``4 × r`` — but the theoretical radius of deep networks is far beyond the pixels that matter (RCAN:
827, RRDBNet-23: 695); their influence falls off much faster (the *effective* receptive field). The
radius is therefore capped at :data:`EFFECTIVE_RADIUS_CAP` (overlap at most 64) and the overlap kept
at least :data:`MIN_OVERLAP`; a generator that declares nothing gets :data:`FALLBACK_OVERLAP`. The
seam this leaves is measured by ``make bench`` (max |tiled − untiled| under 1 % of the output's σ).
"""

from __future__ import annotations

import math
import os
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import Tensor, nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from srzoo_core.errors import UsageError
from srzoo_core.interfaces import optional_attribute
from srzoo_core.training import DEFAULT_OVERLAP

__all__ = ["FALLBACK_OVERLAP", "MemoryEstimate", "SAFETY", "TilePlan", "available_memory", "default_budget", "forget_estimates", "format_bytes",
           "measure_memory", "overlap_for", "parse_memory", "plan_tiles", "tile_layout"]

SAFETY = 2.0
EFFECTIVE_RADIUS_CAP = 16   # LR px: overlap 4 × 16 = 64 at most
MIN_OVERLAP = 8
FALLBACK_OVERLAP = DEFAULT_OVERLAP  # no receptive_field declared
MIN_TILE = 32
PROBE_SIZES = (24, 48)

_UNITS = {"": 1, "b": 1, "k": 1024, "kib": 1024, "kb": 1000, "m": 1024 ** 2, "mib": 1024 ** 2, "mb": 1000 ** 2,
          "g": 1024 ** 3, "gib": 1024 ** 3, "gb": 1000 ** 3, "t": 1024 ** 4, "tib": 1024 ** 4, "tb": 1000 ** 4}


def parse_memory(text: str | int | float, option: str = "--max-memory") -> int:
    """Bytes from ``2GiB``, ``512MiB``, ``1.5G``, ``800MB`` or a plain number of bytes.
    K/M/G/T and KiB/MiB/GiB/TiB are powers of 1024, KB/MB/GB/TB powers of 1000."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = int(text)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*", str(text))
        if not match or match.group(2).lower() not in _UNITS:
            raise UsageError(f"{option} {text!r} is not an amount of memory",
                             hint="e.g. 2GiB, 512MiB or 1.5G (K/M/G/KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000)")
        value = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if value <= 0:
        raise UsageError(f"{option} must be more than 0, got {text!r}", hint="e.g. 2GiB")
    return value


def format_bytes(n: float) -> str:
    for unit, size in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def available_memory(device: torch.device) -> int:
    """Bytes that can be allocated now: the device's free memory on CUDA, ``MemAvailable`` on the CPU."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return 4 * 1024 ** 3  # a platform that says nothing: assume a small machine


def default_budget(device: torch.device) -> int:
    """Half the memory available now (leaves room for the rest of the process and the system)."""
    return available_memory(device) // 2


def overlap_for(generator: nn.Module) -> int:
    """Tile overlap (LR px) for a generator: 4 × its receptive-field radius, capped (module docstring)."""
    field = optional_attribute(generator, "gen", "receptive_field")
    if isinstance(field, bool) or not isinstance(field, int) or field < 1:
        return FALLBACK_OVERLAP
    return max(MIN_OVERLAP, 4 * min(field // 2, EFFECTIVE_RADIUS_CAP))


# --------------------------------------------------------------------------------------------
# Measuring a generator's memory


class _LiveBytes(TorchDispatchMode):
    """Peak bytes of the storages of live tensors created inside the mode (CPU's max_memory_allocated)."""

    def __init__(self) -> None:
        super().__init__()
        self.holders: dict[int, list[int]] = {}  # storage address -> [live tensors, bytes]
        self.live = self.peak = 0

    def _release(self, key: int) -> None:
        entry = self.holders.get(key)
        if entry is not None:
            entry[0] -= 1
            if entry[0] == 0:
                self.live -= entry[1]
                del self.holders[key]

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if not isinstance(t, Tensor):
                continue
            storage = t.untyped_storage()
            key = storage.data_ptr()
            if key == 0:
                continue
            entry = self.holders.get(key)
            if entry is None:
                entry = self.holders[key] = [0, storage.nbytes()]
                self.live += entry[1]
                self.peak = max(self.peak, self.live)
            entry[0] += 1
            weakref.finalize(t, self._release, key)
        return out


@torch.inference_mode()
def _peak_bytes(forward: Callable[[Tensor], Tensor], x: Tensor) -> tuple[int, int]:
    """Peak bytes of one forward pass (no autograd graph, as at inference) and the output's channel count."""
    if x.device.type == "cuda":
        torch.cuda.synchronize(x.device)
        torch.cuda.reset_peak_memory_stats(x.device)
        base = torch.cuda.memory_allocated(x.device)
        y = forward(x)
        torch.cuda.synchronize(x.device)
        return int(torch.cuda.max_memory_allocated(x.device) - base), int(y.shape[1])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny pass: one thread spares a synchronisation per operator (slow on a busy machine)
    try:
        with _LiveBytes() as counter:
            y = forward(x)
            channels = int(y.shape[1])
            del y
    finally:
        torch.set_num_threads(threads)
    return counter.peak, channels


@dataclass(frozen=True)
class MemoryEstimate:
    """Peak bytes of one forward pass as ``SAFETY × max(floor, fixed + per_pixel × LR pixels)``.
    From one probe it is an upper bound for inputs of at least the probe's size (the fixed part
    counted as per-pixel: ``floor`` = the probe's peak); from two, a fit (``exact``)."""

    fixed: float
    per_pixel: float
    out_channels: int
    how: str
    floor: float = 0.0
    exact: bool = True

    def bytes_for(self, pixels: float) -> float:
        return SAFETY * max(self.floor, self.fixed + self.per_pixel * pixels)

    def pixels_within(self, budget: float) -> int:
        if budget < SAFETY * self.floor:
            return 0
        return max(0, int((budget / SAFETY - self.fixed) / max(self.per_pixel, 1.0)))


# generator -> configuration -> probe size -> (peak bytes, output channels)
_CACHE: "weakref.WeakKeyDictionary[nn.Module, dict[tuple, dict[int, tuple[int, int]]]]" = weakref.WeakKeyDictionary()


def forget_estimates() -> None:
    """Drop every cached estimate (benchmarks time the probe as part of a first call)."""
    _CACHE.clear()


def measure_memory(generator: nn.Module, forward: Callable[[Tensor], Tensor], in_channels: int, device: torch.device,
                   multiple: int = 1, config: tuple = (), exact: bool = True) -> MemoryEstimate:
    """Probe ``forward`` (which runs ``generator`` as the upscaling will) at the first probe size for
    an upper bound, and with ``exact`` at the second too, to fit fixed + per-pixel bytes. Cached per
    generator and ``(in_channels, device, *config)``."""
    key = (in_channels, str(device), *config)
    cached = _CACHE.setdefault(generator, {}).setdefault(key, {})
    sizes = [-(-s // multiple) * multiple for s in PROBE_SIZES]
    if sizes[1] <= sizes[0]:
        sizes[1] = 2 * sizes[0]
    how = "max_memory_allocated" if device.type == "cuda" else "live tensors"
    for size in sizes[: 2 if exact else 1]:
        if size not in cached:
            x = torch.randn(1, in_channels, size, size, generator=torch.Generator().manual_seed(0)).to(device)
            cached[size] = _peak_bytes(forward, x)
    (p1, channels), a1 = cached[sizes[0]], sizes[0] ** 2
    if not exact:
        return MemoryEstimate(0.0, p1 / a1, channels, how, floor=p1, exact=False)
    p2, a2 = cached[sizes[1]][0], sizes[1] ** 2
    per_pixel = (p2 - p1) / (a2 - a1)
    if per_pixel <= 0:  # nothing grew with the input: take the larger probe as all per-pixel
        per_pixel = p2 / a2
    return MemoryEstimate(max(0.0, p2 - per_pixel * a2), per_pixel, channels, how)


# --------------------------------------------------------------------------------------------
# Planning


@dataclass(frozen=True)
class TilePlan:
    """How one batch is run: ``tile_h == 0`` = untiled, ``batch`` images per pass; otherwise tiles of
    at most ``tile_h × tile_w`` LR pixels overlapping by ``overlap``, ``batch`` tiles per pass."""

    tile_h: int
    tile_w: int
    overlap: int
    batch: int
    tiles: int = 1
    budget: int | None = None
    estimate: float | None = None   # estimated peak bytes: output + one pass
    fits: bool = True               # False: not even the smallest tile fits the (default) budget

    @property
    def tiled(self) -> bool:
        return self.tile_h > 0

    def describe(self) -> str:
        if not self.tiled:
            text = "untiled" + (f", {self.batch} per pass" if self.batch > 1 else "")
        else:
            text = f"{self.tiles} tile{'s' if self.tiles != 1 else ''} of ≤{self.tile_h}×{self.tile_w}, overlap {self.overlap}"
            text += f", {self.batch} per pass" if self.batch > 1 else ""
        if self.budget is not None and self.estimate is not None:
            text += f"; est. {format_bytes(self.estimate)} of {format_bytes(self.budget)} budget"
            text += "" if self.fits else " (smallest tile; does not fit)"
        return text


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


def _padded(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple


def _fewest_tiles(h: int, w: int, max_pixels: int, overlap: int, min_tile: int, multiple: int) -> tuple[int, int] | None:
    """The tile size (th, tw) giving the fewest tiles of at most ``max_pixels`` (padded) pixels,
    then the least computed area; ``None`` when not even ``min_tile`` fits."""
    best: tuple[tuple[int, int], int, int] | None = None
    for rows in range(1, h + 1):
        th = h if rows == 1 else math.ceil((h - overlap) / rows) + overlap
        if th < min(min_tile, h) or (rows > 1 and th >= h):
            break
        tw_max = max_pixels // _padded(th, multiple) - (multiple - 1)
        if tw_max >= w:
            cols, tw = 1, w
        elif tw_max < min(min_tile, w) or tw_max <= overlap:
            continue
        else:
            cols = math.ceil((w - overlap) / (tw_max - overlap))
            tw = math.ceil((w - overlap) / cols) + overlap
        key = (rows * cols, rows * cols * _padded(th, multiple) * _padded(tw, multiple))
        if best is None or key < best[0]:
            best = (key, th, tw)
        if cols == 1:
            break  # more rows only add tiles
    return None if best is None else (best[1], best[2])


def plan_tiles(n: int, h: int, w: int, estimate: MemoryEstimate, budget: int, overlap: int, reserved: float, *,
               explicit: bool, multiple: int = 1, refine: Callable[[], MemoryEstimate] | None = None) -> TilePlan:
    """The plan for ``n`` images of ``h × w`` LR pixels within ``budget`` bytes, ``reserved`` of which
    are taken (the output). ``explicit``: the budget was stated, so one that is too small is an error.
    ``refine`` gives an exact estimate when ``estimate`` (an upper bound) does not fit the whole input."""
    room = budget - reserved
    image = _padded(h, multiple) * _padded(w, multiple)
    if image > estimate.pixels_within(room) and refine is not None and not estimate.exact:
        estimate = refine()
    max_pixels = estimate.pixels_within(room)
    if image <= max_pixels:
        batch = min(n, max_pixels // image)
        return TilePlan(0, 0, 0, batch, 1, budget, reserved + estimate.bytes_for(batch * image))
    min_tile = max(MIN_TILE, 2 * overlap)
    size = _fewest_tiles(h, w, max_pixels, overlap, min_tile, multiple)
    fits = size is not None
    if size is None:
        smallest = estimate.bytes_for(_padded(min(min_tile, h), multiple) * _padded(min(min_tile, w), multiple))
        if explicit:
            raise UsageError(f"--max-memory {format_bytes(budget)} is too small for this model and input: it needs about "
                             f"{format_bytes(reserved + smallest)} ({format_bytes(reserved)} for the output, "
                             f"{format_bytes(smallest)} for one {min_tile}×{min_tile} tile)",
                             hint=f"raise --max-memory to {format_bytes(reserved + smallest)} or more, or upscale a smaller input")
        size = (min(min_tile, h), min(min_tile, w))
    (th, ys), (tw, xs) = tile_layout(h, size[0], overlap), tile_layout(w, size[1], overlap)
    area = _padded(th, multiple) * _padded(tw, multiple)
    return TilePlan(th, tw, overlap, 1, len(ys) * len(xs), budget, reserved + estimate.bytes_for(area), fits)
