"""SwinIR (Liang et al., "SwinIR: Image Restoration Using Swin Transformer", ICCVW 2021) for
super-resolution, with the official code's state-dict keys (github.com/JingyunLiang/SwinIR,
``models/network_swinir.py``), so its released ``.pth`` files load with ``strict=True``.

Shallow conv ``conv_first`` → tokens (``patch_embed.norm``) → RSTB ``layers`` → ``norm`` → image →
``conv_after_body`` plus a long skip → reconstruction: ``pixelshuffle`` (classical:
``conv_before_upsample``, ``upsample``, ``conv_last``), ``pixelshuffledirect`` (lightweight: one conv
and a pixel shuffle, ``upsample.0``) or ``nearest_conv`` (real-world: ``conv_up1``/``conv_up2``,
``conv_hr``, ``conv_last``; the official ``'nearest+conv'``).
"""

from __future__ import annotations

import torch
from torch import nn

from srzoo_core.layers import (
    TokenNorm,
    mean_shift,
    pad_to_multiple,
    shift_mask,
    transformer_init_,
)
from srzoo_swinir.blocks import RSTB, BlockMaker, SwinBlock, SwinGroup, residual_conv
from srzoo_swinir.options import (
    SCALES,
    IntSequence,
    Preset,
    ResiConnection,
    SwinIRConfig,
    Upsampling,
    resolve_config,
)
from srzoo_swinir.reconstruction import reconstruction


