"""LPIPS (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual
Metric"), version 0.1: the values of the ``lpips`` package's ``LPIPS(net=…, version="0.1")`` called
with ``normalize=True`` on images in [0, 1].

For each image: ``x → 2x − 1`` (to [−1, 1]), then the scaling layer ``(x − shift) / scale`` with
``shift = (−0.030, −0.088, −0.188)`` and ``scale = (0.458, 0.448, 0.450)``; the backbone's five
ReLU outputs (AlexNet: features 1, 4, 7, 9, 11; VGG16: relu1_2, relu2_2, relu3_3, relu4_3,
relu5_3 = features 3, 8, 15, 22, 29); each unit-normalised over channels (``f / (‖f‖ + 1e-10)``);
the squared difference of the two images' normalised features weighted per channel by a learned
1×1 convolution (a "linear head", no bias), averaged over space, summed over the five layers.

Weights come in two files: torchvision's ImageNet backbone (``backbone=PATH``,
``$SRZOO_ALEXNET_WEIGHTS`` / ``$SRZOO_VGG16_WEIGHTS``, the torch hub cache, else a download) and
the lpips package's heads, ``lpips/weights/v0.1/<net>.pth`` with keys ``lin0.model.1.weight`` …
``lin4.model.1.weight`` (``weights=PATH``, ``$SRZOO_LPIPS_ALEX_WEIGHTS`` /
``$SRZOO_LPIPS_VGG_WEIGHTS``, the cache, else a download checked against the sha256 pinned here).
``weights="random"`` builds both at random (heads uniform in [0, 1)), for tests only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from srzoo_perceptual.backbones import (
    ALEXNET,
    ALEXNET_SHAPES,
    VGG16,
    VGG16_CONFIG,
    VGG16_SHAPES,
    Features,
    alexnet_layers,
    load_backbone,
    vgg_layers,
)
from srzoo_perceptual.metric import PerceptualMetric
from srzoo_perceptual.weights import Published, identity, is_random

SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
EPS = 1e-10
HEADS_URL = "https://raw.githubusercontent.com/richzhang/PerceptualSimilarity/master/lpips/weights/v0.1/{net}.pth"
# sha256 of lpips/weights/v0.1/{alex,vgg}.pth, identical in the repository and the lpips 0.1.4 wheel.
HEADS_SHA256 = {"alex": "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
                "vgg": "a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868"}


@dataclass(frozen=True)
class Network:
    backbone: Published
    shapes: dict
    layers: Callable[[], list[nn.Module]]
    taps: tuple[int, ...]
    channels: tuple[int, ...]
    min_size: int  # the smallest input whose deepest tap is not empty


NETWORKS = {
    "alex": Network(ALEXNET, ALEXNET_SHAPES, alexnet_layers, (1, 4, 7, 9, 11), (64, 192, 384, 256, 256), 31),
    "vgg": Network(replace(VGG16, option="lpips(net=vgg,backbone=PATH)", random_option="lpips(weights=random)"),
                   VGG16_SHAPES, lambda: vgg_layers(VGG16_CONFIG), (3, 8, 15, 22, 29), (64, 128, 256, 512, 512), 16),
}


def heads_file(net: str) -> Published:
    sha = HEADS_SHA256[net]
    return Published(label=f"LPIPS {net} linear-head", url=HEADS_URL.format(net=net),
                     description=f"the lpips package's v0.1 linear heads for {net} (lpips/weights/v0.1/{net}.pth)",
                     env=f"SRZOO_LPIPS_{net.upper()}_WEIGHTS", url_env=f"SRZOO_LPIPS_{net.upper()}_URL",
                     option=f"lpips(net={net},weights=PATH)", random_option="lpips(weights=random)",
                     sha256=sha, cache_name=f"lpips-v0.1-{net}-{sha[:8]}.pth", shared="")


class LinearHead(nn.Module):
    """A bias-free 1×1 convolution to one channel, at index 1 of ``model`` as in the lpips package
    (whose index 0 is a dropout used only in training), so the keys are ``lin<k>.model.1.weight``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Identity(), nn.Conv2d(channels, 1, kernel_size=1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def unit_normalised(features: torch.Tensor) -> torch.Tensor:
    return features / (features.square().sum(dim=1, keepdim=True).sqrt() + EPS)


class LPIPS(PerceptualMetric):
    name = "lpips"

    def __init__(self, net: Literal["alex", "vgg"] = "alex", weights: str | None = None,
                 backbone: str | None = None, crop: int = 0) -> None:
        super().__init__(crop)
        if net not in NETWORKS:
            raise ValueError(f"lpips: net must be alex or vgg, got {net!r}")
        random = is_random(weights)
        if random and backbone:
            raise ValueError("lpips: weights=random builds a random backbone too; do not also give backbone=")
        spec = NETWORKS[net]
        self.net_name, self.min_size = net, spec.min_size
        self.net = Features(spec.layers(), spec.taps)
        for k, channels in enumerate(spec.channels):
            head = LinearHead(channels)
            nn.init.uniform_(head.model[1].weight, 0.0, 1.0)  # learned heads are non-negative too
            self.add_module(f"lin{k}", head)
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1), persistent=False)
        self.files: dict[str, Path | None] = {"backbone": None, "heads": None}
        if not random:
            self.net, backbone_path = load_backbone(spec.backbone, backbone, spec.shapes, self.net)
            self.files = {"backbone": Path(backbone_path), "heads": self._load_heads(heads_file(net), weights)}
        self._identity: dict | None = None
        self.freeze()

    @property
    def heads(self) -> list[LinearHead]:
        return [getattr(self, f"lin{k}") for k in range(len(self.net.taps))]

    def _load_heads(self, published: Published, given: str | None) -> Path:
        path = published.find(given)
        shapes = {f"lin{k}.model.1.weight": tuple(h.model[1].weight.shape) for k, h in enumerate(self.heads)}
        tensors = published.select(path, published.read(path), shapes, "the lpips package's LPIPS heads layout")
        with torch.no_grad():
            for k, head in enumerate(self.heads):
                head.model[1].weight.copy_(tensors[f"lin{k}.model.1.weight"])
        return path

    def protocol(self) -> dict:
        if self._identity is None:  # hashing a backbone file takes a moment: only when asked, once
            self._identity = {part: identity(path) for part, path in self.files.items()}
        return {**self.base_protocol(), "network": self.net_name, "version": "0.1",
                "reference": f"lpips package (Zhang et al. 2018): lpips.LPIPS(net={self.net_name!r}, version='0.1')"
                             "(sr, hr, normalize=True)",
                "preprocessing": f"x -> 2x - 1 (to [-1, 1]), then (x - shift) / scale, shift {SHIFT}, scale {SCALE}",
                "weights": dict(self._identity)}

    def distance(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        both = (torch.cat([sr, hr]) * 2 - 1 - self.shift) / self.scale
        total = sr.new_zeros(sr.shape[0])
        for head, features in zip(self.heads, self.net(both)):
            a, b = unit_normalised(features).chunk(2)
            total = total + head((a - b).square()).mean(dim=(1, 2, 3))
        return total
