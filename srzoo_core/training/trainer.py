"""The one trainer: assembles a run from a spec and a config, then trains, validates, checkpoints.

Everything that can be wrong with the input (spec, data, options, output folder) is checked in
``setup()`` before a run directory is created.
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path
from typing import Any

import torch

from srzoo_core.build import build_discriminator, build_generator, build_losses, build_metrics, count_parameters
from srzoo_core.contracts import probe_metrics
from srzoo_core.errors import TrainingStopped, UsageError  # noqa: F401 - TrainingStopped re-exported
from srzoo_core.registry import get_host
from srzoo_core.spec.resolve import resolve
from srzoo_core.training import checkpoint as ckpt
from srzoo_core.training.config import TrainConfig
from srzoo_core.training.degradations import show_degradations, use_degradations
from srzoo_core.training.description import Channel, RunDescription, describe_components
from srzoo_core.training.device import choose
from srzoo_core.training.distributed import DistContext
from srzoo_core.training.ema import EMA
from srzoo_core.training.evaluate import Evaluator
from srzoo_core.training.loggers import make_loggers
from srzoo_core.training.loop import TrainingLoop
from srzoo_core.training.progress import Reporter
from srzoo_core.training.resume import check_resume
from srzoo_core.training.rundir import BEST, LAST, RESUME, RunDir, RunLock, check_run_name, environment
from srzoo_core.training.schedules import schedule_factor, warmup_factor
from srzoo_core.training.steps import GAN, PIXEL, PRETRAIN, StepRunner
from srzoo_core.training.stream import TrainStream

DEFAULT_LOSS = "l1"  # a spec without loss= trains on L1


def run_name(description: RunDescription) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", description.roles["gen"].lower()).strip("-")[:40]
    key = f"{description.spec}|{description.training.get('data')}|{description.scale}|{description.seed}"
    return f"{slug}-{hashlib.sha1(key.encode()).hexdigest()[:6]}"


class Trainer:
    def __init__(self, config: TrainConfig, host: Any = None, reporter: Reporter | None = None):
        self.config = config.validate()
        self.host = host or get_host()
        self.reporter = reporter or Reporter()
        self.dist = DistContext.from_environment()

    # -- setup -------------------------------------------------------------------------------

    def setup(self) -> "Trainer":
        from srzoo_core.data import load_data
        from srzoo_core.data.images import pixel_limit

        cfg = self.config
        first = resolve(cfg.spec, self.host)
        if first.gen is None:
            raise UsageError("the spec has no generator", hint='add gen=…, e.g. "gen=srresnet loss=l1"')
        scales = first.gen.info.scales
        if scales and cfg.scale not in scales:
            raise UsageError(f"generator {first.gen.name!r} supports scale {', '.join(map(str, scales))}, not {cfg.scale}",
                             hint=f"use --scale {scales[0]}, or a generator that supports ×{cfg.scale} (srzoo list gen)")
        self.loggers = make_loggers(cfg.log_names, self.host, self.reporter.warn, active=self.dist.is_main)
        with pixel_limit(cfg.max_pixels):
            self.data = load_data(cfg.data, scale=cfg.scale, patch=cfg.patch,
                                  degradation=cfg.degradation, val=cfg.val_data, test=cfg.test_data, lr=cfg.lr_data,
                                  seed=cfg.seed, augment=cfg.augment, samples=cfg.samples, host=self.host)
        self.spec = first.with_defaults(self.host, loss=DEFAULT_LOSS,
                                        metric=self.data.modality.default_metrics(cfg.scale, self.data.channels))
        self.canonical = self.spec.canonical()
        self.training_lr = use_degradations(self.spec, self.data, cfg.scale, cfg.seed)  # None without deg=
        torch.manual_seed(cfg.seed)
        if cfg.deterministic:
            torch.use_deterministic_algorithms(True)
        self.placement = choose(cfg.device, cfg.precision, cfg.channels_last, self.dist.local_rank)
        channels = self.data.channels
        self.generator = self.placement.prepare(build_generator(self.spec, in_channels=channels, out_channels=channels, scale=cfg.scale,
                                                                normaliser=self.data.normaliser))  # a physical-units constraint
        disc = build_discriminator(self.spec, in_channels=channels)
        self.disc = self.placement.prepare(disc) if disc is not None else None
        self.losses = [self._place_loss(t) for t in build_losses(self.spec)]
        self.metrics = build_metrics(self.spec)
        self.ema = EMA(self.generator, cfg.ema) if cfg.ema > 0 else None
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=cfg.lr, betas=tuple(cfg.betas))
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=cfg.lr_disc, betas=tuple(cfg.betas)) if self.disc else None
        self.evaluator = Evaluator.for_data(self.metrics, self.data, self.data.val)
        probe_metrics(self.spec, self.evaluator, self.data.val)  # a metric that cannot score this data fails now
        self.description = self._describe()
        if cfg.init:
            self._load_init()
        self.stream = TrainStream(self.data.train, cfg.batch, self.dist.rank, self.dist.world, cfg.workers, cfg.seed)
        self.steps_per_epoch = max(1, math.ceil(len(self.data.train) / (cfg.batch * cfg.accumulate * self.dist.world)))
        self.step, self.elapsed, self.best = 0, 0.0, None
        self.lock: RunLock | None = None
        try:  # from here the run folder is this process's (an OS lock) until run() ends or setup fails
            self.rundir = RunDir(self._run_path())
            if cfg.resume:
                self._load_resume()
        except BaseException:
            self.release()
            raise
        self.model_g, self.model_d = self.dist.wrap(self.generator), self.dist.wrap(self.disc)
        self.runner = StepRunner(self.model_g, self.model_d, self.losses, self.opt_g, self.opt_d, self.placement, cfg.grad_clip,
                                 agree=self.dist.all_agree)
        return self

    def _describe(self) -> RunDescription:
        data = self.data
        return RunDescription(
            roles=self.spec.parts(), components=describe_components(self.spec), scale=self.config.scale,
            channels=[Channel(n, u) for n, u in zip(data.channel_names, data.channel_units())], modality=data.modality.name,
            data=data.describe(), normaliser=data.normaliser.state_dict(), protocol=self.evaluator.protocol(),
            training=self.config.as_dict(), environment=environment(self.host),
        )

    def _place_loss(self, term: Any) -> Any:
        if isinstance(term.module, torch.nn.Module):
            term.module = term.module.to(self.placement.device)
        return term

    def _run_path(self) -> Path:
        """The run folder, locked (main process only); a folder another process holds is refused."""
        cfg = self.config
        base = Path(cfg.out)
        if cfg.name:
            path = base / check_run_name(cfg.name)
            self._claim(path)
            existing = RunDir(path).existing_spec()
            if existing is not None and existing != self.canonical:
                raise UsageError(f"run folder {path} holds a different spec ({existing})", hint="choose another --name")
            if existing is not None and not cfg.resume:
                raise UsageError(f"run folder {path} already exists", hint="add --resume to continue it, or choose another --name")
            return path
        name = run_name(self.description)
        if cfg.resume:
            candidates = sorted(base.glob(f"{name}*"), key=lambda p: p.stat().st_mtime)
            if not candidates:
                raise UsageError(f"nothing to resume: no run folder {base / name}", hint="pass --name of the run to resume")
            self._claim(candidates[-1])
            return candidates[-1]
        if self.dist.is_main:
            RunDir(base).check_writable()
        path, n = base / name, 1
        while True:  # the first free name; creating the folder claims it (two processes never share one)
            try:
                if self.dist.is_main:
                    path.mkdir(parents=True)
                    self._claim(path)
                return path
            except FileExistsError:
                n += 1
                path = base / f"{name}-{n}"

    def _claim(self, path: Path) -> None:
        if self.dist.is_main:
            RunDir(path).check_writable()
            self.lock = RunLock.acquire(path)

    def release(self) -> None:
        """Give the run folder back (at the end of run(); a process that ends releases it anyway)."""
        if self.lock is not None:
            self.lock, lock = None, self.lock
            lock.release()

    @property
    def total_steps(self) -> int | None:
        kind, amount = self.config.budget
        if kind == "iters":
            return int(amount)
        if kind == "epochs":
            return int(amount) * self.steps_per_epoch
        return None

    def progress(self) -> float:
        kind, amount = self.config.budget
        if kind == "time":
            return min(1.0, self.elapsed / amount)
        return min(1.0, self.step / self.total_steps)

    def pretrain_end(self) -> float:
        """Where pretraining ends, as a fraction of the budget (0 for non-adversarial specs)."""
        if not self.spec.adversarial:
            return 0.0
        value = self.config.pretrain_fraction()
        if isinstance(value, int):
            total = self.total_steps
            if total is None:
                raise UsageError("--pretrain in steps needs --iters or --epochs; with --time give a percentage")
            return min(1.0, value / total)
        return value

    def phase(self) -> str:
        if not self.spec.adversarial:
            return PIXEL
        return PRETRAIN if self.progress() < self.pretrain_end() else GAN

    def learning_rate_factor(self) -> float:
        """The factor on the base learning rates for the next step (see :mod:`srzoo_core.training.schedules`)."""
        cfg = self.config
        end, now = self.pretrain_end(), self.progress()
        start, stop = (0.0, end) if self.phase() == PRETRAIN else (end, 1.0)
        within = (now - start) / max(stop - start, 1e-9)
        return warmup_factor(self.step, cfg.warmup) * schedule_factor(cfg.schedule, within, cfg.milestone_fractions, cfg.lr_gamma)

    # -- state -------------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        return {"run": self.description.to_dict(), "step": self.step, "elapsed": self.elapsed, "ema": self.ema is not None}

    def eval_model(self) -> torch.nn.Module:
        return self.ema.model if self.ema else self.generator

    def save(self, best: bool = False) -> None:
        meta = self.metadata()
        state = {"gen_raw": self.generator.state_dict(), "opt_g": self.opt_g.state_dict(),
                 "rng": torch.get_rng_state(), "best": self.best}
        if self.placement.device.type == "cuda":
            state["cuda_rng"] = torch.cuda.get_rng_state(self.placement.device)
        if self.ema:
            state["ema"] = self.ema.state_dict()
        if self.disc is not None:
            state.update(disc=self.disc.state_dict(), opt_d=self.opt_d.state_dict())
        tensors: dict[str, torch.Tensor] = {}
        skeleton = ckpt.split_state(state, "s", tensors)
        weights = self.eval_model().state_dict()
        # The resume file goes last: a kill in between leaves it at the previous step, so resuming
        # redoes the steps and rewrites `last` and `best` rather than trusting a newer `best` record.
        if best:
            ckpt.save_model(self.rundir.file(BEST), weights, meta)
        ckpt.save_model(self.rundir.file(LAST), weights, meta)
        ckpt.write_atomic(self.rundir.file(RESUME), tensors, {"type": "resume", "state": skeleton, **meta})

    def _load_init(self) -> None:
        """``--init``: the networks start from a checkpoint (before any resume, which then overrides
        them); what was loaded goes into the run description."""
        from srzoo_core.training.init_weights import initialise

        loaded = initialise(self, self.config.init, self.config.init_strict)
        self.description.training["init_source"] = loaded
        for part, what in loaded.items():
            self.reporter.info(f"--init {part}: {what}")

    def _load_resume(self) -> None:
        path = self.rundir.file(RESUME)
        if not path.exists():
            self._restart()
            return
        tensors, meta = ckpt.read(path)
        check_resume(RunDescription.from_metadata(meta, str(path)), self.description, self.rundir.path, str(path))
        state = ckpt.join_state(meta["state"], tensors)
        self.generator.load_state_dict(state["gen_raw"])
        self.opt_g.load_state_dict(state["opt_g"])
        if self.ema:
            self.ema.load_state_dict(state["ema"])
        if self.disc is not None:
            self.disc.load_state_dict(state["disc"])
            self.opt_d.load_state_dict(state["opt_d"])
        torch.set_rng_state(state["rng"])
        if "cuda_rng" in state and self.placement.device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"], self.placement.device)
        self.step, self.elapsed, self.best = int(meta["step"]), float(meta["elapsed"]), state["best"]
        self.resumed_from = self.step

    def _restart(self) -> None:
        """A run stopped (or killed) before its first checkpoint: checked like any resume against
        what run.json recorded, then started again from step 0."""
        folder = self.rundir.path
        then = self.rundir.description() if self.rundir.file("run.json").is_file() else None
        if then is not None:
            check_resume(then, self.description, folder, str(self.rundir.file("run.json")))
        if self.rundir.existing_spec() is None and then is None:
            self.reporter.info(f"nothing to resume in {folder}: no run had started there; starting it from step 0")
        else:
            self.reporter.info(f"{folder} has no checkpoint yet (the run stopped before its first validation): "
                               "starting it again from step 0")

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        try:
            if self.training_lr and self.dist.is_main:
                show_degradations(self)
            return TrainingLoop(self).run()
        finally:
            self.release()

    def describe(self) -> dict[str, Any]:
        return {
            "generator_parameters": count_parameters(self.generator),
            "discriminator_parameters": count_parameters(self.disc) if self.disc is not None else 0,
            "placement": self.placement.describe(),
        }
