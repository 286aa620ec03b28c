"""unetsn: Real-ESRGAN's UNetDiscriminatorSN layout (spectral norm's weight_orig / weight_u / weight_v),
numbers in training (a power iteration per forward) and eval mode, any input size, logits.

Pinned figures: Real-ESRGAN's ``realesrgan/archs/discriminator_arch.py`` run in a scratch folder on the
same seeded weights and input; srzoo's logits and updated u, v were bit-identical there."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import srzoo_core as sz
from srzoo_core.testing.reference import assert_figures, seeded_input, seeded_weights
from srzoo_realesrgan.unetsn import unetsn

# UNetDiscriminatorSN(3, num_feat=8): every entry, in order
REFERENCE = {
    "conv0.weight": (8, 3, 3, 3), "conv0.bias": (8,),
    "conv1.weight_orig": (16, 8, 4, 4), "conv1.weight_u": (16,), "conv1.weight_v": (128,),
    "conv2.weight_orig": (32, 16, 4, 4), "conv2.weight_u": (32,), "conv2.weight_v": (256,),
    "conv3.weight_orig": (64, 32, 4, 4), "conv3.weight_u": (64,), "conv3.weight_v": (512,),
    "conv4.weight_orig": (32, 64, 3, 3), "conv4.weight_u": (32,), "conv4.weight_v": (576,),
    "conv5.weight_orig": (16, 32, 3, 3), "conv5.weight_u": (16,), "conv5.weight_v": (288,),
    "conv6.weight_orig": (8, 16, 3, 3), "conv6.weight_u": (8,), "conv6.weight_v": (144,),
    "conv7.weight_orig": (8, 8, 3, 3), "conv7.weight_u": (8,), "conv7.weight_v": (72,),
    "conv8.weight_orig": (8, 8, 3, 3), "conv8.weight_u": (8,), "conv8.weight_v": (72,),
    "conv9.weight": (1, 8, 3, 3), "conv9.bias": (1,),
}
# UNetDiscriminatorSN(3, 8, skip_connection), weights randn × 0.1 (u, v: unit randn) from seed 500 + skip,
# input rand(2, 3, 32, 40) from seed 5: logits of one training-mode forward, then conv3.weight_u.sum()
PINNED = {
    True: ((-958.268763, 0.06468058, [-0.0808771, -0.15925, -0.1568134, -0.1741109]), -0.2768908),
    False: ((-531.444757, 0.00103453, [-0.2075208, -0.2073582, -0.2070496, -0.2074029]), 1.4548214),
}


def test_keys_are_real_esrgans():
    assert [(k, tuple(v.shape)) for k, v in unetsn(3, features=8).state_dict().items()] == list(REFERENCE.items())


@pytest.mark.parametrize("skip", [True, False])
def test_matches_real_esrgan_in_training_and_eval(skip):
    disc = unetsn(3, features=8, skip_connection=skip)
    disc.load_state_dict(seeded_weights(disc, 500 + skip, 0.1))
    x = seeded_input(5, 3, 32, 40)
    logits, u_sum = PINNED[skip]
    assert_figures(disc.train()(x), logits)  # the power iteration updates u and v first
    assert disc.conv3.weight_u.double().sum().item() == pytest.approx(u_sum, rel=1e-5)
    with torch.no_grad():
        assert_figures(disc.eval()(x), logits)  # eval reuses the stored u and v


@pytest.mark.parametrize("size", [(32, 32), (37, 50), (9, 16), (5, 3)])
def test_one_logit_per_pixel_for_any_size(size):
    disc = sz.create("disc", "unetsn", in_channels=2, features=8)
    assert disc(torch.rand(2, 2, *size)).shape == (2, 1, *size)
    assert not any(isinstance(m, nn.Sigmoid) for m in disc.modules())


def test_other_sizes_are_padded_to_a_multiple_of_8_and_cropped():
    disc = unetsn(1, features=8).eval()
    x = torch.rand(1, 1, 25, 17)
    with torch.no_grad():
        assert torch.equal(disc(x), disc(F.pad(x, (0, 7, 0, 7), mode="replicate"))[..., :25, :17])


def test_loads_a_real_esrgan_state_dict_strictly():
    g = torch.Generator().manual_seed(0)
    state = {k: torch.randn(s, generator=g) for k, s in REFERENCE.items()}
    disc = unetsn(3, features=8)
    disc.load_state_dict(state, strict=True)
    assert torch.equal(disc.conv5.weight_orig, state["conv5.weight_orig"])


def test_one_discriminator_step():
    disc = sz.create("disc", "unetsn", in_channels=2, features=8)
    optimiser = torch.optim.Adam(disc.parameters(), lr=1e-3)
    before = {k: v.clone() for k, v in disc.named_parameters()}
    real, fake = torch.rand(2, 2, 16, 16), torch.rand(2, 2, 16, 16)
    loss = F.binary_cross_entropy_with_logits(disc(real), torch.ones(2, 1, 16, 16)) + \
        F.binary_cross_entropy_with_logits(disc(fake), torch.zeros(2, 1, 16, 16))
    loss.backward()
    optimiser.step()
    assert torch.isfinite(loss) and all(not torch.equal(before[k], v) for k, v in disc.named_parameters())
