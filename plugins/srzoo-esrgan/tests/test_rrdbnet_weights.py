"""RRDBNet's state dict follows BasicSR exactly, and published weights (BasicSR, the original ESRGAN
repository's layouts, .pth and .safetensors) load strictly and compute what those tensors define.

The expected keys, shapes and forward pass are written here from the architecture's definition,
independently of srzoo_esrgan's modules."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

import srzoo_core
from srzoo_core.errors import UsageError
from srzoo_esrgan.weights import convert_original_esrgan, load_rrdbnet_weights

NF, NB, GC, C = 8, 2, 4, 2  # features, blocks, growth, image channels (a small network)
SPEC = f"gen=rrdbnet(features={NF},blocks={NB},growth={GC})"


def basicsr_shapes(in_ch: int, out_ch: int, nf: int, nb: int, gc: int, scale: int) -> dict[str, tuple[int, ...]]:
    """BasicSR RRDBNet's keys in registration order, with shapes, from its definition."""
    shapes: dict[str, tuple[int, ...]] = {}

    def conv(name: str, cin: int, cout: int) -> None:
        shapes[f"{name}.weight"], shapes[f"{name}.bias"] = (cout, cin, 3, 3), (cout,)

    conv("conv_first", in_ch * (4 if scale == 2 else 1), nf)
    for n in range(nb):
        for r in (1, 2, 3):
            for c in range(1, 6):
                conv(f"body.{n}.rdb{r}.conv{c}", nf + (c - 1) * gc, nf if c == 5 else gc)
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        conv(name, nf, nf)
    conv("conv_last", nf, out_ch)
    return shapes


def seeded_tensors(shapes: dict[str, tuple[int, ...]], seed: int = 0) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return {k: torch.randn(s, generator=gen) * 0.1 for k, s in shapes.items()}


