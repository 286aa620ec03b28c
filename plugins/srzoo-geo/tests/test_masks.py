"""Masks: with ``mask=`` a diagnostic scores the valid cells only, exactly as if the others did not exist."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from srzoo_geo.extremes import maxerr, quantile
from srzoo_geo.mass import mass
from srzoo_geo.spectrum import rapsd
from srzoo_geo.weighted import latitude_weights, wrmse
from srzoo_geo.wind import divergence

LATITUDE = torch.linspace(70, 40, 16, dtype=torch.float64)


def fields(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    hr = torch.randn(2, 2, 16, 16, generator=g, dtype=torch.float64)
    sr = hr + 0.3 * torch.randn(hr.shape, generator=g, dtype=torch.float64)
    valid = torch.ones_like(hr, dtype=torch.bool)
    valid[:, :, :, :5] = False          # "land": the western columns
    valid[1, 1, 10:, :] = False         # and more of one sample's second variable
    garbage = torch.where(valid, sr, torch.tensor(1e6, dtype=torch.float64))  # what sits in missing cells must not matter
    return garbage, torch.where(valid, hr, -1e6), valid, sr, hr


def test_wrmse_weights_only_the_valid_cells():
    sr, hr, valid, clean_sr, clean_hr = fields()
    metric = wrmse()
    metric.setup({"latitude": LATITUDE.tolist()})
    got = metric(sr, hr, mask=valid)
    weights = latitude_weights(LATITUDE).view(-1, 1).expand(16, 16)
    for n in range(2):
        for c in range(2):
            keep = valid[n, c]
            error = (clean_sr[n, c] - clean_hr[n, c])[keep]
            expected = torch.sqrt((weights[keep] * error ** 2).sum() / weights[keep].sum())
            assert got[n, c].item() == pytest.approx(expected.item(), rel=1e-12)
    assert metric.takes_mask and metric.value_units == "data"


def test_quantile_and_maximum_of_the_valid_cells():
    sr, hr, valid, clean_sr, clean_hr = fields(1)
    got_q = quantile(q=0.9)(sr, hr, mask=valid)
    got_max = maxerr()(sr, hr, mask=valid)
    for n in range(2):
        for c in range(2):
            keep = valid[n, c].numpy()
            a, b = clean_sr[n, c].numpy()[keep], clean_hr[n, c].numpy()[keep]
            assert got_q[n, c].item() == pytest.approx(abs(np.quantile(a, 0.9) - np.quantile(b, 0.9)), rel=1e-12)
            assert got_max[n, c].item() == pytest.approx(abs(a.max() - b.max()), rel=1e-12)
    # pooled maxima use only blocks whose every cell has data: columns 0-5 hold missing cells at pool 2 and 3
    pooled = maxerr(pool=2)(sr, hr, mask=valid)
    assert torch.isfinite(pooled).all() and (pooled < 10).all()


def test_divergence_leaves_out_stencils_that_touch_missing_cells():
    sr, hr, valid, clean_sr, clean_hr = fields(2)
    metric = divergence(wind="0,1")
    got = metric(sr, hr, mask=valid)
    # the same with the missing columns cut away (the wind stencils there are left out either way)
    cut = metric(clean_sr[..., 5:], clean_hr[..., 5:])
    assert got[0].item() == pytest.approx(cut[0].item(), rel=1e-12)
    assert torch.isfinite(got).all()


def test_mass_over_whole_blocks():
    sr, hr, valid, clean_sr, clean_hr = fields(3)
    lr = torch.nn.functional.avg_pool2d(clean_hr, 4)
    metric = mass(scale=4)
    got = metric(sr, hr, lr=lr, mask=valid)
    cut = metric(clean_sr[..., 8:], clean_hr[..., 8:], lr=lr[..., 2:])  # block columns 0-1 hold missing cells
    assert got[0].tolist() == pytest.approx(cut[0].tolist(), rel=1e-12)
    assert metric.value_units == "" and mass(scale=4, relative=False).value_units == "data"


def test_spectra_refuse_masks():
    sr, hr, valid, *_ = fields()
    assert not rapsd().takes_mask and rapsd().value_units == "dB"
    with pytest.raises(ValueError, match="cannot leave out missing cells"):
        rapsd()(sr, hr, mask=valid)
    with pytest.raises(ValueError, match="mask must be a tensor"):
        quantile()(sr, hr, mask=valid[0])
