"""`srzoo report` on the shared tiny ablation: the table, the seed-noise marks (Holm-corrected), the
files, missing planned seeds, and the refusals to mix runs scored differently or to pool runs with
other options as seeds of one arm."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from tests.experiments.conftest import call


@pytest.fixture(scope="module")
def reported(ablation_story, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    result = call("report", str(ablation_story["out"]), "--out", str(folder))
    return result, folder


def copy_runs(story, tmp_path, *labels):
    copies = []
    for label in labels:
        target = tmp_path / label.replace("/", "_")
        shutil.copytree(story["out"] / label, target)
        copies.append(target)
    return copies


def edit_status(run, **changes):
    file = run / "run.json"
    status = json.loads(file.read_text())
    for key, value in changes.items():
        if key.startswith("data_"):
            status["data"][key[5:]] = value
        else:
            status[key] = value
    file.write_text(json.dumps(status))


def edit_description(run, **training):
    """Change training options in the run's description (what the report reads a run's identity from)."""
    file = run / "run.json"
    status = json.loads(file.read_text())
    status["description"]["training"].update(training)
    file.write_text(json.dumps(status))


def copy_ablation(story, tmp_path):
    target = tmp_path / "abl"
    shutil.copytree(story["out"], target)
    return target


def row(text, arm, section="## Final validation"):
    table = text.split(section)[1].split("## ")[0]
    return next(line for line in table.splitlines() if line.startswith(f"| {arm} |"))


def test_table_has_arms_mean_std_delta_and_marks(reported):
    result, _ = reported
    assert result["code"] == 0, result["err"]
    text = result["out"]
    final = text.split("## Final validation")[1].split("## ")[0]
    rows = {line.split("|")[1].strip(): line for line in final.splitlines() if line.startswith("| ")}
    assert {"bicubic", "baseline", "+se"} <= set(rows)
    assert " ± " in rows["baseline"] and "Δ" not in rows["baseline"]
    cells = [c.strip() for c in rows["+se"].split("|")[4:-1]]
    assert cells and all(" ± " in c and "(Δ " in c and c.endswith(("≈)", "*)")) for c in cells)
    assert "`gen=srresnet(blocks=1,features=8)+se loss=l1`" in rows["+se"]
    assert "Welch" in text and "p ≥ 0.05" in text


def test_header_stamps_the_protocol(reported):
    text = reported[0]["out"]
    assert "`synthetic-grid:12`" in text and "scale ×4" in text and "degradation: `bicubic`" in text
    assert "psnr (space=channel, crop=0, data_range=1.0" in text
    assert "fixed once from the HR validation split" in text
    assert "seeds: 0, 1" in text and "iters 3" in text


def test_best_vs_last_and_costs(reported):
    text = reported[0]["out"]
    assert "## Best checkpoint vs last" in text and "| arm | best psnr | last psnr | best − last |" in text
    assert "GFLOPs / output image (64×64, 2 ch)" in text and "one multiply-add = 2 FLOPs" in text
    cost_rows = [line for line in text.split("## Cost")[1].splitlines() if line.startswith("| +se")]
    assert cost_rows and "9.13k" in cost_rows[0]


def test_files_written(reported):
    _, folder = reported
    assert (folder / "report.md").read_text().startswith("# srzoo report")
    for name in ("report_psnr.png", "report_ssim.png", "report_rmse_ch0.png", "curves.png"):
        assert (folder / name).stat().st_size > 1000, name
    rows = list(csv.DictReader(open(folder / "report.csv")))
    psnr = [r for r in rows if r["arm"] == "+se" and r["checkpoint"] == "final" and r["metric"] == "psnr"]
    assert len(psnr) == 1 and psnr[0]["n"] == "2" and float(psnr[0]["p_value"]) <= 1 and psnr[0]["verdict"] in ("≈", "*")
    assert len(psnr[0]["values"].split(";")) == 2
    assert any(r["arm"] == "bicubic" and r["metric"] == "psnr_ch0" for r in rows)  # the CSV has every metric
    assert any(r["checkpoint"] == "cost" and r["metric"] == "gflops_per_image" for r in rows)


def test_one_seed_per_arm_is_unverifiable(ablation_story, tmp_path):
    out = ablation_story["out"]
    result = call("report", str(out / "baseline" / "seed0"), str(out / "+se" / "seed0"), "--out", str(tmp_path), "--no-plots")
    assert result["code"] == 0, result["err"]
    assert "seed noise cannot be estimated" in result["out"]
    se_row = next(line for line in result["out"].splitlines() if line.startswith("| +se |"))
    assert "?)" in se_row and "≈" not in se_row and "*" not in se_row
    assert not (tmp_path / "curves.png").exists()


def test_metric_selection_and_baseline(ablation_story, tmp_path):
    result = call("report", str(ablation_story["out"]), "--out", str(tmp_path), "--metrics", "psnr,rmse_*", "--baseline",
                  "gen=srresnet(features=8, blocks=1)+se loss=l1", "--no-plots")
    assert result["code"] == 0, result["err"]
    header = next(line for line in result["out"].splitlines() if line.startswith("| arm | spec | seeds |"))
    assert header.split("|")[4:-1] == [" psnr ↑ ", " rmse_ch0 ↓ ", " rmse_ch1 ↓ "]
    assert "Baseline arm: `+se`" in result["out"]
    assert "(Δ " in next(line for line in result["out"].splitlines() if line.startswith("| baseline |"))


def test_unknown_metric_or_baseline(ablation_story, tmp_path):
    result = call("report", str(ablation_story["out"]), "--out", str(tmp_path), "--metrics", "lpips")
    assert result["code"] == 2 and "no metric matches 'lpips'" in result["err"] and "psnr" in result["err"]
    result = call("report", str(ablation_story["out"]), "--out", str(tmp_path), "--baseline", "+cbam")
    assert result["code"] == 2 and "no arm '+cbam'" in result["err"]


@pytest.mark.parametrize("edit, message", [
    ({"data_degradation": "bilinear"}, "their data differ (degradation: 'bicubic' vs 'bilinear')"),
    ({"data_scale": 2}, "their data differ (scale: 4 vs 2)"),
    ({"data_source": "synthetic-grid:40"}, "their data differ (source: 'synthetic-grid:12' vs 'synthetic-grid:40')"),
])
def test_mixed_data_is_refused(ablation_story, tmp_path, edit, message):
    first, second = copy_runs(ablation_story, tmp_path, "baseline/seed0", "+se/seed0")
    edit_status(second, **edit)
    result = call("report", str(first), str(second), "--out", str(tmp_path))
    assert result["code"] == 2
    err = " ".join(result["err"].split())  # the console wraps long lines
    assert f"cannot put {first} and {second} in one table: {message}" in err
    assert "report each group separately" in err
    assert not (tmp_path / "report.md").exists()


def test_mixed_metric_protocol_is_refused(ablation_story, tmp_path):
    first, second = copy_runs(ablation_story, tmp_path, "baseline/seed0", "+se/seed0")
    status = json.loads((second / "run.json").read_text())
    status["description"]["protocol"]["metrics"]["psnr"]["crop"] = 4
    (second / "run.json").write_text(json.dumps(status))
    result = call("report", str(first), str(second), "--out", str(tmp_path))
    assert result["code"] == 2 and "their metric protocol differ (metrics:" in " ".join(result["err"].split())


def test_unfinished_runs_are_left_out_and_named(ablation_story, tmp_path):
    runs = copy_runs(ablation_story, tmp_path, "baseline/seed0", "baseline/seed1", "+se/seed0")
    edit_status(runs[2], status="interrupted")
    result = call("report", *map(str, runs), "--out", str(tmp_path), "--no-plots")
    assert result["code"] == 0, result["err"]
    assert f"**not included** (unfinished): `{runs[2]}` (interrupted)" in result["out"]
    assert "2 finished runs in 1 arm (2 seeds per arm)" in result["out"]


def test_not_a_run_folder(tmp_path):
    result = call("report", str(tmp_path))
    assert result["code"] == 2 and f"no run folders in {tmp_path}" in result["err"]
    result = call("report", str(tmp_path / "missing"))
    assert result["code"] == 2 and "does not exist" in result["err"]


def test_option_differences_are_flagged(ablation_story, tmp_path):
    first, second = copy_runs(ablation_story, tmp_path, "baseline/seed0", "+se/seed0")
    edit_description(second, lr=0.002)
    result = call("report", str(first), str(second), "--out", str(tmp_path), "--no-plots")
    assert result["code"] == 0, result["err"]
    assert "runs differ in options other than the spec and seed: lr (0.001, 0.002)" in result["out"]


def test_runs_with_other_options_are_not_pooled_as_seeds(ablation_story, tmp_path):
    abl = copy_ablation(ablation_story, tmp_path)
    edit_description(abl / "baseline" / "seed1", lr=0.0001)
    result = call("report", str(abl), "--out", str(tmp_path), "--no-plots")
    assert result["code"] == 2
    err = " ".join(result["err"].split())
    assert (f"{abl / 'baseline' / 'seed0'} and {abl / 'baseline' / 'seed1'} are both arm 'baseline' but differ in lr "
            "(0.001 vs 0.0001): they are not seeds of one arm") in err
    assert "report them separately" in err and "Traceback" not in err
    assert not (tmp_path / "report.md").exists()


def test_loose_runs_of_one_spec_with_other_options_are_refused(ablation_story, tmp_path):
    first, second = copy_runs(ablation_story, tmp_path, "baseline/seed0", "baseline/seed1")
    edit_description(second, ema=0.0, batch=4)
    result = call("report", str(first), str(second), "--out", str(tmp_path), "--no-plots")
    assert result["code"] == 2
    err = " ".join(result["err"].split())
    assert (f"{first} and {second} both train `gen=srresnet(blocks=1,features=8) loss=l1` but differ in batch (2 vs 4); "
            "ema (0.999 vs 0.0): they are not seeds of one arm") in err


def test_other_budget_is_not_another_arm(ablation_story, tmp_path):
    """The budget is not part of a run's identity (a resumed run may be given more time): the seeds
    stay one arm, and the difference is still flagged."""
    first, second = copy_runs(ablation_story, tmp_path, "baseline/seed0", "baseline/seed1")
    edit_description(second, iters=5)
    result = call("report", str(first), str(second), "--out", str(tmp_path), "--no-plots")
    assert result["code"] == 0, result["err"]
    assert "2 finished runs in 1 arm (2 seeds per arm)" in result["out"]
    assert "runs differ in options other than the spec and seed: iters (3, 5)" in result["out"]


def read_csv(path):
    return list(csv.DictReader(path.read_text().splitlines()))


def set_final(run, **values):
    file = run / "run.json"
    status = json.loads(file.read_text())
    status["final"].update(values)
    file.write_text(json.dumps(status))


def test_holm_correction_across_the_table(ablation_story, tmp_path):
    abl = copy_ablation(ablation_story, tmp_path)
    # psnr: Welch p = 0.041 alone; with ssim (p = 1) in the same table Holm doubles it to 0.081
    for arm, psnr in (("baseline", (10.0, 10.1)), ("+se", (10.34, 10.44))):
        for seed, value in enumerate(psnr):
            set_final(abl / arm / f"seed{seed}", psnr=value, ssim=(0.5, 0.6)[seed])
    alone = call("report", str(abl), "--out", str(tmp_path / "alone"), "--metrics", "psnr", "--no-plots")
    assert alone["code"] == 0, alone["err"]
    assert row(alone["out"], "+se").endswith("(Δ +0.3400 *) |")
    assert "Holm–Bonferroni over the 1 Welch test of this table" in alone["out"]
    both = call("report", str(abl), "--out", str(tmp_path / "both"), "--metrics", "psnr,ssim", "--no-plots")
    assert both["code"] == 0, both["err"]
    cells = row(both["out"], "+se").split("|")[4:-1]
    assert cells[0].strip().endswith("(Δ +0.3400 ≈)") and cells[1].strip().endswith("(Δ +0.0000 ≈)")
    assert "Holm–Bonferroni over the 2 Welch tests of this table (1 arm × 2 metrics against `baseline`)" in both["out"]
    assert "Holm–Bonferroni across all the tests of that table" in both["out"]  # the rule in the protocol
    rows = read_csv(tmp_path / "both" / "report.csv")
    psnr = next(r for r in rows if r["arm"] == "+se" and r["checkpoint"] == "final" and r["metric"] == "psnr")
    assert float(psnr["p_value"]) == pytest.approx(0.0406345, rel=1e-4)
    assert float(psnr["p_adjusted"]) == pytest.approx(2 * float(psnr["p_value"])) and psnr["verdict"] == "≈"
    untabulated = next(r for r in rows if r["arm"] == "+se" and r["checkpoint"] == "final" and r["metric"] == "rmse_ch0")
    assert untabulated["p_value"] and not untabulated["p_adjusted"] and not untabulated["verdict"]


def test_missing_planned_seeds_are_shown(ablation_story, tmp_path):
    abl = copy_ablation(ablation_story, tmp_path)
    shutil.rmtree(abl / "+se" / "seed1")
    edit_status(abl / "baseline" / "seed1", status="interrupted")
    result = call("report", str(abl), "--out", str(tmp_path), "--no-plots")
    assert result["code"] == 0, result["err"]
    text = result["out"]
    assert "| 1/2 (seed 1 unfinished) |" in row(text, "baseline") and "| 1/2 (seed 1 missing) |" in row(text, "+se")
    assert "| 1/2 (seed 1 missing) |" in row(text, "+se", "## Best checkpoint vs last")
    assert "2 of the 4 planned runs of these arms are missing" in text
    assert f"**not included** (unfinished): `{abl / 'baseline' / 'seed1'}` (interrupted)" in text
    rows = read_csv(tmp_path / "report.csv")
    assert {r["missing_seeds"] for r in rows if r["arm"] == "+se"} == {"1"}


def test_planned_arm_without_finished_runs_is_named(ablation_story, tmp_path):
    abl = copy_ablation(ablation_story, tmp_path)
    shutil.rmtree(abl / "+se")
    result = call("report", str(abl), "--out", str(tmp_path), "--no-plots")
    assert result["code"] == 0, result["err"]
    assert "arm '+se' has no finished run (planned seeds 0, 1 missing); it is not in the tables" in result["out"]
    assert "| 2 |" in row(result["out"], "baseline")
