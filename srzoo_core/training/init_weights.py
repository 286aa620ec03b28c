"""``srzoo train --init CHECKPOINT``: start a run's networks from an earlier checkpoint (fine-tuning).

* A model checkpoint (``best``/``last``, or one written by ``srzoo import``) holds the generator
  only (its EMA weights when the run had EMA on); the discriminator starts from scratch.
* A resume file (``last.resume.safetensors``) also holds the discriminator: it is loaded too when
  the checkpoint's ``disc=`` part equals the new run's. Its generator is the EMA copy where there
  is one (what ``best``/``last`` hold), else the raw weights.
* Strict (the default): every tensor must fit, by name and shape, or nothing starts and the error
  lists what did not match. ``--no-init-strict`` loads the tensors that fit and reports the rest
  (e.g. a ×4 run from a ×2 model: everything but the upsampler).

Only weights are taken: optimizers, step, schedule and RNG start afresh; the run description
records the checkpoint (``training.init``) and what was loaded (``training.init_source``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from srzoo_core.errors import UsageError


@dataclass
class InitSource:
    path: Path
    description: Any
    kind: str                                   # "model" or "resume"
    generator: dict[str, torch.Tensor]
    discriminator: dict[str, torch.Tensor] | None
    sha256: str
    step: int

    def summary(self) -> str:
        return f"{self.path.name} sha256:{self.sha256[:12]} ({self.kind} checkpoint, step {self.step}, {self.description.role_spec('gen')})"


def read_init(path: str | Path) -> InitSource:
    from srzoo_core.training import checkpoint as ckpt
    from srzoo_core.training.description import RunDescription

    path = Path(path)
    if path.suffix.lower() in (".pth", ".pt"):
        raise UsageError(f"--init {path} is a PyTorch file, not an srzoo checkpoint", hint=f"turn it into one first: srzoo import {path}")
    if not path.is_file():
        raise UsageError(f"--init checkpoint not found: {path}", hint="pass a run's best.safetensors, its last.resume.safetensors, "
                                                                      "or a checkpoint written by srzoo import")
    tensors, meta = ckpt.read(path)
    kind = meta.get("type")
    if kind not in ("model", "resume"):
        raise UsageError(f"--init {path} is neither a model checkpoint nor a resume file")
    description = RunDescription.from_metadata(meta, str(path))
    if kind == "model":
        generator, disc = ckpt.prefixed(tensors, "gen"), None
    else:
        state = ckpt.join_state(meta["state"], tensors)
        generator = state["ema"]["model"] if isinstance(state.get("ema"), dict) else state["gen_raw"]
        disc = state.get("disc")
    digest = hashlib.sha256(str(sorted((k, tuple(v.shape)) for k, v in generator.items())).encode())
    for key in sorted(generator):
        digest.update(generator[key].detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().data)
    return InitSource(path, description, kind, generator, disc, digest.hexdigest(), int(meta.get("step", 0)))


def _few(items: list[str], n: int = 4) -> str:
    return ", ".join(items[:n]) + (f", … ({len(items)} in all)" if len(items) > n else "")


def mismatches(own: dict[str, torch.Tensor], given: dict[str, torch.Tensor]) -> list[str]:
    """What keeps ``given`` from loading into a module whose state dict is ``own``."""
    missing = [k for k in own if k not in given]
    unexpected = [k for k in given if k not in own]
    shapes = [f"{k} {tuple(given[k].shape)} in the checkpoint vs {tuple(own[k].shape)} here"
              for k in own if k in given and tuple(given[k].shape) != tuple(own[k].shape)]
    return [f"{label}: {_few(items)}" for label, items in (("missing from the checkpoint", missing),
                                                           ("not in this run's network", unexpected),
                                                           ("shape mismatch", shapes)) if items]


def load_into(module: torch.nn.Module, given: dict[str, torch.Tensor], strict: bool, what: str, source: InitSource,
              hint: str) -> str:
    """Load ``given`` into ``module``; a summary such as ``"42 of 42 tensors"`` (what loaded)."""
    own = module.state_dict()
    problems = mismatches(own, given)
    if problems and strict:
        raise UsageError(f"--init {source.path} does not fit this run's {what}: " + "; ".join(problems), hint=hint)
    fitting = {k: v for k, v in given.items() if k in own and tuple(v.shape) == tuple(own[k].shape)}
    if not fitting:
        raise UsageError(f"--init {source.path}: no tensor of its {what} fits this run's ({'; '.join(problems)})", hint=hint)
    module.load_state_dict(fitting, strict=False)
    return f"{len(fitting)} of {len(own)} tensors" + (f" (not loaded: {'; '.join(problems)})" if problems else "")


def mismatch_hint(source: InitSource, scale: int, channels: int, gen_role: str) -> str:
    then = source.description
    if then.scale != scale:
        return (f"{source.path} is a ×{then.scale} model: use --scale {then.scale}, or --no-init-strict to load only the "
                f"tensors that fit a ×{scale} network")
    if len(then.channels) != channels:
        return f"{source.path} takes {len(then.channels)} channel(s) ({', '.join(then.channel_names)}), this data {channels}"
    return (f"the checkpoint's generator is {then.role_spec('gen')}, this run's gen={gen_role}; use the same gen=, "
            "or --no-init-strict to load only the tensors that fit")


def initialise(trainer: Any, path: str | Path, strict: bool) -> dict[str, str]:
    """Load the checkpoint into ``trainer``'s generator (and EMA copy) and, where it has one and the
    spec matches, its discriminator. Returns what was loaded, for the report and the description."""
    source = read_init(path)
    roles = trainer.spec.parts()
    hint = mismatch_hint(source, trainer.config.scale, trainer.data.channels, roles.get("gen", ""))
    loaded = {"source": source.summary(), "generator": load_into(trainer.generator, source.generator, strict, "generator", source, hint)}
    if trainer.ema is not None:
        trainer.ema.model.load_state_dict(trainer.generator.state_dict())
    if trainer.disc is None:
        return loaded
    if source.discriminator is None:
        loaded["discriminator"] = ("from scratch: model checkpoints hold only the generator (a run's last.resume.safetensors "
                                   "holds its discriminator too)")
    elif source.description.roles.get("disc") != roles.get("disc"):
        loaded["discriminator"] = (f"from scratch: the checkpoint's is disc={source.description.roles.get('disc')}, "
                                   f"this run's disc={roles.get('disc')}")
    else:
        loaded["discriminator"] = load_into(trainer.disc, source.discriminator, strict, "discriminator", source,
                                            "train with the checkpoint's data channels, or --no-init-strict")
    return loaded
