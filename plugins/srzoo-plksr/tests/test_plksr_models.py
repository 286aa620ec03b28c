"""realplksr and plksr: registration, contract, slots, parity with the published code, training."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from srzoo_plksr.plksr import plksr
from srzoo_plksr.realplksr import realplksr

import srzoo_core
from srzoo_core.testing import check_component

SMALL = {"dim": 8, "n_blocks": 2, "kernel_size": 5}


def test_registration(host):
    for name in ("realplksr", "plksr"):
        info = host.registry.get(name, "gen")
        assert info.scales == (2, 3, 4) and set(info.slots) == {"body", "attention", "fusion"}
        assert isinstance(info.factory, str) and info.detect_weights == f"srzoo_plksr.weights:detect_{name}"
    assert [p.name for p in host.registry.get("realplksr", "gen").params] == [
        "preset", "dim", "n_blocks", "kernel_size", "split_ratio", "use_ea", "norm_groups", "layer_norm", "dropout", "dysample"]


def test_entry_module_imports_no_torch():
    code = "import sys, srzoo_plksr; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_conformance(srzoo_conformance):
    srzoo_conformance("plksr", realplksr=SMALL, plksr=SMALL)


def test_conformance_of_the_variants(host):
    info = host.registry.get("realplksr", "gen")
    check_component(info, **SMALL, layer_norm=True, dysample=True, dropout=0.1)
    check_component(info, **SMALL, use_ea=False, dysample=True, split_ratio=0.5)


@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("channels", [(1, 1), (2, 2), (3, 3), (2, 1)])
@pytest.mark.parametrize("dysample", [False, True])
def test_output_shape(scale, channels, dysample):
    model = realplksr(*channels, scale, **SMALL, dysample=dysample).eval()
    with torch.no_grad():
        assert model(torch.rand(2, channels[0], 7, 5)).shape == (2, channels[1], 7 * scale, 5 * scale)


def test_presets_and_bad_options():
    tiny = realplksr(preset="tiny")
    assert len(tiny.feats) == 15 and tiny.feats[1].lk.conv.kernel_size == (13, 13) and not hasattr(tiny.feats[1].attn, "f")
    assert realplksr(preset="large", n_blocks=1).feats[0].out_channels == 96
    assert plksr(preset="tiny", use_ea=True).feats[1].attn.f[0].out_channels == 64
    assert realplksr(**SMALL).receptive_field == 2 * (2 * (2 + 2 + 1) + 2) + 1
    for bad, match in [({"scale": 8}, "scales are 2, 3, 4"), ({"kernel_size": 4}, "odd"), ({"split_ratio": 0.01}, "split_ratio"),
                       ({"norm_groups": 3}, "norm_groups"), ({"preset": "huge"}, "preset"), ({"dropout": 1.0}, "dropout")]:
        with pytest.raises(ValueError, match=match):
            realplksr(**{**SMALL, **bad})
    with pytest.raises(ValueError, match="ccm_type"):
        plksr(**SMALL, ccm_type="XCCM")


@pytest.mark.parametrize("name", ["realplksr", "plksr"])
@pytest.mark.parametrize("block", ["se", "multiscale"])
def test_blocks_from_srzoo_blocks_fit(host, name, block):
    model = srzoo_core.build_generator(f"gen={name}(dim=8,n_blocks=2,kernel_size=5)+{block}", in_channels=2, scale=2, host=host)
    slot = {"se": "feats.1.attention.", "multiscale": "fusion."}[block]
    assert any(k.startswith(slot) for k in model.state_dict())
    with torch.no_grad():
        assert model.eval()(torch.rand(1, 2, 6, 7)).shape == (1, 2, 12, 14)


def test_empty_slots_keep_the_published_keys():
    keys = list(realplksr(**SMALL, layer_norm=True).state_dict())
    assert keys[:10] == ["feats.0.weight", "feats.0.bias", "feats.1.layer_norm.weight", "feats.1.layer_norm.bias",
                         "feats.1.channel_mixer.0.weight", "feats.1.channel_mixer.0.bias", "feats.1.channel_mixer.2.weight",
                         "feats.1.channel_mixer.2.bias", "feats.1.lk.conv.weight", "feats.1.lk.conv.bias"]
    assert keys[-2:] == ["feats.4.weight", "feats.4.bias"]  # feats.3 is the Dropout2d
    assert list(plksr(**SMALL).state_dict())[-2:] == ["feats.3.weight", "feats.3.bias"]


# Output figures of the published code (traiNNer-redux realplksr_arch.py, neosr realplksr_arch.py, dslisleedh's
# plksr_arch.py), run in /tmp with the same seeded weights and input: (sum, sum of |y|, y.flatten()[[0, 777, -1]]).
PINNED = {
    "realplksr_groupnorm_x3": (2063.5444863773882, 2757.965343732387, (0.44335758686065674, -0.27349406480789185, 0.7532336711883545)),
    "realplksr_layernorm_dysample_x4": (-2891.4922356312163, 2943.0925718504004, (-0.314614474773407, -0.21409423649311066, 0.04447297379374504)),
    "realplksr_neosr_dysample_noea_x3": (574.1552458051592, 1164.3652281742543, (-0.6905210018157959, 0.08049175143241882, 0.4232131838798523)),
    "plksr_dccm_x2": (827.0827665552497, 1034.4134196192026, (0.7199096083641052, 0.3505411148071289, 1.1195495128631592)),
    "plksr_ccm_noea_x4": (4224.13620749861, 5285.204954430461, (0.8197967410087585, 0.5890077948570251, 0.8015905618667603)),
}
MODELS = {
    "realplksr_groupnorm_x3": lambda: realplksr(scale=3, dim=16, n_blocks=2, kernel_size=7),
    "realplksr_layernorm_dysample_x4": lambda: realplksr(scale=4, dim=16, n_blocks=2, kernel_size=7, layer_norm=True, dysample=True),
    "realplksr_neosr_dysample_noea_x3": lambda: realplksr(scale=3, dim=16, n_blocks=2, kernel_size=5, dysample=True, use_ea=False),
    "plksr_dccm_x2": lambda: plksr(scale=2, dim=16, n_blocks=2, kernel_size=7),
    "plksr_ccm_noea_x4": lambda: plksr(scale=4, dim=16, n_blocks=2, kernel_size=5, split_ratio=0.5, use_ea=False, ccm_type="CCM"),
}


@pytest.mark.parametrize("case", list(PINNED))
def test_matches_the_published_code(case, pinned_output):
    """Bit-identical in the reference run; pinned at 1e-6 relative (values near zero at 5e-7: the
    summation order of a convolution depends on the number of threads)."""
    total, absolute, values = pinned_output(MODELS[case]())
    expected_total, expected_absolute, expected_values = PINNED[case]
    assert total == pytest.approx(expected_total, rel=1e-6)
    assert absolute == pytest.approx(expected_absolute, rel=1e-6)
    assert values == pytest.approx(expected_values, rel=1e-6, abs=5e-7)


@pytest.mark.parametrize("spec", ["gen=realplksr(dim=8,n_blocks=2,kernel_size=5,dysample=true,dropout=0.1)",
                                  "gen=plksr(dim=8,n_blocks=2,kernel_size=5)"])
def test_one_training_step(host, spec):
    torch.manual_seed(0)
    model = srzoo_core.build_generator(spec, in_channels=2, scale=2, host=host)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    lr, hr = torch.rand(4, 2, 8, 8), torch.rand(4, 2, 16, 16)
    loss = (model(lr) - hr).abs().mean()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        assert torch.isfinite(loss) and (model.eval()(lr) - hr).abs().mean() < loss
