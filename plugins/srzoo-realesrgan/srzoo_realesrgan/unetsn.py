"""Real-ESRGAN's U-Net discriminator with spectral normalisation (Wang et al., ICCVW 2021): three
strided 4×4 convs down, three bilinear ×2 + 3×3 convs up with skip connections, two more 3×3
convs, one logit per pixel. Keys follow Real-ESRGAN/BasicSR's ``UNetDiscriminatorSN``:
``conv0`` … ``conv9``, the spectrally normalised ones as ``weight_orig``/``weight_u``/``weight_v``
(``torch.nn.utils.spectral_norm``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

DOWNSAMPLING = 8  # three stride-2 convs


def _lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, negative_slope=0.2, inplace=True)


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class UNetDiscriminatorSN(nn.Module):
    def __init__(self, in_channels: int, features: int, skip_connection: bool):
        super().__init__()
        self.skip_connection = skip_connection
        f = features
        self.conv0 = nn.Conv2d(in_channels, f, 3, padding=1)
        self.conv1 = spectral_norm(nn.Conv2d(f, f * 2, 4, 2, 1, bias=False))
        self.conv2 = spectral_norm(nn.Conv2d(f * 2, f * 4, 4, 2, 1, bias=False))
        self.conv3 = spectral_norm(nn.Conv2d(f * 4, f * 8, 4, 2, 1, bias=False))
        self.conv4 = spectral_norm(nn.Conv2d(f * 8, f * 4, 3, 1, 1, bias=False))
        self.conv5 = spectral_norm(nn.Conv2d(f * 4, f * 2, 3, 1, 1, bias=False))
        self.conv6 = spectral_norm(nn.Conv2d(f * 2, f, 3, 1, 1, bias=False))
        self.conv7 = spectral_norm(nn.Conv2d(f, f, 3, 1, 1, bias=False))
        self.conv8 = spectral_norm(nn.Conv2d(f, f, 3, 1, 1, bias=False))
        self.conv9 = nn.Conv2d(f, 1, 3, padding=1)

    def _skip(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return x + skip if self.skip_connection else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        pad_h, pad_w = -h % DOWNSAMPLING, -w % DOWNSAMPLING
        if pad_h or pad_w:  # the skips need sizes that halve evenly three times; crop the logits back
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        x0 = _lrelu(self.conv0(x))
        x1 = _lrelu(self.conv1(x0))
        x2 = _lrelu(self.conv2(x1))
        x3 = _lrelu(self.conv3(x2))
        x4 = self._skip(_lrelu(self.conv4(_up(x3))), x2)
        x5 = self._skip(_lrelu(self.conv5(_up(x4))), x1)
        x6 = self._skip(_lrelu(self.conv6(_up(x5))), x0)
        out = self.conv9(_lrelu(self.conv8(_lrelu(self.conv7(x6)))))
        return out[..., :h, :w]


def unetsn(in_channels: int = 3, features: int = 64, skip_connection: bool = True) -> UNetDiscriminatorSN:
    """Logits (N, 1, H, W), one per input pixel, for any input size (padded inside to a multiple
    of 8, then cropped); no sigmoid. Real-ESRGAN trains with ``features=64``."""
    if features < 1:
        raise ValueError(f"features must be at least 1, not {features}")
    return UNetDiscriminatorSN(in_channels, features, skip_connection)
