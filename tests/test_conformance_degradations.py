"""The conformance kit's checks for degradations (kind ``deg``): a well-behaved term passes, each
broken one fails the check that names what is wrong."""

from __future__ import annotations

import random

import pytest
import torch

from srzoo_core.testing import ConformanceError, check_plugin
from tests.test_conformance_kit import make_plugin


class Fine:
    """Gaussian noise of a drawn sigma, for photos and grids."""
    modalities, output_size, needs_target = ("photo", "grid"), "same", False

    def modality_error(self, modality):
        return None if modality in self.modalities else f"degradation 'fine' cannot degrade {modality}"

    def __call__(self, image, *, scale, generator, target_size=None):
        if not isinstance(image, torch.Tensor) or image.ndim != 3 or not image.is_floating_point():
            raise ValueError("one (C, H, W) float image")
        sigma = 0.01 * torch.rand((), generator=generator, dtype=torch.float64).item()
        noise = torch.randn(image.shape, generator=generator, dtype=image.dtype)
        return image + sigma * noise, {"sigma": sigma}


class GlobalRandom(Fine):
    def __call__(self, image, *, scale, generator, target_size=None):
        return image + 0.01 * torch.randn(image.shape, dtype=image.dtype), {"sigma": random.random()}


class WrongSize(Fine):
    output_size = "target"


class Unnamed(Fine):
    modalities = ("photo", "spectrum")


class NotJson(Fine):
    def __call__(self, image, *, scale, generator, target_size=None):
        out, _ = super().__call__(image, scale=scale, generator=generator)
        return out, {"sigma": torch.tensor(0.5)}


class Unpicklable(Fine):
    def __init__(self):
        self.hook = lambda x: x


class AcceptsAnything(Fine):
    def __call__(self, image, *, scale, generator, target_size=None):
        return image.float(), {}


def failures(**components) -> list[str]:
    plugin = make_plugin("kit_degs", srzoo_register_degradations=[(name, factory, {}) for name, factory in components.items()])
    with pytest.raises(ConformanceError) as caught:
        check_plugin(plugin)
    return [str(f) for f in caught.value.failures]


def test_a_well_behaved_degradation_passes_every_check():
    passed = check_plugin(make_plugin("kit_degs", srzoo_register_degradations=[("fine", Fine, {})]))
    assert [p.split("] ")[1] for p in passed] == [
        "build", "declares its modalities", "declares its output size", "output shape, dtype and params", "refuses bad input",
        "randomness from the generator only", "pickles", "keeps physical values"]


@pytest.mark.parametrize("factory, line", [
    (GlobalRandom, "[deg x] randomness from the generator only: a call changed the global torch, NumPy or Python random state"),
    (WrongSize, "[deg x] output shape, dtype and params: torch.float32 input, target_size=None: output_size 'target' but the "
                "output is (32, 24), not (8, 6)"),
    (Unnamed, "[deg x] declares its modalities: modalities is ('photo', 'spectrum'); expected a non-empty tuple of photo, grid"),
    (NotJson, "[deg x] output shape, dtype and params: torch.float32 input, target_size=None: params {'sigma': tensor(0.5000)} "
              "are not a dict that survives a JSON round trip"),
    (Unpicklable, "[deg x] pickles: raised"),
    (AcceptsAnything, "[deg x] refuses bad input: a (1, C, H, W) batch is accepted; expected a ValueError"),
])
def test_each_broken_degradation_fails_the_check_that_says_why(factory, line):
    found = failures(x=factory)
    assert any(f.startswith(line) for f in found), found
