"""The contract every degradation of this plugin honours (see the README, "Contract").

    deg = factory(**options)
    deg.modalities      -> ("photo",) or ("photo", "grid")
    deg.output_size     -> "same" | "any" | "target"
    deg.modality_error(modality) -> None, or the message refusing that kind of data
    lr, params = deg(image, scale=4, generator=g, target_size=None)

``image`` is ``(C, H, W)`` float32 or float64; the result keeps its dtype and device. ``params``
is a JSON-serialisable dict of every scalar drawn; per-pixel draws (noise fields, Poisson counts)
are reproducible from the generator but not stored. ``target_size`` is the ``(h, w)`` the whole
chain must end at, ``(H_hr // scale, W_hr // scale)``; a chain runner passes it to every term,
and a term called on its own treats its input as the HR.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import Tensor

OutputSize = Literal["same", "any", "target"]
MODALITY_WORDS = {"photo": "photographs", "grid": "physical grids"}


class Degradation:
    """Base class: argument checks around :meth:`apply`, which subclasses implement."""

    name: str = ""
    modalities: tuple[str, ...] = ("photo",)
    # "same": keeps (H, W); "any": changes it at random; "target": ends at target_size exactly
    output_size: OutputSize = "same"
    # whether apply() uses the chain's LR size (every "target" term, and resize relative_to=target)
    needs_target: bool = False
    # why the data kinds missing from ``modalities`` are refused
    refusal: str = "it models the capture and encoding of 8-bit photographs (clipping to [0, 1], colour channels)"

    def modality_error(self, modality: str) -> str | None:
        if modality in self.modalities:
            return None
        accepted = " and ".join(MODALITY_WORDS.get(m, m) for m in self.modalities)
        return (f"degradation {self.name!r} cannot degrade {MODALITY_WORDS.get(modality, modality)}: {self.refusal}. "
                f"It accepts {accepted}" + (GRID_HINT if modality == "grid" else ""))

    def __call__(self, image: Tensor, *, scale: int, generator: torch.Generator,
                 target_size: tuple[int, int] | None = None) -> tuple[Tensor, dict[str, Any]]:
        _check_image(image, self.name)
        if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
            raise ValueError(f"{self.name}: scale must be a positive whole number, not {scale!r}")
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"{self.name}: generator must be a torch.Generator, not {type(generator).__name__}")
        needs = self.needs_target or self.output_size == "target"
        target = _target(image, scale, target_size, self.name) if needs else None
        out, params = self.apply(image, scale=scale, target=target, generator=generator)
        if self.output_size == "target" and tuple(out.shape[-2:]) != target:
            raise AssertionError(f"{self.name} promised {target} and made {tuple(out.shape[-2:])}")
        return out, params

    def apply(self, image: Tensor, *, scale: int, target: tuple[int, int] | None,
              generator: torch.Generator) -> tuple[Tensor, dict[str, Any]]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<degradation {self.name}>"


GRID_HINT = "; for grids use smooth, noise(poisson_prob=0, clip=false), coarsen or bicubic"


def _check_image(image: Any, name: str) -> None:
    if not isinstance(image, Tensor) or not image.is_floating_point() or image.ndim != 3:
        what = f"{image.dtype} tensor of shape {tuple(image.shape)}" if isinstance(image, Tensor) else type(image).__name__
        raise ValueError(f"{name} expects one (C, H, W) float image, got a {what}")


def _target(image: Tensor, scale: int, target_size: Any, name: str) -> tuple[int, int]:
    if target_size is not None:
        if (len(target_size) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in target_size)):
            raise ValueError(f"{name}: target_size must be two positive whole numbers (h, w), not {target_size!r}")
        return int(target_size[0]), int(target_size[1])
    h, w = image.shape[-2:]
    if h % scale or w % scale:
        raise ValueError(f"{name}: cannot make an exact ×{scale} LR of a {h}×{w} image: height and width must be "
                         f"divisible by {scale}")
    return h // scale, w // scale


def require_hr(image: Tensor, scale: int, target: tuple[int, int], name: str) -> None:
    """For terms that downscale the HR by exactly ``scale`` (bicubic, coarsen)."""
    hr = (target[0] * scale, target[1] * scale)
    if tuple(image.shape[-2:]) != hr:
        raise ValueError(f"{name} shrinks the {hr[0]}×{hr[1]} HR by {scale}, but got a {image.shape[-2]}×{image.shape[-1]} "
                         f"image that an earlier term resized; end the chain with resize(final=true) instead")


def skipped() -> dict[str, Any]:
    return {"applied": False}
