"""Cells without data (NaN over "land", or outside mask=): no loss, no score, never a value."""

from __future__ import annotations

import json
import math

import pytest
import torch

import srzoo_core as sz
from srzoo_core.data import load_data
from srzoo_core.data.datasets import hide_missing
from srzoo_core.errors import UsageError
from srzoo_core.training.evaluate import Evaluator
from tests.experiments.conftest import call

FAST = ["--iters", "4", "--val-every", "4", "--batch", "4", "--precision", "fp32"]


def test_a_masked_field_trains_without_nan_losses(netcdf, tmp_path):
    path, _ = netcdf(nan_over_land=("t2m",))
    result = call("train", "gen=srresnet(blocks=1,features=8) loss=l1+ssim metric=wrmse+quantile", "--data",
                  f"{path}:vars=t2m,u10", *FAST, "--out", str(tmp_path), "--name", "land")
    assert result["code"] == 0, result["err"]
    records = [json.loads(line) for line in (tmp_path / "land" / "metrics.jsonl").read_text().splitlines()]
    losses = [value for record in records for key, value in record.items() if key.startswith("loss/")]
    assert len(losses) >= 8 and all(math.isfinite(value) and abs(value) < 1e3 for value in losses)
    assert not [r for r in records if "event" in r]  # no step skipped
    description = json.loads((tmp_path / "land" / "run.json").read_text())["description"]
    assert "left out of every metric" in description["protocol"]["missing"]
    assert description["data"]["missing"]["valid_fraction_train"]["u10"] == 1.0


def test_missing_cells_add_no_loss_and_no_gradient():
    hr = torch.tensor([[[[1.0, float("nan")], [3.0, 4.0]]]])
    sr = torch.tensor([[[[2.0, 100.0], [3.0, 4.0]]]], requires_grad=True)
    shown_sr, shown_hr = hide_missing(sr, hr)
    loss = torch.nn.functional.l1_loss(shown_sr, shown_hr, reduction="sum")
    loss.backward()
    assert loss.item() == 1.0 and sr.grad.flatten().tolist() == [1.0, 0.0, 0.0, 0.0]


def test_only_the_valid_cells_are_scored(netcdf):
    path, _ = netcdf(nan_over_land=("t2m",))
    bundle = load_data(f"{path}:vars=t2m,u10", scale=4)
    items = [bundle.val[i] for i in range(len(bundle.val))]
    lr, hr = (torch.stack(x) for x in zip(*items))
    evaluator = Evaluator.for_data(sz.build_metrics("metric=wrmse+quantile"), bundle, bundle.val)
    assert evaluator.has_missing
    # the model is right to 0.5 std everywhere there is data, and wildly wrong where there is none
    predicted = torch.where(torch.isfinite(hr), hr + 0.5, torch.tensor(1e6))
    results = evaluator.score(lambda _: predicted, list(zip(lr, hr)), batch=len(items))
    std = bundle.normaliser.std
    assert results["wrmse_t2m"] == pytest.approx(0.5 * std[0], rel=1e-5)
    assert results["wrmse_u10"] == pytest.approx(0.5 * std[1], rel=1e-5)
    assert results["quantile_t2m"] == pytest.approx(0.5 * std[0], rel=1e-5)


def test_a_metric_that_takes_no_mask_is_refused_before_training(netcdf, tmp_path):
    path, _ = netcdf(nan_over_land=("t2m",))
    result = call("train", "gen=srresnet(blocks=1,features=8) loss=l1 metric=rmse+wrmse", "--data", f"{path}:vars=t2m",
                  *FAST, "--out", str(tmp_path / "runs"))
    assert result["code"] == 2
    assert "which metric rmse cannot leave out" in result["err"] and "takes_mask" in result["err"]
    assert not (tmp_path / "runs").exists()  # refused before any run folder
    with pytest.raises(UsageError, match="metric 'wrmse' cannot score"):
        synthetic = load_data("synthetic-grid:12", scale=4)  # no coordinates: no latitudes for wrmse
        Evaluator.for_data(sz.build_metrics("metric=wrmse"), synthetic, synthetic.val)
