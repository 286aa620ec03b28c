"""The lpips and dists metrics: torchvision's layouts, the reference figures, and what a score means.

The pinned figures are the reference implementations' (the lpips package's ``LPIPS(net,
version="0.1")(sr, hr, normalize=True)`` from richzhang/PerceptualSimilarity, and
``DISTS_pytorch.DISTS()(sr, hr)`` from dingkeyan93/DISTS), run on the same seeded weight files and
images that conftest.py makes (torchvision replaced by stand-ins with the same layers). srzoo
matched them to within 1e-7; 1e-5 leaves room for other CPUs and BLAS builds.
"""

from __future__ import annotations

import hashlib

import pytest
import srzoo_perceptual
import torch
from srzoo_perceptual.dists import DISTS, L2Pool
from srzoo_perceptual.lpips import LPIPS
from torch import nn

from srzoo_core.registry import PluginHost

REFERENCE = {  # (metric, net) -> case -> per-sample values of the reference code
    ("lpips", "alex"): {"pair48": (0.093311355, 0.094630741), "pair64_strong": (0.40710047, 0.41049588),
                        "grey48": (0.089564882, 0.07837566)},
    ("lpips", "vgg"): {"pair48": (0.10076667, 0.10731208), "pair64_strong": (0.40679941, 0.39513361),
                       "grey48": (0.10115557, 0.10016625)},
    ("dists", "vgg"): {"pair48": (0.016857982, 0.015713632), "pair64_strong": (0.066464424, 0.070104122),
                       "grey48": (0.015960097, 0.017478347)},
}


def cases(data):
    return {"pair48": data.image_pair(4, 48), "pair64_strong": data.image_pair(5, 64, noise=0.3),
            "grey48": data.image_pair(6, 48, channels=1)}  # 1 channel: srzoo repeats it, the reference got RGB


@pytest.fixture(scope="module")
def metrics(weight_files):
    """Each metric loaded from the seeded files (torchvision and the authors' layouts)."""
    f = weight_files
    return {("lpips", "alex"): LPIPS(net="alex", weights=str(f.lpips_alex), backbone=str(f.alexnet)),
            ("lpips", "vgg"): LPIPS(net="vgg", weights=str(f.lpips_vgg), backbone=str(f.vgg16)),
            ("dists", "vgg"): DISTS(weights=str(f.dists), backbone=str(f.vgg16))}


# -- layout ----------------------------------------------------------------------------------------

def conv_at(features: nn.Sequential) -> dict[int, tuple]:
    return {i: (m.in_channels, m.out_channels, m.kernel_size[0], m.stride[0], m.padding[0])
            for i, m in enumerate(features) if isinstance(m, nn.Conv2d)}


def test_alexnet_is_torchvisions_up_to_relu5():
    features = LPIPS(net="alex", weights="random").net.features
    assert conv_at(features) == {0: (3, 64, 11, 4, 2), 3: (64, 192, 5, 1, 2), 6: (192, 384, 3, 1, 1),
                                 8: (384, 256, 3, 1, 1), 10: (256, 256, 3, 1, 1)}
    assert len(features) == 12 and all(isinstance(features[i], nn.ReLU) for i in (1, 4, 7, 9, 11))
    assert all(isinstance(features[i], nn.MaxPool2d) and (features[i].kernel_size, features[i].stride) == (3, 2)
               for i in (2, 5))


VGG16_CONVS = {0: (3, 64), 2: (64, 64), 5: (64, 128), 7: (128, 128), 10: (128, 256), 12: (256, 256), 14: (256, 256),
               17: (256, 512), 19: (512, 512), 21: (512, 512), 24: (512, 512), 26: (512, 512), 28: (512, 512)}


@pytest.mark.parametrize("metric", ["lpips", "dists"])
def test_vgg16_is_torchvisions_up_to_relu5_3(metric):
    model = LPIPS(net="vgg", weights="random") if metric == "lpips" else DISTS(weights="random")
    features = model.net.features
    assert conv_at(features) == {i: (cin, cout, 3, 1, 1) for i, (cin, cout) in VGG16_CONVS.items()}
    assert len(features) == 30 and isinstance(features[29], nn.ReLU)
    pool = L2Pool if metric == "dists" else nn.MaxPool2d  # DISTS swaps the max-pools for L2 pooling
    assert all(isinstance(features[i], pool) for i in (4, 9, 16, 23))


def test_state_dict_keys_are_torchvisions_and_the_lpips_packages():
    keys = list(LPIPS(weights="random").state_dict())
    assert keys == [f"net.features.{i}.{p}" for i in (0, 3, 6, 8, 10) for p in ("weight", "bias")] + \
        [f"lin{k}.model.1.weight" for k in range(5)]  # shift/scale are constants, not state
    assert set(DISTS(weights="random").state_dict()) == {"alpha", "beta"} | {
        f"net.features.{i}.{p}" for i in VGG16_CONVS for p in ("weight", "bias")}


# -- the reference's figures -----------------------------------------------------------------------

@pytest.mark.parametrize("key", list(REFERENCE), ids=lambda k: "-".join(k))
def test_reference_figures(metrics, data, key):
    for case, (sr, hr) in cases(data).items():
        values = metrics[key](sr, hr)
        assert values.shape == (2,) and values.dtype == torch.float32
        assert values.tolist() == pytest.approx(REFERENCE[key][case], abs=1e-5), case


# -- what a score means ----------------------------------------------------------------------------

