"""Inference speed, in one process with candidates interleaved round by round (benchmarks.common):
megapixels per second per precision, the default (budget-planned) path against a forced untiled
run, and onnxruntime against PyTorch where ``srzoo_core.training.export.export_onnx`` exists.

Megapixels are *output* (HR) pixels. Every timing is the median over rounds; a ratio is the median
of per-round ratios, so the drift of a shared machine cancels. The speed table also keeps the best
round: on a machine shared with other jobs the fastest run is the least disturbed one.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from benchmarks.common import interleave, paired_ratio, summary

SCALE = 4


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(call: Callable[[], Any]) -> dict[str, float]:
    cpu, start = _cpu_seconds(), time.perf_counter()
    call()
    return {"step_s": time.perf_counter() - start, "cpu_s": _cpu_seconds() - cpu}


def _input(size: int, channels: int = 3) -> torch.Tensor:
    return torch.rand(1, channels, size, size, generator=torch.Generator().manual_seed(1))


def _compare(candidates: dict[str, Callable[[], Any]], rounds: int, warm: bool = True) -> dict[str, list[dict[str, float]]]:
    """Interleaved rounds (no extra ones: a disturbed round is flagged and left out of the medians)."""
    if warm:  # oneDNN primitives, autocast weight casts; negligible against a long run
        for call in candidates.values():
            call()
    return interleave({k: (lambda c=c: _timed(c)) for k, c in candidates.items()}, rounds, max_rounds=rounds)


SPEED_CONFIGS = (("fp32 NCHW", "fp32", False), ("fp32 channels_last", "fp32", True), ("bf16 channels_last", "bf16", True))


def speed_rows(models: dict[str, nn.Module], size: int, rounds: int) -> list[dict[str, Any]]:
    """Untiled output megapixels per second of each model per precision / memory format."""
    from srzoo_core.training.inference import upscale_tiled

    x = _input(size)
    megapixels = (size * SCALE) ** 2 / 1e6
    rows = []
    for name, generator in models.items():
        candidates = {label: (lambda p=p, cl=cl, g=generator: upscale_tiled(g, x, SCALE, tile=0, precision=p, channels_last=cl))
                      for label, p, cl in SPEED_CONFIGS}
        runs = _compare(candidates, rounds)
        for label, precision, channels_last in SPEED_CONFIGS:
            s = summary(runs[label])
            rows.append({"model": name, "size": size, "config": label, "precision": precision, "channels_last": channels_last,
                         "seconds": s["median"], "mp_per_s": megapixels / s["median"], "best_s": min(s["repeats"]),
                         "best_mp_per_s": megapixels / min(s["repeats"]), "rounds": s["repeats"],
                         "vs_fp32_nchw": paired_ratio(runs["fp32 NCHW"], runs[label])})
    return rows


def tiling_rows(models: dict[str, nn.Module], sizes: tuple[int, ...], rounds: int) -> list[dict[str, Any]]:
    """The default path (planned from the default budget, default precision, memory probe included:
    the cache is cleared before every call) against a forced untiled run at the same precision."""
    from srzoo_core.training.inference import upscale_tiled
    from srzoo_core.training.tiling import forget_estimates

    rows = []
    for name, generator in models.items():
        for size in sizes:
            x = _input(size)
            info: dict[str, Any] = {}

            def planned(x: torch.Tensor = x, info: dict[str, Any] = info, g: nn.Module = generator) -> Any:
                forget_estimates()
                return upscale_tiled(g, x, SCALE, info=info)

            def untiled(x: torch.Tensor = x, g: nn.Module = generator) -> Any:
                return upscale_tiled(g, x, SCALE, tile=0)

            def probe_only(x: torch.Tensor = x, g: nn.Module = generator) -> Any:
                forget_estimates()
                return upscale_tiled(g, x[..., :8, :8], SCALE)

            runs = _compare({"default": planned, "untiled": untiled}, rounds, warm=size <= 256)
            probe = _timed(probe_only)
            d, u = summary(runs["default"]), summary(runs["untiled"])
            rows.append({"model": name, "size": size, "plan": info.get("plan", ""), "tiles": info.get("tiles"),
                         "precision": info.get("precision"), "default_s": d["median"], "untiled_s": u["median"],
                         "ratio": paired_ratio(runs["default"], runs["untiled"]),
                         "cpu_ratio": paired_ratio(runs["default"], runs["untiled"], key="cpu_s"),
                         "probe_s": probe["step_s"], "rounds": [d["repeats"], u["repeats"]]})
    return rows


def onnx_rows(models: dict[str, nn.Module], size: int, rounds: int) -> dict[str, Any]:
    """onnxruntime (CPU provider, the same thread count) against PyTorch fp32, untiled; skipped
    cleanly while ``export_onnx`` or onnxruntime is missing, or a model does not export."""
    try:
        import onnxruntime as ort

        from srzoo_core.training.export import export_onnx
    except (ImportError, AttributeError) as exc:
        return {"skipped": f"ONNX export unavailable ({type(exc).__name__}: {exc})"}
    from srzoo_core.training.inference import upscale_tiled

    x = _input(size)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    rows = []
    with tempfile.TemporaryDirectory(prefix="srzoo-onnx-") as tmp:
        for name, generator in models.items():
            path = Path(tmp) / f"{name}.onnx"
            try:
                export_onnx(generator, path, in_channels=3, scale=SCALE, metadata={"generator": name})
                session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            except Exception as exc:  # an export failure is a row, not a crashed section
                rows.append({"model": name, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"})
                continue
            feed = {session.get_inputs()[0].name: x.numpy()}
            candidates = {
                "onnxruntime": lambda s=session, f=feed: s.run(None, f),
                "pytorch fp32 NCHW": lambda g=generator: upscale_tiled(g, x, SCALE, tile=0, precision="fp32", channels_last=False),
                "pytorch default": lambda g=generator: upscale_tiled(g, x, SCALE, tile=0),
            }
            runs = _compare(candidates, rounds)
            got = torch.from_numpy(session.run(None, feed)[0])
            diff = float((got - upscale_tiled(generator, x, SCALE, tile=0, precision="fp32", channels_last=False)).abs().max())
            rows.append({"model": name, "size": size, "max_abs_diff": diff,
                         **{f"{k}_s": summary(v)["median"] for k, v in runs.items()},
                         "ort_vs_fp32": paired_ratio(runs["pytorch fp32 NCHW"], runs["onnxruntime"]),
                         "ort_vs_default": paired_ratio(runs["pytorch default"], runs["onnxruntime"])})
    return {"size": size, "rows": rows}


def tile_batch_rows(generator: nn.Module, size: int, tiles: tuple[int, ...], rounds: int) -> list[dict[str, Any]]:
    """Forced tiles several per pass (srzoo's default below 128² px) against one per pass."""
    from srzoo_core.training import inference

    x = _input(size)
    rows = []
    for tile in tiles:
        info: dict[str, Any] = {}

        def batched(tile: int = tile, info: dict[str, Any] = info) -> Any:
            return inference.upscale_tiled(generator, x, SCALE, tile=tile, info=info)

        def one_by_one(tile: int = tile, default: int = inference.MAX_TILE_BATCH) -> Any:
            inference.MAX_TILE_BATCH = 1
            try:
                return inference.upscale_tiled(generator, x, SCALE, tile=tile)
            finally:
                inference.MAX_TILE_BATCH = default

        runs = _compare({"batched": batched, "one by one": one_by_one}, rounds)
        rows.append({"size": size, "tile": tile, "tiles": info["tiles"], "batch": info["batch"],
                     "batched_s": summary(runs["batched"])["median"], "single_s": summary(runs["one by one"])["median"],
                     "speedup": paired_ratio(runs["one by one"], runs["batched"])})
    return rows
