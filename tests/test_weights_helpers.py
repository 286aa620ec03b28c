"""srzoo_core.weights: the state-dict helpers published-weights detectors build on."""

from __future__ import annotations

import re

import torch
from torch import nn

from srzoo_core.weights import count_indices, fits_layout, layout_mismatch, model_layout, rename_keys, shape_of

RULES = (
    (re.compile(r"^head\.(weight|bias)$"), r"conv_first.\1"),
    (re.compile(r"^body\.(\d+)\.(weight|bias)$"), r"blocks.\1.conv.\2"),
    (re.compile(r"^sub_mean\.(weight|bias)$"), None),
)


def tiny(channels: int = 3, blocks: int = 2) -> nn.Module:
    if channels < 1:
        raise ValueError("channels must be positive")
    return nn.Sequential(nn.Conv2d(channels, 4, 3), *(nn.Conv2d(4, 4, 1) for _ in range(blocks)))


def test_rename_keys_applies_the_first_matching_rule_and_drops_none():
    state = {"head.weight": 1, "body.0.weight": 2, "body.0.bias": 3, "sub_mean.bias": 4}
    assert rename_keys(state, RULES) == {"conv_first.weight": 1, "blocks.0.conv.weight": 2, "blocks.0.conv.bias": 3}


def test_rename_keys_refuses_foreign_keys_and_collisions():
    assert rename_keys({"head.weight": 1, "tail.weight": 2}, RULES) is None
    collide = ((re.compile(r"^(a|b)\.weight$"), "x.weight"),)
    assert rename_keys({"a.weight": 1, "b.weight": 2}, collide) is None


def test_shape_of_and_count_indices():
    state = {"body.0.conv1.weight": torch.zeros(2, 3), "body.1.conv1.weight": torch.zeros(2, 3), "body.1.conv2.weight": 0}
    assert shape_of(state, "body.0.conv1.weight") == (2, 3)
    assert shape_of(state, "body.1.conv2.weight") is None and shape_of(state, "nowhere") is None
    assert count_indices(state, r"^body\.(\d+)\.conv1\.weight$") == 2


def test_model_layout_builds_on_the_meta_device():
    layout = model_layout(tiny, {"channels": 2, "blocks": 1})
    assert layout == {"0.weight": (4, 2, 3, 3), "0.bias": (4,), "1.weight": (4, 4, 1, 1), "1.bias": (4,)}


def test_layout_mismatch_reports_the_first_difference():
    state = tiny().state_dict()
    expected = model_layout(tiny, {})
    assert layout_mismatch(expected, state) is None
    assert layout_mismatch(expected, {**state, "1.weight": torch.zeros(4, 4, 3, 3)}) == \
        "1.weight has shape (4, 4, 3, 3), the model (4, 4, 1, 1)"
    assert layout_mismatch(expected, {k: v for k, v in state.items() if k != "0.bias"}) == "missing 0.bias"
    assert layout_mismatch(expected, {**state, "extra": torch.zeros(1)}) == "unexpected extra"
    assert layout_mismatch(expected, {**state, "0.bias": [0.0] * 4}) == "0.bias has shape list, the model (4,)"


def test_optional_keys_may_be_missing_but_must_fit_when_present():
    state = {k: v for k, v in tiny().state_dict().items() if not k.endswith(".bias")}
    expected = model_layout(tiny, {})
    assert layout_mismatch(expected, state, optional=(".bias",)) is None
    assert layout_mismatch(expected, {**state, "0.bias": torch.zeros(5)}, optional=(".bias",)) is not None


def test_fits_layout_is_false_when_the_factory_refuses_the_options():
    state = tiny(channels=1).state_dict()
    assert fits_layout(tiny, {"channels": 1}, state)
    assert not fits_layout(tiny, {"channels": 3}, state)
    assert not fits_layout(tiny, {"channels": 0}, state)  # ValueError from the factory
    assert not fits_layout(tiny, {"colour": 1}, state)  # TypeError from the factory
