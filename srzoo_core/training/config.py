"""Every option of a training run, from flags or a YAML file; unknown keys are errors."""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from srzoo_core.errors import UsageError
from srzoo_core.training.schedules import DEFAULT_GAMMA, DEFAULT_MILESTONES, SCHEDULES, parse_milestones

# The README's main job (`srzoo train --time 3m30s`), chosen by measurement as the most gain per
# CPU-minute (benchmarks/results/2026-12-01-default-model.md): MSRResNet (no batch norm, 3×3 convs,
# bilinear global skip, so it starts near interpolation and learns the residual) is about 1.7× cheaper
# per step than the previous residual SRResNet-32+SE and learns faster; a light PatchGAN keeps the
# adversarial steps cheap. With AUTO_PRETRAIN and the default lr and warm-up below, `make train` gained
# +1.56 dB whole-image Y over bicubic on the held-out photos in a 923-step run (the previous default:
# +0.59 to +0.86 dB at the same CPU budget).
DEFAULT_SPEC = "gen=msrresnet(features=32,blocks=16) disc=patchgan(features=32) loss=l1+0.01*gan"
# Share of an adversarial run's budget spent on pixel-loss pretraining under --pretrain auto: the pixel
# steps are what raise PSNR, and they cost less than adversarial ones (measured: 80 % beat 50 %).
AUTO_PRETRAIN = 0.8


