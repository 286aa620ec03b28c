"""The conformance kit catches broken components, with a message naming the check and the reason,
and passes well-behaved ones. Test components come in through module-like plugin objects."""

from __future__ import annotations

import itertools
import subprocess
import sys
import types

import pytest
import torch
from torch import nn

from srzoo_core import hookimpl
from srzoo_core.errors import UsageError
from srzoo_core.registry import ComponentInfo
from srzoo_core.testing import ConformanceError, check_component, check_plugin
from srzoo_core.testing.conformance import SMALL_SIZES, factory_options


def make_plugin(name: str, **hooks) -> types.ModuleType:
    """A module-like plugin object whose hooks register the given components."""
    module = types.ModuleType(name)
    for hook, components in hooks.items():
        setattr(module, hook, hookimpl(_registering(components)))
    return module


def _registering(components):
    def impl(register):
        for component_name, factory, fields in components:
            register(component_name, factory, **fields)
    return impl


def gens(*components):
    return make_plugin("kit_gens", srzoo_register_generators=[(n, f, kw) for n, f, kw in components])


def failure_lines(plugin) -> list[str]:
    with pytest.raises(ConformanceError) as caught:
        check_plugin(plugin)
    return [str(f) for f in caught.value.failures]


# -- well-behaved components -------------------------------------------------------------------

class TinyGen(nn.Module):
    def __init__(self, in_channels, out_channels, scale, features, attention=None):
        super().__init__()
        self.head = nn.Conv2d(in_channels, features, 3, padding=1)
        self.attention = attention(features) if attention else nn.Identity()
        self.up = nn.Sequential(nn.Conv2d(features, out_channels * scale * scale, 3, padding=1), nn.PixelShuffle(scale))

    def forward(self, x):
        return self.up(self.attention(self.head(x)))


def tiny_gen(in_channels=3, out_channels=3, scale=4, features=8, attention=None):
    return TinyGen(in_channels, out_channels, scale, features, attention)


class TinyDisc(nn.Module):
    def __init__(self, in_channels):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(in_channels, 4, 3, stride=2, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 1))

    def forward(self, x):
        return self.net(x)


def tiny_disc(in_channels=3):
    return TinyDisc(in_channels)


class Gate(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.conv(x))


class L1(nn.Module):
    role = "pixel"

    def forward(self, sr, hr):
        return (sr - hr).abs().mean()


class Hinge(nn.Module):
    role = "adversarial"

    def generator_loss(self, fake_logits, real_logits):
        return -fake_logits.mean()

    def discriminator_loss(self, real_logits, fake_logits):
        return torch.relu(1 - real_logits).mean() + torch.relu(1 + fake_logits).mean()


class MSE:
    higher_is_better = False

    def protocol(self):
        return {"space": "per-channel"}

    def __call__(self, sr, hr):
        return (sr - hr).pow(2).mean(dim=(2, 3))


GOOD = make_plugin(
    "kit_good",
    srzoo_register_generators=[("tinygen", tiny_gen, {"slots": ("attention",), "scales": (2, 3)})],
    srzoo_register_discriminators=[("tinydisc", tiny_disc, {})],
    srzoo_register_blocks=[("gate", Gate, {"slot": "attention"})],
    srzoo_register_losses=[("tinyl1", L1, {}), ("tinyhinge", Hinge, {"requires": ("disc",)})],
    srzoo_register_metrics=[("tinymse", MSE, {})],
)


def test_well_behaved_components_pass_every_check():
    passed = check_plugin(GOOD)
    for line in ("[gen tinygen] output size", "[gen tinygen] slots", "[gen tinygen] bf16 autocast",
                 "[disc tinydisc] logits", "[block gate] gradients", "[loss tinyl1] minimum at sr == hr",
                 "[loss tinyhinge] direction", "[metric tinymse] direction"):
        assert line in passed


# -- generators --------------------------------------------------------------------------------