@pytest.mark.parametrize("key", list(REFERENCE), ids=lambda k: "-".join(k))
def test_identical_scores_zero_and_more_noise_scores_higher(metrics, data, key):
    metric = metrics[key]
    assert metric.higher_is_better is False
    _, hr = data.image_pair(7, 48)
    same = metric(hr, hr.clone())
    if key[0] == "lpips":
        assert same.tolist() == [0.0, 0.0]
    else:
        assert same.abs().max().item() < 1e-6  # cov and var round differently: zero up to float32
    scores = [metric(data.image_pair(7, 48, noise=noise)[0], hr) for noise in (0.02, 0.1, 0.3)]
    assert bool((same < scores[0]).all() and (scores[0] < scores[1]).all() and (scores[1] < scores[2]).all())


def test_grey_is_repeated_and_other_channel_counts_are_refused(metrics, data):
    metric = metrics[("lpips", "alex")]
    sr, hr = data.image_pair(8, 40, channels=1)
    assert torch.equal(metric(sr, hr), metric(sr.repeat(1, 3, 1, 1), hr.repeat(1, 3, 1, 1)))
    for channels in (2, 4):
        sr, hr = data.image_pair(8, 40, channels=channels)
        for m in metrics.values():
            with pytest.raises(ValueError, match=f"got {channels} channels"):
                m(sr, hr)


def test_inputs_are_checked(metrics):
    lpips_alex, lpips_vgg = metrics[("lpips", "alex")], metrics[("lpips", "vgg")]
    with pytest.raises(ValueError, match="at least 31x31"):
        lpips_alex(torch.rand(1, 3, 30, 40), torch.rand(1, 3, 30, 40))
    assert lpips_alex(torch.rand(1, 3, 31, 31), torch.rand(1, 3, 31, 31)).isfinite().all()
    with pytest.raises(ValueError, match="at least 16x16"):
        lpips_vgg(torch.rand(1, 3, 15, 15), torch.rand(1, 3, 15, 15))
    with pytest.raises(ValueError, match="one shape"):
        lpips_alex(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 40))


def test_float64_inputs_and_bf16_autocast_compute_in_float32(metrics, data):
    metric = metrics[("dists", "vgg")]
    sr, hr = data.image_pair(9, 32)
    expected = metric(sr, hr)
    assert torch.equal(metric(sr.double(), hr.double()), expected)  # what the evaluator passes
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = metric(sr, hr)
    assert value.dtype == torch.float32 and torch.equal(value, expected)


def test_crop_scores_the_inside(data):
    metric = LPIPS(weights="random", crop=4)
    sr, hr = data.image_pair(10, 48)
    inside = LPIPS(weights="random")
    inside.load_state_dict(metric.state_dict())
    assert torch.equal(metric(sr, hr), inside(sr[..., 4:-4, 4:-4], hr[..., 4:-4, 4:-4]))
    assert metric.protocol()["crop"] == 4


def test_frozen(metrics):
    for metric in metrics.values():
        assert not any(p.requires_grad for p in metric.parameters())
        metric.train()
        assert not metric.training and not any(m.training for m in metric.modules())


@pytest.mark.parametrize("options, message", [({"net": "squeeze"}, "net must be alex or vgg"),
                                              ({"weights": "random", "backbone": "x.pth"}, "random backbone"),
                                              ({"weights": "random", "crop": -1}, "crop")])
def test_unsupported_options(options, message):
    with pytest.raises(ValueError, match=message):
        LPIPS(**options)


def test_protocol_names_the_implementation_network_range_and_weights(metrics, weight_files):
    def sha(path):
        return hashlib.sha256(path.read_bytes()).hexdigest()

    protocol = metrics[("lpips", "vgg")].protocol()
    assert protocol["metric"] == "lpips" and protocol["network"] == "vgg" and protocol["version"] == "0.1"
    assert protocol["implementation"].startswith("srzoo-perceptual ") and "lpips.LPIPS(net='vgg'" in protocol["reference"]
    assert protocol["data_range"] == 1.0 and "[0, 1]" in protocol["input"] and "2x - 1" in protocol["preprocessing"]
    assert protocol["weights"] == {"backbone": {"file": str(weight_files.vgg16), "sha256": sha(weight_files.vgg16)},
                                   "heads": {"file": str(weight_files.lpips_vgg), "sha256": sha(weight_files.lpips_vgg)}}
    protocol = metrics[("dists", "vgg")].protocol()
    assert protocol["metric"] == "dists" and protocol["weights"]["alpha_beta"]["sha256"] == sha(weight_files.dists)
    assert LPIPS(weights="random").protocol()["weights"]["heads"]["file"] == "random"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_follows_its_input_to_the_gpu(data):
    metric = DISTS(weights="random")
    sr, hr = data.image_pair(11, 32)
    expected = metric(sr, hr)
    value = metric(sr.cuda(), hr.cuda())
    assert value.device.type == "cuda"
    assert value.cpu().tolist() == pytest.approx(expected.tolist(), abs=1e-4)


# -- registration ----------------------------------------------------------------------------------

def test_registration_is_lazy_and_options_are_the_signature():
    host = PluginHost()
    host.add_plugin(srzoo_perceptual, name="perceptual", dist="srzoo-perceptual")
    lpips, dists = host.registry.get("lpips", "metric"), host.registry.get("dists", "metric")
    assert isinstance(lpips.factory, str) and isinstance(dists.factory, str)
    assert [(p.name, p.default) for p in lpips.params] == [("net", "alex"), ("weights", None), ("backbone", None),
                                                          ("crop", 0)]
    assert [p.name for p in dists.params] == ["weights", "backbone", "crop"]


def test_spec_route():
    from srzoo_core.build import build_metrics

    host = PluginHost()
    host.add_plugin(srzoo_perceptual, name="perceptual", dist="srzoo-perceptual")
    terms = build_metrics("metric=lpips(net=vgg,weights=random)+dists(weights=random)", host=host)
    assert [t.name for t in terms] == ["lpips", "dists"]
    assert terms[0].metric.protocol()["network"] == "vgg"