class SwinIR(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, scale: int, cfg: SwinIRConfig, num_feat: int, img_range: float,
                 drop_path_rate: float, attention: BlockMaker, fusion: BlockMaker, upsampler: BlockMaker):
        super().__init__()
        dim, window = cfg.embed_dim, cfg.window_size
        self.window, self.img_size, self.scale, self.img_range = window, cfg.img_size, scale, img_range
        self.size_multiple = window
        # context: a token sees its window, the next block's shifted window reaches one more window
        self.receptive_field = 4 * window
        self.register_buffer("in_mean", mean_shift(in_channels), persistent=False)
        self.register_buffer("out_mean", mean_shift(out_channels), persistent=False)
        self.conv_first = nn.Conv2d(in_channels, dim, 3, 1, 1)
        self.fusion = fusion(dim) if fusion else nn.Identity()
        self.patch_embed = TokenNorm(dim)
        rates = torch.linspace(0, drop_path_rate, sum(cfg.depths), device="cpu").tolist()
        self.layers = nn.ModuleList()
        for depth, heads in zip(cfg.depths, cfg.num_heads):
            blocks = [SwinBlock(dim, heads, window, window // 2 if i % 2 else 0, cfg.mlp_ratio, rates.pop(0), cfg.img_size)
                      for i in range(depth)]
            self.layers.append(RSTB(SwinGroup(blocks), dim, cfg.resi_connection, attention))
        self.norm = nn.LayerNorm(dim)
        self.conv_after_body = residual_conv(dim, cfg.resi_connection)
        for name, module in reconstruction(cfg.upsampling, dim, num_feat, out_channels, scale, upsampler).items():
            self.add_module(name, module)
        self.upsampling = "custom" if upsampler else cfg.upsampling
        # the official initialisation, on the transformer only: blocks in slots keep their own
        for part in (self.patch_embed, *(layer.residual_group for layer in self.layers), self.norm):
            part.apply(transformer_init_)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        # shifted blocks hold the mask for img_size; any other size gets its own, made once here
        mask = None if (h, w) == (self.img_size, self.img_size) else shift_mask(h, w, self.window, self.window // 2).to(x.device)
        tokens = self.patch_embed(x)
        for layer in self.layers:
            tokens = layer(tokens, (h, w), mask)
        return self.norm(tokens).transpose(1, 2).view(b, c, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        x = (pad_to_multiple(x, self.window) - self.in_mean) * self.img_range
        feat = self.fusion(self.conv_first(x))
        feat = self.conv_after_body(self.forward_features(feat)) + feat
        out = getattr(self, "_" + self.upsampling)(feat) / self.img_range + self.out_mean
        return out[:, :, :h * self.scale, :w * self.scale]

    def _pixelshuffle(self, feat: torch.Tensor) -> torch.Tensor:
        return self.conv_last(self.upsample(self.conv_before_upsample(feat)))

    def _pixelshuffledirect(self, feat: torch.Tensor) -> torch.Tensor:
        return self.upsample(feat)

    def _nearest_conv(self, feat: torch.Tensor) -> torch.Tensor:
        feat = self.conv_before_upsample(feat)
        for conv in (self.conv_up1, getattr(self, "conv_up2", None)):
            if conv is not None:
                feat = self.lrelu(conv(nn.functional.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(self.lrelu(self.conv_hr(feat)))

    def _custom(self, feat: torch.Tensor) -> torch.Tensor:
        return self.conv_last(self.upsample(feat))


def swinir(in_channels: int = 3, out_channels: int = 3, scale: int = 4, preset: Preset = "classical",
           embed_dim: int | None = None, depths: IntSequence = None, num_heads: IntSequence = None,
           window_size: int | None = None, mlp_ratio: float | None = None, upsampling: Upsampling | None = None,
           resi_connection: ResiConnection | None = None, img_size: int | None = None, num_feat: int = 64,
           img_range: float = 1.0, drop_path_rate: float = 0.1, attention: BlockMaker = None, fusion: BlockMaker = None,
           upsampler: BlockMaker = None) -> SwinIR:
    """SwinIR. Presets (explicit options override them): ``classical`` (SwinIR-M: embed_dim 180,
    depths 6×6, num_heads 6×6, pixelshuffle), ``lightweight`` (SwinIR-S: 60, 6×4, 6×4,
    pixelshuffledirect), ``real`` (SwinIR-M with nearest_conv, ×2/×4), ``real_large`` (SwinIR-L: 240,
    6×9, 8×9, nearest_conv, 3conv); all window_size 8, mlp_ratio 2, img_size 64. ``depths`` and
    ``num_heads`` are lists (``depths="6,6,6,6"``; one number of heads serves every group).
    ``img_size`` is the training patch size: it only fixes the stored shifted-window masks (48
    for the official s48w8 files). Any input size (padded to window_size inside). ``num_feat``:
    width of the pixelshuffle / nearest_conv reconstruction. ``drop_path_rate``: stochastic depth
    (training only). Slots: ``fusion`` after conv_first, ``attention`` after each RSTB's conv,
    ``upsampler`` (then followed by a 3×3 ``conv_last``)."""
    cfg = resolve_config(preset, depths, num_heads, embed_dim=embed_dim, window_size=window_size, mlp_ratio=mlp_ratio,
                         upsampling=upsampling, resi_connection=resi_connection, img_size=img_size)
    supported = SCALES[cfg.upsampling]
    if upsampler is None and scale not in supported:
        raise ValueError(f"swinir with {cfg.upsampling} upsampling supports scales {', '.join(map(str, supported))}, not {scale}")
    if len(cfg.num_heads) != len(cfg.depths):
        raise ValueError(f"num_heads {cfg.num_heads} must give one number per group of depths {cfg.depths}")
    bad_heads = [h for h in cfg.num_heads if cfg.embed_dim % h]
    if bad_heads:
        raise ValueError(f"embed_dim {cfg.embed_dim} must be divisible by every num_heads, not by {bad_heads[0]}")
    if cfg.window_size < 2 or cfg.img_size % cfg.window_size or cfg.img_size <= cfg.window_size:
        raise ValueError(f"window_size must be at least 2, and img_size ({cfg.img_size}) a larger multiple of it ({cfg.window_size})")
    if cfg.resi_connection == "3conv" and cfg.embed_dim < 4:
        raise ValueError("3conv needs embed_dim of at least 4")
    if cfg.mlp_ratio <= 0 or num_feat < 1 or img_range <= 0 or not 0 <= drop_path_rate < 1:
        raise ValueError("mlp_ratio, num_feat and img_range must be positive and drop_path_rate in [0, 1)")
    return SwinIR(in_channels, out_channels, scale, cfg, num_feat, img_range, drop_path_rate, attention, fusion, upsampler)
