"""DISTS (Ding et al. 2020, "Image Quality Assessment: Unifying Structure and Texture Similarity"):
the values of ``DISTS_pytorch.DISTS()(hr, sr)`` (symmetric) on images in [0, 1].

Features: the image itself and VGG16's relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 (features 3, 8,
15, 22, 29) computed on the ImageNet-normalised image, with VGG16's four max-pools (features 4, 9,
16, 23) replaced by "L2 pooling": ``sqrt(conv(x², g) + 1e-12)`` with stride 2, padding 1 and
``g`` the normalised outer product of the Hann window (0.5, 1, 0.5), per channel. For every
channel of every feature map, with spatial means ``μ``, variances ``σ²`` and covariance ``σxy``
(population), texture ``(2 μx μy + c) / (μx² + μy² + c)`` and structure
``(2 σxy + c) / (σx² + σy² + c)``, ``c = 1e-6``; DISTS = 1 − Σ (α · texture + β · structure), the
1475 α and 1475 β normalised by their joint sum.

Weights: torchvision's VGG16 (``backbone=PATH``, ``$SRZOO_VGG16_WEIGHTS``, the torch hub cache,
else a download) and DISTS' α, β (``DISTS_pytorch/weights.pt``, keys ``alpha`` and ``beta``, each
``(1, 1475, 1, 1)``: ``weights=PATH``, ``$SRZOO_DISTS_WEIGHTS``, the cache, else a download
checked against the sha256 pinned here). ``weights="random"`` builds both at random (α, β drawn
from N(0.1, 0.01²) as DISTS does before loading), for tests only.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from srzoo_perceptual.backbones import (
    VGG16,
    VGG16_CONFIG,
    VGG16_SHAPES,
    Features,
    load_backbone,
    vgg_layers,
)
from srzoo_perceptual.metric import IMAGENET_MEAN, IMAGENET_STD, PerceptualMetric
from srzoo_perceptual.weights import Published, identity, is_random

TAPS = (3, 8, 15, 22, 29)
POOLS = {4: 64, 9: 128, 16: 256, 23: 512}  # index of each VGG16 max-pool replaced -> its channels
CHANNELS = (3, 64, 128, 256, 512, 512)  # the image, then each tap
C1 = C2 = 1e-6
SHA256 = "f5e65c96230b7f6ca995691647d482237e4cab8a50c5c4a5784f219ef0748218"  # DISTS_pytorch/weights.pt (repo, 0.1 wheel)
PUBLISHED = Published(label="DISTS", description="DISTS' alpha/beta weights (DISTS_pytorch/weights.pt)",
                      url="https://raw.githubusercontent.com/dingkeyan93/DISTS/master/DISTS_pytorch/weights.pt",
                      env="SRZOO_DISTS_WEIGHTS", url_env="SRZOO_DISTS_URL", option="dists(weights=PATH)",
                      random_option="dists(weights=random)", sha256=SHA256, cache_name=f"dists-{SHA256[:8]}.pt",
                      shared="")


class L2Pool(nn.Module):
    """Anti-aliased downsampling by 2 of the local energy: ``sqrt(blur(x²) + 1e-12)``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        taps = torch.hann_window(5, periodic=False, dtype=torch.float64)[1:-1]
        kernel = taps[:, None] * taps[None, :]
        kernel = (kernel / kernel.sum()).float()
        self.register_buffer("kernel", kernel.expand(channels, 1, 3, 3).contiguous(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        energy = F.conv2d(x.square(), self.kernel, stride=2, padding=1, groups=x.shape[1])
        return (energy + 1e-12).sqrt()


def dists_layers() -> list[nn.Module]:
    layers = vgg_layers(VGG16_CONFIG, last=max(TAPS))
    for index, channels in POOLS.items():
        layers[index] = L2Pool(channels)
    return layers


def _statistics(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel texture and structure similarities, (N, C) each."""
    mx, my = x.mean(dim=(2, 3), keepdim=True), y.mean(dim=(2, 3), keepdim=True)
    texture = (2 * mx * my + C1) / (mx.square() + my.square() + C1)
    vx, vy = (x - mx).square().mean(dim=(2, 3), keepdim=True), (y - my).square().mean(dim=(2, 3), keepdim=True)
    covariance = (x * y).mean(dim=(2, 3), keepdim=True) - mx * my
    structure = (2 * covariance + C2) / (vx + vy + C2)
    return texture.flatten(1), structure.flatten(1)


class DISTS(PerceptualMetric):
    name = "dists"

    def __init__(self, weights: str | None = None, backbone: str | None = None, crop: int = 0) -> None:
        super().__init__(crop)
        random = is_random(weights)
        if random and backbone:
            raise ValueError("dists: weights=random builds a random backbone too; do not also give backbone=")
        self.net = Features(dists_layers(), TAPS)
        self.alpha = nn.Parameter(torch.empty(1, sum(CHANNELS), 1, 1).normal_(0.1, 0.01))
        self.beta = nn.Parameter(torch.empty(1, sum(CHANNELS), 1, 1).normal_(0.1, 0.01))
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.files: dict[str, Path | None] = {"backbone": None, "alpha_beta": None}
        if not random:
            self.net, backbone_path = load_backbone(VGG16, backbone, VGG16_SHAPES, self.net)
            self.files = {"backbone": Path(backbone_path), "alpha_beta": self._load_alpha_beta(weights)}
        self._identity: dict | None = None
        self.freeze()

    def _load_alpha_beta(self, given: str | None) -> Path:
        path = PUBLISHED.find(given)
        shapes = {"alpha": tuple(self.alpha.shape), "beta": tuple(self.beta.shape)}
        tensors = PUBLISHED.select(path, PUBLISHED.read(path), shapes, "DISTS' weights layout (alpha, beta)")
        with torch.no_grad():
            self.alpha.copy_(tensors["alpha"])
            self.beta.copy_(tensors["beta"])
        return path

    def protocol(self) -> dict:
        if self._identity is None:  # hashing a backbone file takes a moment: only when asked, once
            self._identity = {part: identity(path) for part, path in self.files.items()}
        return {**self.base_protocol(), "network": "vgg16 with L2 pooling",
                "reference": "DISTS_pytorch (Ding et al. 2020): DISTS()(sr, hr), no resizing",
                "preprocessing": f"ImageNet normalisation (x - {IMAGENET_MEAN}) / {IMAGENET_STD} before VGG16; "
                                 "the raw image is the first feature",
                "weights": dict(self._identity)}

    def distance(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        n = sr.shape[0]
        both = torch.cat([sr, hr])
        features = [both, *self.net((both - self.mean) / self.std)]
        total = self.alpha.sum() + self.beta.sum()
        alphas = (self.alpha / total).flatten().split(CHANNELS)
        betas = (self.beta / total).flatten().split(CHANNELS)
        textures, structures = sr.new_zeros(n), sr.new_zeros(n)
        for f, alpha, beta in zip(features, alphas, betas):
            texture, structure = _statistics(f[:n], f[n:])
            textures = textures + (texture * alpha).sum(1)
            structures = structures + (structure * beta).sum(1)
        return 1 - (textures + structures)
