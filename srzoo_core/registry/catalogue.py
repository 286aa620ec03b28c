"""The catalogue of components shipped by this repository's plugins, installed or not, so a spec
naming ``rrdbnet`` without srzoo-esrgan says which distribution to install.

Regenerate with ``python -m srzoo_core.registry.catalogue`` after adding a component to a plugin
under ``plugins/``; a test fails while the file is stale.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tomllib
from pathlib import Path

from srzoo_core.registry.components import normalise
from srzoo_core.registry.hookspecs import COMPONENT_HOOKS
from srzoo_core.registry.host import DISABLED, ENV_DISABLED, ENV_ONLY, ERROR, PluginHost, plugin_key

CATALOGUE_FILE = Path(__file__).with_name("catalogue.json")
DEFAULT_PLUGINS_DIR = Path(__file__).resolve().parents[2] / "plugins"


def load() -> dict[str, dict[str, str]]:
    """name -> {kind: distribution} for every component (and alias) of this repository's plugins."""
    return json.loads(CATALOGUE_FILE.read_text()) if CATALOGUE_FILE.exists() else {}


def missing_component(name: str, host: PluginHost, kind: str | None = None) -> tuple[str, str] | None:
    """(message, hint) for a component of this repository's plugins that is not available: its
    distribution is not installed, not selected, or broken. ``kind`` picks among same-named ones."""
    entry = load().get(normalise(name), {})
    dist = entry.get(kind) if kind else next(iter(entry.values()), None)
    if dist is None:
        return None
    record = next((r for r in host.records.values() if plugin_key(r.dist) == plugin_key(dist)), None)
    if record is None:
        return (f"{name!r} is provided by {dist}, which is not installed", install_hint(dist))
    if record.status == DISABLED:
        return (f"{name!r} is provided by {dist}, which is not loaded ({record.error})",
                f"add {record.name} to {ENV_ONLY}" if record.error.startswith("excluded") else f"remove {record.name} from {ENV_DISABLED}")
    if record.status == ERROR:
        return (f"{name!r} is provided by {dist}, which failed to load: {record.error}",
                "'srzoo plugins' shows every plugin's status; reinstall or fix it")
    return None


def install_hint(dist: str) -> str:
    return (f"install it with 'pip install {dist} -c constraints.txt' (the constraint keeps the torch srzoo was installed "
            f"with; in a srzoo checkout: 'pip install -c constraints.txt -e plugins/{dist}')")


def missing_file_type(suffix: str, host: PluginHost) -> tuple[str, str] | None:
    """(message, hint) for a file type that a data source of this repository's plugins reads, when
    that plugin is not available (``.nc`` → srzoo-xarray)."""
    found = missing_component(suffix, host, "datasource")
    if found is None:
        return None
    message, hint = found
    return message.replace(f"{suffix!r} is provided by", f"{suffix} files are read by", 1), hint


def collect(plugins_dir: Path) -> dict[str, dict[str, str]]:
    """Import each plugin's entry module from source and record what its hooks register."""
    catalogue: dict[str, dict[str, str]] = {}
    for pyproject in sorted(plugins_dir.glob("*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text())["project"]
        dist = plugin_key(project["name"])
        sys.path.insert(0, str(pyproject.parent))
        try:
            for target in project.get("entry-points", {}).get("srzoo", {}).values():
                module = importlib.import_module(target.split(":")[0])
                plugin = getattr(module, target.split(":")[1]) if ":" in target else module
                for hook, kind in COMPONENT_HOOKS.items():
                    if hasattr(plugin, hook):
                        def register(name, factory, kind=kind, aliases=(), suffixes=(), **_):
                            for n in (name, *aliases):
                                catalogue.setdefault(normalise(n), {})[kind] = dist
                            for suffix in suffixes:  # file types a data source reads
                                catalogue.setdefault(suffix.lower(), {})[kind] = dist
                        getattr(plugin, hook)(register=register)
        finally:
            sys.path.remove(str(pyproject.parent))
    return {name: dict(sorted(kinds.items())) for name, kinds in sorted(catalogue.items())}


def render(catalogue: dict) -> str:
    """One line per name, sorted, so a regenerated file diffs line by line."""
    lines = [f"  {json.dumps(name)}: {json.dumps(kinds, sort_keys=True)}" for name, kinds in sorted(catalogue.items())]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugins", type=Path, default=DEFAULT_PLUGINS_DIR)
    parser.add_argument("--check", action="store_true", help="exit 1 if the catalogue is stale")
    args = parser.parse_args(argv)
    fresh = render(collect(args.plugins))
    if args.check:
        stale = not CATALOGUE_FILE.exists() or CATALOGUE_FILE.read_text() != fresh
        print("catalogue is stale: run python -m srzoo_core.registry.catalogue" if stale else "catalogue is up to date")
        return int(stale)
    CATALOGUE_FILE.write_text(fresh)
    print(f"wrote {CATALOGUE_FILE} ({len(json.loads(fresh))} names)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
