"""Published-weights files the tests make: BasicSR-layout RRDBNet state dicts with seeded values.

The values are ``randn × 0.05`` in BasicSR's key order from ``torch.Generator().manual_seed(seed)``,
then ``conv_last.bias += 0.5`` (outputs around mid-grey, so 8-bit outputs are informative). The
reference figures pinned in the tests come from BasicSR's ``basicsr/archs/rrdbnet_arch.py``
(``RRDBNet(in, in, scale, num_feat=8, num_block=1, num_grow_ch=4)``) run outside the repository on
the same values; srzoo-esrgan's ``rrdbnet`` has BasicSR's keys in BasicSR's order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

TINY = {"features": 8, "blocks": 1, "growth": 4}


def rrdbnet_state(scale: int = 4, channels: int = 3, seed: int = 11) -> dict[str, torch.Tensor]:
    from srzoo_esrgan.rrdbnet import rrdbnet

    shapes = rrdbnet(channels, channels, scale, **TINY).state_dict()
    g = torch.Generator().manual_seed(seed)
    state = {k: torch.randn(v.shape, generator=g) * 0.05 for k, v in shapes.items()}
    state["conv_last.bias"] += 0.5
    return state


def write_pth(path: Path, scale: int = 4, channels: int = 3, wrapper: str | None = "params_ema", prefix: str = "") -> Path:
    state = {prefix + k: v for k, v in rrdbnet_state(scale, channels).items()}
    torch.save({wrapper: state} if wrapper else state, path)
    return path


def import_checkpoint(cli, folder: Path, scale: int = 4, channels: int = 3, name: str = "tiny") -> Path:
    """An srzoo checkpoint made by ``srzoo import`` from a tiny BasicSR RRDBNet file (which is then deleted)."""
    weights = write_pth(folder / f"{name}_x{scale}.pth", scale, channels)
    out = folder / f"{name}_x{scale}.safetensors"
    code, _, err = cli("import", str(weights), "--out", str(out))
    assert code == 0, err
    weights.unlink()
    return out


def astronaut_lr() -> np.ndarray:
    """The 28×24 LR photo of the pinned reference outputs."""
    import skimage.data

    return skimage.data.astronaut()[100:124, 200:228]
