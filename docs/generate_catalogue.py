"""Generate the component list of docs/catalogue.md from the registry of the standard plugins.

    python docs/generate_catalogue.py            # rewrite the generated section
    python docs/generate_catalogue.py --check    # exit 1 if it is stale (a test runs this)

Only the distributions ``make install`` installs are listed (add-ons such as srzoo-esrgan have
their hand-written section below the generated one), whatever else is installed here.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docgen import DOCS, standard_plugins, update, main_args  # noqa: E402

PAGE = DOCS / "catalogue.md"
COMMAND = "python docs/generate_catalogue.py"
SECTION = "catalogue"
HEADINGS = {"gen": "Generators", "disc": "Discriminators", "block": "Blocks", "loss": "Losses", "metric": "Metrics",
            "deg": "Degradations", "datasource": "Data sources", "logger": "Loggers"}


def standard_registry():
    """A plugin host holding exactly the standard plugins; an error if one is missing or broken."""
    from srzoo_core.registry import PluginHost
    from srzoo_core.registry.host import OK, plugin_key

    wanted = standard_plugins()
    host = PluginHost(only={plugin_key(d) for d in wanted})
    host.load_entry_points()
    loaded = {plugin_key(r.dist): r for r in host.records.values() if r.status == OK}
    missing = [d for d in wanted if plugin_key(d) not in loaded]
    if missing:
        raise SystemExit(f"not installed or broken: {', '.join(missing)}; run 'make install' ('srzoo plugins' shows why)")
    return host.registry, [host.records["srzoo"], *(loaded[plugin_key(d)] for d in sorted(wanted))]  # the core's built-ins too


def cell(text: object) -> str:
    """Text for a Markdown table cell or paragraph: pipes and asterisks escaped."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("\n", " ")


def summary(description: str) -> str:
    """The description up to its first ';' or sentence end outside parentheses ("et al." is no end)."""
    depth = 0
    for i, char in enumerate(description):
        depth += {"(": 1, ")": -1}.get(char, 0)
        sentence_end = char == "." and description[i + 1:i + 2] == " " and not description[:i].endswith(" al")
        if depth == 0 and (char == ";" or sentence_end):
            return description[:i]
    return description


def anchor(name: str, kind: str) -> str:
    return f"{name}-{kind}"


def component(info: dict) -> list[str]:
    from srzoo_core.interfaces import KIND_NOUNS
    from srzoo_core.spec.printer import format_value

    lines = [f"### `{info['name']}` ({info['kind']})", "",
             f"{KIND_NOUNS[info['kind']]} from **{info['dist']} {info['version']}** "
             f"(plugin `{info['plugin']}`, qualified name `{info['plugin']}:{info['name']}`)", ""]
    if info["description"]:
        lines += [cell(info["description"]), ""]
    facts = []
    if info["slots"]:
        facts.append("slots: " + ", ".join(f"`{s}`" for s in info["slots"]))
    if info["slot"]:
        facts.append(f"fills slot: `{info['slot']}`")
    if info["scales"]:
        facts.append("scales: " + ", ".join(map(str, info["scales"])))
    if info["requires"]:
        facts.append("requires: " + ", ".join(f"`{r}=…`" for r in info["requires"]))
    if info["aliases"]:
        facts.append("aliases: " + ", ".join(f"`{a}`" for a in info["aliases"]))
    lines += [f"- {fact}" for fact in facts] + ([""] if facts else [])
    if not info["params"]:
        return lines + ["No parameters.", ""]
    lines += ["| parameter | type | default |", "| --- | --- | --- |"]
    for p in info["params"]:
        default = "required" if p["required"] else f"`{cell(format_value(p['default']))}`"
        lines.append(f"| `{p['name']}` | `{cell(p['type'])}` | {default} |")
    return lines + [""]


def render() -> str:
    from srzoo_core.registry.host import core_version

    registry, records = standard_registry()
    plugins = ", ".join(f"{r.dist} {r.version}" for r in records)
    infos = [registry.describe(c.name, c.kind) for c in registry]
    lines = [f"Generated from the registry of srzoo {core_version()} with the standard plugins ({plugins}): "
             f"{len(infos)} components.", ""]
    for kind, heading in HEADINGS.items():
        of_kind = [i for i in infos if i["kind"] == kind]
        if not of_kind:
            continue
        lines += [f"## {heading}", "", "| name | kind | plugin | description |", "| --- | --- | --- | --- |"]
        for i in of_kind:
            lines.append(f"| [`{i['name']}`](#{anchor(i['name'], kind)}) | {kind} | {i['dist']} {i['version']} | {cell(summary(i['description']))} |")
        lines.append("")
        for i in of_kind:
            lines += component(i)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    check = main_args(argv, __doc__.splitlines()[0])
    return update(PAGE, SECTION, COMMAND, render(), check)


if __name__ == "__main__":
    raise SystemExit(main())
