"""srzoo-perceptual: the VGG19 layout, where the weights come from, and the loss itself.

No test touches the network or the real torch hub cache: ``torch.hub.get_dir`` points into a
temporary folder, the two environment variables are cleared, and downloads are ``file://`` URLs.
Weight files are generated here; each tensor is a stride-0 view of one number, so a file with
every VGG19 shape takes about 30 kB.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch
from torch import nn

import srzoo_perceptual
from srzoo_core.errors import UsageError
from srzoo_core.registry import PluginHost
from srzoo_perceptual import vgg19 as V
from srzoo_perceptual.loss import IMAGENET_MEAN, IMAGENET_STD, VGGPerceptualLoss

# The layout of torchvision.models.vgg19().features, written out by hand.
CONV_AT = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)
POOL_AT = (4, 9, 18, 27, 36)
CONV_CHANNELS = (64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512)
NAMED = {"conv1_1": 0, "conv2_2": 7, "conv3_4": 16, "conv4_4": 25, "conv5_4": 34, "relu5_4": 35, "relu2_2": 8}


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    hub = tmp_path / "hub"
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))
    monkeypatch.delenv(V.WEIGHTS_ENV, raising=False)
    monkeypatch.delenv(V.URL_ENV, raising=False)
    return hub


def expected_keys() -> list[str]:
    return [f"features.{i}.{p}" for i in CONV_AT for p in ("weight", "bias")]


def vgg_state(marker: float = 1.0, classifier: bool = True) -> dict[str, torch.Tensor]:
    """Every features.* tensor of VGG19 (and classifier.* like torchvision's file); weights of conv
    k are all ``marker + k``, biases zero."""
    state: dict[str, torch.Tensor] = {}
    cin = 3
    for k, (index, cout) in enumerate(zip(CONV_AT, CONV_CHANNELS)):
        state[f"features.{index}.weight"] = torch.full((1,), marker + k).expand(cout, cin, 3, 3)
        state[f"features.{index}.bias"] = torch.zeros(1).expand(cout)
        cin = cout
    if classifier:
        for index, shape in ((0, (4096, 25088)), (3, (4096, 4096)), (6, (1000, 4096))):
            state[f"classifier.{index}.weight"] = torch.zeros(1).expand(*shape)
            state[f"classifier.{index}.bias"] = torch.zeros(1).expand(shape[0])
    return state


def write(path: Path, state) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hashed_copy(folder: Path, marker: float) -> Path:
    """A weights file named like torchvision's: vgg19-<first 8 hex digits of its sha256>.pth."""
    tmp = write(folder / "tmp.pth", vgg_state(marker))
    target = folder / f"vgg19-{sha256(tmp)[:8]}.pth"
    tmp.rename(target)
    return target


def marker_of(loss: VGGPerceptualLoss) -> float:
    return loss.vgg.features[0].weight.flatten()[0].item()


# -- layout ----------------------------------------------------------------------------------------

def test_state_dict_keys_are_torchvisions():
    model = V.VGG19()
    assert list(model.state_dict()) == expected_keys()
    assert list(V.FEATURE_KEYS) == expected_keys()
    assert isinstance(model.features, nn.Sequential) and len(model.features) == 37


def test_module_at_every_index_is_torchvisions():
    features = V.VGG19().features
    convs = iter(CONV_CHANNELS)
    cin = 3
    for i, module in enumerate(features):
        if i in CONV_AT:
            cout = next(convs)
            assert isinstance(module, nn.Conv2d)
            assert (module.in_channels, module.out_channels, module.kernel_size, module.padding) == (cin, cout, (3, 3), (1, 1))
            cin = cout
        elif i in POOL_AT:
            assert isinstance(module, nn.MaxPool2d) and module.kernel_size == 2 and module.stride == 2
        else:
            assert isinstance(module, nn.ReLU) and i - 1 in CONV_AT


def test_layer_names():
    assert V.CONV_INDICES == {f"conv{b}_{c}": i for (b, c), i in zip(
        [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2), (3, 3), (3, 4), (4, 1), (4, 2), (4, 3), (4, 4),
         (5, 1), (5, 2), (5, 3), (5, 4)], CONV_AT)}
    for name, index in NAMED.items():
        assert V.layer_index(name) == index
    assert V.layer_index(" CONV5_4 ") == 34
    with pytest.raises(ValueError, match="conv5_4"):
        V.layer_index("conv6_1")


