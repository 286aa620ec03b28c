"""Commands that inspect what is installed: list, describe, plugins, spec."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from srzoo_core.cli.app import app
from srzoo_core.cli.output import print_json, stdout
from srzoo_core.errors import UsageError
from srzoo_core.interfaces import KIND_NOUNS, KINDS
from srzoo_core.registry import get_host, get_registry

KIND_ALIASES = {
    **{k: k for k in KINDS},
    **{noun: kind for kind, noun in KIND_NOUNS.items()},
    **{noun + "s": kind for kind, noun in KIND_NOUNS.items()},
    "gens": "gen", "discs": "disc", "losses": "loss",
}


def _kind_and_pattern(kind: Optional[str], pattern: Optional[str]) -> tuple[Optional[str], str]:
    """`srzoo list rrdb*` and `srzoo list gen rrdb*` both work: a first word that is no kind is a pattern."""
    if kind is None:
        return None, pattern or "*"
    if kind.lower() in KIND_ALIASES:
        return KIND_ALIASES[kind.lower()], pattern or "*"
    if pattern is not None:
        raise UsageError(f"unknown kind {kind!r}", hint=f"kinds are {', '.join(KINDS)}")
    return None, kind


@app.command("list")
def list_command(
    kind: Optional[str] = typer.Argument(None, help="gen, disc, block, loss or metric (or a name pattern)."),
    pattern: Optional[str] = typer.Argument(None, help="Wildcard pattern, e.g. 'rrdb*'."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List installed components with their plugin and version."""
    from srzoo_core.registry.table import qualified

    kind, pattern = _kind_and_pattern(kind, pattern)
    registry = get_registry()
    found = registry.list(kind, pattern)
    shared = {(c.kind, c.name) for clash in registry.clashes() for c in clash.infos}  # names two plugins register
    if as_json:
        print_json([
            {"name": c.name, "kind": c.kind, "plugin": c.provider.plugin, "dist": c.provider.dist,
             "version": c.provider.version, "description": c.description, "aliases": list(c.aliases),
             "qualified_name": qualified(c), "ambiguous": (c.kind, c.name) in shared}
            for c in found
        ])
        return
    table = Table(show_edge=False, header_style="bold")
    for column in ("name", "kind", "plugin", "version", "description"):
        table.add_column(column, overflow="fold")
    for c in found:
        table.add_row(c.name, c.kind, c.provider.dist, c.provider.version, Text(c.description))
    stdout.print(table)
    clashing = [c for c in found if (c.kind, c.name) in shared]
    if clashing:
        stdout.print(f"more than one plugin registers {', '.join(sorted({repr(c.name) for c in clashing}))}: a spec names them "
                     f"plugin:name ({', '.join(qualified(c) for c in clashing)}); see 'srzoo plugins'", markup=False)
    broken = get_host().broken()
    if broken:
        stdout.print(f"[yellow]{len(broken)} plugin(s) failed to load; see 'srzoo plugins'.[/yellow]")
    if not found:
        stdout.print("no components match" + (f" {pattern!r}" if pattern != "*" else ""))


