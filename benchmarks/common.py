"""Shared pieces of the benchmark suite: the machine record, interleaved timing, srzoo's real
training loop driven for N steps, and the hand-written reference loop it is compared with.

Timing model: a *repeat* runs N consecutive training iterations and yields the mean seconds per
iteration; candidates are interleaved round by round (A B C, then C B A, ...) so slow drift of a
shared machine hits every candidate alike, and every figure is the median over rounds. Ratios
are the median of the per-round ratios (paired, so drift cancels within a round). A round in
which some candidate ran more than 15 % over its own best round was hit by outside load: it is
flagged, left out of medians and ratios, and made up for by an extra round (at most twice the
planned rounds).
"""

from __future__ import annotations

import contextlib
import copy
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
import torch.nn.functional as F

PLUGIN_ESRGAN = Path(__file__).resolve().parent.parent / "plugins" / "srzoo-esrgan"


# -- machine -----------------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def machine_info() -> dict[str, Any]:
    import numpy

    from srzoo_core.registry import get_host
    from srzoo_core.registry.host import core_version

    flags = cpu_flags()
    host = get_host()
    cuda = torch.cuda.is_available()
    return {
        "cpu": cpu_model(), "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "isa": ", ".join(f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in flags) or "n/a",
        "cpu_capability": torch.backends.cpu.get_cpu_capability(), "mkldnn": torch.backends.mkldnn.is_available(),
        "torch": torch.__version__, "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
        "python": sys.version.split()[0], "numpy": numpy.__version__, "platform": platform.platform(),
        "srzoo": core_version(), "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "plugins": {r.name: r.version for r in host.records.values() if r.status == "ok"},
        "load_average_start": load_average(),
    }


# -- statistics --------------------------------------------------------------------------------

def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


DISTURBED = 1.15  # a round where some candidate took > 1.15 × its own best round was hit by outside load


def _mark_disturbed(results: dict[str, list[dict[str, float]]]) -> int:
    """Flag the rounds in which any candidate ran > DISTURBED × its best; the number of clean rounds."""
    names = list(results)
    best = {k: min(r["step_s"] for r in v) for k, v in results.items()}
    clean = 0
    for i in range(len(results[names[0]])):
        bad = any(results[k][i]["step_s"] > DISTURBED * best[k] for k in names)
        for k in names:
            results[k][i]["disturbed"] = bad
        clean += not bad
    return clean


