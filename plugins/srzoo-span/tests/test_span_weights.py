"""detect_span: published SPAN files (official and traiNNer-redux layouts) are recognised, load
strictly and give back their options; other files are not claimed."""

from __future__ import annotations

import hashlib

import pytest
import torch
from srzoo_span.span import span
from srzoo_span.weights import detect_span


def _conv3xc(prefix: str, i: int, o: int) -> dict[str, tuple[int, ...]]:
    """A Conv3XC: 1×1 skip, 1×1 → 3×3 → 1×1 at twice the width, the fused 3×3."""
    shapes = {"sk.weight": (o, i, 1, 1), "sk.bias": (o,), "conv.0.weight": (2 * i, i, 1, 1), "conv.0.bias": (2 * i,),
              "conv.1.weight": (2 * o, 2 * i, 3, 3), "conv.1.bias": (2 * o,), "conv.2.weight": (o, 2 * o, 1, 1),
              "conv.2.bias": (o,), "eval_conv.weight": (o, i, 3, 3), "eval_conv.bias": (o,)}
    return {f"{prefix}.{k}": v for k, v in shapes.items()}


def published_layout(cin: int, cout: int, features: int, scale: int, blocks: int = 6, no_norm: bool = False) -> dict[str, tuple[int, ...]]:
    """The official layout, key by key, written from the paper's description."""
    shapes = {"no_norm": (1,)} if no_norm else {}
    shapes |= _conv3xc("conv_1", cin, features)
    for b in range(1, blocks + 1):
        for conv in ("c1_r", "c2_r", "c3_r"):
            shapes |= _conv3xc(f"block_{b}.{conv}", features, features)
    shapes |= {"conv_cat.weight": (features, 4 * features, 1, 1), "conv_cat.bias": (features,)}
    shapes |= _conv3xc("conv_2", features, features)
    return shapes | {"upsampler.0.weight": (cout * scale ** 2, features, 3, 3), "upsampler.0.bias": (cout * scale ** 2,)}


# sha256 of "key:shape" lines of the reference models' state dicts (official span_arch.py, traiNNer-redux's)
REFERENCE_LAYOUTS = {
    (3, 3, 48, 4, False): "4ce6281b384d5d5c5705462104413d9408873625cd5dac6a2ff73dec2f427fd3",
    (1, 1, 48, 3, False): "22734fe84de130cc4c28d7e9f8d32fbf4f2e3f4de6cc996018813aa9e06bed67",
    (3, 3, 52, 2, True): "b6e40bd85a2b885fe1e110e8493a88cda45e8cbb351619f593f3daba77287f14",
}


def _digest(shapes: dict[str, tuple[int, ...]]) -> str:
    return hashlib.sha256("\n".join(f"{k}:{v}" for k, v in shapes.items()).encode()).hexdigest()


def _file(shapes: dict[str, tuple[int, ...]]) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return {k: torch.randn(s, generator=gen) * 0.05 for k, s in shapes.items()}


@pytest.mark.parametrize("case", list(REFERENCE_LAYOUTS))
def test_published_files_are_detected_and_load_strictly(case):
    cin, cout, features, scale, no_norm = case
    shapes = published_layout(cin, cout, features, scale, no_norm=no_norm)
    assert _digest(shapes) == REFERENCE_LAYOUTS[case]  # the layout above is the reference's, key for key
    options, state = detect_span(_file(shapes))
    assert options == {"in_channels": cin, "out_channels": cout, "scale": scale, "features": features, "blocks": 6, "norm": not no_norm}
    model = span(**options)
    model.load_state_dict(state, strict=True)
    with torch.no_grad():
        assert model.eval()(torch.rand(1, cin, 5, 6)).shape == (1, cout, 5 * scale, 6 * scale)


@pytest.mark.parametrize("options", [
    {"in_channels": 3, "out_channels": 3, "scale": 2, "features": 8, "blocks": 6, "norm": True},
    {"in_channels": 2, "out_channels": 2, "scale": 3, "features": 12, "blocks": 2, "norm": False},
    {"in_channels": 1, "out_channels": 3, "scale": 4, "features": 8, "blocks": 1, "norm": True},
])
def test_round_trip(options):
    found, state = detect_span(span(**options).state_dict())
    assert found == options
    span(**found).load_state_dict(state, strict=True)


def test_foreign_files_are_not_claimed():
    good = _file(published_layout(3, 3, 8, 4))
    assert detect_span({}) is None
    assert detect_span({"conv_first.weight": torch.zeros(8, 3, 3, 3), "body.0.rdb1.conv1.weight": torch.zeros(4, 8, 3, 3)}) is None
    assert detect_span({"feats.0.weight": torch.zeros(64, 3, 3, 3), "feats.1.lk.conv.weight": torch.zeros(16, 16, 17, 17)}) is None
    assert detect_span({**good, "conv_cat.weight": torch.zeros(8, 24, 1, 1)}) is None      # shape off
    assert detect_span({**good, "extra.weight": torch.zeros(1)}) is None                  # a key too many
    assert detect_span({k: v for k, v in good.items() if k != "conv_2.sk.bias"}) is None  # a key missing
    assert detect_span({**good, "upsampler.0.weight": torch.zeros(3, 8, 3, 3), "upsampler.0.bias": torch.zeros(3)}) is None  # ×1
    assert detect_span({k: "not a tensor" for k in good}) is None