@app.command()
def describe(
    first: str = typer.Argument(..., metavar="[KIND] NAME", help="Component name, optionally after its kind (for a name two kinds share)."),
    second: Optional[str] = typer.Argument(None, hidden=True),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a component's parameters (types, defaults), slots and provenance."""
    from srzoo_core.spec.printer import format_value

    if second is None:
        kind, name = None, first
    elif first.lower() in KIND_ALIASES:
        kind, name = KIND_ALIASES[first.lower()], second
    else:
        raise UsageError(f"unknown kind {first!r}", hint=f"kinds are {', '.join(KINDS)}; write 'srzoo describe [KIND] NAME'")
    info = get_registry().describe(name, kind)
    cost = _default_cost(info["name"], info["kind"])
    if as_json:
        print_json({**info, **({"cost": cost} if cost else {})})
        return
    stdout.print(f"[bold]{info['name']}[/bold] — {KIND_NOUNS[info['kind']]} from {info['dist']} {info['version']} (plugin {info['plugin']!r})")
    if info["description"]:
        stdout.print(info["description"], markup=False)
    for label, key in (("aliases", "aliases"), ("slots", "slots"), ("scales", "scales")):
        if info[key]:
            stdout.print(f"{label}: " + ", ".join(map(str, info[key])))
    if info["slot"]:
        stdout.print(f"fills slot: {info['slot']}")
    if info["requires"]:
        stdout.print("requires: " + ", ".join(f"{r}=…" for r in info["requires"]))
    if cost and "error" in cost:
        stdout.print(f"cost with the default options: not available ({cost['error']})", markup=False)
    elif cost:
        from srzoo_core.experiments.costs import format_count

        c, lr, hr = cost["channels"], cost["lr_size"], cost["hr_size"]
        on = f"a {c}×{hr}×{hr} image" if info["kind"] == "disc" else f"{c}×{lr}×{lr} LR (×{cost['scale']} → {hr}×{hr})"
        stdout.print(f"cost with the default options: {cost['parameters']:,} parameters, {format_count(cost['flops'])} FLOPs per "
                     f"forward pass on {on}; other options and sizes: srzoo explain", markup=False)
    if not info["params"]:
        stdout.print("parameters: none")
        return
    table = Table(title="parameters", show_edge=False, header_style="bold", title_justify="left")
    for column in ("name", "type", "default"):
        table.add_column(column)
    for p in info["params"]:
        table.add_row(p["name"], p["type"], "required" if p["required"] else format_value(p["default"]))
    stdout.print(table)


def _default_cost(name: str, kind: str) -> dict | None:
    """Parameters and FLOPs of a generator or discriminator with its default options, built on the
    meta device (``describe`` only: ``srzoo list`` stays fast by building nothing)."""
    if kind not in ("gen", "disc"):
        return None
    from srzoo_core.errors import SrzooError
    from srzoo_core.experiments.costs import default_cost

    try:
        return default_cost(get_registry().get(name, kind))
    except SrzooError as exc:  # a factory that cannot build with its defaults: the rest still shows
        return {"error": exc.message}


@app.command()
def plugins(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show every installed plugin with its status and error, names two plugins share, slow plugins."""
    from srzoo_core.registry.table import qualified

    host = get_host()
    records = sorted(host.records.values(), key=lambda r: r.name)
    if as_json:
        print_json([{**r.as_dict(), "clashes": [c.message() for c in host.clashes(r)], "slow": r.slow} for r in records])
        return
    table = Table(show_edge=False, header_style="bold")
    for column in ("plugin", "distribution", "version", "status", "components"):
        table.add_column(column, overflow="fold")
    for r in records:
        style = {"ok": "green", "error": "red"}.get(r.status, "yellow")
        table.add_row(r.name, r.dist, r.version, f"[{style}]{r.status}[/{style}]", ", ".join(r.components))
    stdout.print(table)
    for r in records:  # full messages below the table, where they do not wrap in a narrow column
        if r.error:
            stdout.print(f"{r.name} ({r.dist} {r.version}): {r.error}", markup=False)
    for clash in host.clashes():
        stdout.print(f"clash: {clash.message()}; a spec must write " + " or ".join(qualified(c) for c in clash.infos), markup=False)
    for r in records:
        if r.slow:
            stdout.print(f"slow: {r.name} ({r.dist} {r.version}) took {r.load_seconds:.1f} s to import and register; every "
                         "srzoo command pays this (its entry module should import torch and other heavy modules lazily)", markup=False)
    for name in host.unmatched():
        stdout.print(f"warning: {name!r} in SRZOO_PLUGINS or SRZOO_DISABLED_PLUGINS matches no installed plugin", markup=False)


@app.command()
def spec(
    text: str = typer.Argument(..., metavar="SPEC", help='e.g. "gen=srresnet+se disc=patchgan loss=l1+0.01*gan"'),
    in_channels: int = typer.Option(3, "--channels", help="Input/output channels used to count parameters."),
    scale: int = typer.Option(4, "--scale", help="Upscaling factor used to build the generator."),
) -> None:
    """Check a spec: print its canonical form, the resolved components, the parameter count and
    the memory training needs (sized on PyTorch's meta device: nothing is allocated)."""
    from srzoo_core.build import build_discriminator, count_parameters, size_generator
    from srzoo_core.registry.table import qualified
    from srzoo_core.sizing import format_bytes
    from srzoo_core.spec.printer import format_value
    from srzoo_core.spec.resolve import resolve

    resolved = resolve(text)
    stdout.print(resolved.canonical(), markup=False)
    table = Table(show_edge=False, header_style="bold")
    for column in ("role", "component", "kind", "plugin", "parameters"):
        table.add_column(column, overflow="fold")
    for role, term in resolved.terms():
        params = ", ".join(f"{k}={format_value(v)}" for k, v in term.all_params().items())
        weight = f"{term.weight:g}× " if role == "loss" else ""
        name = qualified(term.info) if term.qualify else term.name
        table.add_row(role, weight + name, term.info.kind, str(term.info.provider), params)
    stdout.print(table)
    if resolved.gen:
        estimate = size_generator(resolved, in_channels=in_channels, scale=scale)
        batch, side = 16, 32  # the training defaults: --batch 16, LR patches of about 32×32
        activations = estimate.activations(batch, side * side)
        if activations is not None:
            stdout.print(f"training memory, roughly: {format_bytes(estimate.weight_bytes + activations)} "
                         f"({format_bytes(estimate.weight_bytes)} for weights, gradients and Adam state; "
                         f"{format_bytes(activations)} of activations for a batch of {batch} LR {side}×{side} patches)")
        stdout.print(f"generator parameters: {estimate.parameters:,} ({in_channels} channels, ×{scale})")
    if resolved.disc:
        disc = build_discriminator(resolved, in_channels=in_channels)
        stdout.print(f"discriminator parameters: {count_parameters(disc):,}")
