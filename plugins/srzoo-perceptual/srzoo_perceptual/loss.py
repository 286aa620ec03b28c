"""The ``vgg`` perceptual loss (Johnson et al. 2016; SRGAN, Ledig et al. 2017; ESRGAN, Wang et al.
2018): a distance between frozen VGG19 features of ``sr`` and of ``hr``.

Layer. ``layer="conv5_4"`` (default) takes the output of the 16th convolution *before* its ReLU,
ESRGAN's choice (features before activation are denser and keep brightness information);
``relu5_4`` takes the same feature after the activation, as in SRGAN. Any ``convX_Y``/``reluX_Y``
of VGG19 is accepted (conv2_2, conv3_4, conv4_4, conv5_4, …); the network is kept only up to that
layer. Deep layers need inputs of at least 16×16 pixels (four 2×2 poolings before block 5).

Criterion. ``l1`` (default, ESRGAN/BasicSR) or ``mse`` (SRGAN), the mean over every feature.

Inputs. RGB in [0, 1], normalised with ImageNet's mean and std before VGG as torchvision's weights
expect. Other channel counts (``channels="auto"``):

* 1 channel: repeated to three (a grey image);
* 2, or 4 and more channels: each channel alone, repeated to three, goes through VGG as a grey
  image, and the feature distances are averaged over channels. No channel of a weather field is
  "red": feeding (u, v, T) as RGB would make VGG's colour features mix unrelated variables, while
  each variable as a grey image asks VGG only for the spatial structure it was trained to see.

``channels="grey"`` applies the per-channel mapping to 3-channel data too (a field of three
variables); ``channels="rgb"`` requires 3 channels. Standardised fields are fed as they are: values
around 0 instead of [0, 1] only shift VGG's first-layer responses.

The network is frozen (``requires_grad=False``, always in eval mode) and owns no trainable
parameter, so it never enters an optimiser. It computes in float32 with autocast switched off, and
follows its input to its device on first use.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from srzoo_perceptual.metric import IMAGENET_MEAN, IMAGENET_STD, autocast_off
from srzoo_perceptual.vgg19 import (
    VGG19,
    downsampling,
    find_weights,
    layer_index,
    load_vgg19,
)
from srzoo_perceptual.weights import RANDOM, is_random


class VGGPerceptualLoss(nn.Module):
    role = "perceptual"

    def __init__(self, layer: str = "conv5_4", criterion: Literal["l1", "mse"] = "l1",
                 weights: str | None = None, channels: Literal["auto", "rgb", "grey"] = "auto"):
        super().__init__()
        index = layer_index(layer)  # an unknown layer fails before any file is looked for
        if criterion not in ("l1", "mse"):
            raise ValueError(f"criterion must be l1 or mse, got {criterion!r}")
        if channels not in ("auto", "rgb", "grey"):
            raise ValueError(f"channels must be auto, rgb or grey, got {channels!r}")
        self.layer = layer.strip().lower()
        self.criterion = criterion
        self.channels = channels
        self.min_size = 2 ** downsampling(index)
        if is_random(weights):
            self.weights_source = RANDOM
            vgg = VGG19(last=index)
        else:
            path = find_weights(weights)
            self.weights_source = str(path)
            vgg = load_vgg19(path, last=index)
        self.vgg = vgg
        self.vgg.requires_grad_(False)
        self.vgg.eval()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def extra_repr(self) -> str:
        return f"layer={self.layer!r}, criterion={self.criterion!r}, channels={self.channels!r}, weights={self.weights_source!r}"

    def train(self, mode: bool = True) -> VGGPerceptualLoss:
        super().train(mode)
        self.vgg.eval()  # frozen: never in training mode
        return self

    def to_vgg_input(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) → (N or N*C, 3, H, W), ImageNet-normalised (see the module docstring)."""
        n, c, h, w = x.shape
        if self.channels == "rgb" and c != 3:
            raise ValueError(f"vgg: channels='rgb' needs 3-channel inputs, got {c} channels")
        if not (c == 3 and self.channels != "grey"):
            x = x.reshape(n * c, 1, h, w).expand(n * c, 3, h, w)
        return (x - self.mean) / self.std

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        if sr.shape != hr.shape or sr.dim() != 4:
            raise ValueError(f"vgg: sr and hr must be (N, C, H, W) tensors of one shape, got {tuple(sr.shape)} and {tuple(hr.shape)}")
        if min(sr.shape[-2:]) < self.min_size:
            raise ValueError(f"vgg: layer {self.layer} needs images of at least {self.min_size}x{self.min_size} pixels, "
                             f"got {tuple(sr.shape[-2:])}")
        if self.mean.device != sr.device:
            self.to(sr.device)
        with autocast_off(sr.device.type):
            sr_features = self.vgg(self.to_vgg_input(sr.float()))
            with torch.no_grad():
                hr_features = self.vgg(self.to_vgg_input(hr.detach().float()))
            distance = F.l1_loss if self.criterion == "l1" else F.mse_loss
            return distance(sr_features, hr_features)
