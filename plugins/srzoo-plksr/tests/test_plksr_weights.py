"""detect_realplksr / detect_plksr: published files are recognised, load strictly and give back
their options; other files (each other's included) are not claimed."""

from __future__ import annotations

import hashlib

import pytest
import torch
from srzoo_plksr.plksr import plksr
from srzoo_plksr.realplksr import realplksr
from srzoo_plksr.weights import detect_plksr, detect_realplksr


def _conv(name: str, cin: int, cout: int, k: int) -> dict[str, tuple[int, ...]]:
    return {f"{name}.weight": (cout, cin, k, k), f"{name}.bias": (cout,)}


def published_layout(real: bool, c: int, scale: int, dim: int, blocks: int, k: int, ea: bool, partial: int,
                     layer_norm: bool = False, dysample: bool = False, mixer: tuple[int, int] = (3, 3)) -> dict[str, tuple[int, ...]]:
    """The published layouts, key by key, written from the papers' and repositories' descriptions."""
    shapes = _conv("feats.0", c, dim, 3)
    for b in range(1, blocks + 1):
        p = f"feats.{b}"
        if layer_norm:
            shapes |= {f"{p}.layer_norm.weight": (dim,), f"{p}.layer_norm.bias": (dim,)}
        m = f"{p}.channel_mixer" if real else f"{p}.channe_mixer"
        shapes |= _conv(f"{m}.0", dim, 2 * dim, mixer[0]) | _conv(f"{m}.2", 2 * dim, dim, mixer[1])
        shapes |= _conv(f"{p}.lk.conv", partial, partial, k) | (_conv(f"{p}.attn.f.0", dim, dim, 3) if ea else {})
        shapes |= _conv(f"{p}.refine", dim, dim, 1)
        if real and not layer_norm:
            shapes |= {f"{p}.norm.weight": (dim,), f"{p}.norm.bias": (dim,)}
    shapes |= _conv(f"feats.{blocks + (2 if real else 1)}", dim, c * scale ** 2, 3)  # real: a Dropout2d in between
    if dysample:
        groups, offsets = c if scale % 2 else 4, 2 * (c if scale % 2 else 4) * scale ** 2
        shapes |= {"to_img.init_pos": (1, 2 * groups * scale ** 2, 1, 1)} | _conv("to_img.end_conv", c * scale ** 2, c, 1)
        shapes |= _conv("to_img.offset", c * scale ** 2, offsets, 1) | {"to_img.scope.weight": (offsets, c * scale ** 2, 1, 1)}
    return shapes


# sha256 of the "key:shape" lines of the reference models' state dicts, with the options detection must find
REFERENCES = [  # (real, layout arguments, digest, options)
    (True, {"c": 3, "scale": 4, "dim": 64, "blocks": 28, "k": 17, "ea": True, "partial": 16},
     "e9387c882a32e1a8eaa7fb109a12a11dbf6cd6d5a56496ebbf11e1d94b435c95", {"layer_norm": False, "dysample": False}),
    (True, {"c": 3, "scale": 2, "dim": 64, "blocks": 28, "k": 17, "ea": True, "partial": 16, "layer_norm": True},
     "e73c6e70733bb6ab3d33ef2044f4b9c46b03cf60679a0d40d621bb00f9e777a2", {"layer_norm": True, "dysample": False}),
    (True, {"c": 3, "scale": 3, "dim": 64, "blocks": 12, "k": 13, "ea": False, "partial": 16, "dysample": True},
     "a6b222bf8a50275fd85382d0dd1d978f4c16d2f8ea852464f496bb2490a49b2e", {"layer_norm": False, "dysample": True}),
    (True, {"c": 3, "scale": 4, "dim": 96, "blocks": 28, "k": 17, "ea": True, "partial": 24, "layer_norm": True, "dysample": True},
     "0290d5bbf9d287b7e990c194756fdfc884e069297993e55230024f73f358390d", {"layer_norm": True, "dysample": True}),
    (False, {"c": 3, "scale": 4, "dim": 64, "blocks": 28, "k": 17, "ea": True, "partial": 16},
     "a7f4835cd8f1b545cc08c82ea9e7021f58c55c18f3332fb199b41a5fb457d3b6", {"ccm_type": "DCCM"}),
    (False, {"c": 3, "scale": 4, "dim": 64, "blocks": 12, "k": 13, "ea": False, "partial": 16},
     "a2758dcf547cc802e80cde29b024803501908c3f17dbee97eb909f10bcec7b2e", {"ccm_type": "DCCM"}),
    (False, {"c": 3, "scale": 3, "dim": 64, "blocks": 28, "k": 17, "ea": True, "partial": 16, "mixer": (3, 1)},
     "ee9dcefda0f39e53d5615d1db7829c8312c005a47ee7cb0b42f5ae50a6a31af0", {"ccm_type": "CCM"}),
]


