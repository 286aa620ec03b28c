"""A results table from finished runs: arms (runs grouped by their identity: the run description's
spec, scale, data and result-changing options, everything but the seed), metrics as mean ± std over
seeds, Δ against the baseline arm with Welch's test, Holm-corrected across each table's tests, the
planned seeds that are missing, costs, and the bicubic baseline — only for runs trained on the same
data and scored by the same protocol."""

from __future__ import annotations

import fnmatch
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from srzoo_core.errors import SpecError, UsageError
from srzoo_core.experiments import stats
from srzoo_core.experiments.runs import Collection, RunRecord
from srzoo_core.interfaces import optional_attribute

PER_RUN_OPTIONS = ("spec", "seed", "out", "name", "resume")
PER_RUN_DATA = ("seed",)  # the seed drives training crops only; everything else must match


@dataclass
class ArmResult:
    name: str | None
    spec: str
    runs: list[RunRecord]
    flops: int | None = None
    planned: list[tuple[Any, Path]] = field(default_factory=list)   # (seed, folder) the ablation manifest plans

    @property
    def label(self) -> str:
        return self.name or self.spec

    def missing(self) -> list[tuple[Any, Path]]:
        """Planned runs of this arm that have no finished run in the table."""
        have = {r.path.resolve() for r in self.runs}
        return [(seed, path) for seed, path in self.planned if path not in have]

    @property
    def seeds(self) -> list[Any]:
        return [r.seed for r in self.runs]

    def values(self, metric: str, which: str = "final") -> list[float]:
        found = [(r.final if which == "final" else r.best_values()).get(metric) for r in self.runs]
        return [float(v) for v in found if isinstance(v, (int, float)) and not isinstance(v, bool)]

    def status_values(self, key: str) -> list[float]:
        return [float(r.status[key]) for r in self.runs if isinstance(r.status.get(key), (int, float))]


