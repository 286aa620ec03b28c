"""SRVGGNetCompact, Real-ESRGAN's compact generator (Wang et al., "Real-ESRGAN: Training Real-World
Blind Super-Resolution with Pure Synthetic Data", ICCVW 2021; the ``realesr-*v3`` models): a plain
stack of 3×3 convs and activations in one ``nn.ModuleList`` named ``body`` (keys ``body.0`` …),
the last conv making ``out_channels × scale²`` channels for one PixelShuffle, plus the
nearest-upsampled input, so the network learns the residual. No conv runs at high resolution."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Activation = Literal["prelu", "relu", "leakyrelu"]
PRESETS = {"animevideov3": (64, 16), "general-x4v3": (64, 32)}  # features, convs
SCALES = (1, 2, 3, 4)


def _activation(kind: str, features: int) -> nn.Module:
    if kind == "prelu":
        return nn.PReLU(num_parameters=features)
    return nn.ReLU(inplace=True) if kind == "relu" else nn.LeakyReLU(0.1, inplace=True)


class SRVGGNetCompact(nn.Module):
    size_multiple = 1

    def __init__(self, in_channels: int, out_channels: int, scale: int, features: int, convs: int, activation: str):
        super().__init__()
        self.scale = scale
        layers: list[nn.Module] = [nn.Conv2d(in_channels, features, 3, padding=1), _activation(activation, features)]
        for _ in range(convs):
            layers += [nn.Conv2d(features, features, 3, padding=1), _activation(activation, features)]
        layers.append(nn.Conv2d(features, out_channels * scale * scale, 3, padding=1))
        self.body = nn.ModuleList(layers)
        self.upsampler = nn.PixelShuffle(scale)
        self.receptive_field = 2 * (convs + 2) + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for layer in self.body:
            out = layer(out)
        return self.upsampler(out) + F.interpolate(x, scale_factor=self.scale, mode="nearest")


def srvggnet(in_channels: int = 3, out_channels: int = 3, scale: int = 4,
             preset: Literal["animevideov3", "general-x4v3"] = "animevideov3", features: int | None = None,
             convs: int | None = None, activation: Activation = "prelu") -> SRVGGNetCompact:
    """SRVGGNetCompact, scales 1–4; linear output plus the nearest-upsampled input, so
    ``in_channels`` must equal ``out_channels``.

    Presets (Real-ESRGAN's releases): ``animevideov3`` = 64 features, 16 body convs
    (``realesr-animevideov3``, the class defaults); ``general-x4v3`` = 64 features, 32 body convs
    (``realesr-general-x4v3`` and ``realesr-general-wdn-x4v3``). ``features`` and ``convs``
    override the preset. ``activation``: PReLU (every released model), ReLU or LeakyReLU 0.1."""
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, not {preset!r}")
    if scale not in SCALES:
        raise ValueError(f"srvggnet upsamples with one pixel shuffle: scale must be 1, 2, 3 or 4, not {scale}")
    if activation not in ("prelu", "relu", "leakyrelu"):
        raise ValueError(f"activation must be prelu, relu or leakyrelu, not {activation!r}")
    if in_channels != out_channels:
        raise ValueError(f"srvggnet adds the nearest-upsampled input to its output: in_channels ({in_channels}) "
                         f"must equal out_channels ({out_channels})")
    features = PRESETS[preset][0] if features is None else features
    convs = PRESETS[preset][1] if convs is None else convs
    if features < 1 or convs < 0:
        raise ValueError(f"features must be at least 1 and convs at least 0 (got features={features}, convs={convs})")
    return SRVGGNetCompact(in_channels, out_channels, scale, features, convs, activation)


def detect_srvggnet(state_dict) -> tuple[dict, dict] | None:
    """Real-ESRGAN's SRVGGNetCompact files (PReLU, as every released one): ``body.0`` conv,
    ``body.1`` PReLU, … ``body.<2·convs+2>`` conv to ``channels × scale²``; nothing else."""
    first, prelu = state_dict.get("body.0.weight"), state_dict.get("body.1.weight")
    if not (isinstance(first, torch.Tensor) and first.dim() == 4 and isinstance(prelu, torch.Tensor) and prelu.dim() == 1):
        return None
    # three tensors per conv before the last (weight, bias, PReLU weight), two for the last conv
    convs, rest = divmod(len(state_dict) - 5, 3)
    if convs < 0 or rest:
        return None
    last = state_dict.get(f"body.{2 * convs + 2}.weight")
    channels, features = first.shape[1], first.shape[0]
    if not isinstance(last, torch.Tensor) or last.dim() != 4 or last.shape[0] % channels:
        return None
    scale = round((last.shape[0] // channels) ** 0.5)
    options = {"in_channels": channels, "out_channels": channels, "scale": scale, "features": features, "convs": convs}
    try:
        with torch.device("meta"):
            expected = srvggnet(**options).state_dict()
    except (ValueError, TypeError, RuntimeError):
        return None
    fits = expected.keys() == state_dict.keys() and all(
        isinstance(state_dict[k], torch.Tensor) and state_dict[k].shape == v.shape for k, v in expected.items())
    return (options, dict(state_dict)) if fits else None
