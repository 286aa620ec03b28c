"""The trainer's side of ``deg=``: build the chain from the resolved spec, let the data make the
training LR with it (:mod:`srzoo_core.data.degradation`), and show what the model trains on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from srzoo_core.build import build_degradations

PANEL = "samples/degradations.png"


def use_degradations(spec: Any, data: Any, scale: int, seed: int) -> dict[str, Any] | None:
    """Degrade ``data``'s training LR by the spec's ``deg=``; what the run description records
    (None, and the data untouched, when the spec has no ``deg=``)."""
    from srzoo_core.data.degradation import DegradationChain, degrade_training_data

    terms = build_degradations(spec)
    if not terms:
        return None
    chain = DegradationChain(terms, scale, spec.parts()["deg"])
    return degrade_training_data(data, chain, seed)


def show_degradations(trainer: Any) -> None:
    """At the start of training: say how the training LR is made, keep it in ``run.json``
    (``training_lr``, beside the description, whose ``deg=`` role and components already hold
    the chain and its options) and draw the panel of the first step's items."""
    made = trainer.training_lr
    trainer.reporter.info(made["summary"])
    try:
        trainer.rundir.set_status("running", training_lr=made)
        write_degradation_panel(trainer.rundir.file(PANEL), trainer.data)
    except OSError as exc:  # a record of the inputs is worth no failed run
        trainer.reporter.warn(f"could not write {PANEL}: {exc.strerror or exc}")


def write_degradation_panel(path: Path, data: Any, count: int = 4) -> Path:
    """The first training items (those of step 0): their LR as ``deg=`` made it, the data's fixed
    degradation of the same HR for comparison, and the HR, in the modality's panel style."""
    from srzoo_core.data.degradation import training_examples
    from srzoo_core.training.plots import save_sample_panel

    lr, hr, fixed = training_examples(data, count)
    show = lambda x: data.normaliser.denormalise(x).numpy()  # noqa: E731
    degraded, plain = (show(torch.nn.functional.interpolate(x, scale_factor=data.scale, mode="nearest")) for x in (lr, fixed))
    titles = ("training LR (deg=, nearest)", f"{data.degradation} LR (nearest)", "|difference|", "HR")
    return save_sample_panel(path, degraded, plain, abs(degraded - plain), show(hr), data.modality.panel,
                             list(data.channel_names), titles=titles)