def reference_forward(w: dict[str, torch.Tensor], x: torch.Tensor, nb: int, scale: int) -> torch.Tensor:
    """ESRGAN's forward written out with functional ops on the raw tensors."""
    conv = lambda name, t: F.conv2d(t, w[f"{name}.weight"], w[f"{name}.bias"], padding=1)  # noqa: E731
    lrelu = lambda t: F.leaky_relu(t, 0.2)  # noqa: E731
    if scale == 2:
        b, c, h, wd = x.shape  # space-to-depth: channel c*4 + 2*i + j takes pixel (2y+i, 2x+j)
        x = x.reshape(b, c, h // 2, 2, wd // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(b, c * 4, h // 2, wd // 2)
    first = conv("conv_first", x)
    feat = first
    for n in range(nb):
        block_in = feat
        for r in (1, 2, 3):
            rdb_in, outs = feat, [feat]
            for c in range(1, 5):
                outs.append(lrelu(conv(f"body.{n}.rdb{r}.conv{c}", torch.cat(outs, 1))))
            feat = conv(f"body.{n}.rdb{r}.conv5", torch.cat(outs, 1)) * 0.2 + rdb_in
        feat = feat * 0.2 + block_in
    feat = first + conv("conv_body", feat)
    for up in ("conv_up1", "conv_up2"):
        feat = lrelu(conv(up, F.interpolate(feat, scale_factor=2, mode="nearest")))
    return conv("conv_last", lrelu(conv("conv_hr", feat)))


def build(host, scale: int = 4, spec: str = SPEC):
    return srzoo_core.build_generator(spec, in_channels=C, scale=scale, host=host).eval()


@pytest.mark.parametrize("scale", [4, 2])
def test_keys_and_shapes_follow_basicsr(host, scale):
    model = build(host, scale)
    expected = basicsr_shapes(C, C, NF, NB, GC, scale)
    assert list(model.state_dict()) == list(expected)
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == expected


@pytest.mark.parametrize("scale", [4, 2])
@pytest.mark.parametrize("form", ["plain.pth", "params.pth", "params_ema.pth", "module.pt", "file.safetensors"])
def test_basicsr_weights_load_strict_and_match_reference(host, tmp_path, scale, form):
    weights = seeded_tensors(basicsr_shapes(C, C, NF, NB, GC, scale))
    path = tmp_path / form
    if form == "file.safetensors":
        save_file(weights, str(path))
    elif form == "module.pt":
        torch.save({f"module.{k}": v for k, v in weights.items()}, path)
    elif form == "plain.pth":
        torch.save(weights, path)
    else:  # BasicSR releases wrap the dict; params_ema (the EMA weights) wins over params
        decoy = {k: torch.zeros_like(v) for k, v in weights.items()}
        torch.save({"params": weights} if form == "params.pth" else {"params": decoy, "params_ema": weights}, path)
    model = build(host, scale)
    load_rrdbnet_weights(model, path)
    x = torch.randn(2, C, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out = model(x)
    assert out.shape == (2, C, 8 * scale, 8 * scale)
    torch.testing.assert_close(out, reference_forward(weights, x, NB, scale), rtol=1e-4, atol=1e-5)


def test_weights_option_loads_at_build_time(host, tmp_path):
    weights = seeded_tensors(basicsr_shapes(C, C, NF, NB, GC, 4), seed=3)
    path = tmp_path / "esrgan.safetensors"
    save_file(weights, str(path))
    model = build(host, 4, SPEC[:-1] + f',weights="{path}")')
    x = torch.randn(1, C, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference_forward(weights, x, NB, 4), rtol=1e-4, atol=1e-5)


class OldRDB(nn.Module):
    """The original repository's ResidualDenseBlock_5C: conv_block() made each conv an nn.Sequential."""

    def __init__(self, nf: int, gc: int):
        super().__init__()
        for c in range(1, 6):
            layers = [nn.Conv2d(nf + (c - 1) * gc, nf if c == 5 else gc, 3, padding=1)]
            setattr(self, f"conv{c}", nn.Sequential(*layers, *([nn.LeakyReLU(0.2)] if c < 5 else [])))

    def forward(self, x):
        outs = [x]
        for c in range(1, 5):
            outs.append(getattr(self, f"conv{c}")(torch.cat(outs, 1)))
        return self.conv5(torch.cat(outs, 1)) * 0.2 + x


class OldRRDB(nn.Module):
    def __init__(self, nf: int, gc: int):
        super().__init__()
        self.RDB1, self.RDB2, self.RDB3 = OldRDB(nf, gc), OldRDB(nf, gc), OldRDB(nf, gc)

    def forward(self, x):
        return self.RDB3(self.RDB2(self.RDB1(x))) * 0.2 + x


class Shortcut(nn.Module):
    def __init__(self, sub: nn.Module):
        super().__init__()
        self.sub = sub

    def forward(self, x):
        return x + self.sub(x)


def old_esrgan_x4(nf: int, nb: int, gc: int) -> nn.Sequential:
    """The original ESRGAN RRDB_Net(upscale=4) as its flattened nn.Sequential, layer by layer."""
    return nn.Sequential(
        nn.Conv2d(C, nf, 3, padding=1),                                                   # fea_conv
        Shortcut(nn.Sequential(*[OldRRDB(nf, gc) for _ in range(nb)], nn.Conv2d(nf, nf, 3, padding=1))),
        nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(nf, nf, 3, padding=1), nn.LeakyReLU(0.2),
        nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(nf, nf, 3, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(nf, nf, 3, padding=1), nn.LeakyReLU(0.2),                                # HR_conv0
        nn.Conv2d(nf, C, 3, padding=1),                                                   # HR_conv1
    )


def to_old_layout(new: dict[str, torch.Tensor], nb: int) -> dict[str, torch.Tensor]:
    """BasicSR keys → the original repository's, by hand (the inverse of the converter)."""
    top = {"conv_first": "model.0", "conv_body": f"model.1.sub.{nb}", "conv_up1": "model.3",
           "conv_up2": "model.6", "conv_hr": "model.8", "conv_last": "model.10"}
    out = {}
    for key, value in new.items():
        if key.startswith("body."):
            _, n, rdb, conv, param = key.split(".")
            out[f"model.1.sub.{n}.RDB{rdb[3]}.{conv}.0.{param}"] = value
        else:
            name, param = key.split(".")
            out[f"{top[name]}.{param}"] = value
    return out


def test_old_layout_inverse_matches_the_old_architecture():
    old = old_esrgan_x4(NF, NB, GC)
    mapped = to_old_layout(seeded_tensors(basicsr_shapes(C, C, NF, NB, GC, 4)), NB)
    assert {f"model.{k}": tuple(v.shape) for k, v in old.state_dict().items()} == {k: tuple(v.shape) for k, v in mapped.items()}


def test_original_esrgan_layout_converts_loads_strict_and_matches(host, tmp_path):
    weights = seeded_tensors(basicsr_shapes(C, C, NF, NB, GC, 4), seed=5)
    original = to_old_layout(weights, NB)
    assert convert_original_esrgan(original) == weights
    old = old_esrgan_x4(NF, NB, GC).eval()
    old.load_state_dict({k.removeprefix("model."): v for k, v in original.items()}, strict=True)
    torch.save(original, tmp_path / "RRDB_ESRGAN_x4_old_arch.pth")
    model = build(host)
    load_rrdbnet_weights(model, tmp_path / "RRDB_ESRGAN_x4_old_arch.pth")
    x = torch.randn(2, C, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(model(x), old(x), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(model(x), reference_forward(weights, x, NB, 4), rtol=1e-4, atol=1e-5)


def test_original_esrgan_2019_layout_converts(host, tmp_path):
    weights = seeded_tensors(basicsr_shapes(C, C, NF, NB, GC, 4), seed=6)
    names = {"body": "RRDB_trunk", "conv_body": "trunk_conv", "conv_up1": "upconv1", "conv_up2": "upconv2", "conv_hr": "HRconv"}
    renamed = {}
    for key, value in weights.items():
        head, _, rest = key.partition(".")
        renamed[f"{names.get(head, head)}.{rest}".replace(".rdb", ".RDB")] = value
    assert convert_original_esrgan(renamed) == weights
    torch.save(renamed, tmp_path / "RRDB_ESRGAN_x4.pth")
    model = build(host)
    load_rrdbnet_weights(model, tmp_path / "RRDB_ESRGAN_x4.pth")
    x = torch.randn(1, C, 5, 7)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference_forward(weights, x, NB, 4), rtol=1e-4, atol=1e-5)


def test_old_x2_layout_is_refused_with_the_reason(host, tmp_path):
    weights = to_old_layout(seeded_tensors(basicsr_shapes(C, C, NF, NB, GC, 4)), NB)
    # one up stage: 2 Upsample, 3 conv, 4 LeakyReLU, 5 HR_conv0, 6 LeakyReLU, 7 HR_conv1
    x2 = {k.replace("model.8.", "model.5.").replace("model.10.", "model.7."): v for k, v in weights.items() if not k.startswith("model.6.")}
    torch.save(x2, tmp_path / "old_x2.pth")
    with pytest.raises(UsageError, match=r"old_x2\.pth.*1 stage"):
        load_rrdbnet_weights(build(host, 2), tmp_path / "old_x2.pth")


def test_mismatched_weights_name_the_file_and_keys(host, tmp_path):
    weights = seeded_tensors(basicsr_shapes(C, C, NF, NB + 1, GC, 4))  # one block too many
    del weights["conv_hr.bias"]
    torch.save(weights, tmp_path / "other.pth")
    with pytest.raises(UsageError) as info:
        load_rrdbnet_weights(build(host), tmp_path / "other.pth")
    text = str(info.value)
    assert "other.pth" in text and "missing: conv_hr.bias" in text and f"unexpected: body.{NB}.rdb1.conv1.weight" in text
    assert f"blocks={NB + 1}" in text  # the hint says what the file was built with

    torch.save(seeded_tensors(basicsr_shapes(C, C, NF * 2, NB, GC, 4)), tmp_path / "wide.pth")
    with pytest.raises(UsageError, match=r"wide\.pth.*shape mismatch.*conv_first\.weight"):
        build(host, 4, SPEC[:-1] + f',weights="{tmp_path / "wide.pth"}")')


def test_missing_file_and_bad_suffix(host, tmp_path):
    with pytest.raises(UsageError, match="not found.*nowhere.pth"):
        build(host, 4, SPEC[:-1] + f',weights="{tmp_path / "nowhere.pth"}")')
    (tmp_path / "w.ckpt").write_bytes(b"x")
    with pytest.raises(UsageError, match=r"w\.ckpt must end in"):
        load_rrdbnet_weights(build(host), tmp_path / "w.ckpt")


class _Payload:
    """Unpickling this runs code that creates a file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


def test_pickle_that_runs_code_is_refused_and_not_executed(host, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"params": {"conv_first.weight": torch.zeros(1)}, "payload": _Payload(marker)}, path)
    assert not marker.exists()
    with pytest.raises(UsageError, match=r"refused to load weights file .*evil\.pth"):
        load_rrdbnet_weights(build(host), path)
    assert not marker.exists()
    with pytest.raises(UsageError, match=r"evil\.pth"):
        build(host, 4, SPEC[:-1] + f',weights="{path}")')
    assert not marker.exists()
    torch.load(path, weights_only=False)  # the payload is live: an unrestricted load does run it
    assert marker.exists()
