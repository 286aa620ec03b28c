"""``srzoo bench``: checkpoints and bicubic scored on folders of whole HR images, as papers do.

The protocol (stamped into the JSON as ``protocol``):

1. every image of each folder is read as BasicSR's test scripts read it (8-bit RGB; grey, alpha,
   16-bit: :mod:`srzoo_core.experiments.bench_images`) and cropped at the bottom and right to a
   multiple of the scale;
2. the LR image is made from the whole cropped HR image by the degradation (MATLAB ``imresize``
   bicubic, antialiased, by default; computed in float64), clipped to [0, 1] and rounded to 8
   bits, as an LR file written to disk; or it is read from a paired LR folder, the HR image then
   being cropped to the LR size × scale;
3. each method upscales the whole LR image: bicubic is MATLAB ``imresize`` ×scale; a checkpoint's
   generator runs on the LR in [0, 1] through its normaliser (``--self-ensemble``: the mean of the
   outputs for the 8 flips/rotations of the input, each transformed back, as EDSR and BasicSR do);
4. outputs are clipped to [0, 1] and rounded to 8 bits, as when saved to a PNG;
5. PSNR and SSIM on Y (BT.601 as MATLAB's ``rgb2ycbcr``) with ``crop = scale`` border pixels
   removed, per image; a folder's figure is the mean over its images.

On whole images these figures equal BasicSR's ``imresize`` + ``calculate_psnr`` /
``calculate_ssim(test_y_channel=True, crop_border=scale)`` (the tests pin independently computed
figures).
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from srzoo_core.errors import SrzooError, UsageError
from srzoo_core.experiments.bench_images import READING_RULES, BenchFolder, BenchImage

BICUBIC = "bicubic"
DIHEDRAL = [(rotations, flip) for flip in (False, True) for rotations in range(4)]  # the 8 symmetries of the square


@dataclass
class Method:
    """A row of the table: bicubic, or a checkpoint's generator with its run description."""

    name: str
    checkpoint: Path | None = None
    generator: Any = None
    description: Any = None

    @property
    def is_bicubic(self) -> bool:
        return self.checkpoint is None

    def about(self) -> dict[str, Any]:
        if self.is_bicubic:
            return {"name": self.name, "method": "MATLAB imresize bicubic (Keys a=-0.5, symmetric borders)"}
        d = self.description
        return {"name": self.name, "checkpoint": str(self.checkpoint), "spec": d.role_spec("gen"), "scale": d.scale,
                "channels": d.channel_names, "trained_on": d.data.get("source")}


@dataclass
class Settings:
    scale: int
    degradation: str = "bicubic"
    self_ensemble: bool = False
    tile: int = 0                 # 0: whole images; N: tiles of at most N LR pixels
    overlap: int | None = None    # None: from the generator's receptive field
    device: str = "cpu"
    extra_metrics: list[Any] = field(default_factory=list)    # MetricTerm
    skipped_metrics: list[dict[str, str]] = field(default_factory=list)


def y_metrics(scale: int) -> list[Any]:
    """PSNR and SSIM on Y with crop = scale, from the installed metric plugin."""
    from srzoo_core.build import build_metrics

    return build_metrics(f"metric=psnr(space=y,crop={scale})+ssim(space=y,crop={scale})")


def extra_metrics(expressions: list[str]) -> tuple[list[Any], list[dict[str, str]]]:
    """Metrics asked for with ``--metrics`` (e.g. ``lpips+dists``); one whose weights cannot be
    found is skipped with its reason, the others are still scored."""
    from srzoo_core.build import build_metrics
    from srzoo_core.spec.resolve import resolve

    built, skipped = [], []
    for expression in expressions:
        resolved = resolve(f"metric={expression}")
        for term in resolved.metrics:
            single = type(resolved)(resolved.spec, metrics=[term])
            try:
                built.extend(build_metrics(single))
            except UsageError as error:
                skipped.append({"metric": term.canonical(), "reason": error.message, "hint": error.hint or ""})
    return built, skipped