@pytest.mark.parametrize("layer", ["conv2_2", "conv3_4", "conv4_4", "conv5_4", "relu5_4"])
def test_network_is_kept_only_up_to_the_layer(layer):
    loss = VGGPerceptualLoss(layer=layer, weights="random")
    assert len(loss.vgg.features) == NAMED.get(layer, V.layer_index(layer)) + 1
    last = loss.vgg.features[-1]
    assert isinstance(last, nn.ReLU if layer.startswith("relu") else nn.Conv2d)


def test_unknown_layer_fails_before_looking_for_weights():
    with pytest.raises(ValueError, match="unknown VGG19 layer"):
        VGGPerceptualLoss(layer="fc7")  # no weights anywhere: the layer error comes first


# -- loading ---------------------------------------------------------------------------------------

def test_torchvision_file_loads_and_classifier_is_ignored(tmp_path):
    path = write(tmp_path / "vgg19.pth", vgg_state(marker=5.0, classifier=True))
    assert path.stat().st_size < 100_000
    model = V.load_vgg19(path)
    for k, index in enumerate(CONV_AT):
        assert model.features[index].weight.unique().tolist() == [5.0 + k]
    assert not any(k.startswith("classifier") for k in model.state_dict())


def test_missing_feature_key_is_refused(tmp_path):
    state = vgg_state()
    del state["features.34.bias"]
    with pytest.raises(UsageError, match=r"missing: features\.34\.bias"):
        V.load_vgg19(write(tmp_path / "w.pth", state))


@pytest.mark.parametrize("key", ["features.35.weight", "head.weight"])
def test_unexpected_key_is_refused(tmp_path, key):
    state = vgg_state()
    state[key] = torch.zeros(1)
    with pytest.raises(UsageError, match=rf"unexpected: {key}"):
        V.load_vgg19(write(tmp_path / "w.pth", state))


def test_wrong_shape_is_refused(tmp_path):
    state = vgg_state()
    state["features.0.weight"] = torch.zeros(64, 1, 3, 3)  # a grey-input VGG
    with pytest.raises(UsageError, match="does not fit VGG19"):
        V.load_vgg19(write(tmp_path / "w.pth", state))


def test_every_layer_is_checked_even_beyond_the_one_kept(tmp_path):
    good = V.load_vgg19(write(tmp_path / "good.pth", vgg_state(2.0)), last=7)
    assert len(good.features) == 8 and good.features[7].weight.unique().tolist() == [5.0]
    state = vgg_state()
    state["features.34.weight"] = torch.zeros(1).expand(512, 256, 3, 3)
    with pytest.raises(UsageError, match=r"features\.34\.weight is \(512, 256, 3, 3\), expected \(512, 512, 3, 3\)"):
        V.load_vgg19(write(tmp_path / "w.pth", state), last=7)


def test_not_a_state_dict_is_refused(tmp_path):
    with pytest.raises(UsageError, match="not a state dict"):
        V.load_vgg19(write(tmp_path / "w.pth", [torch.zeros(1)]))
    (tmp_path / "junk.pth").write_bytes(b"not a torch file")
    with pytest.raises(UsageError, match="cannot read VGG19 weights"):
        V.load_vgg19(tmp_path / "junk.pth")


def test_pickled_objects_are_not_loaded(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"features.0.weight": nn.Conv2d(3, 64, 3)}, path)  # a module: needs full unpickling
    with pytest.raises(UsageError, match="cannot read"):
        V.load_vgg19(path)


# -- where the weights come from -------------------------------------------------------------------

def test_default_cache_file_and_url(isolated):
    assert V.cache_file() == isolated / "checkpoints" / "vgg19-dcbb9e9d.pth"
    assert V.weights_url() == "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"


def test_order_path_then_env_then_cache_then_download(tmp_path, isolated, monkeypatch):
    option = write(tmp_path / "option.pth", vgg_state(1.0))
    env = write(tmp_path / "env.pth", vgg_state(2.0))
    cached = write(isolated / "checkpoints" / "vgg19-dcbb9e9d.pth", vgg_state(3.0))
    served = hashed_copy(tmp_path / "server", 4.0)
    monkeypatch.setenv(V.URL_ENV, served.as_uri())
    monkeypatch.setenv(V.WEIGHTS_ENV, str(env))

    # 1. the option wins over everything
    assert marker_of(VGGPerceptualLoss(weights=str(option), layer="conv1_1")) == 1.0
    # 2. then the environment variable
    assert marker_of(VGGPerceptualLoss(layer="conv1_1")) == 2.0
    # 3. then the cache file named after the URL (here the served one is not cached yet)...
    monkeypatch.delenv(V.WEIGHTS_ENV)
    monkeypatch.delenv(V.URL_ENV)
    assert marker_of(VGGPerceptualLoss(layer="conv1_1")) == 3.0
    # 4. ...and a download when it is missing
    cached.unlink()
    monkeypatch.setenv(V.URL_ENV, served.as_uri())
    loss = VGGPerceptualLoss(layer="conv1_1")
    assert marker_of(loss) == 4.0
    assert Path(loss.weights_source) == isolated / "checkpoints" / served.name
    assert (isolated / "checkpoints" / served.name).read_bytes() == served.read_bytes()


