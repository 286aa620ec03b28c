"""The results file: machine, target lines, then every section's tables and the method."""

from __future__ import annotations

from typing import Any

from benchmarks import report as md
from benchmarks.targets import collect

VERDICT = {True: "met", False: "**missed**", None: "—"}

METHOD = """\
- Every figure is the median of several repeats; every ratio is measured in the same run, with
  the candidates interleaved round by round (A B C, then C B A, …) and taken as the median of the
  per-round ratios, so drift of a shared machine cancels. The load average at the start and end
  of the run is in the machine table: above the core count, absolute times are inflated (ratios
  much less so).
- srzoo is measured through its real path: `Trainer(config).setup()`, then `TrainingLoop.run()`
  for N iterations per repeat (phase and learning-rate setting, `TrainStream` data fetch,
  `StepRunner.step`, EMA update, loss windows, metrics.jsonl logging, progress). Validation is
  switched off (and the bicubic baseline scored at the start of `run()` is skipped); with a short
  budget the loop logs every step, its worst case. An iteration is timed from one batch fetch to
  the next.
- The hand-written loops build the same modules with `srzoo_core.build_*` (same spec, same seed),
  read the same training dataset through a plain shuffled `DataLoader`, and do forward, loss,
  backward, Adam step, `zero_grad` and the same EMA (`torch._foreach_lerp_`, decay 0.999 with
  srzoo's warm-up) by hand. EMA is on in every loop.
- FLOPs come from `torch.utils.flop_counter.FlopCounterMode` (convolutions, matmuls; elementwise
  work is not counted), on a batch of 1 scaled by the batch size.
"""


def _machine(meta: dict[str, Any], m: dict[str, Any]) -> list[str]:
    rows = [("CPU", m["cpu"]), ("cores available", m["cores"]), ("ISA", f"{m['isa']} (torch CPU capability {m['cpu_capability']})"),
            ("torch", f"{m['torch']}, {m['threads']} intra-op / {m['interop_threads']} inter-op threads, oneDNN {'on' if m['mkldnn'] else 'off'}"),
            ("GPU", m["gpu"] or "none"), ("Python / numpy", f"{m['python']} / {m['numpy']}"), ("platform", m["platform"]),
            ("srzoo", m["srzoo"]), ("plugins", ", ".join(f"{k} {v}" for k, v in sorted(m["plugins"].items()))),
            ("load average (1/5/15 min) at start / end", f"{m['load_average_start']} / {m.get('load_average_end', 'n/a')}")]
    return ["| | |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows)]


def _disturbed_rounds(results: dict[str, Any]) -> tuple[int, int]:
    """(disturbed, total) interleaved rounds over the sections that interleave."""
    bad = total = 0
    training = results.get("training") or {}
    for section in ("pixel", "gan", "rrdbnet"):
        for candidate in (training.get(section) or {}).values():
            flags = candidate.get("disturbed") or []
            bad, total = bad + sum(flags), total + len(flags)
            break  # one candidate per comparison: the flags are per round
    return bad, total


def _load_warning(m: dict[str, Any], results: dict[str, Any]) -> str:
    """A shared machine: more runnable threads than cores makes every parallel region wait for a
    time slice, which inflates small kernels far more than large ones."""
    try:
        before = float(m["load_average_start"].split()[0])
    except (ValueError, IndexError, AttributeError):
        before = 0.0
    bad, total = _disturbed_rounds(results)
    if before <= 0.5 * m["cores"] and not bad:
        return ""
    return (f"**Note: the machine was shared** — 1-minute load average {before:.1f} on {m['cores']} cores just before the "
            f"suite started (the suite's own threads add about {m['threads']} while it runs); {bad} of {total} interleaved "
            "rounds were disturbed by outside load and left out. Outside load inflates wall times (each parallel region "
            "waits for the scheduler) far more than it moves the interleaved ratios; the CPU-time columns are a second view.")


def _targets(results: dict[str, Any]) -> list[str]:
    lines = ["| # | figure | value | target | verdict | what bounds it (when missed) |", "| --- | --- | ---: | --- | --- | --- |"]
    for t in collect(results):
        lines.append(f"| {t['n']} | {t['figure']} | {t['value']} | {t['target']} | {VERDICT[t['met']]} | {t['bound']} |")
    return lines


def _section(title: str, result: dict[str, Any] | None, render: Any) -> list[str]:
    lines = [f"## {title}", ""]
    if result is None:
        return lines + ["Not run (not selected with --only).", ""]
    if "error" in result:
        return lines + [f"**Not measured: the section failed** — `{result['error']}`.", ""]
    if result.get("not_run"):
        return lines + [f"**Not run:** {result['not_run']}. No figure is reported for it.", ""]
    wall = f"\n\n(section wall time {result['wall_s']:.0f} s)" if "wall_s" in result else ""
    return lines + [render(result) + wall, ""]


def _degradations_markdown(result: dict[str, Any]) -> str:
    from benchmarks import degradations

    return degradations.markdown(result)


def document(meta: dict[str, Any], machine: dict[str, Any], results: dict[str, Any]) -> str:
    lines = [f"# srzoo benchmarks — {meta['date']}", "",
             f"`{meta['command'].strip()}` — plan **{meta['plan']}**, device {meta['device']}, "
             f"whole suite {meta['wall_s']:.0f} s ({meta['wall_s'] / 60:.1f} min).", "",
             "## Machine", "", *_machine(meta, machine), "", "## Targets", "", *_targets(results), ""]
    warning = _load_warning(machine, results)
    if warning:
        lines += [warning, ""]
    if meta["plan"] == "smoke":
        lines += ["**Smoke plan: tiny models; these figures check that the suite runs and mean nothing.**", ""]
    lines += _section("1–3. Training step: trainer overhead, default fast path, distance to the peak",
                      results.get("training"), md.training_markdown)
    lines += _section("4. Start-up", results.get("startup"), md.startup_markdown)
    lines += _section("5. Inference (tiles from a memory budget, precision, seams, peak memory)", results.get("inference"),
                      md.inference_markdown)
    lines += _section("6. Data pipeline", results.get("data"), md.data_markdown)
    lines += _section("6b. Data wait with per-sample degradations (deg=realesrgan)", results.get("degradations"),
                      _degradations_markdown)
    lines += _section("7. Scaling", results.get("scaling"), md.scaling_markdown)
    lines += ["## GPU", ""]
    gpu = results.get("gpu")
    if gpu is None:
        lines += ["Not run (not selected with --only).", ""]
    elif "error" in gpu:
        lines += [f"**Not measured: the section failed** — `{gpu['error']}`.", ""]
    else:
        lines += [md.gpu_markdown(gpu), ""]
    lines += ["## Method", "", METHOD]
    return "\n".join(lines)
