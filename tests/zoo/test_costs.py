"""Parameters and FLOPs: `srzoo describe` shows them for a generator or discriminator with its
default options (counted on the meta device), `srzoo explain` for any spec and input size, and
`srzoo list` builds nothing, so it stays fast."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from srzoo_core.build import build_generator, count_parameters
from srzoo_core.experiments.costs import default_cost, forward_flops
from srzoo_core.experiments.explain import explain
from srzoo_core.registry import get_registry

TINY_SWINIR = 'gen=swinir(embed_dim=12,depths="1,1",num_heads="2,2",window_size=4,img_size=16,num_feat=8)'


def test_describe_shows_the_cost_of_a_generator_with_its_defaults(cli):
    code, out, err = cli("describe", "srresnet", "--json")
    assert code == 0, err
    cost = json.loads(out)["cost"]
    real = build_generator("gen=srresnet", in_channels=3, scale=4)
    assert cost["parameters"] == count_parameters(real) == 1_550_659
    assert cost["flops"] == forward_flops(real, torch.zeros(1, 3, 64, 64))
    assert (cost["channels"], cost["scale"], cost["lr_size"], cost["hr_size"]) == (3, 4, 64, 256)
    code, out, _ = cli("describe", "srresnet")
    assert ("cost with the default options: 1,550,659 parameters, 18.17G FLOPs per forward pass on 3×64×64 LR "
            "(×4 → 256×256); other options and sizes: srzoo explain") in out.replace("\n", " ")


def test_describe_shows_a_discriminator_cost_on_the_hr_image_and_none_for_blocks(cli):
    code, out, _ = cli("describe", "patchgan")
    assert code == 0 and "FLOPs per forward pass on a 3×256×256 image" in out.replace("\n", " ")
    code, out, _ = cli("describe", "se", "--json")
    assert code == 0 and "cost" not in json.loads(out)
    code, out, _ = cli("describe", "se")
    assert "cost with" not in out


@pytest.mark.parametrize("name", [c.name for c in get_registry().list("gen")])
def test_every_generator_has_a_default_cost(name):
    cost = default_cost(get_registry().get(name, "gen"))
    assert cost["parameters"] > 0 and cost["flops"] > 0 and cost["hr_size"] == cost["lr_size"] * cost["scale"]


def test_window_models_are_counted_at_the_padded_size_on_meta_as_for_real():
    result = explain(TINY_SWINIR, channels=2, scale=4, size=6)   # window 4: 6 is padded to 8
    row = next(c for c in result.costs if c["component"] == "swinir")
    assert row["input"] == "2×6×6 (padded to 8×8: size_multiple)"
    real = build_generator(TINY_SWINIR, in_channels=2, scale=4)
    assert row["params"] == count_parameters(real)
    assert row["flops"] == forward_flops(real, torch.zeros(1, 2, 8, 8)) > 0


def test_list_imports_no_torch():
    """`srzoo list` reads the registry only: building every generator would cost seconds."""
    code = ("import sys; from srzoo_core.cli.app import main\n"
            "try: main(['list', 'gen'])\nexcept SystemExit as stop: assert not stop.code, stop.code\n"
            "assert 'torch' not in sys.modules, 'srzoo list imported torch'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "swinir" in done.stdout and "srzoo-swinir" in done.stdout
