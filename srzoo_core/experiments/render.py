"""A :class:`Report` as Markdown (protocol stamp, final and best-checkpoint tables, costs) and CSV."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from srzoo_core.experiments import stats
from srzoo_core.experiments.costs import FLOP_RULE, format_count
from srzoo_core.experiments.report import ArmResult, Report, cost_input, direction, fmt, short_spec
from srzoo_core.files import atomic_output
from srzoo_core.training.progress import format_seconds

PROTOCOL_KEYS = ("space", "crop", "data_range", "units")


def markdown(report: Report) -> str:
    lines = ["# srzoo report", ""]
    arms = report.arms
    counts = sorted({len(a.runs) for a in arms})
    seeds = " or ".join(map(str, counts))
    lines.append(f"{len(report.runs)} finished run{_s(report.runs)} in {len(arms)} arm{_s(arms)} ({seeds} seed{'s' if counts != [1] else ''} per arm). "
                 f"Baseline arm: `{report.baseline.label}`." + _missing_summary(report))
    lines += ["", "## Protocol", ""] + [f"- {line}" for line in protocol_lines(report)] + [""]
    for warning in report.warnings:
        lines.append(f"> **warning:** {warning}")
    if report.skipped:
        listing = ", ".join(f"`{p}` ({s})" for p, s in report.skipped)
        lines.append(f"> **not included** (unfinished): {listing}")
    if report.warnings or report.skipped:
        lines.append("")
    lines += ["## Final validation", "", *metric_table(report, "final"), "", *correction_note(report, "final")]
    if report.primary:
        lines += [f"## Best checkpoint vs last", "",
                  f"The best checkpoint of each run is the step with the best validation `{report.primary}`; it is chosen on the "
                  "same split it is scored on, so its values are optimistic. Compare them with the final values above.", ""]
        lines += [*metric_table(report, "best"), "", *correction_note(report, "best")]
        lines += [*best_vs_last(report), ""]
    lines += ["## Cost", "", *cost_table(report), ""]
    return "\n".join(lines)


def _s(items: list[Any]) -> str:
    return "" if len(items) == 1 else "s"


def _missing_summary(report: Report) -> str:
    planned = sum(len(a.planned) for a in report.arms)
    missing = sum(len(a.missing()) for a in report.arms)
    return f" {missing} of the {planned} planned runs of these arms are missing." if missing else ""


def correction_note(report: Report, which: str) -> list[str]:
    """Which tests the table's marks were corrected over (the family of Holm–Bonferroni)."""
    tests = report.tests(which)
    if not tests:
        return []
    others = len(report.arms) - 1
    note = (f"Marks: Holm–Bonferroni over the {tests} Welch test{'s' if tests != 1 else ''} of this table "
            f"({others} arm{'s' if others != 1 else ''} × {len(report.metrics)} metric{_s(report.metrics)} against "
            f"`{report.baseline.label}`): * where the adjusted p < {stats.ALPHA}; raw and adjusted p in report.csv.")
    return [note, ""]


def seeds_cell(report: Report, arm: ArmResult) -> str:
    """``3``; against an ablation's plan with runs missing ``2/3 (seed 2 missing)`` (``unfinished`` when its folder holds an unfinished run)."""
    missing = arm.missing()
    if not missing:
        return str(len(arm.runs))
    unfinished = {Path(p).resolve() for p, _ in report.skipped}
    notes = [f"seed {seed} {'unfinished' if path in unfinished else 'missing'}" for seed, path in missing]
    return f"{len(arm.runs)}/{len(arm.planned)} ({', '.join(notes)})"