@dataclass
class Report:
    arms: list[ArmResult]
    baseline: ArmResult
    metrics: list[str]
    primary: str | None
    runs: list[RunRecord]
    skipped: list[tuple[Any, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    directions: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    available: list[str] = field(default_factory=list)
    _families: dict[str, dict[tuple[int, str], stats.Comparison]] = field(default_factory=dict, repr=False)

    def metrics_all(self) -> list[str]:
        """Every metric the runs logged (the CSV has them all; the tables the chosen ones)."""
        return self.available or self.metrics

    @property
    def reference(self) -> RunRecord:
        return self.runs[0]

    @property
    def single_seed(self) -> bool:
        return all(len(a.runs) < 2 for a in self.arms)

    def compare(self, arm: ArmResult, metric: str, which: str = "final") -> stats.Comparison | None:
        """Welch's test of the arm against the baseline; for a tabulated metric its p-value is also
        Holm-adjusted across every test of that table (``which``: final or best)."""
        if arm is self.baseline:
            return None
        return self.family(which).get((id(arm), metric)) or self._welch(arm, metric, which)

    def family(self, which: str = "final") -> dict[tuple[int, str], stats.Comparison]:
        """The tests of one table (every arm × tabulated metric against the baseline), Holm-corrected together."""
        if which not in self._families:
            tests = {(id(arm), metric): found for arm in self.arms if arm is not self.baseline for metric in self.metrics
                     if (found := self._welch(arm, metric, which)) is not None}
            stats.adjust(list(tests.values()))
            self._families[which] = tests
        return self._families[which]

    def tests(self, which: str = "final") -> int:
        """How many tests the table's correction counts (comparisons with a p-value)."""
        return sum(c.tested for c in self.family(which).values())

    def _welch(self, arm: ArmResult, metric: str, which: str) -> stats.Comparison | None:
        a, b = arm.values(metric, which), self.baseline.values(metric, which)
        return stats.welch(a, b) if a and b else None

    def bicubic(self, metric: str) -> float | None:
        values = [r.bicubic[metric] for r in self.runs if isinstance(r.bicubic.get(metric), (int, float))]
        return stats.mean(values) if values else None

    def metric_spec(self) -> str | None:
        return self.reference.description.roles.get("metric")


def short_spec(arm: ArmResult) -> str:
    """The arm's spec without its metric= part (the metrics are the report's protocol, the same for every row)."""
    return arm.runs[0].description.without("metric")


# -- comparability --------------------------------------------------------------------------


def check_comparable(runs: list[RunRecord]) -> None:
    """Refuse to tabulate runs with different data, scale, degradation or metric protocol."""
    first = runs[0]
    ref_data, ref_protocol = _data_key(first), first.protocol
    ref_metrics = first.description.roles.get("metric")
    for run in runs[1:]:
        for what, mine, theirs in (("data", ref_data, _data_key(run)), ("metric protocol", ref_protocol, run.protocol)):
            if mine != theirs:
                key = _first_difference(mine, theirs)
                raise UsageError(
                    f"cannot put {first.path} and {run.path} in one table: their {what} differ "
                    f"({key}: {_short(_get(mine, key))} vs {_short(_get(theirs, key))})",
                    hint="a table compares runs trained and scored the same way; report each group separately")
        theirs = run.description.roles.get("metric")
        if theirs != ref_metrics:
            raise UsageError(f"cannot put {first.path} and {run.path} in one table: they are scored with different metrics "
                             f"({ref_metrics} vs {theirs})", hint="report each group separately")


def _data_key(run: RunRecord) -> dict[str, Any]:
    return {k: v for k, v in run.data.items() if k not in PER_RUN_DATA}


def _first_difference(a: dict[str, Any], b: dict[str, Any]) -> str:
    preferred = ["scale", "degradation", "dataset", "source", "kind", "channels"]
    keys = preferred + sorted(set(a) | set(b))
    return next(k for k in keys if a.get(k) != b.get(k))


def _get(data: dict[str, Any], key: str) -> Any:
    return data.get(key, "(missing)")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def option_differences(runs: list[RunRecord]) -> list[str]:
    """Training options (besides spec and seed) that are not the same in every run."""
    keys = sorted({k for r in runs for k in r.description.training} - set(PER_RUN_OPTIONS))
    notes = []
    for key in keys:
        values = {repr(r.description.training.get(key)) for r in runs}
        if len(values) > 1:
            notes.append(f"{key} ({', '.join(sorted(values))})")
    return notes


# -- building -------------------------------------------------------------------------------


def build(collection: Collection, metrics: list[str] | None = None, baseline: str | None = None) -> Report:
    runs = collection.runs
    check_comparable(runs)
    arms = _group(collection)
    planned = collection.baseline()
    if baseline is None and planned is not None and planned not in {a.name for a in arms}:
        planned = None  # the ablation's baseline has no finished run yet: compare against the first arm (and say so)
    base = _pick_baseline(arms, baseline or planned)
    arms.remove(base)
    arms.insert(0, base)
    available = list(runs[0].final)
    chosen = select_metrics(available, runs[0].description.channel_names, metrics)
    primary = (runs[0].status.get("best") or {}).get("metric")
    report = Report(arms, base, chosen, primary, runs, list(collection.skipped),
                    sources=[str(p) for p, _ in collection.manifests], available=available)
    if baseline is None and collection.baseline() not in (None, base.name):
        report.warnings.append(f"the ablation's baseline arm {collection.baseline()!r} has no finished run; Δ is against {base.label!r}")
    differing = option_differences(runs)
    if differing:
        report.warnings.append("runs differ in options other than the spec and seed: " + "; ".join(differing)
                               + " — a Δ then measures more than the named change")
    for arm in arms:
        seeds = arm.seeds
        if len(set(map(repr, seeds))) < len(seeds):
            report.warnings.append(f"arm {arm.label!r} holds several runs with the same seed ({seeds}); they are not independent")
        arm.planned = collection.planned(arm.name)
    _warn_unrun_arms(report, collection, warned=collection.baseline() if baseline is None else None)
    report.directions = _directions(report.metric_spec())
    _add_costs(report)
    return report


def _warn_unrun_arms(report: Report, collection: Collection, warned: str | None) -> None:
    """An arm the ablation plans that has no finished run cannot be a row: say so (once)."""
    named = {a.name for a in report.arms} | {warned}
    for name in dict.fromkeys(collection.arm_order()):
        if name not in named:
            seeds = ", ".join(str(seed) for seed, _ in collection.planned(name))
            report.warnings.append(f"arm {name!r} has no finished run (planned seeds {seeds} missing); it is not in the tables")


def _group(collection: Collection) -> list[ArmResult]:
    """Runs with one identity (everything but the seed) are the seeds of one arm. Two runs that
    share a spec or an ablation arm name but not their identity are refused, never pooled."""
    groups: dict[str, ArmResult] = {}
    first_of: dict[tuple[str, str | None], RunRecord] = {}
    for run in sorted(collection.runs, key=lambda r: r.order):
        identity = run.description.identity()
        for shared in (("arm", run.arm), ("spec", identity["spec"])):
            other = first_of.setdefault(shared, run) if shared[1] is not None else run
            if other is not run and other.description.identity() != identity:
                raise _not_replicates(other, run, shared)
        arm = groups.setdefault(json.dumps(identity, sort_keys=True, default=repr), ArmResult(None, run.spec, []))
        arm.runs.append(run)
        if run.arm and arm.name is None:
            arm.name = run.arm
    order = collection.arm_order()
    return sorted(groups.values(), key=lambda a: (order.index(a.name) if a.name in order else len(order), a.runs[0].order))


def _not_replicates(first: RunRecord, second: RunRecord, shared: tuple[str, str | None]) -> UsageError:
    what = f"are both arm {shared[1]!r}" if shared[0] == "arm" else f"both train `{second.description.without('metric')}`"
    differing = identity_differences(first.description.identity(), second.description.identity())
    return UsageError(f"{first.path} and {second.path} {what} but differ in {'; '.join(differing)}: they are not seeds of one arm",
                      hint="report them separately (one 'srzoo report' per group of runs), or rerun the odd one with the "
                           "arm's options")


def identity_differences(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """``lr (0.0002 vs 0.0001)`` for each field of two run identities that differs."""
    pairs = [(k, _get(first, k), _get(second, k)) for k in ("spec", "scale", "data")]
    options = first.get("options") or {}, second.get("options") or {}
    pairs += [(k, _get(options[0], k), _get(options[1], k)) for k in sorted(set(options[0]) | set(options[1]))
              if k not in ("spec", "scale", "data")]
    return [f"{k} ({_short(mine, 200)} vs {_short(theirs, 200)})" for k, mine, theirs in pairs if mine != theirs]


def _pick_baseline(arms: list[ArmResult], wanted: str | None) -> ArmResult:
    if wanted is None:
        return arms[0]
    spellings = {wanted}
    if "=" in wanted:
        try:  # a spec as the user spells it
            from srzoo_core.spec.resolve import resolve

            spellings.add(resolve(wanted).canonical())
        except SpecError:  # not a valid spec: match it as written
            pass
    for arm in arms:
        if spellings & {arm.name, arm.spec, short_spec(arm)} or any(str(r.path) == wanted for r in arm.runs):
            return arm
    names = ", ".join(a.label for a in arms)
    raise UsageError(f"no arm {wanted!r} among the runs", hint=f"--baseline takes an arm name or a canonical spec: {names}")


def select_metrics(available: list[str], channels: list[str], wanted: list[str] | None) -> list[str]:
    """By default every summary value (psnr, ssim) and the per-channel values of metrics that have
    no summary (rmse_ch0, …); ``wanted`` names or wildcard patterns pick others."""
    if wanted:
        chosen = [m for m in available if any(fnmatch.fnmatchcase(m, w) for w in wanted)]
        unmatched = [w for w in wanted if not any(fnmatch.fnmatchcase(m, w) for m in available)]
        if unmatched:
            raise UsageError(f"no metric matches {', '.join(map(repr, unmatched))}", hint=f"the runs have: {', '.join(available)}")
        return chosen
    suffixes = tuple(f"_{c}" for c in channels)
    summaries = {m for m in available if not m.endswith(suffixes)}
    return [m for m in available if m in summaries or not any(m == f"{s}{x}" for s in summaries for x in suffixes)]


def _directions(metric_spec: str | None) -> dict[str, str]:
    """↑ higher is better, ↓ lower, →0 best at zero; from the metric components themselves."""
    if not metric_spec:
        return {}
    try:
        from srzoo_core.build import build_metrics

        terms = build_metrics(f"metric={metric_spec}")
    except Exception:  # noqa: BLE001 - arrows are a courtesy; a missing plugin must not stop the report
        return {}
    out = {}
    for term in terms:
        metric = term.metric
        out[term.name] = "→0" if optional_attribute(metric, "metric", "best_at_zero") else ("↑" if term.higher_is_better else "↓")
    return out


def direction(report: Report, metric: str) -> str:
    for name, arrow in report.directions.items():
        if metric == name or metric.startswith(name + "_"):
            return arrow
    return ""


def _add_costs(report: Report) -> None:
    from srzoo_core.experiments.costs import generator_cost_of

    shape = cost_input(report)
    if shape is None:
        report.warnings.append("FLOPs not counted: the runs' descriptions record no training patch size")
        return
    channels, size, _ = shape
    for arm in report.arms:
        description = arm.runs[0].description
        try:  # the generator alone: its loss or discriminator plugins need not be installed
            arm.flops = generator_cost_of(description.role_spec("gen"), channels, description.scale, size)[1]
        except Exception as exc:  # noqa: BLE001 - e.g. a plugin no longer installed
            report.warnings.append(f"FLOPs of {arm.label!r} not counted: {exc}")


def cost_input(report: Report) -> tuple[int, int, int] | None:
    """(channels, LR size, HR size) of the input FLOPs are counted on: one training patch of the runs."""
    description = report.reference.description
    patch = description.data.get("patch")
    if not isinstance(patch, int) or isinstance(patch, bool):
        return None
    size = max(1, patch // description.scale)
    return len(description.channels), size, size * description.scale


def fmt(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"