def protocol(settings: Settings, folders: list[BenchFolder], metrics: list[Any]) -> dict[str, Any]:
    s = settings.scale
    paired = {f.name: str(f.lr_path) for f in folders if f.lr_path is not None}
    lr = (f"made from the whole cropped HR image by {settings.degradation} (srzoo_core.data.degrade, float64), "
          "clipped to [0, 1] and rounded to 8 bits")
    return {
        "benchmark": "whole images (no tiles), mean over the images of each folder",
        "scale": s,
        "images": READING_RULES,
        "hr": f"cropped at the bottom/right to a multiple of {s} (modcrop); with a paired LR folder, to the LR size × {s}",
        "lr": lr if not paired else {"paired": paired, "other folders": lr},
        "degradation": settings.degradation,
        "bicubic": f"MATLAB imresize bicubic ×{s} of the 8-bit LR (float64)",
        "inference": {"input": "LR / 255 through the checkpoint's normaliser", "tile": settings.tile, "overlap": settings.overlap,
                      "device": settings.device, "precision": "fp32, NCHW", "self_ensemble": "mean of 8 flips/rotations (EDSR, BasicSR)" if settings.self_ensemble else False},
        "outputs": "clipped to [0, 1] and rounded to 8 bits, as when saved to a PNG",
        "metrics": {m.name: m.metric.protocol() for m in metrics},
        "skipped_metrics": settings.skipped_metrics,
        "reference": "BasicSR imresize + calculate_psnr / calculate_ssim(test_y_channel=True, crop_border=scale)",
    }


# -- producing SR images ------------------------------------------------------------------------


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """(H, W, C) uint8 → (1, C, H, W) float64 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).unsqueeze(0).to(torch.float64) / 255.0


def quantise(x: torch.Tensor) -> torch.Tensor:
    """Clipped to [0, 1] and rounded to 8 bits (values k/255, float64)."""
    return torch.round(x.to(torch.float64).clamp(0.0, 1.0) * 255.0) / 255.0


def make_lr(image: BenchImage, settings: Settings) -> torch.Tensor:
    from srzoo_core.data import degrade

    if image.lr is not None:
        return to_tensor(image.lr)
    return quantise(degrade(to_tensor(image.hr), settings.scale, settings.degradation))


def _dihedral(x: torch.Tensor, rotations: int, flip: bool) -> torch.Tensor:
    x = torch.flip(x, dims=(-1,)) if flip else x
    return torch.rot90(x, rotations, dims=(-2, -1))


def _undo(x: torch.Tensor, rotations: int, flip: bool) -> torch.Tensor:
    x = torch.rot90(x, -rotations, dims=(-2, -1))
    return torch.flip(x, dims=(-1,)) if flip else x


def model_input(method: Method, lr: torch.Tensor, image: str) -> torch.Tensor:
    """The LR (1, 3, h, w) in the checkpoint's channels: grey models take one channel of grey images."""
    channels = len(method.description.channels)
    if channels == 3:
        return lr
    if not (torch.equal(lr[:, 0], lr[:, 1]) and torch.equal(lr[:, 0], lr[:, 2])):
        raise UsageError(f"{method.name} takes grey images ({', '.join(method.description.channel_names)}) but {image} is in colour",
                         hint="bench a grey checkpoint on grey images only")
    return lr[:, :1]


def super_resolve(method: Method, lr: torch.Tensor, settings: Settings, image: str) -> torch.Tensor:
    """The method's (1, 3, H, W) output for an 8-bit LR, before quantisation."""
    from srzoo_core.data import upsample
    from srzoo_core.training.inference import normaliser_of, upscale_tiled

    if method.is_bicubic:
        return upsample(lr, settings.scale, "bicubic")
    x = model_input(method, lr, image)
    normaliser = normaliser_of(method.description)
    x = normaliser.normalise(x.to(torch.float32))

    def run(batch: torch.Tensor) -> torch.Tensor:
        # float32 in NCHW, as the reference implementations run: a benchmark figure is not traded for speed
        return upscale_tiled(method.generator, batch.contiguous(), settings.scale, tile=settings.tile,
                             overlap=settings.overlap, device=settings.device, precision="fp32", channels_last=False)

    if settings.self_ensemble:
        y = sum(_undo(run(_dihedral(x, r, f)), r, f).to(torch.float64) for r, f in DIHEDRAL) / len(DIHEDRAL)
    else:
        y = run(x)
    y = normaliser.denormalise(y)
    return y.expand(-1, 3, -1, -1) if y.shape[1] == 1 else y


