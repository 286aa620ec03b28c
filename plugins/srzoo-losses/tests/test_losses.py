"""Behaviour of every loss of srzoo-losses on inputs whose answer is known."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import srzoo_losses
from srzoo_core.registry import PluginHost
from srzoo_losses.adversarial import GANLoss
from srzoo_losses.pixel import CharbonnierLoss, L1Loss, MSELoss
from srzoo_losses.structural import GradientDifferenceLoss, MSSSIMLoss, SSIMLoss, msssim_plan

NAMES = ("l1", "mse", "charbonnier", "ssim", "msssim", "gdl", "gan")


@pytest.fixture(scope="module")
def registry():
    host = PluginHost()
    host.add_plugin(srzoo_losses, name="losses", dist="srzoo-losses")
    return host.registry


def images(shape=(2, 3, 64, 64), seed=0):
    g = torch.Generator().manual_seed(seed)
    hr = torch.rand(shape, generator=g)
    return hr, (hr + 0.1 * torch.randn(shape, generator=g)).clamp(0, 1)


# -- registration ----------------------------------------------------------------------------------

def test_registers_every_loss_with_its_role(registry):
    assert sorted(registry.names("loss")) == sorted(NAMES)
    roles = {name: registry.create("loss", name).role for name in NAMES}
    assert roles == {**{n: "pixel" for n in NAMES}, "gan": "adversarial"}
    assert registry.get("gan", "loss").requires == ("disc",)
    assert all(registry.get(n, "loss").requires == () for n in NAMES if n != "gan")


def test_entry_module_does_not_import_torch_code():
    # factories are lazy "module:attr" strings, so `srzoo list` never imports these modules
    host = PluginHost()
    host.add_plugin(srzoo_losses, name="losses")
    assert all(isinstance(info.factory, str) for info in host.registry.list("loss"))


def test_options_schema(registry):
    params = {p.name: p for p in registry.get("gan", "loss").params}
    assert params["kind"].type_name == "vanilla|lsgan|hinge" and params["kind"].default == "vanilla"
    assert [p.name for p in registry.get("charbonnier", "loss").params] == ["eps"]
    assert [p.name for p in registry.get("gdl", "loss").params] == ["alpha"]
    assert registry.get("ssim", "loss").param("data_range").default == 1.0
    assert [p.name for p in registry.get("msssim", "loss").params] == ["data_range"]


def test_msssim_description_states_the_rule(registry):
    text = registry.describe("msssim", "loss")["description"]
    for part in ("s > 6*2^(L-1)", "s > (w-1)*2^(L-1)", "25x25", "64 -> 4 scales w7"):
        assert part in text


# -- pixel losses ----------------------------------------------------------------------------------

def test_l1_and_mse_of_a_constant_difference():
    hr = torch.rand(2, 3, 8, 8)
    assert L1Loss()(hr + 0.25, hr).item() == pytest.approx(0.25, abs=1e-6)
    assert L1Loss()(hr - 0.25, hr).item() == pytest.approx(0.25, abs=1e-6)
    assert MSELoss()(hr + 0.5, hr).item() == pytest.approx(0.25, abs=1e-6)


def test_charbonnier_value_and_eps():
    hr = torch.zeros(1, 2, 4, 4)
    assert CharbonnierLoss(eps=1e-3)(hr + 0.3, hr).item() == pytest.approx(math.sqrt(0.09 + 1e-6), rel=1e-6)
    assert CharbonnierLoss(eps=0.1)(hr, hr).item() == pytest.approx(0.1, rel=1e-6)  # its minimum is eps
    with pytest.raises(ValueError, match="eps"):
        CharbonnierLoss(eps=0)


@pytest.mark.parametrize("loss", [L1Loss(), MSELoss(), CharbonnierLoss(), SSIMLoss(), MSSSIMLoss(), GradientDifferenceLoss()],
                         ids=lambda m: type(m).__name__)
def test_shape_mismatch_is_refused(loss):
    with pytest.raises(ValueError, match="same shape"):
        loss(torch.rand(1, 2, 64, 64), torch.rand(1, 2, 64, 32))


# -- structural losses -----------------------------------------------------------------------------

def test_ssim_is_one_minus_the_library_value_for_any_channel_count():
    from pytorch_msssim import ssim

    for channels in (1, 2, 5):
        hr, sr = images((2, channels, 32, 32))
        expected = 1 - ssim(sr, hr, data_range=1.0, size_average=True)
        assert SSIMLoss()(sr, hr).item() == pytest.approx(expected.item(), abs=1e-6)
        assert SSIMLoss()(hr, hr).item() == pytest.approx(0.0, abs=1e-6)


def test_ssim_data_range_is_fixed_not_read_from_the_batch():
    hr, sr = images((1, 1, 32, 32))
    # scaling both inputs and the range together leaves SSIM unchanged
    assert SSIMLoss(data_range=10.0)(10 * sr, 10 * hr).item() == pytest.approx(SSIMLoss()(sr, hr).item(), abs=1e-5)
    assert SSIMLoss(data_range=10.0)(sr, hr).item() != pytest.approx(SSIMLoss()(sr, hr).item(), abs=1e-3)
    with pytest.raises(ValueError, match="data_range"):
        SSIMLoss(data_range=0)


def test_ssim_refuses_images_smaller_than_its_window():
    with pytest.raises(ValueError, match="smaller than the 11-pixel window"):
        SSIMLoss()(torch.rand(1, 1, 10, 32), torch.rand(1, 1, 10, 32))
    assert SSIMLoss(win_size=7)(torch.rand(1, 1, 10, 32), torch.rand(1, 1, 10, 32)).isfinite()
    with pytest.raises(ValueError, match="odd"):
        SSIMLoss(win_size=8)


@pytest.mark.parametrize("size, plan", [(25, (3, 7)), (32, (3, 7)), (48, (3, 11)), (49, (4, 7)), (64, (4, 7)),
                                        (96, (4, 11)), (97, (5, 7)), (128, (5, 7)), (161, (5, 11)), (512, (5, 11))])
def test_msssim_plan(size, plan):
    scales, window = msssim_plan(size)
    assert (scales, window) == plan
    assert window % 2 == 1
    # the coarsest scale is at least the window (no filtering skipped) and the rule's bound holds
    assert math.ceil(size / 2 ** (scales - 1)) >= window
    assert size > (window - 1) * 2 ** (scales - 1)


@pytest.mark.parametrize("shape", [(2, 2, 64, 64), (1, 3, 32, 32), (2, 1, 25, 40), (1, 4, 33, 31)])
def test_msssim_works_on_small_fields(shape):
    hr, sr = images(shape)
    sr.requires_grad_()
    with torch.autograd.set_detect_anomaly(False):
        value = MSSSIMLoss()(sr, hr)
    value.backward()
    assert value.dim() == 0 and 0 < value.item() < 1
    assert torch.isfinite(sr.grad).all() and sr.grad.abs().sum() > 0
    assert MSSSIMLoss()(hr, hr).item() == pytest.approx(0.0, abs=1e-6)


def test_msssim_smallest_size_and_its_message():
    assert MSSSIMLoss()(torch.rand(1, 1, 25, 25), torch.rand(1, 1, 25, 25)).isfinite()
    with pytest.raises(ValueError) as excinfo:
        MSSSIMLoss()(torch.rand(1, 1, 24, 64), torch.rand(1, 1, 24, 64))
    message = str(excinfo.value)
    assert "at least 25x25 pixels" in message and "smaller side is 24" in message and "ssim" in message


def test_msssim_equals_the_library_where_the_library_applies():
    from pytorch_msssim import ms_ssim

    hr, sr = images((2, 3, 192, 192))
    assert msssim_plan(192) == (5, 11)  # the library's default plan
    expected = 1 - ms_ssim(sr, hr, data_range=1.0)
    # only difference: our weights are renormalised to sum exactly 1 (the standard ones sum to 1.0001)
    assert MSSSIMLoss()(sr, hr).item() == pytest.approx(expected.item(), abs=2e-4)


def test_msssim_gradient_stays_finite_for_anticorrelated_images():
    hr = torch.rand(1, 1, 64, 64)
    sr = (1 - hr).requires_grad_()  # negative contrast-structure terms: the library's relu gives NaN grads
    MSSSIMLoss()(sr, hr).backward()
    assert torch.isfinite(sr.grad).all()


def test_gdl_known_values():
    hr = torch.zeros(1, 1, 6, 6)
    ramp = 0.5 * torch.arange(6.0).view(1, 1, 1, 6).expand(1, 1, 6, 6)  # horizontal steps of 0.5
    assert GradientDifferenceLoss(alpha=1)(ramp, hr).item() == pytest.approx(0.5)
    assert GradientDifferenceLoss(alpha=2)(ramp, hr).item() == pytest.approx(0.25)
    # an edge that is present in both, even shifted by a constant, costs nothing
    assert GradientDifferenceLoss()(ramp + 3.0, ramp).item() == pytest.approx(0.0)
    # the sign of a step does not matter, only its magnitude
    assert GradientDifferenceLoss()(-ramp, ramp).item() == pytest.approx(0.0)
    # both directions count
    both = 0.5 * (torch.arange(6.0).view(1, 1, 6, 1) + torch.arange(6.0).view(1, 1, 1, 6))
    assert GradientDifferenceLoss()(both, hr).item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="alpha"):
        GradientDifferenceLoss(alpha=0.5)


@pytest.mark.parametrize("loss", [SSIMLoss(), MSSSIMLoss(), GradientDifferenceLoss(), L1Loss(), CharbonnierLoss()],
                         ids=lambda m: type(m).__name__)
def test_bf16_inputs_under_autocast_are_computed_in_float32(loss):
    hr, sr = images((2, 2, 64, 64))
    reference = loss(sr, hr)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = loss(sr.bfloat16(), hr.bfloat16())
    assert value.dtype == torch.float32
    # only the bf16 rounding of the inputs differs
    assert value.item() == pytest.approx(reference.item(), rel=0.05, abs=1e-3)


def test_float32_inputs_under_autocast_stay_float32():
    hr, sr = images((1, 1, 64, 64))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = MSSSIMLoss()(sr, hr)
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(MSSSIMLoss()(sr, hr).item(), abs=1e-6)


# -- adversarial -----------------------------------------------------------------------------------

REAL = torch.tensor([[2.0], [0.5]])
FAKE = torch.tensor([[-1.0], [0.0]])


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_vanilla_on_chosen_logits():
    gan = GANLoss("vanilla")
    # BCE(x, 1) = softplus(-x), BCE(x, 0) = softplus(x)
    d = (softplus(-2.0) + softplus(-0.5)) / 2 + (softplus(-1.0) + softplus(0.0)) / 2
    g = (softplus(1.0) + softplus(0.0)) / 2
    assert gan.discriminator_loss(REAL, FAKE).item() == pytest.approx(d, rel=1e-6)
    assert gan.generator_loss(FAKE, REAL).item() == pytest.approx(g, rel=1e-6)


def test_vanilla_is_stable_for_extreme_logits():
    gan = GANLoss("vanilla")
    big = torch.tensor([[200.0]], requires_grad=True)
    loss = gan.generator_loss(-big, None)  # would be log(0) through a sigmoid
    loss.backward()
    assert loss.item() == pytest.approx(200.0) and torch.isfinite(big.grad).all()
    assert gan.discriminator_loss(big.detach(), -big.detach()).item() == pytest.approx(0.0, abs=1e-6)


def test_lsgan_on_chosen_logits():
    gan = GANLoss("lsgan")
    d = 0.5 * ((2 - 1) ** 2 + (0.5 - 1) ** 2) / 2 + 0.5 * ((-1) ** 2 + 0**2) / 2
    g = 0.5 * ((-1 - 1) ** 2 + (0 - 1) ** 2) / 2
    assert gan.discriminator_loss(REAL, FAKE).item() == pytest.approx(d)
    assert gan.generator_loss(FAKE, REAL).item() == pytest.approx(g)


def test_hinge_on_chosen_logits():
    gan = GANLoss("hinge")
    d = (max(0, 1 - 2.0) + max(0, 1 - 0.5)) / 2 + (max(0, 1 - 1.0) + max(0, 1 + 0.0)) / 2
    assert gan.discriminator_loss(REAL, FAKE).item() == pytest.approx(d)
    assert gan.generator_loss(FAKE, REAL).item() == pytest.approx(0.5)  # -mean(fake)


@pytest.mark.parametrize("kind", ["vanilla", "lsgan", "hinge"])
def test_generator_term_ignores_real_logits_and_patch_maps_average(kind):
    gan = GANLoss(kind)
    assert GANLoss.needs_real_logits is False and gan.needs_real_logits is False
    fake = torch.randn(4, 1, 3, 3)
    assert gan.generator_loss(fake, None).item() == gan.generator_loss(fake, torch.randn(4, 1, 3, 3)).item()
    # a patch map of logits counts like the same logits flattened
    assert gan.generator_loss(fake).item() == pytest.approx(gan.generator_loss(fake.reshape(-1, 1)).item())


@pytest.mark.parametrize("kind", ["vanilla", "lsgan", "hinge"])
def test_adversarial_bf16_logits_give_float32(kind):
    gan = GANLoss(kind)
    assert gan.generator_loss(FAKE.bfloat16()).dtype == torch.float32
    assert gan.discriminator_loss(REAL.bfloat16(), FAKE.bfloat16()).dtype == torch.float32


def test_forward_is_not_the_adversarial_interface():
    with pytest.raises(TypeError, match="generator_loss.*discriminator_loss"):
        GANLoss()(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8))


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="vanilla, lsgan, hinge"):
        GANLoss("wgan")  # type: ignore[arg-type]


def test_weights_live_in_the_spec_not_in_the_losses(registry):
    for name in NAMES:
        assert "weight" not in {p.name for p in registry.get(name, "loss").params}


def test_vanilla_matches_torch_bce_reference():
    real, fake = torch.randn(8, 1), torch.randn(8, 1)
    expected = F.binary_cross_entropy(torch.sigmoid(real), torch.ones_like(real)) + \
        F.binary_cross_entropy(torch.sigmoid(fake), torch.zeros_like(fake))
    assert GANLoss().discriminator_loss(real, fake).item() == pytest.approx(expected.item(), rel=1e-5)
