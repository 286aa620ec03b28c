"""Degradation chains (``deg=``): the spec's degradation terms applied in order to make a training
LR from its HR, one sample at a time, reproducibly. The trainer builds the terms
(:func:`srzoo_core.build.build_degradations`) and hands them here; this module imports no plugin.

Seeding
    Training item ``i`` of epoch ``e`` is degraded with a ``torch.Generator`` seeded from
    ``(seed, e, i)`` (:func:`sample_generator`; a stream apart from the one that draws the crop),
    inside the data-loader worker that makes the item. The LR of a step therefore depends on the
    step alone: the same with 0 or N workers, after ``--resume`` and on every rank under torchrun.

Once or per sample
    A chain that draws nothing from its generator (``bicubic``, ``coarsen``, ``smooth`` with a
    fixed sigma) is applied once to each whole training image, like srzoo's fixed degradations
    (integer photos are then rounded to their bit depth, as before), so ``deg=bicubic`` gives the
    LR that no ``deg=`` gives. A chain that draws is applied on the fly to each augmented HR crop
    and its result is used as it comes (``realesrgan`` rounds to 8 bits itself).

Validation
    ``deg=`` makes training LR only. Validation and test LR stay the data's own (``--degradation``,
    default bicubic, or paired LR files), so every arm of an ablation over ``deg=`` is validated
    and scored (``srzoo eval``) on the same inputs. To validate on degraded inputs, make them once
    with ``srzoo degrade SPEC HR/ LR/`` and train with ``--val-data HR,LR``.

Units
    Terms see data in its own units: photos in [0, 1] (float32), grids in physical units (the
    stored z-scored crop mapped back by the normaliser, degraded in float64, normalised again).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from srzoo_core.data.datasets import CropDataset
from srzoo_core.data.errors import DataError
from srzoo_core.data.normalise import Normaliser
from srzoo_core.errors import UsageError

SEED_STREAM = 0xDE6  # appended to (seed, epoch, index): the degradation's draws never repeat the crop's


def sample_generator(seed: int, epoch: int, index: int) -> torch.Generator:
    """The CPU generator that degrades training item ``index`` of ``epoch`` in a run seeded ``seed``."""
    words = np.random.SeedSequence([int(seed), int(epoch), int(index), SEED_STREAM]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(words[0]) << 32 | int(words[1]))


class DegradationChain:
    """Terms (``.name``, ``.options``, ``.degradation``) applied in order with one generator, each
    told the LR size the chain must end at; the result is checked to be ``(C, H/scale, W/scale)``."""

    def __init__(self, terms: Sequence[Any], scale: int, spec: str = ""):
        if not terms:
            raise ValueError("a degradation chain needs at least one term")
        self.terms, self.scale = list(terms), int(scale)
        self.spec = spec or "+".join(t.name for t in self.terms)

    def check_modality(self, modality: str) -> None:
        """One message for the first term that cannot degrade this kind of data."""
        for term in self.terms:
            component = term.degradation
            explain = getattr(component, "modality_error", None)
            message = explain(modality) if explain else (None if modality in component.modalities else
                                                         f"degradation {term.name!r} accepts {', '.join(component.modalities)} data, not {modality}")
            if message:
                fitting = [t.name for t in self.terms if modality in t.degradation.modalities]
                raise UsageError(f"deg={self.spec}: {message}",
                                 hint=f"of this chain, {', '.join(fitting)} accept {modality} data" if fitting
                                 else f"'srzoo list deg' shows every degradation and the data it accepts")

    def __call__(self, image: Tensor, generator: torch.Generator) -> tuple[Tensor, list[dict[str, Any]]]:
        """``(lr, params)``: the LR of one ``(C, H, W)`` HR, and per term what it drew."""
        c, h, w = image.shape
        if h % self.scale or w % self.scale:
            raise DataError(f"cannot degrade a {h}×{w} image by ×{self.scale}: height and width must be divisible by {self.scale}")
        target = (h // self.scale, w // self.scale)
        out, drawn = image, []
        for term in self.terms:
            try:
                out, params = term.degradation(out, scale=self.scale, generator=generator, target_size=target)
            except ValueError as exc:
                raise DataError(f"degradation {term.name!r} of deg={self.spec} failed on a {h}×{w} image: {exc}") from None
            drawn.append({"name": term.name, "params": params})
        if tuple(out.shape) != (c, *target) or out.dtype != image.dtype:
            raise DataError(f"deg={self.spec} made a {tuple(out.shape)} {out.dtype} LR from a {(c, h, w)} {image.dtype} HR; "
                            f"expected {(c, *target)} {image.dtype}")
        return out, drawn

    def draws(self, image: Tensor) -> bool:
        """Whether the chain takes anything from its generator (so its LR changes with the seed)."""
        generator = torch.Generator().manual_seed(0)
        before = generator.get_state()
        self(image, generator)
        return not torch.equal(before, generator.get_state())

    def describe(self) -> list[dict[str, Any]]:
        return [{"name": t.name, "options": {k: list(v) if isinstance(v, tuple) else v for k, v in t.options.items()}}
                for t in self.terms]


class SampleDegrader:
    """What a :class:`CropDataset` calls to make an LR from a stored HR (normalised float32):
    back to the data's units, through the chain, normalised again. Pickles (data-loader workers)."""

    def __init__(self, chain: DegradationChain, seed: int, normaliser: Normaliser):
        self.chain, self.seed, self.normaliser = chain, int(seed), normaliser
        # identity-normalised data (photos in [0, 1]) degrade in float32; physical units need float64
        self.dtype = torch.float32 if normaliser.kind == "unit" else torch.float64

    def units(self, hr: Tensor) -> Tensor:
        return self.normaliser.denormalise(hr.to(self.dtype))

    def __call__(self, hr: Tensor, epoch: int, index: int) -> Tensor:
        lr, _ = self.chain(self.units(hr), sample_generator(self.seed, epoch, index))
        return self.normaliser.normalise(lr).to(torch.float32).contiguous()

    def whole(self, hr: Tensor, white: float, index: int) -> Tensor:
        """The LR of a whole stored image (storage dtype in, storage dtype out), for a chain that
        draws nothing: integer images are rounded to their bit depth like srzoo's fixed LR."""
        floating = hr.to(torch.float32) / white if white != 1.0 else hr.to(torch.float32)
        lr = self(floating, 0, index)
        return lr if hr.is_floating_point() else torch.round(lr.clamp(0.0, 1.0) * white).to(hr.dtype)