# -- the run ----------------------------------------------------------------------------------


@dataclass
class BenchResult:
    methods: list[Method]
    folders: list[BenchFolder]
    metric_names: list[str]
    protocol: dict[str, Any]
    per_image: list[dict[str, Any]] = field(default_factory=list)

    def mean(self, method: str, folder: str, metric: str) -> float | None:
        values = [r[metric] for r in self.per_image if r["method"] == method and r["folder"] == folder and metric in r]
        return float(np.mean(values)) if values else None

    def table(self) -> dict[str, dict[str, dict[str, float | None]]]:
        """method → folder → metric → mean over the folder's images."""
        return {m.name: {f.name: {k: self.mean(m.name, f.name, k) for k in self.metric_names} for f in self.folders}
                for m in self.methods}

    def to_json(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "methods": [m.about() for m in self.methods],
                "folders": [{"name": f.name, "path": str(f.path), "images": len(f.images),
                             **({"lr": str(f.lr_path)} if f.lr_path else {})} for f in self.folders],
                "metrics": self.metric_names, "results": self.table(), "per_image": self.per_image}


def run_bench(methods: list[Method], folders: list[BenchFolder], settings: Settings,
              save_images: Path | None = None, progress: Callable[[str], None] | None = None) -> BenchResult:
    metrics = y_metrics(settings.scale) + ready(settings)
    result = BenchResult(methods, folders, [m.name for m in metrics], protocol(settings, folders, metrics))
    for folder in folders:
        for image in folder.images:
            lr = make_lr(image, settings)
            hr = to_tensor(image.hr)
            where = f"{folder.name}/{image.name}"
            for method in methods:
                start = time.perf_counter()
                try:
                    sr = quantise(super_resolve(method, lr, settings, where))
                except (ValueError, RuntimeError) as exc:  # a generator that cannot take this image: say which
                    raise SrzooError(f"{method.name} failed on {where} ({lr.shape[-1]}x{lr.shape[-2]} LR): "
                                     f"{type(exc).__name__}: {exc}") from None
                seconds = time.perf_counter() - start
                if tuple(sr.shape) != tuple(hr.shape):
                    raise SrzooError(f"{method.name} turned the {lr.shape[-1]}x{lr.shape[-2]} LR of {image.name} into "
                                     f"{sr.shape[-1]}x{sr.shape[-2]}, not {hr.shape[-1]}x{hr.shape[-2]}")
                row: dict[str, Any] = {"method": method.name, "folder": folder.name, "image": image.name, "kind": image.kind,
                                       "width": hr.shape[-1], "height": hr.shape[-2], "seconds": round(seconds, 4)}
                for metric in metrics:
                    row[metric.name] = score(metric, sr, hr, lr, where)
                result.per_image.append(row)
                if save_images is not None:
                    save_sr(save_images / _safe(method.name) / _safe(folder.name) / (Path(image.name).stem + ".png"), sr)
                if progress is not None:
                    progress(f"{method.name} · {folder.name}/{image.name}")
    return result


def ready(settings: Settings) -> list[Any]:
    """The ``--metrics`` terms set up for photos (``setup(context)`` where a metric has one); one
    that cannot score photos is moved to the skipped ones with its reason."""
    context = {"channel_names": ["R", "G", "B"], "units": [None, None, None], "scale": settings.scale,
               "latitude": None, "longitude": None}
    usable = []
    for term in settings.extra_metrics:
        setup = getattr(term.metric, "setup", None)
        try:
            if callable(setup):
                setup(context)
        except ValueError as exc:
            settings.skipped_metrics.append({"metric": term.name, "reason": str(exc), "hint": ""})
            continue
        usable.append(term)
    settings.extra_metrics = usable
    return usable


