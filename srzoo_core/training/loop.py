"""The training loop: steps, periodic validation on the whole split, checkpoints, logs, samples,
and the stops (budget reached, Ctrl-C, diverging losses, a full disk) that never lose the last
good state.

Ctrl-C (SIGINT) and SIGTERM take effect between steps, so the state saved on the way out is one
whole step, never half an optimizer update; a second Ctrl-C stops at once (after the file or plot
being written, if any). A failed write (a full disk, a vanished folder) stops the run with status
``failed`` and the previous checkpoint intact; any other error (a bug, a plugin's exception, a
plugin calling ``sys.exit``) records ``failed`` with its message too, and its traceback in
``failure.txt``: a run folder never stays ``running`` once its process has stopped, short of a
``kill -9`` (which --resume continues).
"""

from __future__ import annotations

import errno
import time
import traceback
from pathlib import Path
from typing import Any

import torch

from srzoo_core.data import upsample
from srzoo_core.errors import SrzooError, TrainingStopped
from srzoo_core.files import write_text_atomic
from srzoo_core.training.evaluate import primary_metric
from srzoo_core.training.stops import DeferredStop

DISC_WIN_WINDOW = 50  # consecutive logged adversarial steps with the discriminator always right
class TrainingLoop:
    def __init__(self, trainer: Any):
        self.t = trainer
        cfg = trainer.config
        total = trainer.total_steps
        self.val_every = cfg.val_every or (max(1, total // 5) if total else None)
        self.log_every = max(1, (total or 1000) // 50)
        self.window: dict[str, list[torch.Tensor]] = {}
        self.bad_steps = 0
        self.disc_wins = 0
        self.warned_disc = False
        self.time_slot = 0  # with a --time budget: the fifth of the budget last validated
        self.saved_step: int | None = getattr(trainer, "resumed_from", None)  # the step of the last checkpoint written
        self.stop = DeferredStop(enabled=False)
        self.started = False  # run.json says "running": from now on every exit records how it ended

    # -- evaluation --------------------------------------------------------------------------

    @torch.no_grad()
    def predictor(self, model: torch.nn.Module):
        device = self.t.placement.device

        def predict(lr: torch.Tensor) -> torch.Tensor:
            return model(lr.to(device)).float().cpu()

        return predict

    def bicubic(self, lr: torch.Tensor) -> torch.Tensor:
        return upsample(lr, self.t.config.scale, "bicubic")

    def validate(self) -> dict[str, float]:
        model = self.t.eval_model()
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                results = self.t.evaluator.score(self.predictor(model), self.t.data.val, self.t.config.val_batch)
        finally:
            model.train(was_training)
        return results

    def write_samples(self, name: str) -> None:
        from srzoo_core.training.plots import save_sample_panel

        items = [self.t.data.val[i] for i in range(min(4, len(self.t.data.val)))]
        lr = torch.stack([i[0] for i in items])
        hr = torch.stack([i[1] for i in items])
        model = self.t.eval_model()
        was_training = model.training
        model.eval()
        with torch.no_grad():
            sr = self.predictor(model)(lr)
        model.train(was_training)
        scale = self.t.config.scale
        nearest = torch.nn.functional.interpolate(lr, scale_factor=scale, mode="nearest")
        show = lambda x: self.t.data.normaliser.denormalise(x).numpy()  # noqa: E731
        save_sample_panel(self.t.rundir.file(f"samples/{name}.png"), show(nearest), show(self.bicubic(lr)), show(sr), show(hr),
                          self.t.data.modality.panel, list(self.t.data.channel_names))

    # -- bookkeeping -------------------------------------------------------------------------

    def summarise_window(self) -> dict[str, float]:
        means = {k: float(torch.stack(v).mean()) for k, v in self.window.items() if v}
        self.window = {}
        return means

    def check_disc_health(self, means: dict[str, float], logged_steps: int) -> None:
        if "d_acc" not in means:
            return
        self.disc_wins = self.disc_wins + logged_steps if means["d_acc"] > 0.99 else 0
        if self.disc_wins >= DISC_WIN_WINDOW and not self.warned_disc:
            self.warned_disc = True
            self.t.reporter.warn(f"the discriminator has been right on every real and fake sample for {self.disc_wins} steps "
                                 f"(mean logits real {means['d_real']:.2f}, fake {means['d_fake']:.2f}): the generator gets little "
                                 "signal; consider a smaller --lr-disc, a lighter disc= or a smaller adversarial weight")

    def finished(self) -> bool:
        return self.t.progress() >= 1.0

    # -- run ---------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        with DeferredStop(enabled=self.t.dist.world == 1) as stop:
            self.stop = stop
            try:
                return self._run(stop)
            except KeyboardInterrupt:
                self.on_interrupt(stop)
                raise
            except TrainingStopped:
                raise  # its status was recorded where it was raised
            except OSError as exc:
                self.t.reporter.stop()
                raise self.write_failure(exc) from None
            except SrzooError as exc:
                self.record_failure(exc)
                raise
            except BaseException as exc:  # noqa: BLE001 - a bug, a plugin's exception, a plugin's sys.exit
                raise self.record_failure(exc) from exc
            finally:
                self.t.loggers.close()

    def _run(self, stop: DeferredStop) -> dict[str, Any]:
        t, cfg = self.t, self.t.config
        main = t.dist.is_main
        if main:
            fresh = not cfg.resume
            with stop.protected():
                t.rundir.start(t.canonical, {**cfg.as_dict(), "spec": t.canonical}, t.description.environment, fresh,
                               description=t.description.to_dict())
                self.started = True
                if cfg.resume:
                    t.rundir.truncate_after(t.step)
            # --log: a resumed run continues from its checkpoint's step; the loggers drop what came after it
            t.loggers.start(t.rundir.path, t.description.to_dict(), t.step if cfg.resume else None)
            baseline = t.evaluator.score(self.bicubic, t.data.val, cfg.val_batch)
            t.rundir.set_status("running", bicubic=baseline, data=t.description.data, **t.describe())
            t.reporter.info(f"run folder: {t.rundir.path}")
            t.reporter.info(f"spec: {t.canonical}")
            t.reporter.info(f"data: {t.data.name} ({t.data.modality.name}, {t.data.channels} channels, ×{cfg.scale}, {len(t.data.val)} validation samples); {t.placement.describe()}")
        self.baseline = baseline if main else {}
        last_val: dict[str, float] = {}
        t.generator.train()
        if t.disc is not None:
            t.disc.train()
        with torch.random.fork_rng(devices=[]):  # the loader draws a seed: not from the state a resume restores
            batches = t.stream.batches(t.step * cfg.accumulate)  # a step takes --accumulate micro-batches
        t.reporter.start(t.total_steps, t.step)
        started = time.perf_counter() - t.elapsed
        rate_mark, rate_step = time.perf_counter(), t.step
        rate = 0.0
        while not self.finished():
            stop.check()
            phase = t.phase()
            factor = t.learning_rate_factor()
            for group in t.opt_g.param_groups:
                group["lr"] = cfg.lr * factor
            if t.opt_d is not None:
                for group in t.opt_d.param_groups:
                    group["lr"] = cfg.lr_disc * factor
            micro = [next(batches) for _ in range(cfg.accumulate)]  # --accumulate: the micro-batches of one optimizer step
            result = t.runner.step([t.placement.to_input(lr) for lr, _ in micro], [t.placement.to_input(hr) for _, hr in micro], phase)
            if not result.applied:  # counted, so the data moves on, but nothing changed
                t.step += 1
                t.elapsed = time.perf_counter() - started
                self.on_bad_step(result)
                continue
            self.bad_steps = 0
            if t.ema:
                t.ema.update(t.generator)
            for key, value in {**result.losses, **result.health}.items():
                self.window.setdefault(key, []).append(value)
            t.step += 1
            t.elapsed = time.perf_counter() - started
            if t.step % self.log_every == 0 or self.finished():
                now = time.perf_counter()
                rate = (t.step - rate_step) / max(now - rate_mark, 1e-9)
                rate_mark, rate_step = now, t.step
                logged = len(next(iter(self.window.values()), []))
                means = self.summarise_window()
                self.check_disc_health(means, logged)
                if main:
                    record = {"step": t.step, "phase": phase, "lr": cfg.lr * factor, "it_per_s": rate, "elapsed": t.elapsed,
                              **{f"loss/{k}": v for k, v in means.items()}}
                    t.rundir.log(record)
                    t.loggers.scalars(t.step, record)
                t.reporter.update(t.step, t.total_steps, rate, self.eta(rate), {k: v for k, v in means.items() if not k.startswith("d_")}, phase, force=True)
            else:
                t.reporter.update(t.step, t.total_steps, rate, self.eta(rate), {}, phase)
            if self.val_due() or self.finished():
                last_val = self.validation_point(phase)
        t.reporter.stop()
        if main and not last_val:
            last_val = self.validation_point(t.phase())
        if main:
            with stop.protected(then_stop=False):  # the work is done: a stop now only waits for this line
                t.rundir.set_status("finished", step=t.step, final=last_val, best=t.best, elapsed=t.elapsed)
        t.dist.barrier()
        return {"run_dir": str(t.rundir.path), "final": last_val, "bicubic": self.baseline, "best": t.best, "step": t.step}

    def eta(self, rate: float) -> float | None:
        total = self.t.total_steps
        if total is not None:
            return (total - self.t.step) / rate if rate > 0 else None
        kind, amount = self.t.config.budget
        return amount - self.t.elapsed

    def val_due(self) -> bool:
        if self.val_every is not None:
            return self.t.step % self.val_every == 0
        kind, amount = self.t.config.budget
        slot = int(self.t.elapsed / (amount / 5))
        due = slot > self.time_slot
        self.time_slot = max(slot, self.time_slot)
        return due

    def validation_point(self, phase: str) -> dict[str, float]:
        t = self.t
        if not t.dist.is_main:
            t.dist.barrier()
            return {}
        results = self.validate()
        name, higher = primary_metric(t.metrics, results)
        value = results[name]
        improved = t.best is None or (value > t.best["value"] if higher else value < t.best["value"])
        if improved:
            t.best = {"metric": name, "value": value, "step": t.step}
        from srzoo_core.training.plots import plot_curves

        with self.stop.protected():  # a second Ctrl-C waits for the checkpoint and the pictures
            record = {"step": t.step, "phase": phase, **{f"val/{k}": v for k, v in results.items()},
                      **{f"bicubic/{k}": v for k, v in self.baseline.items()}}
            t.rundir.log(record)
            t.loggers.scalars(t.step, record)
            t.rundir.write_csv()
            t.save(best=improved)
            self.saved_step = t.step
            self.write_samples(f"step_{t.step:06d}")
            t.loggers.images(t.step, {"samples/val": t.rundir.file(f"samples/step_{t.step:06d}.png")})
            plot_curves(t.rundir.records(), t.rundir.file("curves.png"))
        delta = value - self.baseline.get(name, float("nan"))
        t.reporter.info(f"step {t.step}: {name} {value:.5g} (bicubic {self.baseline.get(name, float('nan')):.5g}, Δ {delta:+.4g})"
                        + (" — best" if improved else ""))
        t.dist.barrier()
        return results

    def on_bad_step(self, result: Any) -> None:
        t = self.t
        self.bad_steps += 1
        reason = getattr(result, "reason", None) or "non-finite loss"
        values = {k: float(v) for k, v in result.losses.items()}
        if t.dist.is_main:
            t.rundir.log({"step": t.step, "event": f"{reason}, step skipped", **{f"loss/{k}": v for k, v in values.items()}})
        t.reporter.warn(f"step {t.step}: {reason} ({', '.join(f'{k}={v}' for k, v in values.items())}); step skipped")
        if self.bad_steps >= t.config.max_bad_steps:
            if t.dist.is_main:
                t.rundir.set_status("failed", step=t.step, reason=f"{self.bad_steps} steps in a row skipped: {reason}")
            raise TrainingStopped(
                f"training stopped at step {t.step}: {self.bad_steps} steps in a row had a {reason} and were skipped "
                f"(--max-bad-steps {t.config.max_bad_steps})",
                hint=f"{self.checkpoint_note()}; try a smaller --lr, --grad-clip 1.0, or --precision fp32",
            )

    def on_interrupt(self, stop: DeferredStop) -> None:
        """Record how the run stopped: at a step boundary its state is saved; after a second signal
        (which may have cut a step in half) the last checkpoint stands."""
        t = self.t
        t.reporter.stop()
        if not (t.dist.is_main and self.started):
            return
        with stop.protected(then_stop=False):
            if not stop.forced:
                try:
                    t.save()
                    self.saved_step = t.step
                except OSError as exc:
                    t.reporter.warn(f"could not save step {t.step} on the way out ({exc.strerror or exc})")
            else:
                t.reporter.warn(f"stopped at once; {self.checkpoint_note()}, and --resume goes on from there")
            try:
                t.rundir.set_status("interrupted", step=self.saved_step)
            except OSError:
                pass

    def record_failure(self, exc: BaseException) -> Exception:
        """Status ``failed`` with the message (and the traceback in failure.txt when it is not a
        message srzoo wrote); returns what to raise: the error itself, or a TrainingStopped."""
        t = self.t
        t.reporter.stop()
        if isinstance(exc, SrzooError):
            message = exc.message
        elif isinstance(exc, SystemExit):
            message = f"a component called sys.exit({exc.code!r})"
        else:
            message = f"{type(exc).__name__}: {exc}"
        failure = None
        if t.dist.is_main and self.started:
            try:
                t.rundir.set_status("failed", step=t.step, reason=message)
                if not isinstance(exc, SrzooError):
                    failure = t.rundir.file("failure.txt")
                    write_text_atomic(failure, "".join(traceback.format_exception(exc)))
            except OSError:
                pass  # the message still reaches the user
        if isinstance(exc, SrzooError):
            return exc
        where = f"; the traceback is in {failure}" if failure else ""
        return TrainingStopped(f"training failed at step {t.step}: {message}", hint=f"{self.checkpoint_note()}{where}")

    def checkpoint_note(self) -> str:
        last = self.t.rundir.file("last.safetensors")
        if self.saved_step is None or not Path(last).is_file():
            return "no checkpoint had been written yet"
        return f"the last good checkpoint, {last} (step {self.saved_step}), is intact"

    def write_failure(self, exc: OSError) -> Exception:
        """A write that failed (a full disk, a vanished folder): status ``failed``, one clear message."""
        t = self.t
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS)  # surely a write, even when no file is named
        what = f"{exc.filename}: " if exc.filename else (f"{t.rundir.path}: " if full else "")
        reason = f"{what}{exc.strerror or exc}"
        if t.dist.is_main:
            try:
                t.rundir.set_status("failed", step=t.step, reason=reason)
            except OSError:
                pass  # the disk that refused the checkpoint may refuse run.json too
        resume = " and continue with --resume" if self.saved_step is not None else ""
        return TrainingStopped(f"training stopped at step {t.step}: {reason}",
                               hint=f"{self.checkpoint_note()}; free some space or fix {t.rundir.path}{resume}")


