"""What the inference fast path and tiling cost in accuracy: PSNR of each precision against the
fp32 NCHW output on the held-out built-in photos (skimage astronaut and coffee), and the seam a
forced tiling leaves at each model's default overlap.

Weights: srresnet and rrdbnet are *briefly trained* here (``train_iters`` Adam steps, l1, bf16
autocast + channels_last, batch 8 of 96² HR crops of the built-in training photos, seed 0), so their
outputs are images and a PSNR against the HR photo means something; span and swinir are random
initialisations (seams and speed only).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

SCALE = 4
HELD_OUT = ("astronaut", "coffee")


def build(spec: str, seed: int = 0, in_channels: int = 3) -> nn.Module:
    import srzoo_core as sz

    torch.manual_seed(seed)
    return sz.build_generator(spec, in_channels=in_channels, scale=SCALE).eval()


def briefly_trained(spec: str, iters: int, seed: int = 0, batch: int = 8) -> nn.Module:
    from srzoo_core.data import load_data

    generator = build(spec, seed).train().to(memory_format=torch.channels_last)
    data = load_data("builtin", scale=SCALE, patch=96, seed=seed).train
    order = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(generator.parameters(), lr=2e-4)
    for _ in range(iters):
        picks = torch.randint(len(data), (batch,), generator=order).tolist()
        lr, hr = (torch.stack(t).contiguous(memory_format=torch.channels_last) for t in zip(*(data[i] for i in picks)))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = nn.functional.l1_loss(generator(lr).float(), hr)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    return generator.eval().to(memory_format=torch.contiguous_format)


def held_out_photos() -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """(name, LR (1,3,h,w), HR (1,3,H,W)) in [0, 1]: HR modcropped, LR by srzoo's bicubic degradation,
    clipped and 8-bit quantised as the data protocol makes it."""
    import skimage.data as skd

    from srzoo_core.data import degrade

    photos = []
    for name in HELD_OUT:
        hr = torch.from_numpy(getattr(skd, name)()).permute(2, 0, 1).float().div(255)
        hr = hr[:, : hr.shape[1] // SCALE * SCALE, : hr.shape[2] // SCALE * SCALE][None]
        lr = degrade(hr, SCALE).clamp(0, 1).mul(255).round().div(255)
        photos.append((name, lr, hr))
    return photos


def psnr(a: torch.Tensor, b: torch.Tensor, crop: int = SCALE) -> float:
    """RGB PSNR (data range 1) with ``crop`` border pixels left out; outputs clipped to [0, 1]."""
    a, b = a.clamp(0, 1)[..., crop:-crop, crop:-crop], b.clamp(0, 1)[..., crop:-crop, crop:-crop]
    mse = float(((a.double() - b.double()) ** 2).mean())
    return float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)


def configurations(device: str) -> list[tuple[str, str, bool]]:
    """(label, precision, channels_last) measured against fp32 NCHW on ``device``."""
    rows = [("fp32 channels_last", "fp32", True), ("bf16 channels_last", "bf16", True)]
    if device == "cuda":
        rows.append(("fp16 channels_last", "fp16", True))
    return rows


def precision_rows(models: dict[str, tuple[nn.Module, str]], device: str = "cpu") -> list[dict[str, Any]]:
    """For each model, image and configuration: PSNR against HR, its cost against fp32 NCHW (dB) and
    PSNR against the fp32 NCHW output itself, plus the max |difference|."""
    from srzoo_core.training.inference import upscale_tiled

    rows = []
    for name, (generator, weights) in models.items():
        for image, lr, hr in held_out_photos():
            reference = upscale_tiled(generator, lr, SCALE, tile=0, precision="fp32", channels_last=False, device=device)
            base = psnr(reference, hr)
            for label, precision, channels_last in configurations(device):
                out = upscale_tiled(generator, lr, SCALE, tile=0, precision=precision, channels_last=channels_last, device=device)
                rows.append({"model": name, "weights": weights, "image": image, "config": label, "precision": precision,
                             "psnr_fp32": base, "psnr": psnr(out, hr), "cost_db": base - psnr(out, hr),
                             "vs_fp32_db": psnr(out, reference), "max_abs_diff": float((out - reference).abs().max())})
    return rows


def choose_default(rows: list[dict[str, Any]], speed: dict[str, float], limit_db: float = 0.01) -> dict[str, Any]:
    """The fastest precision whose worst |cost| over every model and image is under ``limit_db``,
    else fp32; ``speed`` maps precision -> output megapixels per second."""
    worst: dict[str, float] = {}
    for row in rows:
        worst[row["precision"]] = max(worst.get(row["precision"], 0.0), abs(row["cost_db"]))
    allowed = [p for p, cost in worst.items() if cost < limit_db] or ["fp32"]
    choice = max(allowed, key=lambda p: speed.get(p, 0.0)) if speed else "fp32"
    return {"choice": choice, "worst_cost_db": worst, "limit_db": limit_db, "speed_mp_per_s": speed}


def seam_rows(models: dict[str, tuple[nn.Module, str]], size: int, tile: int) -> list[dict[str, Any]]:
    """Max |tiled − untiled| / σ(untiled) at each model's default overlap, fp32, a forced tile of
    ``tile`` LR pixels on a ``size``² LR crop of the astronaut photo (bicubic ×2 down)."""
    import skimage.data as skd

    from srzoo_core.data import degrade
    from srzoo_core.training.inference import upscale_tiled

    photo = torch.from_numpy(skd.astronaut()).permute(2, 0, 1).float().div(255)[None]
    lr = degrade(photo[..., : 2 * size, : 2 * size], 2).clamp(0, 1)
    rows = []
    for name, (generator, weights) in models.items():
        info: dict[str, Any] = {}
        untiled = upscale_tiled(generator, lr, SCALE, tile=0, precision="fp32")
        tiled = upscale_tiled(generator, lr, SCALE, tile=tile, precision="fp32", info=info)
        diff, std = float((tiled - untiled).abs().max()), float(untiled.std())
        rows.append({"model": name, "weights": weights, "size": size, "tile": tile, "overlap": info["overlap"],
                     "tiles": info["tiles"], "receptive_field": getattr(generator, "receptive_field", None),
                     "max_abs_diff": diff, "output_std": std, "share_of_std": diff / max(std, 1e-12)})
    return rows
