"""Weight files and images for the metric tests, made here from seeds, and no network.

Every test runs with ``torch.hub.get_dir`` pointing into a temporary folder and this plugin's
environment variables cleared. The files written by :func:`weight_files` have the published
layouts, written out by hand below: torchvision's (``features.*`` and ``classifier.*``, the
classifier as stride-0 views so a file stays small), the lpips package's heads
(``lin<k>.model.1.weight``) and DISTS' ``alpha``/``beta``. Backbone weights are Gaussian with
He scaling and non-zero biases, so a mix-up of any two layers changes the figures.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

# torchvision.models.alexnet().features / .classifier: index -> (out, in, kernel) / (out, in)
ALEXNET_CONVS = {0: (64, 3, 11), 3: (192, 64, 5), 6: (384, 192, 3), 8: (256, 384, 3), 10: (256, 256, 3)}
ALEXNET_CLASSIFIER = {1: (4096, 9216), 4: (4096, 4096), 6: (1000, 4096)}
# torchvision.models.vgg16().features / .classifier
VGG16_CONVS = {0: (64, 3, 3), 2: (64, 64, 3), 5: (128, 64, 3), 7: (128, 128, 3), 10: (256, 128, 3),
               12: (256, 256, 3), 14: (256, 256, 3), 17: (512, 256, 3), 19: (512, 512, 3), 21: (512, 512, 3),
               24: (512, 512, 3), 26: (512, 512, 3), 28: (512, 512, 3)}
VGG16_CLASSIFIER = {0: (4096, 25088), 3: (4096, 4096), 6: (1000, 4096)}
BACKBONES = {"alex": (ALEXNET_CONVS, ALEXNET_CLASSIFIER), "vgg": (VGG16_CONVS, VGG16_CLASSIFIER)}
HEAD_CHANNELS = {"alex": (64, 192, 384, 256, 256), "vgg": (64, 128, 256, 512, 512)}
DISTS_CHANNELS = 3 + 64 + 128 + 256 + 512 + 512

ENV = ("SRZOO_ALEXNET_WEIGHTS", "SRZOO_ALEXNET_URL", "SRZOO_VGG16_WEIGHTS", "SRZOO_VGG16_URL",
       "SRZOO_LPIPS_ALEX_WEIGHTS", "SRZOO_LPIPS_ALEX_URL", "SRZOO_LPIPS_VGG_WEIGHTS", "SRZOO_LPIPS_VGG_URL",
       "SRZOO_DISTS_WEIGHTS", "SRZOO_DISTS_URL", "SRZOO_VGG19_WEIGHTS", "SRZOO_VGG19_URL")


def backbone_state(net: str, seed: int = 1, classifier: bool = True) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    convs, dense = BACKBONES[net]
    state: dict[str, torch.Tensor] = {}
    for index, (out, cin, k) in convs.items():
        state[f"features.{index}.weight"] = torch.randn(out, cin, k, k, generator=g) * math.sqrt(2 / (cin * k * k))
        state[f"features.{index}.bias"] = 0.1 * torch.randn(out, generator=g)
    if classifier:
        for index, (out, cin) in dense.items():
            state[f"classifier.{index}.weight"] = torch.zeros(1).expand(out, cin)
            state[f"classifier.{index}.bias"] = torch.zeros(1).expand(out)
    return state


def heads_state(net: str, seed: int = 2) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1, generator=g) for k, c in enumerate(HEAD_CHANNELS[net])}


def alpha_beta_state(seed: int = 3) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {"alpha": 0.02 * torch.rand(1, DISTS_CHANNELS, 1, 1, generator=g),
            "beta": 0.02 * torch.rand(1, DISTS_CHANNELS, 1, 1, generator=g)}


def image_pair(seed: int = 4, size: int = 48, noise: float = 0.1, channels: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """(sr, hr): hr uniform in [0, 1], sr = hr + Gaussian noise, clamped."""
    g = torch.Generator().manual_seed(seed)
    hr = torch.rand(2, channels, size, size, generator=g)
    return (hr + noise * torch.randn(hr.shape, generator=g)).clamp(0, 1), hr


def save(path: Path, state) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return path


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch) -> Path:
    hub = tmp_path / "hub"
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return hub


@pytest.fixture(scope="session")
def weight_files(tmp_path_factory) -> SimpleNamespace:
    """Seeded files in the published layouts: alexnet, vgg16 (torchvision), lpips_alex, lpips_vgg
    (the lpips package), dists (DISTS_pytorch)."""
    folder = tmp_path_factory.mktemp("weights")
    return SimpleNamespace(
        alexnet=save(folder / "alexnet-owt.pth", backbone_state("alex")),
        vgg16=save(folder / "vgg16.pth", backbone_state("vgg")),
        lpips_alex=save(folder / "alex.pth", heads_state("alex")),
        lpips_vgg=save(folder / "vgg.pth", heads_state("vgg")),
        dists=save(folder / "weights.pt", alpha_beta_state()),
    )


@pytest.fixture(scope="session")
def data() -> SimpleNamespace:
    """The generators above, for tests (a test module cannot import this file)."""
    return SimpleNamespace(backbone_state=backbone_state, heads_state=heads_state, alpha_beta_state=alpha_beta_state,
                           image_pair=image_pair, save=save, HEAD_CHANNELS=HEAD_CHANNELS)
