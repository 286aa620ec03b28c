"""`srzoo explain`: a dry run that resolves and sizes a spec without data or training."""

from __future__ import annotations

import json

import pytest
import torch

from srzoo_core.build import build_discriminator, build_generator, count_parameters
from srzoo_core.errors import SpecError, UsageError
from srzoo_core.experiments.costs import forward_flops
from srzoo_core.experiments.explain import explain

SPEC = "gen=srresnet(blocks=2,features=16)+se+multiscale disc=patchgan(features=8) loss=l1+0.01*gan"


def test_components_with_every_parameter_and_its_source():
    result = explain(SPEC, channels=2, scale=4, size=8)
    rows = {c["name"]: c for c in result.components}
    assert [c["role"] for c in result.components] == ["gen", "gen", "gen", "disc", "loss", "loss"]
    gen = {p["name"]: (p["value"], p["source"]) for p in rows["srresnet"]["params"]}
    assert gen["blocks"] == ("2", "spec") and gen["features"] == ("16", "spec")
    se = {p["name"]: (p["value"], p["source"]) for p in rows["se"]["params"]}
    assert se["reduction"] == ("16", "default")
    assert rows["se"]["slot"] == "attention" and rows["se"]["dist"] == "srzoo-blocks"
    assert rows["gan"]["weight"] == 0.01 and rows["gan"]["requires"] == ["disc"]
    slots = {(s["role"], s["slot"]): s["filled_by"] for s in result.slots}
    assert slots[("gen", "attention")] == "se" and slots[("gen", "fusion")] == "multiscale"
    assert slots[("gen", "body")] == "(srresnet's default)" and slots[("disc", "wrapper")] == "(none)"


def test_costs_match_the_built_modules():
    result = explain(SPEC, channels=2, scale=4, size=8)
    costs = {c["component"]: c for c in result.costs}
    generator = build_generator(SPEC, in_channels=2, scale=4)
    assert costs["generator total"]["params"] == count_parameters(generator)
    assert costs["generator total"]["flops"] == forward_flops(generator, torch.zeros(1, 2, 8, 8)) > 0
    bare = build_generator("gen=srresnet(blocks=2,features=16)", in_channels=2, scale=4)
    assert costs["srresnet"]["params"] == count_parameters(bare)
    with_se = build_generator("gen=srresnet(blocks=2,features=16)+se", in_channels=2, scale=4)
    assert costs["+se (slot attention)"]["params"] == count_parameters(with_se) - count_parameters(bare) > 0
    disc = build_discriminator(SPEC, in_channels=2)
    assert costs["patchgan"]["params"] == count_parameters(disc) and costs["patchgan"]["input"] == "2×32×32"


def test_flops_count_a_convolution_as_two_per_multiply_add():
    conv = torch.nn.Conv2d(2, 4, 3, padding=1, bias=False)
    assert forward_flops(conv, torch.zeros(1, 2, 5, 5)) == 2 * (4 * 5 * 5) * (2 * 3 * 3)


def test_defaults_are_explained():
    result = explain("gen=srresnet(blocks=1,features=8)", channels=3, scale=2, size=4)
    assert any("adds loss=l1" in n for n in result.notes)
    assert any("no metric=" in n for n in result.notes)


def test_errors():
    with pytest.raises(SpecError, match="unknown generator"):
        explain("gen=srresnett")
    with pytest.raises(UsageError, match="supports scale 2, 4, 8, not 3"):
        explain("gen=srresnet(blocks=1,features=8)", scale=3)
    with pytest.raises(UsageError, match="--size must be at least 1"):
        explain("gen=srresnet", size=0)


def test_cli(cli):
    code, out, err = cli("explain", SPEC, "--channels", "2", "--size", "8")
    assert code == 0, err
    assert out.splitlines()[0] == "gen=srresnet(blocks=2,features=16)+se+multiscale disc=patchgan(features=8) loss=l1+0.01*gan"
    for text in ("srzoo-blocks 0.1.0", "reduction=16*", "attention", "generator total", "one multiply-add = 2 FLOPs", "LR 8×8 → HR 32×32"):
        assert text in out, text
    code, out, err = cli("explain", SPEC, "--channels", "2", "--size", "8", "--json")
    data = json.loads(out)
    assert data["hr_size"] == 32 and {c["component"] for c in data["costs"]} >= {"srresnet", "generator total", "patchgan"}
    code, _, err = cli("explain", "gen=srresnet+se+se")
    assert code == 2 and "appears twice" in err