class FixedUp(nn.Module):
    """Upsamples by a fixed factor whatever it was asked for."""

    def __init__(self, in_channels, out_channels, factor):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.factor = factor

    def forward(self, x):
        return nn.functional.interpolate(self.conv(x), scale_factor=self.factor, mode="nearest")


def test_wrong_output_size_fails_output_size():
    lines = failure_lines(gens(("halfgen", lambda in_channels=3, out_channels=3, scale=4: FixedUp(in_channels, out_channels, scale // 2), {})))
    message = next(line for line in lines if "output size" in line)
    assert message.startswith("[gen halfgen] output size: scale 4, 1 channel: input (2, 1, 16, 32) gave (2, 1, 32, 64), expected (2, 1, 64, 128)")


def test_generator_ignoring_the_declared_scale_fails():
    plugin = gens(("always4", lambda in_channels=3, out_channels=3, scale=4: FixedUp(in_channels, out_channels, 4), {"scales": (2, 4)}))
    lines = failure_lines(plugin)
    assert any(line.startswith("[gen always4] output size: scale 2") and "upscales ×4, not ×2" in line and "is the scale argument ignored?" in line
               for line in lines), lines


def test_factory_errors_are_failures_of_the_check_not_raw_exceptions():
    def explodes(in_channels=3, out_channels=3, scale=4):
        raise RuntimeError("boom")

    lines = failure_lines(gens(("explodes", explodes, {})))
    assert "[gen explodes] output size: raised RuntimeError: boom" in lines
    assert "[gen explodes] gradients: raised RuntimeError: boom" in lines


def test_unloadable_factory_is_a_load_failure():
    lines = failure_lines(gens(("ghost", "no_such_module_xyz:factory", {})))
    assert lines[0].startswith("[gen ghost] load: raised RegistryError:") and "cannot be loaded" in lines[0]


def test_odd_input_must_work_or_raise_value_error():
    class Strict(TinyGen):
        def forward(self, x):
            if x.shape[-1] % 2:
                raise RuntimeError("odd width")
            return super().forward(x)

    class Refuses(TinyGen):
        def forward(self, x):
            if x.shape[-1] % 2:
                raise ValueError("needs even sizes")
            return super().forward(x)

    lines = failure_lines(gens(("strict", lambda in_channels=3, out_channels=3, scale=4: Strict(in_channels, out_channels, scale, 4), {})))
    assert lines == ["[gen strict] odd input size: input (1, 3, 15, 13) raised RuntimeError: odd width; "
                     "a generator must upscale odd sizes or refuse them with ValueError"]
    check_plugin(gens(("refuses", lambda in_channels=3, out_channels=3, scale=4: Refuses(in_channels, out_channels, scale, 4), {})))


def test_unused_parameter_fails_gradients():
    def unused(in_channels=3, out_channels=3, scale=4):
        model = tiny_gen(in_channels, out_channels, scale)
        model.spare = nn.Linear(2, 2)
        return model

    assert failure_lines(gens(("unused", unused, {}))) == [
        "[gen unused] gradients: no finite gradient reaches 2 parameter(s): spare.weight, spare.bias"]


def test_state_outside_the_state_dict_fails_the_round_trip():
    class Hidden(TinyGen):
        def __init__(self, *args):
            super().__init__(*args)
            self.offset = torch.randn(1)  # a plain attribute: not saved, not loaded

        def forward(self, x):
            return super().forward(x) + self.offset

    lines = failure_lines(gens(("hidden", lambda in_channels=3, out_channels=3, scale=4: Hidden(in_channels, out_channels, scale, 4), {})))
    assert len(lines) == 1 and lines[0].startswith("[gen hidden] state-dict round trip: a second instance after load_state_dict(strict=True)")


def test_unseeded_initialisation_fails_determinism():
    counter = itertools.count()

    def drifting(in_channels=3, out_channels=3, scale=4):
        model = tiny_gen(in_channels, out_channels, scale)
        nn.init.constant_(model.head.bias, float(next(counter)))
        return model

    assert failure_lines(gens(("drifting", drifting, {}))) == [
        "[gen drifting] deterministic: two builds under torch.manual_seed(0) have different weights (head.bias)"]


def test_declared_slot_must_be_a_factory_keyword_and_be_used():
    def no_kwarg(in_channels=3, out_channels=3, scale=4):
        return tiny_gen(in_channels, out_channels, scale)

    def ignores(in_channels=3, out_channels=3, scale=4, fusion=None):
        return tiny_gen(in_channels, out_channels, scale)

    lines = failure_lines(gens(("nokwarg", no_kwarg, {"slots": ("attention",)}), ("ignores", ignores, {"slots": ("fusion",)})))
    assert sorted(lines) == [
        "[gen ignores] slots: slot 'fusion' is declared but the block given to it is never built",
        "[gen nokwarg] slots: declares slot 'attention' but the factory has no keyword parameter 'attention'",
    ]


def test_small_sizes_shrink_generators_unless_the_caller_sets_them():
    def big(in_channels=3, out_channels=3, scale=4, blocks=16, features=64, flag=True):
        return tiny_gen(in_channels, out_channels, scale, features)

    component = ComponentInfo(name="big", kind="gen", factory=big)
    assert factory_options(component, {}) == {"blocks": SMALL_SIZES["blocks"], "features": SMALL_SIZES["features"]}
    assert factory_options(component, {"features": 32})["features"] == 32
    with pytest.raises(UsageError, match="has no option 'depth'"):
        factory_options(component, {"depth": 3})
    with pytest.raises(UsageError, match="set by the conformance kit"):
        factory_options(component, {"scale": 2})
    assert "[gen big] output size" in check_component(component, features=4)


# -- discriminators and blocks -----------------------------------------------------------------

def test_discriminator_with_wrong_logit_shape_fails():
    class Flat(TinyDisc):
        def forward(self, x):
            return super().forward(x).flatten()

    lines = failure_lines(make_plugin("kit_discs", srzoo_register_discriminators=[("flat", Flat, {})]))
    assert lines[0] == "[disc flat] logits: 1 channel, 32×32: output (2,), expected logits of shape (2, 1) or (2, 1, h, w)"


def test_block_that_changes_shape_fails():
    lines = failure_lines(make_plugin("kit_blocks", srzoo_register_blocks=[("halver", lambda channels: nn.MaxPool2d(2), {"slot": "attention"})]))
    assert lines[0] == "[block halver] shape: 8 channels: input (2, 8, 12, 16) gave (2, 8, 6, 8), expected (2, 8, 12, 16)"


def test_wrapper_block_gets_the_discriminator_checks():
    class Conditioned(nn.Module):
        needs_lr = True

        def __init__(self, inner, in_channels):
            super().__init__()
            self.inner = inner(in_channels * 2)

        def forward(self, x, lr):
            return self.inner(torch.cat([x, nn.functional.interpolate(lr, size=x.shape[-2:])], dim=1))

    passed = check_plugin(make_plugin("kit_wrap", srzoo_register_blocks=[("lrcond", Conditioned, {"slot": "wrapper"})]))
    assert {"[block lrcond] logits", "[block lrcond] gradients", "[block lrcond] wraps"} <= set(passed)


# -- losses and metrics ------------------------------------------------------------------------

class Detached(L1):
    def forward(self, sr, hr):
        return super().forward(sr, hr).detach()


def test_detached_loss_fails_differentiable():
    lines = failure_lines(make_plugin("kit_losses", srzoo_register_losses=[("detached", Detached, {})]))
    assert lines == ["[loss detached] differentiable: 1 channel: the returned loss does not require grad: it is detached "
                     "from sr (or computed outside autograd), so it cannot train anything"]


def test_loss_not_minimal_at_identity_and_bad_role_fail():
    class Offset(L1):
        def forward(self, sr, hr):
            return super().forward(sr, hr) + 1.0

    class NoRole(L1):
        role = "style"

    lines = failure_lines(make_plugin("kit_losses2", srzoo_register_losses=[("offset", Offset, {}), ("norole", NoRole, {})]))
    offset, norole = sorted(lines, key=lambda line: "norole" in line)
    assert offset.startswith("[loss offset] minimum at sr == hr: 1 channel: loss(x, x) = 1 is not near its minimum")
    assert norole == "[loss norole] role: role is 'style'; expected one of pixel, perceptual, adversarial"


def test_adversarial_loss_with_reversed_direction_fails():
    class Backwards(Hinge):
        def discriminator_loss(self, real_logits, fake_logits):
            return super().discriminator_loss(fake_logits, real_logits)

    lines = failure_lines(make_plugin("kit_adv", srzoo_register_losses=[("backwards", Backwards, {"requires": ("disc",)}),
                                                                        ("nodisc", Hinge, {})]))
    backwards, nodisc = sorted(lines)
    assert backwards.startswith("[loss backwards] direction: discriminator_loss is ")
    assert backwards.endswith(" for the reverse: it must be lower when the discriminator is right")
    assert nodisc.startswith("[loss nodisc] role: an adversarial loss (role 'adversarial') is registered with requires=('disc',)")


def test_metric_whose_direction_contradicts_higher_is_better_fails():
    class Confused(MSE):
        higher_is_better = True

    lines = failure_lines(make_plugin("kit_metrics", srzoo_register_metrics=[("confused", Confused, {})]))
    assert len(lines) == 1
    assert lines[0].startswith("[metric confused] direction: higher_is_better=True, but identical inputs score 0 and degraded ones")
    assert lines[0].endswith("identical inputs must score best (higher)")


def test_metric_shape_and_attributes_are_checked():
    class Scalar(MSE):
        higher_is_better = "no"

        def __call__(self, sr, hr):
            return super().__call__(sr, hr).mean()

    lines = failure_lines(make_plugin("kit_metrics2", srzoo_register_metrics=[("scalar", Scalar, {})]))
    assert lines == ["[metric scalar] higher_is_better: is 'no'; expected a bool"]


# -- plugin level ------------------------------------------------------------------------------

def test_every_failure_of_every_component_is_listed():
    plugin = make_plugin("kit_many", srzoo_register_losses=[("detached", Detached, {})],
                         srzoo_register_blocks=[("halver", lambda channels: nn.MaxPool2d(2), {"slot": "fusion"})])
    with pytest.raises(ConformanceError) as caught:
        check_plugin(plugin)
    text = str(caught.value)
    assert text.startswith("2 conformance failures:\n  [block halver] shape: ")
    assert "\n  [loss detached] differentiable: " in text


def test_plugin_that_fails_to_register_is_a_load_failure():
    def srzoo_register_generators(register):
        register("Bad Name!", tiny_gen)

    plugin = types.ModuleType("kit_broken")
    plugin.srzoo_register_generators = hookimpl(srzoo_register_generators)
    lines = failure_lines(plugin)
    assert len(lines) == 1 and lines[0].startswith("[plugin kit_broken] load: raised while registering")


def test_caller_mistakes_raise_usage_errors():
    with pytest.raises(UsageError, match="no plugin named 'no-such-plugin'"):
        check_plugin("no-such-plugin")
    with pytest.raises(UsageError, match="does not provide"):
        check_plugin(GOOD, nosuch={"features": 2})
    with pytest.raises(UsageError, match="must be a dict"):
        check_plugin(GOOD, tinygen=4)


def test_kit_leaves_the_global_rng_alone():
    torch.manual_seed(42)
    expected = torch.rand(3)
    torch.manual_seed(42)
    check_plugin(GOOD)
    assert torch.equal(torch.rand(3), expected)


# -- pytest plugin -----------------------------------------------------------------------------

def test_fixture_is_check_plugin(srzoo_conformance):
    assert srzoo_conformance is check_plugin
    srzoo_conformance(GOOD)


def test_pytest_plugin_does_not_import_torch():
    code = "import sys, srzoo_core.testing.pytest_plugin, srzoo_core.testing; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
