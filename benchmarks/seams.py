"""Seam probe: how far tiled upscaling departs from untiled as the tile overlap grows (SRResNet,
random weights, ×4, one image), so a missed seam target comes with the overlap that meets it.

    python -m benchmarks.seams
"""

from __future__ import annotations

import time
from typing import Any

import torch


def probe(blocks: int = 16, size: int = 192, tile: int = 128, overlaps: tuple[int, ...] = (16, 32, 48)) -> dict[str, Any]:
    import srzoo_core as sz
    from srzoo_core.training.inference import upscale_tiled

    torch.manual_seed(0)
    generator = sz.build_generator(f"gen=srresnet(blocks={blocks})", in_channels=3, scale=4).eval()
    torch.manual_seed(1)
    lr = torch.rand(1, 3, size, size)
    reference = upscale_tiled(generator, lr, 4, tile=0, overlap=0)
    std = float(reference.std())
    rows = []
    for overlap in overlaps:
        if overlap >= tile:
            continue
        start = time.perf_counter()
        out = upscale_tiled(generator, lr, 4, tile=tile, overlap=overlap)
        diff = float((out - reference).abs().max())
        rows.append({"overlap": overlap, "max_abs_diff": diff, "share_of_std": diff / std, "seconds": time.perf_counter() - start})
    return {"model": f"srresnet(blocks={blocks})", "size": size, "tile": tile, "output_std": std, "rows": rows}


def text(p: dict[str, Any]) -> str:
    cells = ", ".join(f"overlap {r['overlap']}: {100 * r['share_of_std']:.2g} %" for r in p["rows"])
    return f"probe ({p['model']}, {p['size']}² LR, tile {p['tile']}), max |tiled − untiled| / σ — {cells}"


if __name__ == "__main__":
    print(text(probe()))