def test_download_is_cached_for_next_time(tmp_path, isolated, monkeypatch):
    served = hashed_copy(tmp_path / "server", 7.0)
    monkeypatch.setenv(V.URL_ENV, served.as_uri())
    assert V.find_weights() == isolated / "checkpoints" / served.name
    served.unlink()  # the source is gone: the cache must answer now
    assert marker_of(VGGPerceptualLoss(layer="conv1_1")) == 7.0


def test_download_with_a_wrong_hash_is_refused(tmp_path, isolated, monkeypatch):
    good = hashed_copy(tmp_path / "server", 1.0)
    digest = sha256(good)
    wrong = "0" * 8 if not digest.startswith("0" * 8) else "f" * 8
    served = good.rename(good.with_name(f"vgg19-{wrong}.pth"))
    monkeypatch.setenv(V.URL_ENV, served.as_uri())
    with pytest.raises(UsageError, match="failed their hash check") as excinfo:
        VGGPerceptualLoss(layer="conv1_1")
    assert digest in str(excinfo.value)
    checkpoints = isolated / "checkpoints"
    assert not checkpoints.exists() or list(checkpoints.iterdir()) == []  # nothing kept, no .partial


def test_download_without_a_hash_in_its_name_is_refused(tmp_path, monkeypatch):
    served = write(tmp_path / "server" / "vgg19.pth", vgg_state())
    monkeypatch.setenv(V.URL_ENV, served.as_uri())
    with pytest.raises(UsageError, match="carries no hash"):
        V.find_weights()


def test_missing_weights_message_says_how_to_provide_them(tmp_path, isolated, monkeypatch):
    url = (tmp_path / "nowhere" / "vgg19-dcbb9e9d.pth").as_uri()
    monkeypatch.setenv(V.URL_ENV, url)
    with pytest.raises(UsageError) as excinfo:
        VGGPerceptualLoss()
    text = excinfo.value.render()
    assert "could not download VGG19 weights" in text
    for part in ("vgg(weights=PATH)", V.WEIGHTS_ENV, str(isolated / "checkpoints" / "vgg19-dcbb9e9d.pth"), url,
                 V.URL_ENV, "weights=random"):
        assert part in text


def test_missing_weights_through_the_build_layer(tmp_path, monkeypatch):
    # what a user meets before training: a UsageError from building the spec's losses
    from srzoo_core.build import build_losses

    monkeypatch.setenv(V.URL_ENV, (tmp_path / "nowhere" / "vgg19-dcbb9e9d.pth").as_uri())
    host = PluginHost()
    host.add_plugin(srzoo_perceptual, name="perceptual", dist="srzoo-perceptual")
    with pytest.raises(UsageError, match="VGG19 weights"):
        build_losses("loss=vgg", host=host)
    terms = build_losses("loss=vgg(weights=random,layer=conv2_2)", host=host)
    assert terms[0].role == "perceptual"


@pytest.mark.parametrize("source", ["option", "env"])
def test_a_given_path_that_does_not_exist_is_an_error_not_a_fallback(tmp_path, isolated, monkeypatch, source):
    write(isolated / "checkpoints" / "vgg19-dcbb9e9d.pth", vgg_state(3.0))  # would be found next
    missing = str(tmp_path / "typo.pth")
    if source == "env":
        monkeypatch.setenv(V.WEIGHTS_ENV, missing)
    with pytest.raises(UsageError, match="no such file"):
        VGGPerceptualLoss(weights=missing if source == "option" else None)


def test_random_weights_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv(V.URL_ENV, (tmp_path / "nowhere" / "vgg19-dcbb9e9d.pth").as_uri())
    with pytest.raises(UsageError):
        VGGPerceptualLoss(weights=None)
    assert VGGPerceptualLoss(weights="random").weights_source == "random"


# -- the loss --------------------------------------------------------------------------------------

