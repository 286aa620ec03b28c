"""The zoo as a user meets it: every installed generator is listed with its plugin, trains a few
steps through the real trainer on 3-channel photos and on 2-channel grids, and upscales an input
of awkward size (37×53) tiled and whole; the mixed specs the README promises resolve and train.

Sizes are the smallest each architecture allows (those of its plugin's own tests), so the whole
file stays a short smoke run of the real code paths: data, build, both training phases, checkpoint,
``srzoo.load`` and the tiler's padding for declared input-size rules (``size_multiple``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import srzoo
from srzoo_core.registry import get_registry

# One small configuration per generator; a generator installed without one here fails
# test_every_generator_has_small_options, so a new architecture cannot skip these checks.
SMALL = {
    "srresnet": "srresnet(features=8,blocks=1)",
    "unet": "unet(features=8,depth=1)",
    "rrdbnet": "rrdbnet(features=8,blocks=1,growth=4)",
    "edsr": "edsr(features=8,blocks=1)",
    "msrresnet": "msrresnet(features=8,blocks=1)",
    "rcan": "rcan(features=16,groups=1,blocks=1,reduction=4)",
    "srvggnet": "srvggnet(features=8,convs=2)",
    "span": "span(features=8,blocks=2)",
    "realplksr": "realplksr(dim=8,n_blocks=2,kernel_size=5)",
    "plksr": "plksr(dim=8,n_blocks=2,kernel_size=5)",
    "swinir": 'swinir(embed_dim=12,depths="1,1",num_heads="2,2",window_size=4,img_size=16,num_feat=8)',
    "hat": 'hat(embed_dim=12,depths="1,1",num_heads="2,2",window_size=4,squeeze_factor=4,num_feat=8)',
}
DATA = {
    "photo": dict(data="builtin", samples=1, patch=32),
    "grid": dict(data="synthetic-grid:12"),
}
ODD = (37, 53)  # no multiple of any window size or stride: the tiler must pad and crop


def generators() -> list[str]:
    return [c.name for c in get_registry().list("gen")]


def train(spec: str, tmp_path, data: str, **options):
    return srzoo.train(spec, iters=2, batch=2, quiet=True, out=str(tmp_path), val_every=2, **DATA[data], **options)


def test_list_shows_at_least_ten_generators_with_their_plugins(cli):
    code, out, _ = cli("list", "gen", "--json")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)}
    assert len(rows) >= 10 and set(SMALL) <= set(rows)
    assert rows["swinir"]["dist"] == "srzoo-swinir" and rows["rrdbnet"]["dist"] == "srzoo-esrgan"
    assert rows["srvggnet"]["kind"] == "gen" and rows["edsr"]["plugin"] == "edsr"
    code, table, _ = cli("list", "gen")
    assert code == 0 and all(name in table for name in SMALL) and "srzoo-hat" in table


def test_every_generator_has_small_options():
    assert sorted(set(generators()) - set(SMALL)) == []


def odd_input(data: str) -> np.ndarray:
    rng = np.random.default_rng(0)
    if data == "photo":
        return rng.random((*ODD, 3), dtype=np.float32)            # (H, W, C) in [0, 1]
    return (280 + 5 * rng.standard_normal((2, *ODD))).astype(np.float32)  # (C, H, W) in physical units


@pytest.mark.parametrize("data", sorted(DATA))
@pytest.mark.parametrize("name", sorted(SMALL))
def test_trains_then_upscales_an_odd_size_tiled_and_whole(name, data, tmp_path):
    run = train(f"gen={SMALL[name]} loss=l1", tmp_path, data)
    assert run.steps == 2 and np.isfinite(list(run.final.values())).all()
    model = srzoo.load(run.path / "last.safetensors")
    assert len(model.description.channels) == (3 if data == "photo" else 2)
    array = odd_input(data)
    whole = model.upscale(array, tile=0)
    tiled = model.upscale(array, tile=16, overlap=4)
    expected = (ODD[0] * 4, ODD[1] * 4, 3) if data == "photo" else (2, ODD[0] * 4, ODD[1] * 4)
    assert whole.shape == tiled.shape == expected
    assert np.isfinite(whole).all() and np.isfinite(tiled).all()


MIXED = {
    "edsr+se": "gen=edsr(features=8,blocks=1)+se(reduction=4) loss=l1",
    "rcan+multiscale": "gen=rcan(features=16,groups=1,blocks=1,reduction=4)+multiscale loss=l1",
    "swinir+unetsn+vgg": f"gen={SMALL['swinir']} disc=unetsn(features=8) loss=l1+vgg(weights=random)+0.1*gan",
}


@pytest.mark.slow
@pytest.mark.parametrize("label", sorted(MIXED))
def test_the_readme_mixed_specs_resolve_and_train(label, tmp_path):
    run = train(MIXED[label], tmp_path, "photo", pretrain="50%")
    assert run.steps == 2 and np.isfinite(list(run.final.values())).all()
    roles = run.description.roles
    if label == "swinir+unetsn+vgg":  # one pixel-pretraining step, then one with the discriminator
        assert roles["disc"].startswith("unetsn") and "vgg" in roles["loss"] and "gan" in roles["loss"]
        records = [json.loads(line) for line in (run.path / "metrics.jsonl").read_text().splitlines()]
        assert {r.get("phase") for r in records} >= {"pretrain", "gan"}
    else:
        block = label.split("+")[1]
        assert f"+{block}" in roles["gen"]
