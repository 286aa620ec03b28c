"""`srzoo train` and `srzoo eval`."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from srzoo_core.cli.app import app
from srzoo_core.cli.output import stdout
from srzoo_core.training.config import TrainConfig


@app.command(context_settings={"help_option_names": ["-h", "--help"]})
def train(
    spec: Optional[str] = typer.Argument(None, metavar="[SPEC]", help='Model spec, e.g. "gen=srresnet+se disc=patchgan loss=l1+0.01*gan" (default: the README\'s).'),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML file with any of these options (flags override it)."),
    data: Optional[str] = typer.Option(None, "--data", help="builtin | synthetic-grid[:N] | image folder | .npy file | seed-004 folder."),
    val_data: Optional[str] = typer.Option(None, "--val-data", help="Separate validation folder or .npy."),
    test_data: Optional[str] = typer.Option(None, "--test-data", help="Separate test folder or .npy."),
    lr_data: Optional[str] = typer.Option(None, "--lr-data", help="Paired low-resolution folder or .npy (else made by --degradation)."),
    samples: Optional[int] = typer.Option(None, "--samples", help="Number of samples for synthetic data."),
    scale: Optional[int] = typer.Option(None, "--scale", help="Upscaling factor (default 4)."),
    patch: Optional[int] = typer.Option(None, "--patch", help="HR training crop size (default 96 for photos, the full field for grids)."),
    degradation: Optional[str] = typer.Option(None, "--degradation", help="bicubic | bilinear | bilinear-noaa | area."),
    augment: Optional[bool] = typer.Option(None, "--augment/--no-augment", help="Training augmentation (default: flips+rotations for photos, none for grids)."),
    batch: Optional[int] = typer.Option(None, "--batch", help="Batch size (default 16)."),
    iters: Optional[int] = typer.Option(None, "--iters", help="Budget in steps (default 1000)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Budget in epochs."),
    time: Optional[str] = typer.Option(None, "--time", help="Budget in wall time, e.g. 5m, 90s, 1h30m."),
    pretrain: Optional[str] = typer.Option(None, "--pretrain", help="Pixel-loss pretraining: steps, a percentage, or auto (80%% when adversarial); 0 skips it."),
    lr: Optional[float] = typer.Option(None, "--lr", help=f"Generator learning rate (default {TrainConfig.lr:g})."),
    lr_disc: Optional[float] = typer.Option(None, "--lr-disc", help=f"Discriminator learning rate (default {TrainConfig.lr_disc:g})."),
    betas: Optional[str] = typer.Option(None, "--betas", help="Adam betas, e.g. 0.9,0.99."),
    schedule: Optional[str] = typer.Option(None, "--schedule", help="Learning-rate schedule over each phase: cosine | constant | multistep."),
    milestones: Optional[str] = typer.Option(None, "--milestones", help="multistep: fractions of each phase where the rate drops, e.g. 0.5,0.75 (default)."),
    gamma: Optional[float] = typer.Option(None, "--gamma", help="multistep: factor at each milestone (default 0.5)."),
    warmup: Optional[int] = typer.Option(None, "--warmup", help=f"Linear learning-rate warm-up over the first N steps, with any schedule; 0 = none (default {TrainConfig.warmup})."),
    accumulate: Optional[int] = typer.Option(None, "--accumulate", help="Gradient accumulation: K micro-batches of --batch per optimizer step (default 1)."),
    ema: Optional[float] = typer.Option(None, "--ema", help="EMA decay of the generator (0 = off; default 0.999)."),
    grad_clip: Optional[float] = typer.Option(None, "--grad-clip", help="Clip gradient norm."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (default 0)."),
    deterministic: Optional[bool] = typer.Option(None, "--deterministic/--no-deterministic", help="Deterministic algorithms."),
    device: Optional[str] = typer.Option(None, "--device", help="auto | cpu | cuda."),
    precision: Optional[str] = typer.Option(None, "--precision", help="auto (bf16 on CPU, AMP on CUDA) | fp32 | bf16 | fp16."),
    channels_last: Optional[bool] = typer.Option(None, "--channels-last/--no-channels-last", help="Memory layout (default on)."),
    val_every: Optional[int] = typer.Option(None, "--val-every", help="Validate every N steps (default 5 times per run)."),
    val_batch: Optional[int] = typer.Option(None, "--val-batch", help="Batch size for validation (default 16)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Data-loader worker processes (default 0)."),
    out: Optional[str] = typer.Option(None, "--out", help="Folder for run folders (default runs)."),
    name: Optional[str] = typer.Option(None, "--name", help="Run folder name (default from the spec)."),
    resume: Optional[bool] = typer.Option(None, "--resume", help="Continue the run in --name from its last checkpoint."),
    log: Optional[str] = typer.Option(None, "--log", help="Where progress goes, comma-separated: csv (the run folder's metrics, always) "
                                                        "and loggers such as tensorboard, mlflow (srzoo list logger)."),
    init: Optional[str] = typer.Option(None, "--init", help="Start the generator (and the discriminator, from a resume file "
                                                           "with the same disc=) from a checkpoint: fine-tuning."),
    init_strict: Optional[bool] = typer.Option(None, "--init-strict/--no-init-strict", help="--init: every tensor must fit "
                                                                                           "(default), or load those that fit."),
    max_bad_steps: Optional[int] = typer.Option(None, "--max-bad-steps", help="Stop after this many non-finite steps in a row."),
    max_pixels: Optional[int] = typer.Option(None, "--max-pixels", help="Refuse images larger than this many pixels (width × "
                                             "height) before decoding them; default 100 million (or SRZOO_MAX_PIXELS)."),
) -> None:
    """Train a model from a spec, validating against bicubic on a held-out split."""
    flags = dict(locals())
    flags.pop("config")
    if betas is not None:
        flags["betas"] = _betas(betas)
    from srzoo_core.training.config import make_config
    from srzoo_core.training.trainer import Trainer

    cfg = make_config(config, flags)
    # Schedulers (Slurm, Kubernetes) stop jobs with SIGTERM: treat it like Ctrl-C, a clean stop, from
    # the start (during setup nothing is written yet: the command just ends with 130).
    previous = signal.signal(signal.SIGTERM, _interrupt)
    trainer = Trainer(cfg)
    try:
        trainer.setup()
        result = trainer.run()
    except KeyboardInterrupt:
        if getattr(trainer, "rundir", None) is not None and trainer.rundir.file("run.json").is_file():
            stdout.print(f"interrupted at step {trainer.step}; the last checkpoint is in {trainer.rundir.path}")
            stdout.print(f"resume with: srzoo train \"{trainer.canonical}\" --name {trainer.rundir.path.name} --out {cfg.out} --resume (and the same options)")
        else:
            stdout.print("interrupted before training started; nothing was written")
        raise SystemExit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        trainer.dist.close()
    if not trainer.dist.is_main:
        return
    print_comparison(result["final"], result["bicubic"], f"final validation at step {result['step']}", trainer.evaluator.labels())
    stdout.print(f"run folder: {result['run_dir']}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _betas(text: str) -> tuple[float, float]:
    from srzoo_core.errors import UsageError

    try:
        first, second = (float(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--betas {text!r} must be two numbers, e.g. 0.9,0.99") from None
    return first, second


def print_comparison(model: dict, bicubic: dict, title: str, labels: dict | None = None) -> None:
    """``labels``: result key -> row label with the unit (``rmse t2m [K]``), where known."""
    table = Table(title=title, show_edge=False, header_style="bold", title_justify="left")
    for column in ("metric", "model", "bicubic", "Δ"):
        table.add_column(column, justify="right" if column != "metric" else "left")
    for key, value in model.items():
        base = bicubic.get(key)
        delta = "" if base is None else _number(value - base, "+")
        table.add_row(escape((labels or {}).get(key, key)), _number(value), "" if base is None else _number(base), delta)
    stdout.print(table)


def _number(value: float, sign: str = "") -> str:
    """Four decimals, or four significant digits for small values (a divergence error in s-1)."""
    return f"{value:{sign}.4f}" if value == 0 or not abs(value) < 0.01 else f"{value:{sign}.3e}"


@app.command("eval")
def evaluate(
    checkpoint: Path = typer.Argument(..., help="A model checkpoint (best.safetensors or last.safetensors)."),
    data: Optional[str] = typer.Option(None, "--data", help="Data source (default: the one the model was trained on)."),
    split: str = typer.Option("val", "--split", help="val or test."),
    val_data: Optional[str] = typer.Option(None, "--val-data"),
    test_data: Optional[str] = typer.Option(None, "--test-data"),
    batch: int = typer.Option(16, "--batch"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Score a checkpoint and bicubic on a split, from the checkpoint alone."""
    from srzoo_core.training.scoring import evaluate_checkpoint

    result = evaluate_checkpoint(checkpoint, data=data, split=split, val=val_data, test=test_data, batch=batch)
    if as_json:
        from srzoo_core.cli.output import print_json

        print_json(result)
        return
    print_comparison(result["model"], result["bicubic"], f"{checkpoint} on {result['data']} ({split}, {result['samples']} samples)",
                     result["protocol"].get("labels"))
