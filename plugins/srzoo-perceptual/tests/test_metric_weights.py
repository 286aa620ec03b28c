"""Where the metrics' weights come from: the published layouts, the order of the sources, the hash
check and the message a user gets offline. No network: downloads are ``file://`` URLs."""

from __future__ import annotations

import hashlib

import pytest
import torch
from srzoo_perceptual.dists import DISTS
from srzoo_perceptual.lpips import LPIPS, heads_file

from srzoo_core.errors import UsageError


def first_weight(metric) -> float:
    return metric.net.features[0].weight.flatten()[0].item()


def nowhere(tmp_path, name: str) -> str:
    return (tmp_path / "nowhere" / name).as_uri()


# -- layouts ---------------------------------------------------------------------------------------

def test_torchvision_and_lpips_files_load(weight_files, data):
    metric = LPIPS(net="alex", weights=str(weight_files.lpips_alex), backbone=str(weight_files.alexnet))
    backbone, heads = data.backbone_state("alex"), data.heads_state("alex")
    for index in (0, 3, 6, 8, 10):
        assert torch.equal(metric.net.features[index].weight, backbone[f"features.{index}.weight"])
        assert torch.equal(metric.net.features[index].bias, backbone[f"features.{index}.bias"])
    for k, head in enumerate(metric.heads):
        assert torch.equal(head.model[1].weight, heads[f"lin{k}.model.1.weight"])


def test_dists_file_loads(weight_files, data):
    metric = DISTS(weights=str(weight_files.dists), backbone=str(weight_files.vgg16))
    state = data.alpha_beta_state()
    assert torch.equal(metric.alpha, state["alpha"]) and torch.equal(metric.beta, state["beta"])
    assert torch.equal(metric.net.features[28].weight, data.backbone_state("vgg")["features.28.weight"])


def test_a_file_without_the_classifier_loads_too(tmp_path, weight_files, data):
    path = data.save(tmp_path / "features-only.pth", data.backbone_state("alex", classifier=False))
    LPIPS(weights=str(weight_files.lpips_alex), backbone=str(path))


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("features.10.bias"), r"not torchvision's AlexNet layout \(missing: features\.10\.bias\)"),
    (lambda s: s.update({"net.slice1.0.weight": torch.zeros(1)}), r"unexpected: net\.slice1\.0\.weight"),
    (lambda s: s.update({"features.0.weight": torch.zeros(64, 1, 11, 11)}), r"does not fit AlexNet"),
])
def test_a_backbone_of_another_layout_is_refused(tmp_path, weight_files, data, change, message):
    state = data.backbone_state("alex")
    change(state)
    with pytest.raises(UsageError, match=message):
        LPIPS(weights=str(weight_files.lpips_alex), backbone=str(data.save(tmp_path / "b.pth", state)))


def test_heads_of_the_other_network_are_refused(weight_files):
    with pytest.raises(UsageError, match=r"lin1\.model\.1\.weight is \(1, 128, 1, 1\), expected \(1, 192, 1, 1\)"):
        LPIPS(net="alex", weights=str(weight_files.lpips_vgg), backbone=str(weight_files.alexnet))


def test_dists_weights_of_another_layout_are_refused(tmp_path, weight_files, data):
    state = data.alpha_beta_state()
    del state["beta"]
    with pytest.raises(UsageError, match=r"not DISTS' weights layout \(alpha, beta\) \(missing: beta\)"):
        DISTS(weights=str(data.save(tmp_path / "w.pt", state)), backbone=str(weight_files.vgg16))


# -- sources ---------------------------------------------------------------------------------------

def test_published_addresses_and_cache_names(offline):
    alex = heads_file("alex")
    assert alex.address() == "https://raw.githubusercontent.com/richzhang/PerceptualSimilarity/master/lpips/weights/v0.1/alex.pth"
    assert alex.cache_file() == offline / "checkpoints" / "lpips-v0.1-alex-df73285e.pth"
    assert alex.expected_hash(alex.address()) == alex.sha256  # no hash in "alex.pth": the pinned digest
    assert heads_file("vgg").sha256.startswith("a78928a0")


def test_environment_variables_then_the_cache(tmp_path, offline, monkeypatch, weight_files, data):
    monkeypatch.setenv("SRZOO_ALEXNET_WEIGHTS", str(weight_files.alexnet))
    monkeypatch.setenv("SRZOO_LPIPS_ALEX_WEIGHTS", str(weight_files.lpips_alex))
    metric = LPIPS()
    assert metric.files == {"backbone": weight_files.alexnet, "heads": weight_files.lpips_alex}
    # the cache, under the names the download would use
    monkeypatch.delenv("SRZOO_ALEXNET_WEIGHTS")
    monkeypatch.delenv("SRZOO_LPIPS_ALEX_WEIGHTS")
    cached_backbone = data.save(offline / "checkpoints" / "alexnet-owt-7be5be79.pth", data.backbone_state("alex", seed=9))
    cached_heads = data.save(offline / "checkpoints" / "lpips-v0.1-alex-df73285e.pth", data.heads_state("alex"))
    metric = LPIPS()
    assert metric.files == {"backbone": cached_backbone, "heads": cached_heads}
    assert first_weight(metric) == data.backbone_state("alex", seed=9)["features.0.weight"].flatten()[0].item()


