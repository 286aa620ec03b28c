"""The physical diagnostics in `srzoo report`: two tiny arms x 2 seeds on a netCDF file, with
Welch's marks (Holm-corrected) against the baseline, for the model and bicubic alike."""

from __future__ import annotations

import csv

import pytest
from srzoo_xarray.sample import reanalysis_like, write

from tests.experiments.conftest import call

SPEC = "gen=srresnet(blocks=1,features=8) loss=l1 metric=wrmse+rapsd+mass"


@pytest.mark.slow
def test_diagnostics_are_reported_with_welch_marks(tmp_path):
    write(reanalysis_like(16, 16, 16), str(tmp_path / "era.nc"))
    data = f"{tmp_path / 'era.nc'}:vars=t2m:split=time:2019-03-04"
    ablation = call("ablate", SPEC, "--add", "gen:conserve", "--seeds", "2", "--out", str(tmp_path / "abl"), "--data", data,
                    "--iters", "2", "--val-every", "2", "--batch", "4", "--degradation", "area", "--precision", "fp32")
    assert ablation["code"] == 0, ablation["err"]
    result = call("report", str(tmp_path / "abl"), "--out", str(tmp_path / "report"))
    assert result["code"] == 0, result["err"]
    table = (tmp_path / "report" / "report.md").read_text()
    header = next(line for line in table.splitlines() if line.startswith("| arm | spec | seeds |"))
    for column in ("wrmse_t2m ↓", "rapsd_t2m ↓", "mass_t2m ↓"):
        assert column in header, column
    row = next(line for line in table.splitlines() if line.startswith("| +conserve |"))
    assert row.count("(Δ") == 3 and ("*" in row or "≈" in row)
    assert next(line for line in table.splitlines() if line.startswith("| bicubic |"))
    with open(tmp_path / "report" / "report.csv") as handle:
        rows = list(csv.DictReader(handle))
    mass = [r for r in rows if r.get("metric") == "mass_t2m" and r.get("arm") == "+conserve"]
    assert mass and float(mass[0]["mean"]) < 1e-5  # the conserving arm violates no mass