def protocol_lines(report: Report) -> list[str]:
    run = report.reference
    description, data, protocol = run.description, run.data, run.protocol
    names = ", ".join(c.label() for c in description.channels)
    out = [f"data: `{data.get('source') or data.get('dataset')}` ({description.modality}, {len(description.channels)} channels: {names}), "
           f"scale ×{description.scale}, HR patch {data.get('patch')} (LR {data.get('lr_patch')})",
           f"degradation: `{data.get('degradation')}`: {data.get('lr')}"]
    val = (data.get("splits") or {}).get("val") or {}
    out.append(f"validation split: {val.get('items', '?')} samples — {val.get('source', '')}; {val.get('protocol', '')}".rstrip("; "))
    norm = data.get("normalisation") or {}
    if norm:
        out.append(f"normalisation: {norm.get('kind')}, {norm.get('fitted_on')}")
    scoring = f"scoring: outputs {protocol.get('output', '?')}"
    if protocol.get("scaled_range"):
        ranges = ", ".join(f"{k} [{lo:.4g}, {hi:.4g}]" for k, (lo, hi) in protocol["scaled_range"].items())
        scoring += (f"; metrics with a data range see each channel min–max scaled by a range fixed once from the HR "
                    f"validation split ({ranges}), the same for every model and bicubic")
    out.append(scoring)
    metrics = []
    for name, info in (protocol.get("metrics") or {}).items():
        parts = [f"{k}={info[k]}" for k in PROTOCOL_KEYS if k in info]
        metrics.append(f"{name} ({', '.join(parts)}; {info.get('implementation', '?')})")
    out.append(f"metrics: `metric={report.metric_spec()}` — " + "; ".join(metrics))
    out.append("values: the validation score of each run's evaluation weights (the EMA copy when EMA is on) at its last step, "
               "averaged over every validation sample; a cell is the mean ± sample standard deviation (n − 1) over seeds")
    out.append(f"bicubic: the same validation split upsampled by bicubic, scored the same way")
    out.append(stats.RULE if not report.single_seed else
               "Δ: one seed per arm, so seed noise cannot be estimated: every Δ is marked ? (unverifiable); "
               "train 3 or more seeds per arm (srzoo ablate --seeds 3) before reading a difference as a finding")
    seeds = sorted({repr(s) for a in report.arms for s in a.seeds})
    out.append(f"seeds: {', '.join(seeds)}; options: {shared_options(report)}")
    if report.sources:
        out.append("ablation manifest: " + ", ".join(f"`{s}/ablation.json`" for s in report.sources))
    return out


def shared_options(report: Report) -> str:
    keys = ("iters", "epochs", "time", "batch", "patch", "pretrain", "lr", "lr_disc", "ema", "precision", "schedule")
    config = report.reference.description.training
    return ", ".join(f"{k} {config[k]}" for k in keys if config.get(k) is not None) or "defaults"


def cell(values: list[float]) -> str:
    if not values:
        return "—"
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(stats.mean(values))} ± {fmt(stats.std(values))}"


def delta_cell(comparison: stats.Comparison | None) -> str:
    if comparison is None:
        return ""
    return f" (Δ {comparison.delta:+.4f} {comparison.verdict})"


def header(report: Report) -> list[str]:
    return [f"{m} {direction(report, m)}".rstrip() for m in report.metrics]


def metric_table(report: Report, which: str) -> list[str]:
    first = ["arm", "spec", "seeds"] + (["best steps"] if which == "best" else [])
    rows = [first + header(report)]
    if which == "final":
        rows.append(["bicubic", "—", "—"] + [fmt(report.bicubic(m)) for m in report.metrics])
    for arm in report.arms:
        row = [arm.name or "", f"`{short_spec(arm)}`", seeds_cell(report, arm)]
        if which == "best":
            row.append(", ".join(str((r.status.get("best") or {}).get("step", "?")) for r in arm.runs))
        row += [cell(arm.values(m, which)) + delta_cell(report.compare(arm, m, which)) for m in report.metrics]
        rows.append(row)
    return _table(rows)


def best_vs_last(report: Report) -> list[str]:
    metric = report.primary
    rows = [["arm", f"best {metric}", f"last {metric}", "best − last"]]
    for arm in report.arms:
        best, last = arm.values(metric, "best"), arm.values(metric, "final")
        gap = [b - l for b, l in zip(best, last)]
        rows.append([arm.label, cell(best), cell(last), cell(gap)])
    return _table(rows)