def test_an_option_wins_and_a_missing_given_path_is_an_error(tmp_path, monkeypatch, weight_files):
    monkeypatch.setenv("SRZOO_VGG16_WEIGHTS", str(tmp_path / "typo.pth"))
    with pytest.raises(UsageError, match=r"VGG16 weights file .*typo\.pth.* \(from \$SRZOO_VGG16_WEIGHTS\): no such file"):
        DISTS(weights=str(weight_files.dists))
    assert DISTS(weights=str(weight_files.dists), backbone=str(weight_files.vgg16)).files["backbone"] == weight_files.vgg16
    with pytest.raises(UsageError, match=r"\(from the option backbone=\): no such file"):
        DISTS(weights=str(weight_files.dists), backbone=str(tmp_path / "typo.pth"))


def test_a_backbone_download_is_hash_checked_and_cached(tmp_path, offline, monkeypatch, weight_files, data):
    payload = weight_files.alexnet.read_bytes()
    served = tmp_path / "server" / f"alexnet-{hashlib.sha256(payload).hexdigest()[:8]}.pth"
    served.parent.mkdir()
    served.write_bytes(payload)
    monkeypatch.setenv("SRZOO_ALEXNET_URL", served.as_uri())
    metric = LPIPS(weights=str(weight_files.lpips_alex))
    assert metric.files["backbone"] == offline / "checkpoints" / served.name
    served.unlink()  # the next build reads the cache
    assert LPIPS(weights=str(weight_files.lpips_alex)).files["backbone"] == offline / "checkpoints" / served.name


def test_heads_that_are_not_the_published_file_fail_the_hash_check(offline, monkeypatch, weight_files):
    monkeypatch.setenv("SRZOO_LPIPS_ALEX_URL", weight_files.lpips_alex.as_uri())  # a mirror serving other bytes
    with pytest.raises(UsageError, match="failed their hash check"):
        LPIPS(backbone=str(weight_files.alexnet))
    checkpoints = offline / "checkpoints"
    assert not checkpoints.exists() or list(checkpoints.iterdir()) == []  # nothing kept


# -- offline, with no file -------------------------------------------------------------------------

def test_offline_message_for_the_backbone(tmp_path, offline, monkeypatch):
    url = nowhere(tmp_path, "alexnet-owt-7be5be79.pth")
    monkeypatch.setenv("SRZOO_ALEXNET_URL", url)
    with pytest.raises(UsageError) as excinfo:
        LPIPS()
    text = excinfo.value.render()
    assert "could not download AlexNet weights" in text
    for part in ("lpips(backbone=PATH)", "SRZOO_ALEXNET_WEIGHTS", str(offline / "checkpoints" / "alexnet-owt-7be5be79.pth"),
                 url, "SRZOO_ALEXNET_URL", "lpips(weights=random)"):
        assert part in text


def test_offline_message_for_the_heads(tmp_path, offline, monkeypatch, weight_files):
    url = nowhere(tmp_path, "vgg.pth")
    monkeypatch.setenv("SRZOO_LPIPS_VGG_URL", url)
    with pytest.raises(UsageError) as excinfo:
        LPIPS(net="vgg", backbone=str(weight_files.vgg16))
    text = excinfo.value.render()
    assert "could not download LPIPS vgg linear-head weights" in text
    for part in ("lpips(net=vgg,weights=PATH)", "SRZOO_LPIPS_VGG_WEIGHTS", "lpips-v0.1-vgg-a78928a0.pth", url,
                 "lpips/weights/v0.1/vgg.pth"):
        assert part in text


def test_offline_message_for_dists(tmp_path, monkeypatch, weight_files):
    monkeypatch.setenv("SRZOO_DISTS_URL", nowhere(tmp_path, "weights.pt"))
    with pytest.raises(UsageError, match="could not download DISTS weights") as excinfo:
        DISTS(backbone=str(weight_files.vgg16))
    assert "dists(weights=PATH)" in excinfo.value.render() and "SRZOO_DISTS_WEIGHTS" in excinfo.value.render()
    monkeypatch.setenv("SRZOO_VGG16_URL", nowhere(tmp_path, "vgg16-397923af.pth"))
    with pytest.raises(UsageError, match="could not download VGG16 weights") as excinfo:
        LPIPS(net="vgg")
    assert "lpips(net=vgg,backbone=PATH)" in excinfo.value.render()