def degrade_training_data(bundle: Any, chain: DegradationChain, seed: int) -> dict[str, Any]:
    """Make ``bundle``'s training LR with ``chain`` (see the module docstring); returns how, for
    ``run.json`` (the run description's ``deg=`` role and components hold the chain's options)."""
    if bundle.lr_source == "paired":
        raise UsageError(f"deg={chain.spec} makes the training LR from the HR, but {bundle.name} pairs each HR with an LR file",
                         hint="drop deg= to train on the given LR, or drop the LR files (--lr-data) to degrade the HR")
    chain.check_modality(bundle.modality.name)
    train = bundle.train
    if not isinstance(train, CropDataset):
        raise UsageError(f"deg= cannot degrade the training set of {bundle.name}: its source gives a {type(train).__name__}, "
                         "not srzoo's CropDataset", hint="drop deg=, or ask the data source's maintainers to return a CropDataset")
    degrader = SampleDegrader(chain, seed, bundle.normaliser)
    corner = train.hr[0][:, :train.patch, :train.patch]  # a tensor, also from lazily read storage
    probe = degrader.units(train._float(corner))
    per_sample = chain.draws(probe)
    if per_sample:
        train.degrader = degrader
        made = ("per training item, on the fly in the data loader, from the augmented HR crop, with a torch.Generator "
                "seeded from (seed, epoch, item index); the chain's output is used as it comes")
    else:
        train.lr = [degrader.whole(hr[:, :, :], train.white, j) for j, hr in enumerate(train.hr)]
        made = "once from each whole training image (the chain draws nothing), then cropped with the HR"
        if not corner.is_floating_point():
            made += f"; rounded to the images' bit depth (white = {train.white:g})"
    seeding = ("item i of epoch e: torch.Generator().manual_seed(w0 << 32 | w1), (w0, w1) = numpy.random.SeedSequence("
               f"[seed, e, i, {SEED_STREAM}]).generate_state(2, uint32), seed being the run's --seed")
    how = "per item, in the data loader" if per_sample else "once per image (the chain draws nothing)"
    summary = f"training LR by deg={chain.spec}, {how}; validation LR by {bundle.degradation}, as without deg="
    return {"deg": chain.spec, "summary": summary, "terms": chain.describe(), "made": made, "seeding": seeding, "per_sample": per_sample,
            "validation_lr": f"not made by deg=: the data's own ({bundle.degradation} x{bundle.scale}, or paired LR), "
                             "the same for every arm of an ablation over deg="}


def training_examples(bundle: Any, count: int = 4) -> tuple[Tensor, Tensor, Tensor]:
    """The first ``count`` training items of epoch 0 (those of the first step) as ``(lr, hr,
    fixed_lr)`` batches, normalised; ``fixed_lr`` is the data's own degradation of the same HR."""
    from srzoo_core.data.resize import degrade

    train = bundle.train
    items = [train[i] for i in range(min(count, len(train)))]
    lr, hr = torch.stack([i[0] for i in items]), torch.stack([i[1] for i in items])
    physical = bundle.normaliser.denormalise(hr.to(torch.float64))
    fixed = bundle.normaliser.normalise(degrade(physical, bundle.scale, bundle.degradation)).to(torch.float32)
    return lr, hr, fixed