def cost_table(report: Report) -> list[str]:
    shape = cost_input(report)
    image = f" ({shape[2]}×{shape[2]}, {shape[0]} ch)" if shape else ""
    rows = [["arm", "generator params", "discriminator params", f"GFLOPs / output image{image}", "training time", "steps"]]
    for arm in report.arms:
        gen = arm.status_values("generator_parameters")
        disc = arm.status_values("discriminator_parameters")
        times = arm.status_values("elapsed")
        time_text = (_seconds(stats.mean(times)) + (f" ± {_seconds(stats.std(times))}" if len(times) > 1 else "")) if times else "—"
        steps = sorted({int(s) for s in arm.status_values("step")})
        rows.append([arm.label, format_count(gen[0]) if gen else "—", format_count(disc[0]) if disc and disc[0] else "—",
                     f"{arm.flops / 1e9:.4f}" if arm.flops is not None else "—", time_text, ", ".join(map(str, steps))])
    flops = f"one generator forward pass on a {shape[0]}×{shape[1]}×{shape[1]} LR input" if shape else "not counted"
    return _table(rows) + ["", f"GFLOPs: {flops}; {FLOP_RULE}. "
                           "Training time: wall-clock seconds of the training loop (validation included), mean ± std over seeds."]


def _seconds(value: float) -> str:
    return f"{value:.1f}s" if value < 600 else format_seconds(value)


def _table(rows: list[list[str]]) -> list[str]:
    escape = lambda text: str(text).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(escape(c) for c in rows[0]) + " |", "|" + "|".join("---" for _ in rows[0]) + "|"]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows[1:]]
    return lines


def _test_columns(report: Report, comparison: stats.Comparison | None, metric: str) -> dict[str, Any]:
    """Δ, the raw p and, for the tabulated metrics, the Holm-adjusted p and the mark it gives (the
    other metrics were not among the table's tests, so they get no correction and no mark)."""
    if comparison is None:
        return {}
    tabulated = metric in report.metrics
    return {"delta": comparison.delta, "p_value": comparison.p, "p_adjusted": comparison.p_adjusted if tabulated else None,
            "verdict": comparison.verdict if tabulated else ""}


def write_csv(report: Report, path: Path) -> Path:
    """One row per arm, checkpoint (final / best) and metric, plus cost rows: tidy, for pandas."""
    columns = ["arm", "spec", "checkpoint", "metric", "n", "mean", "std", "delta", "p_value", "p_adjusted", "verdict", "values",
               "seeds", "missing_seeds"]
    rows: list[dict[str, Any]] = []
    for metric in report.metrics_all():
        rows.append({"arm": "bicubic", "checkpoint": "bicubic", "metric": metric, "mean": report.bicubic(metric)})
    for arm in report.arms:
        base = {"arm": arm.name or "", "spec": arm.spec, "seeds": ";".join(map(str, arm.seeds)),
                "missing_seeds": ";".join(str(seed) for seed, _ in arm.missing())}
        for which in ("final", "best"):
            for metric in report.metrics_all():
                values = arm.values(metric, which)
                comparison = report.compare(arm, metric, which)
                rows.append({**base, "checkpoint": which, "metric": metric, "n": len(values), "mean": stats.mean(values) if values else None,
                             "std": stats.std(values) if len(values) > 1 else None, "values": ";".join(repr(v) for v in values),
                             **_test_columns(report, comparison, metric)})
        for key, values in (("generator_parameters", arm.status_values("generator_parameters")),
                            ("discriminator_parameters", arm.status_values("discriminator_parameters")),
                            ("train_seconds", arm.status_values("elapsed")),
                            ("gflops_per_image", [arm.flops / 1e9] if arm.flops is not None else [])):
            rows.append({**base, "checkpoint": "cost", "metric": key, "n": len(values), "mean": stats.mean(values) if values else None,
                         "std": stats.std(values) if len(values) > 1 else None, "values": ";".join(repr(v) for v in values)})
    path = Path(path)
    with atomic_output(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path
