"""HAT (Chen et al., "Activating More Pixels in Image Super-Resolution Transformer", CVPR 2023),
with the official code's state-dict keys (github.com/XPixelGroup/HAT, ``hat/archs/hat_arch.py``),
so its released ``.pth`` files load with ``strict=True``.

``relative_position_index_SA`` / ``_OCA`` (persistent buffers, in the official files) →
``conv_first`` → tokens (``patch_embed.norm``) → RHAG ``layers`` → ``norm`` → ``conv_after_body``
plus a long skip → ``conv_before_upsample``, ``upsample`` (pixel shuffle), ``conv_last``.
"""

from __future__ import annotations

import torch
from torch import nn

from srzoo_core.layers import (
    PixelShuffleUpsample,
    TokenNorm,
    mean_shift,
    pad_to_multiple,
    relative_position_index,
    shift_mask,
    transformer_init_,
)
from srzoo_hat.attention import OCAB
from srzoo_hat.blocks import HAB, RHAG, AttentionBlocks, BlockMaker
from srzoo_hat.options import (
    SCALES,
    HATConfig,
    IntSequence,
    Preset,
    ResiConnection,
    resolve_config,
)
from srzoo_hat.windows import overlap_attention_index


class HAT(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, scale: int, cfg: HATConfig, conv_scale: float, num_feat: int,
                 img_range: float, drop_path_rate: float, attention: BlockMaker, fusion: BlockMaker, upsampler: BlockMaker):
        super().__init__()
        dim, window = cfg.embed_dim, cfg.window_size
        overlap_window = window + int(window * cfg.overlap_ratio)
        self.window, self.scale, self.img_range = window, scale, img_range
        self.size_multiple = window
        # context: a token's window, the shifted window after it, and the OCAB's overlap
        self.receptive_field = 4 * window
        self.register_buffer("relative_position_index_SA", relative_position_index(window))
        self.register_buffer("relative_position_index_OCA", overlap_attention_index(window, overlap_window))
        self.register_buffer("in_mean", mean_shift(in_channels), persistent=False)
        self.register_buffer("out_mean", mean_shift(out_channels), persistent=False)
        self.conv_first = nn.Conv2d(in_channels, dim, 3, 1, 1)
        self.fusion = fusion(dim) if fusion else nn.Identity()
        self.patch_embed = TokenNorm(dim)
        rates = torch.linspace(0, drop_path_rate, sum(cfg.depths), device="cpu").tolist()
        self.layers = nn.ModuleList()
        for depth, heads in zip(cfg.depths, cfg.num_heads):
            blocks = [HAB(dim, heads, window, window // 2 if i % 2 else 0, cfg.compress_ratio, cfg.squeeze_factor, conv_scale,
                          cfg.mlp_ratio, rates.pop(0)) for i in range(depth)]
            group = AttentionBlocks(blocks, OCAB(dim, window, overlap_window, heads, cfg.mlp_ratio))
            self.layers.append(RHAG(group, dim, cfg.resi_connection, attention))
        self.norm = nn.LayerNorm(dim)
        self.conv_after_body = nn.Conv2d(dim, dim, 3, 1, 1) if cfg.resi_connection == "1conv" else nn.Identity()
        if upsampler is not None:
            self.conv_before_upsample = nn.Identity()
            self.upsample = upsampler(dim, scale)
            self.conv_last = nn.Conv2d(dim, out_channels, 3, 1, 1)
        else:  # the official LeakyReLU here has PyTorch's default slope, 0.01
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(dim, num_feat, 3, 1, 1), nn.LeakyReLU(inplace=True))
            self.upsample = PixelShuffleUpsample(num_feat, scale)
            self.conv_last = nn.Conv2d(num_feat, out_channels, 3, 1, 1)
        # the official initialisation, on the transformer only: blocks in slots keep their own
        for part in (self.patch_embed, *(layer.residual_group for layer in self.layers), self.norm):
            part.apply(transformer_init_)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        mask = shift_mask(h, w, self.window, self.window // 2).to(x.device)
        indices = (self.relative_position_index_SA, self.relative_position_index_OCA)
        tokens = self.patch_embed(x)
        for layer in self.layers:
            tokens = layer(tokens, (h, w), indices, mask)
        return self.norm(tokens).transpose(1, 2).contiguous().view(b, c, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        x = (pad_to_multiple(x, self.window) - self.in_mean) * self.img_range
        feat = self.fusion(self.conv_first(x))
        feat = self.conv_after_body(self.forward_features(feat)) + feat
        out = self.conv_last(self.upsample(self.conv_before_upsample(feat)))
        return (out / self.img_range + self.out_mean)[:, :, :h * self.scale, :w * self.scale]


def hat(in_channels: int = 3, out_channels: int = 3, scale: int = 4, preset: Preset = "hat", embed_dim: int | None = None,
        depths: IntSequence = None, num_heads: IntSequence = None, window_size: int | None = None,
        compress_ratio: int | None = None, squeeze_factor: int | None = None, overlap_ratio: float | None = None,
        mlp_ratio: float | None = None, resi_connection: ResiConnection | None = None, conv_scale: float = 0.01,
        num_feat: int = 64, img_range: float = 1.0, drop_path_rate: float = 0.1, attention: BlockMaker = None,
        fusion: BlockMaker = None, upsampler: BlockMaker = None) -> HAT:
    """HAT. Presets (explicit options override them): ``hat_s`` (HAT-S: embed_dim 144, depths 6×6,
    num_heads 6×6, compress_ratio 24, squeeze_factor 24), ``hat`` (180, 6×6, 6×6, 3, 30), ``hat_l``
    (HAT-L: 180, 6×12, 6×12, 3, 30); all window_size 16, overlap_ratio 0.5, mlp_ratio 2.
    ``depths`` and ``num_heads`` are lists (``depths="6,6,6,6"``; one number of heads serves every
    group). Scales 2, 3, 4, 8; any input size (padded to window_size inside). ``num_feat``: width of
    the pixel-shuffle reconstruction; ``conv_scale``: weight of the channel-attention branch;
    ``drop_path_rate``: stochastic depth (training only). Slots: ``fusion`` after conv_first,
    ``attention`` after each RHAG's conv, ``upsampler`` (then followed by a 3×3 ``conv_last``)."""
    cfg = resolve_config(preset, depths, num_heads, embed_dim=embed_dim, window_size=window_size, compress_ratio=compress_ratio,
                         squeeze_factor=squeeze_factor, overlap_ratio=overlap_ratio, mlp_ratio=mlp_ratio,
                         resi_connection=resi_connection)
    if upsampler is None and scale not in SCALES:
        raise ValueError(f"hat supports scales {', '.join(map(str, SCALES))}, not {scale}")
    if len(cfg.num_heads) != len(cfg.depths):
        raise ValueError(f"num_heads {cfg.num_heads} must give one number per group of depths {cfg.depths}")
    dim = cfg.embed_dim
    if any(dim % heads for heads in cfg.num_heads):
        raise ValueError(f"embed_dim {dim} must be divisible by every num_heads {cfg.num_heads}")
    if not (1 <= cfg.compress_ratio <= dim and 1 <= cfg.squeeze_factor <= dim):
        raise ValueError(f"compress_ratio and squeeze_factor must be between 1 and embed_dim ({dim})")
    if cfg.window_size < 2 or int(cfg.window_size * cfg.overlap_ratio) % 2 or cfg.overlap_ratio < 0:
        raise ValueError("window_size must be at least 2, and window_size × overlap_ratio (rounded down) a non-negative even number "
                         "so the overlapping windows stay centred")
    if cfg.mlp_ratio <= 0 or num_feat < 1 or img_range <= 0 or not 0 <= drop_path_rate < 1:
        raise ValueError("mlp_ratio, num_feat and img_range must be positive and drop_path_rate in [0, 1)")
    return HAT(in_channels, out_channels, scale, cfg, conv_scale, num_feat, img_range, drop_path_rate, attention, fusion, upsampler)
