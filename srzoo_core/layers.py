"""Building blocks shared by architecture plugins: no architecture here, only pieces whose
numerics several published models agree on (public API; plugins may import it).

Window attention (Swin-style transformers such as SwinIR and HAT): :func:`window_partition` /
:func:`window_reverse`, :func:`relative_position_index`, :func:`shift_mask`,
:func:`pad_to_multiple`, :class:`DropPath`, :class:`Mlp`, :class:`TokenNorm`,
:func:`transformer_init_`. Convolutional SR heads: :func:`mean_shift` (DIV2K's RGB mean, as
EDSR, RCAN, SwinIR and HAT subtract it) and :class:`PixelShuffleUpsample`. Options:
:func:`int_sequence` reads list options such as ``depths="6,6,6,6"``.

Operations run in the order of the published code (BasicSR, the official SwinIR and HAT), so
models built from them agree with it to the last bit. Importing this module imports torch.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

# added to the attention logits of token pairs that a cyclic shift brought together from
# different image regions; the published value, not -inf, so it must stay -100
MASKED = -100.0
DIV2K_RGB_MEAN = (0.4488, 0.4371, 0.4040)  # BasicSR's default, measured on DIV2K
MeanChoice = Literal["div2k", "none"]


def window_partition(x: torch.Tensor, window: int) -> torch.Tensor:
    """(B, H, W, C) → (B·windows, window, window, C), windows in row-major order per image.
    H and W must be multiples of ``window``."""
    b, h, w, c = x.shape
    x = x.view(b, h // window, window, w // window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window, window, c)


def window_reverse(windows: torch.Tensor, window: int, h: int, w: int) -> torch.Tensor:
    """The inverse of :func:`window_partition`: (B·windows, window, window, C) → (B, H, W, C)."""
    b = windows.shape[0] // ((h // window) * (w // window))
    x = windows.view(b, h // window, w // window, window, window, -1)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(b, h, w, -1)


def window_grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column of each of the size² positions of a window, flattened row-major."""
    y, x = torch.meshgrid(torch.arange(size, device="cpu"), torch.arange(size, device="cpu"), indexing="ij")
    return y.flatten(), x.flatten()


def relative_position_index(window: int) -> torch.Tensor:
    """(window², window²) row of the (2·window − 1)² bias table for each query/key pair: the pair's
    offset (dy, dx), each shifted into [0, 2·window − 2], flattened row-major."""
    y, x = window_grid(window)
    dy = y[:, None] - y[None, :] + window - 1
    dx = x[:, None] - x[None, :] + window - 1
    return dy * (2 * window - 1) + dx


def shift_mask(h: int, w: int, window: int, shift: int) -> torch.Tensor:
    """(windows, window², window²) additive mask for the shifted windows of an h×w map: after the
    cyclic shift a window may hold pixels of up to four regions that were not neighbours; pairs
    from different regions get :data:`MASKED`, others 0."""
    def bands(length: int) -> torch.Tensor:
        band = torch.zeros(length, device="cpu")
        band[length - window:] = 1
        band[length - shift:] = 2
        return band

    regions = (bands(h)[:, None] * 3 + bands(w)[None, :]).view(1, h, w, 1)
    labels = window_partition(regions, window).view(-1, window * window)
    different = labels.unsqueeze(1) != labels.unsqueeze(2)
    return torch.zeros(different.shape, device="cpu").masked_fill(different, MASKED)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad bottom and right to a multiple of ``multiple``: reflected, as the published test code
    does; replicated when the image is too small to reflect that far."""
    pad_h, pad_w = (-x.shape[-2]) % multiple, (-x.shape[-1]) % multiple
    if not (pad_h or pad_w):
        return x
    mode = "reflect" if pad_h < x.shape[-2] and pad_w < x.shape[-1] else "replicate"
    return F.pad(x, (0, pad_w, 0, pad_h), mode)


class DropPath(nn.Module):
    """Stochastic depth: in training, drop the whole residual branch of a sample with probability
    ``rate`` and scale the kept ones by 1 / (1 − rate); the identity in eval mode."""

    def __init__(self, rate: float):
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        keep = 1 - self.rate
        mask = (keep + torch.rand((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device)).floor_()
        return x.div(keep) * mask


class Mlp(nn.Module):
    """The transformer's feed-forward part: ``fc1`` → GELU → ``fc2`` (the published keys)."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class TokenNorm(nn.Module):
    """A patch embedding of patch size 1 (``patch_embed``): (B, C, H, W) → LayerNorm-ed
    (B, H·W, C) tokens, its one weight under ``norm``."""

    def __init__(self, dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.flatten(2).transpose(1, 2))


def transformer_init_(module: nn.Module) -> None:
    """The published transformers' initialisation, for ``module.apply``: truncated normal
    (std 0.02) linear weights and zero biases, LayerNorms at one and zero."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def mean_shift(channels: int, choice: MeanChoice = "div2k") -> torch.Tensor:
    """The (1, C, 1, 1) mean to subtract from the input (add to the output): DIV2K's RGB mean for
    3 channels when asked for, zeros otherwise (grids and other channel counts). Register it as a
    non-persistent buffer: the published files do not hold it."""
    if choice not in ("div2k", "none"):
        raise ValueError(f"rgb_mean must be div2k or none, not {choice!r}")
    mean = DIV2K_RGB_MEAN if choice == "div2k" and channels == 3 else (0.0,) * channels
    return torch.tensor(mean, dtype=torch.float32).view(1, channels, 1, 1)


class PixelShuffleUpsample(nn.Sequential):
    """×2ⁿ as n stages of a 3×3 conv to 4× the channels and PixelShuffle(2); ×3 as one conv to 9×
    and PixelShuffle(3). Keys ``0``, ``2``, … are the convs, as in BasicSR, SwinIR and HAT."""

    def __init__(self, features: int, scale: int):
        if scale != 3 and (scale < 2 or scale & (scale - 1)):
            raise ValueError(f"pixel-shuffle upsampling supports ×3 and powers of two, not ×{scale}")
        factors = [3] if scale == 3 else [2] * (scale.bit_length() - 1)
        super().__init__(*(m for f in factors for m in (nn.Conv2d(features, f * f * features, 3, padding=1), nn.PixelShuffle(f))))


def int_sequence(name: str, value: Any, length: int | None = None) -> tuple[int, ...] | None:
    """Positive ints from a tuple/list, a spec string (``"6,6,6"``, ``"(6, 6)"``), or one int
    repeated ``length`` times; None stays None. A ValueError names the option otherwise."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and length is not None:
        items: list = [value] * length
    elif isinstance(value, str):
        items = [p.strip() for p in value.strip().strip("()[]").split(",") if p.strip()]
    elif isinstance(value, (tuple, list)):
        items = list(value)
    else:
        items = []
    try:
        numbers = tuple(int(v) for v in items if not isinstance(v, bool) and float(v) == int(v))
    except (TypeError, ValueError):
        numbers = ()
    if not numbers or len(numbers) != len(items) or min(numbers) < 1:
        raise ValueError(f"{name} must be one or more positive whole numbers such as \"6,6,6,6\", not {value!r}")
    return numbers
