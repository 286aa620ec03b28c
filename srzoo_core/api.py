"""The Python API for notebooks and scripts, on the same objects as the command line.

    >>> import srzoo
    >>> run = srzoo.train("gen=srresnet(blocks=4) loss=l1", data="builtin", iters=200)   # doctest: +SKIP
    >>> run.final["psnr"], run.bicubic["psnr"]                                          # doctest: +SKIP
    >>> model = run.model()                      # the best checkpoint, ready for inference  # doctest: +SKIP
    >>> sr = model.upscale(image)                # (H, W, C) in [0, 1] → (4H, 4W, C)       # doctest: +SKIP
    >>> model = srzoo.load("runs/x/best.safetensors")                                   # doctest: +SKIP
    >>> model.evaluate(split="val")              # scored against bicubic, as `srzoo eval`  # doctest: +SKIP

Options of :func:`train` are those of ``srzoo train`` (``iters=``, ``batch=``, ``scale=``,
``out=``, ``name=``, …); an unknown option is an error naming the valid ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from srzoo_core.training import DEFAULT_TILE


@dataclass
class Model:
    """A trained generator with its run description: what ``srzoo upscale`` and ``srzoo eval`` use."""

    generator: Any
    description: Any
    checkpoint: Path | None = None

    @property
    def scale(self) -> int:
        return self.description.scale

    def upscale(self, array: Any, *, tile: int | None = DEFAULT_TILE, overlap: int | None = None, device: str = "cpu",
                max_memory: int | str | None = None, precision: str = "fp32") -> Any:
        """A photo (H, W, C) in [0, 1] or a grid (C, H, W) / (N, C, H, W) in physical units, upscaled, as
        ``srzoo upscale`` does it (a photo's alpha upscaled apart, grey given to an RGB model and back).

        ``tile``/``overlap``/``max_memory``/``precision`` are those of ``srzoo upscale`` (None: planned
        from the memory budget and the generator's receptive field); precision stays ``fp32`` unless
        asked, so a script's figures match ``srzoo eval``."""
        import numpy as np

        from srzoo_core.data.modality import modality
        from srzoo_core.training.inference import upscale_array

        kind = modality(self.description.modality)
        fitted, kept = kind.fit_channels(np.asarray(array), len(self.description.channels))
        result = upscale_array(self.generator, self.description, fitted, tile=tile, overlap=overlap, device=device,
                               max_memory=max_memory, precision=precision)
        return kind.restore(result, kept, self.scale)

    def evaluate(self, data: str | None = None, split: str = "val", batch: int = 16) -> dict[str, Any]:
        """Model and bicubic scored the same way on a split (default: the data it was trained on)."""
        from srzoo_core.errors import UsageError
        from srzoo_core.training.scoring import evaluate_checkpoint

        if self.checkpoint is None:
            raise UsageError("this model has no checkpoint file to evaluate", hint="load one with srzoo.load(path)")
        return evaluate_checkpoint(self.checkpoint, data=data, split=split, batch=batch)


@dataclass
class Run:
    """A finished training run: its folder, description and final figures."""

    path: Path
    description: Any
    final: dict[str, float] = field(default_factory=dict)
    bicubic: dict[str, float] = field(default_factory=dict)
    best: dict[str, Any] | None = None
    steps: int = 0

    def model(self, which: str = "best") -> Model:
        return load(self.path / f"{which}.safetensors")

    def evaluate(self, data: str | None = None, split: str = "val", batch: int = 16) -> dict[str, Any]:
        return self.model().evaluate(data=data, split=split, batch=batch)


def train(spec: str | None = None, *, data: str = "builtin", quiet: bool = False, **options: Any) -> Run:
    """Train as ``srzoo train`` does and return the finished :class:`Run`."""
    from srzoo_core.training.config import make_config
    from srzoo_core.training.progress import Reporter
    from srzoo_core.training.trainer import Trainer

    flags = {"spec": spec, "data": data, **options}
    config = make_config(None, _checked_options(flags))
    trainer = Trainer(config, reporter=Reporter(quiet=quiet) if quiet else None).setup()
    try:
        result = trainer.run()
    finally:
        trainer.dist.close()
    return Run(Path(result["run_dir"]), trainer.description, result["final"], result["bicubic"], result["best"], result["step"])


def load(checkpoint: str | Path) -> Model:
    """A checkpoint's generator (only its plugins are needed), ready for inference."""
    from srzoo_core.training.checkpoint import load_model

    generator, description = load_model(Path(checkpoint))
    return Model(generator, description, Path(checkpoint))


def _checked_options(flags: dict[str, Any]) -> dict[str, Any]:
    import difflib

    from srzoo_core.errors import UsageError
    from srzoo_core.training.config import option_names

    known = option_names()
    for key in flags:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            raise UsageError(f"srzoo.train() has no option {key!r}",
                             hint=f"did you mean {close[0]!r}?" if close else f"options: {', '.join(known)}")
    return flags
