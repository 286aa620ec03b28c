"""`srzoo ablate`, `srzoo report` and `srzoo explain`.

``ablate`` takes every option of ``srzoo train`` except the ones it sets per run (spec, seed,
out, name, resume): its signature is built from ``train``'s, so the two never drift apart."""

from __future__ import annotations

import hashlib
import inspect
import re
import shlex
import signal
import sys
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.table import Table

from srzoo_core.cli.app import app
from srzoo_core.cli.output import print_json, stderr, stdout
from srzoo_core.cli.train import _betas, train as train_command

PER_RUN = ("spec", "seed", "out", "name", "resume")


def _ablate_params() -> list[inspect.Parameter]:
    own = [
        ("base_spec", str, typer.Argument(..., metavar="BASE_SPEC", help='The baseline, e.g. "gen=srresnet(blocks=4) disc=patchgan loss=l1+0.01*gan".')),
        ("add", Optional[List[str]], typer.Option(None, "--add", metavar="ROLE:TERM", help="A change that adds a term: gen:se, gen:se(reduction=8), loss:0.1*vgg. Repeat for more.")),
        ("swap", Optional[List[str]], typer.Option(None, "--swap", metavar="ROLE:OLD=NEW", help="A change that replaces a term: loss:l1=charbonnier, gen:srresnet=srresnet(blocks=8).")),
        ("factorial", bool, typer.Option(False, "--factorial", help="Every subset of the changes (default: baseline, each alone, all together).")),
        ("seeds", int, typer.Option(3, "--seeds", help="Seeds per arm (0..N-1); 2 or more to tell a change from seed noise.")),
        ("out", Optional[Path], typer.Option(None, "--out", help="Ablation folder: <out>/<arm>/seed<k> (default ablations/<name from the spec>).")),
        ("print_commands", bool, typer.Option(False, "--print-commands", help="Print one 'srzoo train' command per run still to do (for a cluster) instead of training.")),
        ("fail_fast", bool, typer.Option(False, "--fail-fast", help="Stop at the first failing run (default: report it and go on).")),
        ("executor", Optional[str], typer.Option(None, "--executor", help="local | slurm: one job per run through submitit "
                                                 "(extra: srzoo\\[cluster]); jobs are recorded in <out>/jobs.json.")),
        ("partition", Optional[str], typer.Option(None, "--partition", help="--executor slurm: the Slurm partition.")),
        ("time_limit", Optional[str], typer.Option(None, "--time-limit", help="Per job, e.g. 2h (needed for slurm; local: none).")),
        ("gpus", Optional[int], typer.Option(None, "--gpus", help="GPUs per job (default: slurm none, local 1 if there are any).")),
        ("cpus", Optional[int], typer.Option(None, "--cpus", help="--executor slurm: CPUs per job.")),
        ("array_parallelism", Optional[int], typer.Option(None, "--array-parallelism", help="Jobs running at once (local default: "
                                                          "one per GPU, else 1).")),
    ]
    params = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a) for n, a, d in own]
    train_sig = inspect.signature(train_command, eval_str=True)
    params += [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for n, p in train_sig.parameters.items() if n not in PER_RUN]
    return params


def train_args(values: dict[str, Any]) -> list[str]:
    """The given training options back as ``srzoo train`` flags (for --print-commands)."""
    args: list[str] = []
    for name, param in inspect.signature(train_command).parameters.items():
        value = values.get(name)
        if name in PER_RUN or value is None:
            continue
        decl = param.default.param_decls[0]
        if "/" in decl:
            on, off = decl.split("/")
            args.append(on if value else off)
        elif isinstance(value, bool):
            args += [decl] if value else []
        else:
            args += [decl, str(value)]
    return args


def default_out(base: Any, changes: list[str]) -> Path:
    """``ablations/<generator>-<digest of the base spec and the changes>`` for a resolved base spec."""
    role, text = next(iter(base.parts().items()), ("", "ablation"))  # the generator when there is one: parts come in role order
    name = text if role in ("gen", "") else f"{role}={text}"
    head = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:30]
    digest = hashlib.sha1(("|".join([base.canonical(), *changes])).encode()).hexdigest()[:6]
    return Path("ablations") / f"{head}-{digest}"