def _digest(shapes: dict[str, tuple[int, ...]]) -> str:
    return hashlib.sha256("\n".join(f"{k}:{v}" for k, v in shapes.items()).encode()).hexdigest()


def _file(shapes: dict[str, tuple[int, ...]]) -> dict[str, torch.Tensor]:
    return {k: torch.zeros(s) for k, s in shapes.items()}


@pytest.mark.parametrize("real, layout, digest, extra", REFERENCES)
def test_published_files_are_detected_and_load_strictly(real, layout, digest, extra):
    shapes = published_layout(real, **layout)
    assert _digest(shapes) == digest  # the layout above is the reference's, key for key
    detect, other, factory = (detect_realplksr, detect_plksr, realplksr) if real else (detect_plksr, detect_realplksr, plksr)
    options, state = detect(_file(shapes))
    assert other(_file(shapes)) is None
    assert options == {"in_channels": layout["c"], "out_channels": layout["c"], "scale": layout["scale"], "dim": layout["dim"],
                       "n_blocks": layout["blocks"], "kernel_size": layout["k"], "split_ratio": 0.25, "use_ea": layout["ea"]} | extra
    with torch.device("meta"):  # full-size models: check the strict load without allocating them
        model = factory(**options)
    model.load_state_dict({k: v.to("meta") for k, v in state.items()}, strict=True, assign=True)


@pytest.mark.parametrize("factory, detect, options", [
    (realplksr, detect_realplksr, {"in_channels": 2, "out_channels": 2, "scale": 3, "dim": 12, "n_blocks": 2, "kernel_size": 5,
                                   "split_ratio": 0.5, "use_ea": False, "layer_norm": True, "dysample": True}),
    (realplksr, detect_realplksr, {"in_channels": 1, "out_channels": 3, "scale": 2, "dim": 8, "n_blocks": 1, "kernel_size": 3,
                                   "split_ratio": 0.25, "use_ea": True, "layer_norm": False, "dysample": False}),
    (plksr, detect_plksr, {"in_channels": 3, "out_channels": 3, "scale": 2, "dim": 12, "n_blocks": 3, "kernel_size": 7,
                           "split_ratio": 7 / 12, "use_ea": True, "ccm_type": "ICCM"}),
])
def test_round_trip(factory, detect, options):
    found, state = detect(factory(**options).state_dict())
    assert found == options
    factory(**found).load_state_dict(state, strict=True)


def test_foreign_files_are_not_claimed():
    good = _file(published_layout(True, c=3, scale=2, dim=8, blocks=2, k=5, ea=True, partial=2))
    assert detect_realplksr(good) is not None
    for detect in (detect_realplksr, detect_plksr):
        assert detect({}) is None
        assert detect({"conv_first.weight": torch.zeros(8, 3, 3, 3), "body.0.rdb1.conv1.weight": torch.zeros(4, 8, 3, 3)}) is None
        assert detect({"conv_1.sk.weight": torch.zeros(48, 3, 1, 1), "upsampler.0.weight": torch.zeros(48, 48, 3, 3)}) is None
        assert detect({k: "not a tensor" for k in good}) is None
    assert detect_realplksr({**good, "feats.1.refine.weight": torch.zeros(8, 8, 3, 3)}) is None  # shape off
    assert detect_realplksr({**good, "extra.weight": torch.zeros(1)}) is None
    assert detect_realplksr({k: v for k, v in good.items() if k != "feats.2.norm.bias"}) is None
    assert detect_realplksr({**good, "feats.4.weight": torch.zeros(3, 8, 3, 3), "feats.4.bias": torch.zeros(3)}) is None  # ×1