def small_loss(**options) -> VGGPerceptualLoss:
    torch.manual_seed(0)
    return VGGPerceptualLoss(weights="random", layer=options.pop("layer", "conv2_2"), **options)


def test_frozen_and_outside_any_optimiser():
    loss = small_loss()
    assert all(not p.requires_grad for p in loss.parameters())
    assert not loss.vgg.training
    loss.train()
    assert not loss.vgg.training
    assert list(loss.state_dict()) == [f"vgg.{k}" for k in expected_keys()[:8]]  # mean/std not persisted


def test_gradient_reaches_sr_only():
    loss = small_loss()
    sr = torch.rand(2, 3, 16, 16, requires_grad=True)
    hr = torch.rand(2, 3, 16, 16, requires_grad=True)
    value = loss(sr, hr)
    value.backward()
    assert value.dim() == 0 and value.item() > 0
    assert sr.grad is not None and sr.grad.abs().sum() > 0
    assert hr.grad is None
    assert loss(hr.detach(), hr.detach()).item() == 0.0


def test_criterion_and_imagenet_normalisation():
    l1, mse = small_loss(criterion="l1"), small_loss(criterion="mse")
    sr, hr = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        f_sr, f_hr = l1.vgg((sr - mean) / std), l1.vgg((hr - mean) / std)
    assert l1(sr, hr).item() == pytest.approx((f_sr - f_hr).abs().mean().item(), rel=1e-5)
    assert mse(sr, hr).item() == pytest.approx((f_sr - f_hr).square().mean().item(), rel=1e-5)
    assert torch.allclose(l1.to_vgg_input(mean.expand(1, 3, 4, 4)), torch.zeros(1, 3, 4, 4))


def test_one_channel_is_repeated_to_rgb():
    loss = small_loss()
    sr, hr = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)
    assert loss(sr, hr).item() == pytest.approx(loss(sr.repeat(1, 3, 1, 1), hr.repeat(1, 3, 1, 1)).item(), rel=1e-6)


@pytest.mark.parametrize("channels, mode", [(2, "auto"), (5, "auto"), (3, "grey")])
def test_other_channel_counts_average_per_channel_grey_distances(channels, mode):
    loss = small_loss(channels=mode)
    grey = small_loss()
    sr, hr = torch.rand(2, channels, 16, 16), torch.rand(2, channels, 16, 16)
    per_channel = [grey(sr[:, c:c + 1], hr[:, c:c + 1]).item() for c in range(channels)]
    assert loss(sr, hr).item() == pytest.approx(sum(per_channel) / channels, rel=1e-5)


def test_rgb_mode_requires_three_channels():
    with pytest.raises(ValueError, match="3-channel"):
        small_loss(channels="rgb")(torch.rand(1, 2, 16, 16), torch.rand(1, 2, 16, 16))


def test_too_small_inputs_for_the_layer():
    with pytest.raises(ValueError, match="at least 16x16"):
        small_loss(layer="conv5_4")(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    assert small_loss(layer="conv2_2")(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)).isfinite()
    with pytest.raises(ValueError, match="one shape"):
        small_loss()(torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 8))


def test_bf16_under_autocast_computes_in_float32():
    loss = small_loss()
    sr, hr = torch.rand(2, 2, 16, 16), torch.rand(2, 2, 16, 16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = loss(sr.bfloat16(), hr.bfloat16())
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(loss(sr, hr).item(), rel=0.05)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_follows_its_input_to_the_gpu():
    loss = small_loss()
    sr, hr = torch.rand(2, 3, 16, 16, device="cuda"), torch.rand(2, 3, 16, 16, device="cuda")
    with torch.autocast("cuda", dtype=torch.bfloat16):
        value = loss(sr, hr)
    assert value.device.type == "cuda" and value.dtype == torch.float32
    assert value.item() == pytest.approx(loss.cpu()(sr.cpu(), hr.cpu()).item(), rel=1e-3)


def test_registration():
    host = PluginHost()
    host.add_plugin(srzoo_perceptual, name="perceptual", dist="srzoo-perceptual")
    info = host.registry.get("vgg", "loss")
    assert isinstance(info.factory, str)  # lazy: `srzoo list` imports no torch
    params = {p.name: p for p in info.params}
    assert list(params) == ["layer", "criterion", "weights", "channels"]
    assert params["layer"].default == "conv5_4" and params["criterion"].default == "l1"
    assert host.registry.create("loss", "vgg", weights="random", layer="conv1_1").role == "perceptual"
