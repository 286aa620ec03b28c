"""Figures computed with BasicSR's own code (basicsr/data/degradations.py, basicsr/utils/
img_process_util.py: filter2D), on the same parameters and seeded inputs; the plugin must agree
to 1e-12 in float64 (kernels, filtering) and to float32 rounding for the noise formulas, which run
on the same random draws (torch's global RNG seeded there, a generator with that seed here)."""

from __future__ import annotations

import pytest
import torch
from srzoo_degradations.kernels import blur_kernel, filter2d, sinc_kernel
from srzoo_degradations.noise import gaussian_noise, poisson_noise

KERNELS = [
    # (kind, size, sigma_x, sigma_y, theta, beta), {(row, col): BasicSR's value}
    (("aniso", 21, 2.0, 0.7, 0.5, None),
     {(10, 10): 0.1136821025151754, (10, 14): 0.0005714772723068682, (3, 17): 4.4356987059447034e-42,
      (12, 8): 5.715052912788538e-05}),
    (("iso", 7, 1.3, None, 0.0, None),
     {(3, 3): 0.09527432052324554, (0, 0): 0.00046362303941851856, (1, 4): 0.021703431336758908}),
    (("generalized_aniso", 15, 1.5, 2.5, -1.0, 0.7),
     {(7, 7): 0.02658477159253374, (2, 11): 0.0005972992366838172, (9, 3): 0.003490302791729739}),
    (("generalized_iso", 9, 1.1, None, 0.0, 3.2),
     {(4, 4): 0.22842288984314676, (4, 6): 2.4817255635258125e-11, (3, 5): 0.018813536179920532}),
    (("plateau_aniso", 13, 1.2, 0.6, 2.0, 1.6),
     {(6, 6): 0.22739518851267626, (2, 9): 0.0019115473798597938, (11, 0): 0.0002779769500720685}),
    (("plateau_iso", 11, 2.2, None, 0.0, 1.0),
     {(5, 5): 0.030183027826181746, (0, 10): 0.0026638558475331814, (3, 6): 0.014846123442959314}),
]
SINCS = [
    ((11, 2.0), {(5, 5): 0.321514884816365, (5, 6): 0.18542561013669137, (0, 0): 0.0070391016449098814,
                 (2, 8): 0.020684509693109202}),
    ((21, 0.7), {(10, 10): 0.04353633146194855, (10, 17): -0.005592102655765791, (3, 4): -0.0022513436673502886}),
]


@pytest.mark.parametrize("args,values", KERNELS, ids=[k[0][0] for k in KERNELS])
def test_blur_kernels(args, values):
    kernel = blur_kernel(*args)
    assert kernel.dtype == torch.float64 and kernel.sum().item() == pytest.approx(1.0, abs=1e-14)
    for (i, j), value in values.items():
        assert kernel[i, j].item() == pytest.approx(value, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("args,values", SINCS)
def test_sinc_kernels(args, values):
    kernel = sinc_kernel(*args)
    for (i, j), value in values.items():
        assert kernel[i, j].item() == pytest.approx(value, abs=1e-13)


def _image():
    return torch.rand(1, 3, 24, 20, generator=torch.Generator().manual_seed(0), dtype=torch.float64)[0]


@pytest.mark.parametrize("kernel,values,total", [
    (lambda: blur_kernel("aniso", 9, 1.7, 0.8, 0.3),
     {(0, 0, 0): 0.5469841182144466, (1, 23, 19): 0.38805154999029495, (2, 5, 7): 0.48700315992545345,
      (0, 12, 0): 0.41918220813929474}, 713.5992810811169),
    (lambda: sinc_kernel(21, 1.3),
     {(0, 0, 0): 0.4956210518035472, (1, 23, 19): 0.1644298258970275, (2, 11, 9): 0.5283523871233616},
     713.1004902914424),
], ids=["aniso9", "sinc21"])
def test_filtering_matches_filter2d(kernel, values, total):
    out = filter2d(_image(), kernel())
    for index, value in values.items():
        assert out[index].item() == pytest.approx(value, abs=1e-12)
    assert out.sum().item() == pytest.approx(total, abs=1e-9)


def test_reflect_padding_folds_like_numpy_for_any_width():
    """BasicSR's F.pad(mode="reflect") needs pad < size; small LR images in the second stage can be
    narrower than a 21-tap kernel, so the padding keeps folding, as numpy.pad(mode="reflect")."""
    import numpy as np
    from srzoo_degradations.kernels import pad2d
    for h, w, pad in ((5, 7, 10), (1, 3, 4), (24, 20, 10)):
        image = torch.rand(2, h, w, generator=torch.Generator().manual_seed(h), dtype=torch.float64)
        expected = np.pad(image.numpy(), ((0, 0), (pad, pad), (pad, pad)), mode="reflect")
        assert np.array_equal(pad2d(image, pad).numpy(), expected)


def _photo():
    return torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(1))[0] * 0.8


@pytest.mark.parametrize("seed,scale,grey,values,total", [
    (7, 1.3, False, {(0, 0, 0): 0.5623935461044312, (1, 7, 9): 0.8875071406364441, (2, 15, 3): 0.7386336922645569},
     310.1277860617265),
    (8, 0.6, True, {(0, 0, 0): 0.630562961101532, (1, 7, 9): 0.7297896146774292, (2, 15, 3): 0.7016024589538574},
     308.96472713910043),
])
def test_poisson_noise_formula(seed, scale, grey, values, total):
    image = _photo()
    noise, _ = poisson_noise(image, scale, grey, torch.Generator().manual_seed(seed))
    out = (image + noise).clamp(0, 1)
    for index, value in values.items():
        assert out[index].item() == pytest.approx(value, abs=1e-6)
    assert out.double().sum().item() == pytest.approx(total, abs=1e-4)


def test_gaussian_noise_formula():
    """sigma = 12 levels of 255 here is sigma = 12/255 in [0, 1] photo units."""
    image = _photo()
    out = (image + gaussian_noise((3, 16, 16), 12 / 255, False, torch.Generator().manual_seed(9), torch.float32)).clamp(0, 1)
    values = {(0, 0, 0): 0.5558749437332153, (1, 7, 9): 0.7231863141059875, (2, 15, 3): 0.7388952970504761}
    for index, value in values.items():
        assert out[index].item() == pytest.approx(value, abs=1e-6)
    assert out.double().sum().item() == pytest.approx(307.8075819592923, abs=1e-4)
