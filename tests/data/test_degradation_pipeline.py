"""Training LR made by a ``deg=`` chain: per item, seeded by (seed, epoch, index), the same with 0 or
2 loader workers, after a resume and on any rank; once for a chain that draws nothing (so
``deg=bicubic`` is the default LR, byte for byte); in the data's units; refused where it cannot go."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from srzoo_core import PluginHost
from srzoo_core.data import load_data
from srzoo_core.data.degradation import DegradationChain, SampleDegrader, sample_generator
from srzoo_core.data.errors import DataError
from srzoo_core.errors import UsageError
from srzoo_core.spec.resolve import resolve
from srzoo_core.training.degradations import use_degradations
from srzoo_core.training.stream import TrainStream
from tests.conftest import installed_points

SCALE = 4


@pytest.fixture(scope="module")
def host() -> PluginHost:
    h = PluginHost()
    h.load_entry_points(installed_points("srzoo-srgan", "srzoo-degradations"))
    return h


@pytest.fixture
def photos(make_pngs):
    return make_pngs("hr", n=4, h=48, w=56)


def degraded(location, deg: str, host, seed: int = 3, **options):
    data = load_data(str(location), scale=SCALE, seed=seed, **options)
    info = use_degradations(resolve(f"gen=srresnet deg={deg}", host), data, SCALE, seed)
    return data, info


def batches(dataset, *, workers: int = 0, start: int = 0, count: int = 3, rank: int = 0, world: int = 1) -> list[torch.Tensor]:
    stream = TrainStream(dataset, 2, rank, world, workers, seed=3).batches(start)
    return [next(stream)[0] for _ in range(count)]


def test_the_generator_of_an_item_depends_on_seed_epoch_and_index_alone():
    draw = lambda *key: torch.rand(4, generator=sample_generator(*key))  # noqa: E731
    assert torch.equal(draw(1, 2, 3), draw(1, 2, 3))
    others = [draw(2, 2, 3), draw(1, 3, 3), draw(1, 2, 4)]
    assert all(not torch.equal(draw(1, 2, 3), other) for other in others)


def test_a_random_chain_makes_each_items_lr_from_its_hr_crop(photos, host):
    plain = load_data(str(photos), scale=SCALE, patch=32, seed=3)
    data, info = degraded(photos, "blur(sigma=1..3)+resize(final=true)+noise(sigma=0.02..0.05)", host, patch=32)
    assert info["per_sample"] and "(seed, epoch, item index)" in info["made"]
    for i in range(4):
        lr, hr = data.train[i]
        assert torch.equal(hr, plain.train[i][1])   # the same crop and augmentation as without deg=
        assert lr.shape == (3, 8, 8) and lr.dtype == torch.float32 and not torch.equal(lr, plain.train[i][0])
        assert torch.equal(lr, data.train[i][0])    # reproducible
    assert not torch.equal(data.train[0][0], data.train[len(data.train)][0])   # the next epoch draws anew


def test_lr_batches_are_identical_with_0_or_2_workers_after_a_resume_and_on_any_rank(photos, host):
    data, _ = degraded(photos, "realesrgan", host, patch=32)
    straight = batches(data.train, count=4)
    assert all(torch.equal(a, b) for a, b in zip(straight, batches(data.train, workers=2, count=4)))
    assert all(torch.equal(a, b) for a, b in zip(straight[2:], batches(data.train, workers=2, start=2, count=2)))
    copy = pickle.loads(pickle.dumps(data.train))   # what a worker in another process holds
    assert torch.equal(torch.stack([copy[i][0] for i in range(2)]), straight[0])
    # under torchrun, rank 1 of 2 takes global items 2..3 of step 0: the same LR as one process makes for them
    assert torch.equal(batches(data.train, rank=1, world=2, count=1)[0], torch.stack([data.train[i][0] for i in (2, 3)]))


def test_deg_bicubic_gives_the_default_lr_byte_for_byte(photos, host):
    plain = load_data(str(photos), scale=SCALE, patch=32, seed=3)
    data, info = degraded(photos, "bicubic", host, patch=32)
    assert not info["per_sample"] and "once" in info["made"] and "bit depth" in info["made"]
    assert all(torch.equal(a, b) for a, b in zip(plain.train.lr, data.train.lr))
    assert all(torch.equal(data.train[i][0], plain.train[i][0]) for i in range(6))
    assert torch.equal(data.val.lr, plain.val.lr)   # validation keeps the data's own LR


def test_grids_are_degraded_in_physical_units(host):
    data, info = degraded("synthetic-grid:12", "coarsen+noise(sigma=0.5)", host)
    assert info["per_sample"]
    lr, hr = data.train[0]
    physical = lambda x: data.normaliser.denormalise(x.double())  # noqa: E731
    hr_coarse = torch.nn.functional.avg_pool2d(physical(hr)[None], SCALE)[0]
    noise = physical(lr) - hr_coarse
    assert abs(float(noise.std()) - 0.5) < 0.1 and abs(float(noise.mean())) < 0.1


def test_a_chain_that_draws_nothing_on_grids_matches_the_fixed_degradation(host):
    area = load_data("synthetic-grid:12", scale=SCALE, degradation="area")
    data, info = degraded("synthetic-grid:12", "coarsen", host)
    assert not info["per_sample"]
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(area.train.lr, data.train.lr))


def test_a_photo_only_chain_is_refused_for_grids(host):
    with pytest.raises(UsageError) as caught:
        degraded("synthetic-grid:12", "jpeg+bicubic", host)
    message = caught.value.message
    assert message.startswith("deg=jpeg+bicubic: degradation 'jpeg' cannot degrade physical grids") and "bicubic accept grid" in caught.value.hint


def test_paired_lr_is_refused(make_pngs, host):
    hr, lr = make_pngs("hr", n=3, h=32, w=32), make_pngs("lr", n=3, h=8, w=8)
    with pytest.raises(UsageError, match="pairs each HR with an LR file"):
        degraded(hr, "realesrgan", host, lr=str(lr), patch=32)


class _Shrinks:
    """A broken term: claims to keep the size, halves it."""
    modalities, output_size, needs_target = ("photo",), "same", False

    def __call__(self, image, *, scale, generator, target_size=None):
        return image[:, ::2, ::2], {}


class _Refuses(_Shrinks):
    def __call__(self, image, *, scale, generator, target_size=None):
        raise ValueError("the image is too small")


class _Term:
    def __init__(self, name, degradation):
        self.name, self.options, self.degradation = name, {}, degradation


def test_the_runner_checks_the_lr_it_makes_and_names_the_failing_term():
    image = torch.rand(3, 16, 16)
    with pytest.raises(DataError, match=r"made a \(3, 8, 8\) torch.float32 LR from a \(3, 16, 16\).*expected \(3, 4, 4\)"):
        DegradationChain([_Term("shrinks", _Shrinks())], SCALE)(image, torch.Generator())
    with pytest.raises(DataError, match="degradation 'refuses' of deg=refuses failed on a 16×16 image: the image is too small"):
        DegradationChain([_Term("refuses", _Refuses())], SCALE)(image, torch.Generator())


def test_the_sample_degrader_pickles_and_keeps_float32_for_photos(host):
    from srzoo_core.build import build_degradations
    from srzoo_core.data.normalise import Normaliser

    chain = DegradationChain(build_degradations("deg=realesrgan", host), SCALE)
    degrader = SampleDegrader(chain, 5, Normaliser.unit(3))
    hr = torch.rand(3, 32, 32)
    lr = degrader(hr, 0, 7)
    assert lr.dtype == torch.float32 and torch.equal(lr, pickle.loads(pickle.dumps(degrader))(hr, 0, 7))
    assert np.allclose(lr.numpy() * 255, np.round(lr.numpy() * 255), atol=1e-3)  # realesrgan rounds to 8 bits
