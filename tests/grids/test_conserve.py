"""The ``constraint`` slot: ``gen=<any>+conserve`` makes the HR output's block means equal the LR
input in physical units (to 1e-5 relative, with the area degradation), for srresnet, unet and
rrdbnet; the slot resolves for every generator and refuses what does not fit."""

from __future__ import annotations

import pickle

import pytest
import torch
import torch.nn.functional as F

import srzoo_core as sz
from srzoo_core.build import ConstrainedGenerator
from srzoo_core.data import load_data
from srzoo_core.errors import SpecError, UsageError

GENERATORS = ["srresnet(blocks=2,features=16)", "unet(features=16)", "rrdbnet(blocks=1,features=16,growth=8)"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from srzoo_xarray.sample import reanalysis_like, write

    path = tmp_path_factory.mktemp("conserve") / "era.nc"
    write(reanalysis_like(12, 16, 16), str(path))
    return load_data(f"{path}:vars=t2m,u10", scale=4, degradation="area")


def relative_violation(generator, bundle) -> float:
    lr, hr = (torch.stack(items) for items in zip(*(bundle.val[i] for i in range(len(bundle.val)))))
    physical = bundle.normaliser.denormalise
    with torch.no_grad():
        sr = generator(lr)
    blocks, target = F.avg_pool2d(physical(sr.double()), 4), physical(lr.double())
    assert torch.allclose(F.avg_pool2d(physical(hr.double()), 4), target, rtol=1e-6)  # area: the LR is the block mean of the HR
    return float(((blocks - target).abs() / target.abs().clamp_min(1e-3)).max())


@pytest.mark.parametrize("gen", GENERATORS)
def test_block_means_equal_the_lr_in_physical_units(bundle, gen):
    torch.manual_seed(0)
    plain = sz.build_generator(f"gen={gen}", in_channels=2, scale=4)
    torch.manual_seed(0)
    constrained = sz.build_generator(f"gen={gen}+conserve", in_channels=2, scale=4, normaliser=bundle.normaliser)
    assert isinstance(constrained, ConstrainedGenerator)
    assert list(constrained.generator.state_dict()) == list(plain.state_dict())  # the generator inside is unchanged
    assert relative_violation(plain, bundle) > 1e-2
    assert relative_violation(constrained, bundle) < 1e-5


def test_multiplicative_modes_work_in_physical_units(bundle):
    """t2m in kelvin is positive: mult and softmax see de-normalised tensors, so their positivity holds."""
    for mode in ("mult", "softmax"):
        spec = f"gen=srresnet(blocks=1,features=8)+conserve(mode={mode})"
        t2m = load_data(bundle.extra["source"].replace("t2m,u10", "t2m"), scale=4, degradation="area")
        generator = sz.build_generator(spec, in_channels=1, scale=4, normaliser=t2m.normaliser)
        assert relative_violation(generator, t2m) < 1e-5
        with pytest.raises(UsageError, match="works in physical units"):
            sz.build_generator(spec, in_channels=1, scale=4)


def test_the_slot_fits_any_generator_and_only_one_constraint():
    resolved = sz.resolve("gen=srresnet+se+conserve(mode=softmax)")
    assert [b.info.slot for b in resolved.gen_blocks] == ["attention", "constraint"]
    assert resolved.canonical() == "gen=srresnet+se+conserve(mode=softmax)"
    with pytest.raises(SpecError, match="appears twice|both fill slot 'constraint'"):
        sz.resolve("gen=srresnet+conserve+conserve(mode=mult)")
    with pytest.raises(SpecError, match="is a block, not a discriminator"):
        sz.resolve("gen=srresnet disc=conserve loss=l1+gan")
    generator = sz.build_generator("gen=srresnet(blocks=1,features=8)+conserve", in_channels=2, scale=4)
    assert generator.size_multiple == 1 and pickle.loads(pickle.dumps(generator)).constraint.mode == "add"