def score(term: Any, sr: torch.Tensor, hr: torch.Tensor, lr: torch.Tensor, where: str) -> float:
    """One metric on one image; a metric that cannot score it is a clear error naming both."""
    try:
        extra = {"lr": lr} if getattr(term.metric, "needs_lr", False) else {}
        return float(term.metric(sr, hr, **extra).double().reshape(-1)[0])
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{term.name} cannot score {where}: {exc}") from None


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def save_sr(path: Path, sr: torch.Tensor) -> None:
    from srzoo_core.data import write_image

    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(path, sr[0].permute(1, 2, 0).numpy())


# -- outputs ----------------------------------------------------------------------------------

LABELS = {"psnr": "PSNR", "ssim": "SSIM", "lpips": "LPIPS", "dists": "DISTS"}


def format_value(metric: str, value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if metric == "psnr" else f"{value:.4f}"


def table_rows(result: BenchResult) -> tuple[list[str], list[list[str]]]:
    """The paper-style table: one column per folder and metric, one row per method."""
    header = ["method"] + [f"{f.name} {LABELS.get(m, m)}" for f in result.folders for m in result.metric_names]
    table = result.table()
    rows = [[m.name] + [format_value(k, table[m.name][f.name][k]) for f in result.folders for k in result.metric_names]
            for m in result.methods]
    return header, rows


def markdown(result: BenchResult) -> str:
    header, rows = table_rows(result)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def per_image_csv(result: BenchResult) -> str:
    fields = ["method", "folder", "image", "kind", "width", "height", *result.metric_names, "seconds"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(result.per_image)
    return buffer.getvalue()


def write_outputs(result: BenchResult, out: Path) -> dict[str, Path]:
    """``bench.json`` (protocol, table, per-image values), ``per_image.csv`` and ``table.md``, each atomically."""
    from srzoo_core.files import write_text_atomic
    from srzoo_core.registry.host import core_version

    out.mkdir(parents=True, exist_ok=True)
    files = {"json": out / "bench.json", "csv": out / "per_image.csv", "table": out / "table.md"}
    write_text_atomic(files["json"], json.dumps({"srzoo": core_version(), **result.to_json()}, indent=2, default=str) + "\n")
    write_text_atomic(files["csv"], per_image_csv(result))
    write_text_atomic(files["table"], markdown(result))
    return files


# -- what to score ------------------------------------------------------------------------------


def load_method(path: Path, name: str) -> Method:
    """A checkpoint as a row of the table: a photo model with 1 (L) or 3 (R, G, B) channels."""
    from srzoo_core.training.checkpoint import load_model

    generator, description = load_model(path)
    if description.modality != "photo":
        raise UsageError(f"{path} was trained on {description.modality} data; srzoo bench scores photo models",
                         hint="score it with 'srzoo eval' on its own kind of data")
    if len(description.channels) not in (1, 3):
        raise UsageError(f"{path} takes {len(description.channels)} channels; srzoo bench scores grey (1) or RGB (3) photo models")
    return Method(name, Path(path), generator, description)


def check_scale(methods: list[Method], scale: int | None) -> int:
    """The benchmark's scale: ``--scale`` if given, else the checkpoints' (which must agree), else 4."""
    scales = {m.name: m.description.scale for m in methods if not m.is_bicubic}
    if scale is None:
        found = sorted(set(scales.values()))
        if len(found) > 1:
            detail = ", ".join(f"{n} is ×{s}" for n, s in scales.items())
            raise UsageError(f"the checkpoints upscale by different factors ({detail}); one table holds one scale",
                             hint="bench checkpoints of each scale separately, with --scale")
        return found[0] if found else 4
    wrong = {n: s for n, s in scales.items() if s != scale}
    if wrong:
        name, right = next(iter(wrong.items()))
        raise UsageError(f"{name} upscales ×{right}, not ×{scale}", hint=f"use --scale {right}, or bench it separately")
    return scale