def interleave(candidates: dict[str, Callable[[], dict[str, float]]], rounds: int,
               max_rounds: int | None = None) -> dict[str, list[dict[str, float]]]:
    """Run each candidate once per round, alternating the order (A B C / C B A). Rounds disturbed
    by outside load (see DISTURBED) are flagged, and more rounds are run, up to ``max_rounds``
    (default twice ``rounds``), until ``rounds`` clean ones are in hand."""
    names = list(candidates)
    results: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    limit = max(rounds, max_rounds or 2 * rounds)
    r = 0
    while r < rounds or (r < limit and _mark_disturbed(results) < rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            results[name].append(candidates[name]())
        r += 1
    _mark_disturbed(results)
    return results


def kept(repeats: list[dict[str, float]]) -> list[dict[str, float]]:
    """The clean rounds, or every round when fewer than two are clean."""
    clean = [r for r in repeats if not r.get("disturbed")]
    return clean if len(clean) >= 2 else repeats


def summary(repeats: list[dict[str, float]], key: str = "step_s") -> dict[str, Any]:
    values = [r[key] for r in kept(repeats)]
    return {"median": median(values), "min": min(values), "max": max(values), "kept": len(values),
            "repeats": [r[key] for r in repeats], "disturbed": [bool(r.get("disturbed")) for r in repeats]}


def paired_ratio(a: list[dict[str, float]], b: list[dict[str, float]], key: str = "step_s") -> float:
    """Median over rounds of a/b (a and b measured in the same round; clean rounds only, see kept)."""
    pairs = [(x, y) for x, y in zip(a, b) if not x.get("disturbed")]
    if len(pairs) < 2:
        pairs = list(zip(a, b))
    return median([x[key] / y[key] for x, y in pairs])


# -- models ------------------------------------------------------------------------------------

def esrgan_host() -> Any:
    """A plugin host with the installed plugins plus srzoo-esrgan loaded from source."""
    from srzoo_core.registry import PluginHost

    if str(PLUGIN_ESRGAN) not in sys.path:
        sys.path.insert(0, str(PLUGIN_ESRGAN))
    import srzoo_esrgan

    host = PluginHost()
    host.load_entry_points()
    record = host.records.get("esrgan")
    if record is None or record.status != "ok":
        host.records.pop("esrgan", None)
        host.add_plugin(srzoo_esrgan, name="esrgan")
    return host


def sync_for(device: torch.device) -> Callable[[], None]:
    return torch.cuda.synchronize if device.type == "cuda" else (lambda: None)


class Stamps:
    """perf_counter stamps (after a device sync) at each batch fetch and at the end of a run."""

    def __init__(self, sync: Callable[[], None]):
        self.sync, self.starts, self.waits, self.cpu_start = sync, [], [], None

    def wrap(self, batches: Iterator[Any]) -> Iterator[Any]:
        for_each = iter(batches)
        while True:
            self.sync()
            start = time.perf_counter()
            if self.cpu_start is None:
                self.cpu_start = time.process_time()
            item = next(for_each)
            self.starts.append(start)
            self.waits.append(time.perf_counter() - start)
            yield item

    def result(self, end: float) -> dict[str, float]:
        """Mean seconds per iteration and per data wait, from the first fetch to ``end``, and the
        process CPU time per iteration (all threads; a second view when the machine is shared)."""
        n = len(self.starts)
        cpu = time.process_time() - self.cpu_start
        return {"step_s": (end - self.starts[0]) / n, "data_s": sum(self.waits) / n, "cpu_s": cpu / n, "iters": n}


# -- srzoo's own loop --------------------------------------------------------------------------

class SrzooLoop:
    """``Trainer.setup()``, then ``TrainingLoop.run()`` for N iterations per repeat.

    Validation is off (``validation_point`` answers at once and ``val_every`` is out of reach) and
    the bicubic baseline scored at the start of ``run()`` is skipped; everything else in the loop
    (phase, learning-rate setting, data fetch from ``TrainStream``, ``StepRunner.step``, EMA,
    loss windows, logging to metrics.jsonl, progress) runs as in a real run. With a short budget
    the loop logs every step, the worst case for its overhead."""

    def __init__(self, out: str, host: Any = None, **options: Any):
        from srzoo_core.training.config import TrainConfig
        from srzoo_core.training.progress import Reporter
        from srzoo_core.training.trainer import Trainer

        config = TrainConfig(out=out, iters=1, **options)
        self.trainer = Trainer(config, host=host, reporter=Reporter(quiet=True)).setup()
        self.trainer.evaluator.score = lambda *args, **kwargs: {}
        self.sync = sync_for(self.trainer.placement.device)

    def run(self, steps: int) -> dict[str, float]:
        from srzoo_core.training.loop import TrainingLoop

        t = self.trainer
        t.config.iters = t.step + steps
        stamps, end = Stamps(self.sync), []
        batches = type(t.stream).batches
        t.stream.batches = lambda start: stamps.wrap(batches(t.stream, start))
        loop = TrainingLoop(t)
        loop.val_every = 10**9

        def finish(phase: str) -> dict[str, float]:
            self.sync()
            end.append(time.perf_counter())
            return {"validation": 0.0}

        loop.validation_point = finish
        try:
            loop.run()
        finally:
            del t.stream.batches
        return stamps.result(end[0])


# -- the hand-written reference ----------------------------------------------------------------

class BareLoop:
    """What a researcher writes by hand: forward, loss, backward, Adam step, zero_grad, EMA
    (the same decay warm-up as srzoo's), on modules built by ``srzoo_core.build_*`` from the
    same spec and seed, fed by a plain ``DataLoader`` over the same training dataset."""

    def __init__(self, spec: str, dataset: Any, *, batch: int, device: str = "cpu", dtype: torch.dtype | None = None,
                 channels_last: bool = False, ema: float = 0.999, host: Any = None, seed: int = 0, lr: float = 2e-4,
                 lr_disc: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99), gan_weight: float = 0.01,
                 channels: int = 3, scale: int = 4):
        from srzoo_core import build_discriminator, build_generator

        self.device = torch.device(device)
        self.sync = sync_for(self.device)
        self.dtype, self.channels_last, self.gan_weight = dtype, channels_last, gan_weight
        torch.manual_seed(seed)  # the trainer's order: seed, generator, discriminator
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        self.g = build_generator(spec, in_channels=channels, scale=scale, host=host).to(self.device).to(memory_format=fmt)
        disc = build_discriminator(spec, in_channels=channels, host=host)
        self.d = disc.to(self.device).to(memory_format=fmt) if disc is not None else None
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=lr_disc, betas=betas) if self.d is not None else None
        self.ema_decay = ema
        self.ema = copy.deepcopy(self.g).eval().requires_grad_(False) if ema > 0 else None
        self.ema_updates = 0
        fp16 = dtype == torch.float16  # fp16 needs loss scaling, as in srzoo's StepRunner
        self.scaler_g = torch.amp.GradScaler(self.device.type) if fp16 else None
        self.scaler_d = torch.amp.GradScaler(self.device.type) if fp16 else None
        self.loader = torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True, drop_last=True,
                                                  generator=torch.Generator().manual_seed(seed))
        self.batches = self._cycle()

    def _cycle(self) -> Iterator[Any]:
        while True:
            yield from self.loader

    def autocast(self) -> Any:
        return torch.autocast(self.device.type, dtype=self.dtype) if self.dtype is not None else contextlib.nullcontext()

    def place(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device, non_blocking=True)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    @staticmethod
    def _apply(loss: torch.Tensor, opt: Any, scaler: Any) -> None:
        if scaler is None:
            loss.backward()
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        opt.zero_grad(set_to_none=True)

    def step(self, lr: torch.Tensor, hr: torch.Tensor) -> None:
        g, d = self.g, self.d
        if d is not None:
            d.requires_grad_(False)
        with self.autocast():
            sr = g(lr)
            loss = F.l1_loss(sr.float(), hr)
            if d is not None:
                fake = d(sr).float()
                loss = loss + self.gan_weight * F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
        self._apply(loss, self.opt_g, self.scaler_g)
        if d is not None:
            d.requires_grad_(True)
            with self.autocast():
                real, fake = d(hr).float(), d(sr.detach()).float()
                loss_d = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                          + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
            self._apply(loss_d, self.opt_d, self.scaler_d)
        if self.ema is not None:
            self.ema_updates += 1
            decay = min(self.ema_decay, (1 + self.ema_updates) / (10 + self.ema_updates))
            with torch.no_grad():
                torch._foreach_lerp_(list(self.ema.parameters()), list(g.parameters()), 1.0 - decay)
                for target, source in zip(self.ema.buffers(), g.buffers()):
                    target.copy_(source)

    def run(self, steps: int) -> dict[str, float]:
        stamps = Stamps(self.sync)
        batches = stamps.wrap(self.batches)
        self.g.train()
        if self.d is not None:
            self.d.train()
        for _ in range(steps):
            lr, hr = next(batches)
            self.step(self.place(lr), self.place(hr))
        self.sync()
        return stamps.result(time.perf_counter())


def scratch_dir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="srzoo-bench-")