@dataclass
class TrainConfig:
    spec: str = DEFAULT_SPEC
    data: str = "builtin"
    val_data: Optional[str] = None
    test_data: Optional[str] = None
    lr_data: Optional[str] = None
    samples: Optional[int] = None
    scale: int = 4
    patch: Optional[int] = None
    degradation: Optional[str] = None
    augment: Optional[bool] = None
    batch: int = 16
    iters: Optional[int] = None
    epochs: Optional[int] = None
    time: Optional[str] = None
    pretrain: str = "auto"
    lr: float = 1e-3                  # measured for short runs (benchmarks/results): 2e-4 and 5e-4 learn too slowly
    lr_disc: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.99)
    schedule: str = "cosine"
    milestones: Optional[str] = None  # multistep: fractions of each phase, e.g. "0.5,0.75" (default)
    gamma: Optional[float] = None     # multistep: factor at each milestone (default 0.5)
    warmup: int = 100                 # linear warm-up over the first N optimizer steps: 1e-3 from step 0 can kill the residual branch
    accumulate: int = 1               # micro-batches per optimizer step (gradient accumulation)
    ema: float = 0.999
    grad_clip: Optional[float] = None
    seed: int = 0
    deterministic: bool = False
    device: str = "auto"
    precision: str = "auto"
    channels_last: Optional[bool] = None
    val_every: Optional[int] = None
    val_batch: int = 16
    workers: int = 0
    out: str = "runs"
    name: Optional[str] = None
    resume: bool = False
    log: str = "csv"                  # where progress goes: csv (the run folder's files, always) plus logger components
    init: Optional[str] = None       # a checkpoint the networks start from (fine-tuning)
    init_strict: bool = True
    max_bad_steps: int = 10
    max_pixels: Optional[int] = None  # images beyond this many pixels are refused before decoding
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    CHOICES = {
        "schedule": SCHEDULES,
        "device": ("auto", "cpu", "cuda"),
        "precision": ("auto", "fp32", "bf16", "fp16"),
    }
    DEFAULT_ITERS = 1000

    def validate(self) -> "TrainConfig":
        for key, choices in self.CHOICES.items():
            if getattr(self, key) not in choices:
                raise UsageError(f"{key} must be one of {', '.join(choices)}, not {getattr(self, key)!r}")
        budgets = [k for k in ("iters", "epochs", "time") if getattr(self, k) is not None]
        if len(budgets) > 1:
            raise UsageError(f"give one training budget, not {' and '.join('--' + b for b in budgets)}")
        for key in ("iters", "epochs", "batch", "scale", "val_batch"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise UsageError(f"--{key.replace('_', '-')} must be at least 1, not {value}")
        if not 0 <= self.ema < 1:
            raise UsageError(f"--ema is a decay in [0, 1) (0 turns EMA off), not {self.ema}")
        if self.time is not None:
            parse_duration(self.time)
        self.pretrain_fraction()
        self._validate_schedule()
        _ = self.log_names  # raises UsageError when malformed
        return self

    def _validate_schedule(self) -> None:
        if self.schedule != "multistep":
            given = [f"--{k}" for k in ("milestones", "gamma") if getattr(self, k) is not None]
            if given:
                raise UsageError(f"--schedule {self.schedule} takes no {' or '.join(given)} (they are for --schedule multistep)",
                                 hint="add --schedule multistep, or drop them")
        _ = self.milestone_fractions  # raises UsageError when malformed
        if self.gamma is not None and not 0 < self.gamma <= 1:
            raise UsageError(f"--gamma is the factor at each milestone, in (0, 1], not {self.gamma}")
        if self.warmup < 0:
            raise UsageError(f"--warmup is a number of steps, at least 0, not {self.warmup}")
        if self.accumulate < 1:
            raise UsageError(f"--accumulate is a number of micro-batches per step, at least 1, not {self.accumulate}")

    @property
    def milestone_fractions(self) -> tuple[float, ...]:
        return DEFAULT_MILESTONES if self.milestones is None else parse_milestones(self.milestones)

    @property
    def lr_gamma(self) -> float:
        return DEFAULT_GAMMA if self.gamma is None else self.gamma

    @property
    def log_names(self) -> list[str]:
        """The logger components ``log`` names, in order, without ``csv`` (the run folder's own files, always written)."""
        names = [part.strip() for part in str(self.log).split(",")]
        if not all(names):
            raise UsageError(f"--log {self.log!r} must be comma-separated logger names, e.g. csv,tensorboard",
                             hint="'srzoo list logger' shows the installed loggers")
        return [n for n in dict.fromkeys(names) if n.lower() != "csv"]

    @property
    def budget(self) -> tuple[str, float]:
        if self.time is not None:
            return "time", parse_duration(self.time)
        if self.epochs is not None:
            return "epochs", float(self.epochs)
        return "iters", float(self.iters or self.DEFAULT_ITERS)

    def pretrain_fraction(self) -> float | int:
        """'auto' (AUTO_PRETRAIN of the budget when the spec is adversarial), 'N%' of the budget, or N steps."""
        text = str(self.pretrain).strip()
        if re.fullmatch(r"0+%?", text):  # no pretraining, whatever the budget (e.g. fine-tuning a trained model)
            return 0.0
        if text == "auto":
            return AUTO_PRETRAIN
        if text.endswith("%"):
            value = float(text[:-1]) / 100
            if not 0 <= value <= 1:
                raise UsageError(f"--pretrain {text}: a percentage must be between 0% and 100%")
            return value
        if re.fullmatch(r"\d+", text):
            return int(text)
        raise UsageError(f"--pretrain must be 'auto', a step count or a percentage like 30%, not {text!r}")

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        data["betas"] = list(self.betas)
        return data


def option_names() -> list[str]:
    return [f.name for f in dataclasses.fields(TrainConfig) if f.name != "extra"]


def parse_duration(text: str) -> float:
    """'90s', '5m', '1.5h', '1h30m' → seconds."""
    match = re.fullmatch(r"\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*", str(text))
    if not match or not any(match.groups()):
        raise UsageError(f"--time {text!r} is not a duration", hint="write e.g. 90s, 5m, 1h30m")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise UsageError(f"--time {text!r} must be positive")
    return total


def load_yaml(path: Path) -> dict[str, Any]:
    import yaml

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise UsageError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} must hold a mapping of option: value, not {type(data).__name__}")
    known = option_names()
    for key in data:
        normalised = str(key).replace("-", "_")
        if normalised not in known:
            close = difflib.get_close_matches(normalised, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(known)}"
            raise UsageError(f"unknown key {key!r} in {path}", hint=hint)
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def make_config(yaml_path: Optional[Path], flags: dict[str, Any]) -> TrainConfig:
    """YAML values first, then every flag the user actually gave (``None`` means not given)."""
    values = load_yaml(yaml_path) if yaml_path else {}
    values.update({k: v for k, v in flags.items() if v is not None})
    if "betas" in values:
        values["betas"] = tuple(float(b) for b in values["betas"])
    for key in ("milestones", "log"):  # a YAML list reads as the flag's comma-separated text
        if isinstance(values.get(key), (list, tuple)):
            values[key] = ",".join(str(v) for v in values[key])
    if isinstance(values.get("milestones"), float):  # one milestone
        values["milestones"] = str(values["milestones"])
    types = {f.name: f.type for f in dataclasses.fields(TrainConfig)}
    for key, value in values.items():
        values[key] = _checked(key, value, types[key])
    return TrainConfig(**values).validate()


_SCALARS = {"int": int, "float": float, "str": str, "bool": bool}


def _checked(key: str, value: Any, declared: str) -> Any:
    """Check a YAML or flag value against the option's declared type (int → float widening only)."""
    optional = declared.startswith("Optional[")
    base = declared.removeprefix("Optional[").removesuffix("]") if optional else declared
    if value is None and optional:
        return None
    if base.startswith("tuple"):
        if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return tuple(float(v) for v in value)
    elif base in _SCALARS:
        kind = _SCALARS[base]
        if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if kind is int and isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
            return value
        if kind is str and key in ("pretrain", "time") and isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
    else:
        return value
    raise UsageError(f"option {key!r} expects {base}{' or nothing' if optional else ''}, got {value!r}")