def ablate(**values: Any) -> None:
    from srzoo_core.experiments import ablation as abl
    from srzoo_core.experiments.changes import parse_add, parse_swap

    from srzoo_core.experiments import executors

    own = {k: values.pop(k) for k in ("base_spec", "add", "swap", "factorial", "seeds", "out", "print_commands", "fail_fast",
                                      *executors.CLUSTER_FLAGS)}
    cluster = executors.cluster_options(own)  # None: the runs train in this process
    raw = dict(values)
    config_file = values.pop("config")
    if values.get("betas") is not None:
        values["betas"] = _betas(values["betas"])
    changes = [parse_add(t) for t in own["add"] or []] + [parse_swap(t) for t in own["swap"] or []]
    out = own["out"] or default_out(_resolved_base(own["base_spec"]), [c.text for c in changes])
    plan = abl.plan(own["base_spec"], changes, seeds=own["seeds"], out=out, flags=values, config_file=config_file, factorial=own["factorial"])
    manifest = plan.write_manifest()
    pending = plan.pending()
    if own["print_commands"]:
        for line in plan.commands(train_args(raw)):
            sys.stdout.write(line + "\n")
        stderr.print(f"{len(pending)} of {len(plan.runs)} runs to do ({len(plan.runs) - len(pending)} finished); manifest {manifest}. "
                     f"For a Slurm array: save these lines to runs.txt, then sbatch --array=1-{len(pending)} a script running "
                     f'sed -n "${{SLURM_ARRAY_TASK_ID}}p" runs.txt | bash; afterwards: srzoo report {shlex.quote(str(out))}', markup=False)
        return
    _print_plan(plan)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # schedulers stop jobs with SIGTERM: a clean stop, like Ctrl-C
    try:
        announce = lambda m: stderr.print(m, markup=False, style="bold")  # noqa: E731
        outcomes = executors.execute(plan, cluster, announce) if cluster else abl.run_all(plan, fail_fast=own["fail_fast"], announce=announce)
    except abl.AblationInterrupted as stop:
        _print_outcomes(stop.outcomes)
        left = len(plan.pending())
        stdout.print(f"interrupted: {left} of {len(plan.runs)} runs are not finished; run the same command again to resume "
                     "(finished runs are skipped, the interrupted one continues from its checkpoint)", markup=False)
        raise SystemExit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    if outcomes is None:  # submitted to Slurm
        return
    _print_outcomes(outcomes)
    failed = [o for o in outcomes if o.status == "failed"]
    missing = len(plan.runs) - sum(o.status in ("finished", "skipped") for o in outcomes)
    if failed or missing:
        stdout.print(f"{len(failed)} run(s) failed, {missing} not finished; fix the cause and run the same command again "
                     "to do only those", markup=False)
        raise SystemExit(1)
    stdout.print(f"all {len(plan.runs)} runs finished; next: srzoo report {shlex.quote(str(out))}", markup=False)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _resolved_base(text: str) -> Any:
    from srzoo_core.errors import SpecError
    from srzoo_core.spec.resolve import resolve

    try:
        return resolve(text)
    except SpecError as exc:
        raise SpecError(f"base spec: {exc.message}", exc.spec, exc.span, exc.hint) from None


def _print_plan(plan: Any) -> None:
    table = Table(title=f"ablation in {plan.out}: {len(plan.arms)} arms × {plan.seeds} seeds", title_justify="left",
                  show_edge=False, header_style="bold")
    for column in ("arm", "spec", "to do"):
        table.add_column(column, overflow="fold")
    for arm in plan.arms:
        todo = [f"seed{r.seed}" + (" (resume)" if r.state == "resume" else "") for r in plan.runs if r.arm is arm and r.state != "finished"]
        table.add_row(arm.name, arm.spec, ", ".join(todo) or "done")
    stdout.print(table)


