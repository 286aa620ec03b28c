"""Multi-scale PatchGAN discriminator (Wang et al., "High-Resolution Image Synthesis and Semantic
Manipulation with Conditional GANs" — pix2pixHD, CVPR 2018): ``scales`` independent PatchGANs,
the k-th (k = 0, 1, …) judging the image average-pooled k times, each pooling halving its size
with pix2pixHD's 3×3, stride-2 average (padding 1, left out of the mean). The coarse scales judge
global structure with the same small discriminator that judges texture at full resolution.

Each scale is this plugin's ``patchgan`` (4×4 convs with padding 1, as pix2pix's PatchGAN; pix2pixHD
pads by 2 and keeps conv biases before its norms, so its weights do not load here).

One tensor of logits. The core's adversarial losses take a single logits tensor, so every
scale's map is flattened and the maps are concatenated, finest first, into a patch map of shape
(N, 1, 1, Σₖ hₖ·wₖ). Losses that average over the map (``gan``, ``ragan``) then count every patch
once, so a scale weighs in proportion to its number of patches: with the defaults on a 64×64
image, 14×14 = 196 full-resolution logits and 6×6 = 36 half-resolution ones (84% and 16%).
pix2pixHD instead averages each scale's loss and sums the scales. ``maps(x)`` gives the separate
maps.
"""

from __future__ import annotations

import torch
from torch import nn

from srzoo_cgan.patchgan import Norm, output_size, patchgan, receptive_field


class MultiScalePatchGAN(nn.Module):
    def __init__(self, in_channels: int, scales: int, features: int, layers: int, norm: str):
        super().__init__()
        self.layers = layers
        self.discriminators = nn.ModuleList(patchgan(in_channels, features, layers, norm) for _ in range(scales))
        self.downsample = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)

    @property
    def receptive_fields(self) -> list[int]:
        """Approximate side, in input pixels, seen by one logit of each scale (finest first)."""
        return [receptive_field(self.layers) * 2 ** k for k in range(len(self.discriminators))]

    def maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The logit map (N, 1, hₖ, wₖ) of every scale, finest first."""
        out = []
        for k, discriminator in enumerate(self.discriminators):
            if k:
                x = self.downsample(x)
            if min(output_size(x.shape[-2], self.layers), output_size(x.shape[-1], self.layers)) < 1:
                raise ValueError(f"multipatch: scale {k} sees a {x.shape[-2]}x{x.shape[-1]} image, too small for "
                                 f"layers={self.layers}; use fewer scales or layers, or larger images")
            out.append(discriminator(x))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([m.flatten(1) for m in self.maps(x)], 1)[:, None, None, :]


def multipatch(in_channels: int = 3, scales: int = 2, features: int = 64, layers: int = 2, norm: Norm = "batch") -> MultiScalePatchGAN:
    """Multi-scale PatchGAN (pix2pixHD): ``scales`` PatchGANs (``features``, ``layers``, ``norm`` as
    in ``patchgan``) on the image average-pooled ×1, ×2, ×4 …; their flattened logit maps are
    concatenated into one patch map (N, 1, 1, total), finest scale first, so every patch counts once
    in the loss. pix2pixHD uses 3 scales of layers=3 on 512+ pixel images; the defaults (2 scales,
    layers=2) suit 32–128 pixel targets."""
    if not 1 <= scales <= 6:
        raise ValueError(f"scales must be between 1 and 6, not {scales}")
    return MultiScalePatchGAN(in_channels, scales, features, layers, norm)