def _print_outcomes(outcomes: list[Any]) -> None:
    table = Table(title="runs", title_justify="left", show_edge=False, header_style="bold")
    for column in ("arm", "seed", "status", "psnr / first metric", "time", "note"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        final = o.final or {}
        key = "psnr" if "psnr" in final else next(iter(final), None)
        value = f"{key} {final[key]:.4f}" if key else ""
        elapsed = f"{o.elapsed:.0f}s" if isinstance(o.elapsed, (int, float)) else ""
        table.add_row(o.run.arm.name, str(o.run.seed), o.status, value, elapsed, o.message)
    stdout.print(table)


ablate.__signature__ = inspect.Signature(_ablate_params())  # type: ignore[attr-defined]
ablate.__annotations__ = {p.name: p.annotation for p in ablate.__signature__.parameters.values()}  # type: ignore[attr-defined]
ablate.__doc__ = ("Train an ablation: the baseline, each change alone and all together (or every subset), N seeds each, "
                  "with the same data and options, in <out>/<arm>/seed<k>. Rerun to finish what is missing.")
app.command("ablate", context_settings={"help_option_names": ["-h", "--help"]})(ablate)


@app.command("report")
def report(
    runs: List[Path] = typer.Argument(..., metavar="RUNS...", help="Run folders, or folders holding them (e.g. an ablation's --out)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where report.md, report.csv and the plots go (default: the one folder given, else .)."),
    metrics: Optional[str] = typer.Option(None, "--metrics", help="Metrics to tabulate, comma-separated, wildcards allowed (default: summaries and per-channel values)."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Arm name or canonical spec to compare against (default: the ablation's baseline, else the first)."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write report_<metric>.png and curves.png."),
) -> None:
    """Tabulate finished runs: metrics as mean ± std over seeds, Δ against a baseline with a seed-noise test, costs."""
    from srzoo_core.experiments import render
    from srzoo_core.experiments import report as rep
    from srzoo_core.experiments.runs import collect
    from srzoo_core.files import write_text_atomic

    collection = collect(runs)
    wanted = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    result = rep.build(collection, wanted, baseline)
    folder = out or (runs[0] if len(runs) == 1 else Path("."))
    folder.mkdir(parents=True, exist_ok=True)
    text = render.markdown(result)
    write_text_atomic(folder / "report.md", text + "\n")
    render.write_csv(result, folder / "report.csv")
    written = ["report.md", "report.csv"]
    if plots:
        from srzoo_core.experiments.plots import write_plots

        written += [p.name for p in write_plots(result, folder)]
    sys.stdout.write(text + "\n")
    stderr.print(f"wrote {', '.join(written)} in {folder}", markup=False)


@app.command("explain")
def explain(
    spec: str = typer.Argument(..., metavar="SPEC", help='e.g. "gen=srresnet+se disc=patchgan loss=l1+0.01*gan"'),
    channels: int = typer.Option(3, "--channels", help="Input/output channels (3 for photos, e.g. 2 for two-variable grids)."),
    scale: int = typer.Option(4, "--scale", help="Upscaling factor."),
    size: int = typer.Option(24, "--size", help="LR input height and width for FLOPs (the HR output is size × scale)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Dry run: the resolved components, every parameter value, the slots filled, parameters and FLOPs — no data, no training."""
    from srzoo_core.experiments.costs import FLOP_RULE, format_count
    from srzoo_core.experiments.explain import explain as make

    result = make(spec, channels=channels, scale=scale, size=size)
    if as_json:
        print_json(result.as_dict())
        return
    stdout.print(result.canonical, markup=False)
    table = Table(title="components", title_justify="left", show_edge=False, header_style="bold")
    for column in ("role", "component", "plugin", "fills slot", "parameters (* = default)"):
        table.add_column(column, overflow="fold")
    for c in result.components:
        weight = f"{c['weight']:g}× " if c["weight"] is not None else ""
        params = ", ".join(f"{p['name']}={p['value']}" + ("*" if p["source"] == "default" else "") for p in c["params"]) or "—"
        table.add_row(c["role"], weight + c["name"], f"{c['dist']} {c['version']}", c["slot"] or "", params)
    stdout.print(table)
    if result.slots:
        slots = Table(title="slots", title_justify="left", show_edge=False, header_style="bold")
        for column in ("role", "slot", "filled by"):
            slots.add_column(column)
        for s in result.slots:
            slots.add_row(s["role"], s["slot"], s["filled_by"])
        stdout.print(slots)
    if result.costs:
        costs = Table(title=f"parameters and FLOPs ({channels} channels, ×{scale}, LR {size}×{size} → HR {size * scale}×{size * scale})",
                      title_justify="left", show_edge=False, header_style="bold")
        for column in ("role", "component", "parameters", "FLOPs", "input"):
            costs.add_column(column, justify="right" if column in ("parameters", "FLOPs") else "left")
        for c in result.costs:
            costs.add_row(c["role"], c["component"], f"{c['params']:,}", format_count(c["flops"]), c["input"])
        stdout.print(costs)
        stdout.print(f"{FLOP_RULE}.", markup=False)
    for note in result.notes:
        stdout.print(f"note: {note}", markup=False)
