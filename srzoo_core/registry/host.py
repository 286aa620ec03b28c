"""The plugin host: loads entry points of group ``srzoo`` one by one, so one broken plugin never
takes the others down, and records each plugin's status and error."""

from __future__ import annotations

import difflib
import functools
import inspect
import os
import re
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Iterable

import pluggy

from srzoo_core.errors import PluginError, SrzooError
from srzoo_core.registry.components import ComponentInfo, Provider
from srzoo_core.registry.hookspecs import COMPONENT_HOOKS, HOOK_ARGUMENTS, HOOK_NAMES, PROJECT, SrzooHooks
from srzoo_core.registry.table import Clash, Registry, clash_message, plugin_key

ENTRY_POINT_GROUP = "srzoo"
ENV_ONLY = "SRZOO_PLUGINS"
ENV_DISABLED = "SRZOO_DISABLED_PLUGINS"
ENV_STRICT = "SRZOO_STRICT_PLUGINS"

OK, ERROR, DISABLED = "ok", "error", "disabled"
# A plugin that takes longer than this to import and register is named as slow: every srzoo
# command loads every plugin, so its entry module should not import torch or other heavy modules.
SLOW_LOAD_SECONDS = 1.0
# The core's own components (the built-in data sources), registered through the same hooks as any
# plugin's and always loaded: name -> module with hook implementations.
BUILTIN_PLUGINS: dict[str, str] = {"srzoo": "srzoo_core.data.sources"}
_CORE_REQUIREMENT = re.compile(r"^\s*srzoo\s*(?:[<>=!~;\[(]|$)", re.IGNORECASE)


@dataclass
class PluginRecord:
    name: str
    dist: str
    version: str
    module: str
    status: str = OK
    error: str | None = None
    components: list[str] = field(default_factory=list)
    load_seconds: float | None = None  # importing the entry module and running its hooks

    @property
    def provider(self) -> Provider:
        return Provider(plugin=self.name, dist=self.dist, version=self.version)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "dist": self.dist, "version": self.version, "module": self.module,
            "status": self.status, "error": self.error, "components": list(self.components),
            "load_seconds": None if self.load_seconds is None else round(self.load_seconds, 3),
        }

    @property
    def slow(self) -> bool:
        return self.load_seconds is not None and self.load_seconds > SLOW_LOAD_SECONDS


def _env_names(variable: str) -> set[str] | None:
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    return {plugin_key(n) for n in value.split(",") if n.strip()}


@functools.cache
def core_version() -> str:
    try:
        return metadata.version("srzoo")
    except metadata.PackageNotFoundError:
        return "0+source"


class PluginHost:
    def __init__(self, only: set[str] | None = None, disabled: set[str] | None = None, builtins: bool = True):
        self.only = only
        self.disabled = disabled or set()
        self.manager = pluggy.PluginManager(PROJECT)
        self.manager.add_hookspecs(SrzooHooks)
        self.registry = Registry()
        self.records: dict[str, PluginRecord] = {}
        if builtins:
            self.load_builtins()

    def load_builtins(self) -> None:
        """The core's built-in plugins; like llm's default plugins, not subject to plugin selection."""
        import importlib

        for name, module in BUILTIN_PLUGINS.items():
            record = PluginRecord(name=name, dist="srzoo", version=core_version(), module=module)
            self.records[name] = record
            self._install(importlib.import_module(module), record)
            if record.status != OK:
                raise PluginError(f"srzoo's built-in plugin {module} failed to load: {record.error}")

    @classmethod
    def from_environment(cls) -> "PluginHost":
        host = cls(only=_env_names(ENV_ONLY), disabled=_env_names(ENV_DISABLED))
        host.load_entry_points()
        return host

    # -- loading -----------------------------------------------------------------------------

    def load_entry_points(self, points: Iterable[metadata.EntryPoint] | None = None) -> None:
        """Load plugins from entry points (default: the installed ones of group ``srzoo``), in sorted
        order, each on its own: a broken one is recorded with its error and the others still load."""
        if points is None:
            points = metadata.entry_points(group=ENTRY_POINT_GROUP)
        for ep in sorted(points, key=lambda ep: (ep.name, ep.value)):
            dist = ep.dist.metadata["Name"] if ep.dist is not None else "(unknown)"
            version = ep.dist.version if ep.dist is not None else "-"
            record = PluginRecord(name=ep.name, dist=dist, version=version, module=ep.value)
            if ep.name in self.records:
                other = self.records[ep.name]
                self._fail_record(record, f"entry point name {ep.name!r} is also used by {other.dist} {other.version}; rename one of them")
                self.records[f"{ep.name}@{dist}"] = record
                continue
            self.records[ep.name] = record
            if not self._selected(record):
                record.status = DISABLED
                excluded = self.only is not None and not self._listed(record, self.only)
                record.error = f"excluded by {ENV_ONLY}" if excluded else f"disabled by {ENV_DISABLED}"
                continue
            if ep.dist is not None and not self._core_compatible(ep.dist, record):
                continue
            started = time.perf_counter()
            try:
                plugin = ep.load()
            except (Exception, SystemExit) as exc:  # contained; Ctrl-C (KeyboardInterrupt) is the user's and propagates
                self._fail_record(record, f"failed to import {ep.value}: {type(exc).__name__}: {exc}")
                continue
            finally:
                record.load_seconds = time.perf_counter() - started
            self._install(plugin, record)
            record.load_seconds = time.perf_counter() - started

    def unmatched(self) -> list[str]:
        """Names in SRZOO_PLUGINS / SRZOO_DISABLED_PLUGINS that match no installed plugin (typos)."""
        known = {plugin_key(n) for r in self.records.values() for n in (r.name, r.dist)}
        return sorted((self.only or set()) - known) + sorted(self.disabled - known)

    def add_plugin(self, plugin: Any, name: str = "__main__", dist: str = "(script)", version: str = "-") -> PluginRecord:
        """Register an unpackaged plugin (a module, class or object with hook implementations)."""
        if name in self.records:
            raise PluginError(f"a plugin named {name!r} is already loaded", hint="pass another name=")
        record = PluginRecord(name=name, dist=dist, version=version, module=getattr(plugin, "__name__", repr(plugin)))
        self.records[name] = record
        self._install(plugin, record)
        if record.status != OK:
            del self.records[name]  # nothing of it stays, so a fixed version can be added again
            raise PluginError(f"plugin {name!r}: {record.error}")
        return record

    def _listed(self, record: PluginRecord, names: set[str]) -> bool:
        return bool({plugin_key(record.name), plugin_key(record.dist)} & names)

    def _selected(self, record: PluginRecord) -> bool:
        if self.only is not None and not self._listed(record, self.only):
            return False
        return not self._listed(record, self.disabled)

    def _core_compatible(self, dist: metadata.Distribution, record: PluginRecord) -> bool:
        for requirement in dist.requires or ():
            if not _CORE_REQUIREMENT.match(requirement):
                continue
            from packaging.requirements import Requirement  # only when a plugin pins the core

            req = Requirement(requirement)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            installed = core_version()
            if req.specifier and not req.specifier.contains(installed, prereleases=True):
                self._fail_record(record, f"requires srzoo{req.specifier} but srzoo {installed} is installed")
                return False
        return True

    def _fail_record(self, record: PluginRecord, message: str) -> None:
        record.status = ERROR
        record.error = message

    def _install(self, plugin: Any, record: PluginRecord) -> None:
        problem = _hook_problem(plugin)
        if problem:
            self._fail_record(record, problem)
            return
        try:
            self.manager.register(plugin, name=record.name)
        except Exception as exc:  # pluggy checks hook argument names against the hookspecs here
            self._fail_record(record, "invalid hook implementation: " + " ".join(str(exc).split()))
            return
        staged: list[ComponentInfo] = []
        try:
            for hook_name, kind in COMPONENT_HOOKS.items():
                for impl in getattr(self.manager.hook, hook_name).get_hookimpls():
                    if impl.plugin_name == record.name:
                        impl.function(**self._hook_arguments(impl, staged, kind, record))
        except (Exception, SystemExit) as exc:  # Ctrl-C propagates
            self.manager.unregister(name=record.name)
            detail = exc.message if isinstance(exc, SrzooError) else f"{type(exc).__name__}: {exc}"
            self._fail_record(record, f"raised while registering (its registrations were rolled back): {detail}")
            return
        problem = self._own_duplicate(staged)
        if problem:
            self.manager.unregister(name=record.name)
            self._fail_record(record, f"{problem} (none of its components were registered)")
            return
        # Another plugin's name is shared, never taken over: both stay and the bare name becomes ambiguous.
        self.registry.extend(staged, shared=True)
        record.components = [c.name for c in staged]

    def _hook_arguments(self, impl: Any, staged: list[ComponentInfo], kind: str, record: PluginRecord) -> dict[str, Any]:
        def register(name: str, factory: Any, **fields: Any) -> ComponentInfo:
            info = ComponentInfo(name=name, kind=kind, factory=factory, provider=record.provider, **fields)
            staged.append(info)
            return info

        return {"register": register} if "register" in impl.argnames else {}

    def _own_duplicate(self, staged: list[ComponentInfo]) -> str | None:
        """A name the plugin itself registers twice in one kind (another plugin's is a clash, not an error)."""
        scratch = Registry()
        for info in staged:
            found = scratch.clash(info)
            if found:
                return clash_message(info, found[1], found[0])
            scratch.add(info)
        return None

    # -- queries -----------------------------------------------------------------------------

    def broken(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.status == ERROR]

    def clashes(self, record: PluginRecord | None = None) -> list[Clash]:
        """Names that two or more plugins register (those involving ``record``, if given)."""
        return [c for c in self.registry.clashes() if record is None or any(i.provider.plugin == record.name for i in c.infos)]

    def check_strict(self) -> None:
        """Strict mode: any broken plugin, or a plugin selection naming nothing installed, is an error."""
        problems = [f"{r.name} ({r.dist} {r.version}): {r.error}" for r in self.broken()]
        problems += [f"{clash.message()}; a spec must write the qualified name" for clash in self.clashes()]
        problems += [f"{name!r} in {ENV_ONLY} or {ENV_DISABLED} matches no installed plugin" for name in self.unmatched()]
        if problems:
            raise PluginError(
                f"strict mode: {len(problems)} plugin problem(s)\n" + "\n".join(f"  - {p}" for p in problems),
                hint=f"fix or uninstall the broken plugins, or unset {ENV_STRICT}; 'srzoo plugins' shows every plugin",
            )

    def provider_of(self, component: str, kind: str | None = None) -> PluginRecord | None:
        info = self.registry.find(component, kind)
        return self.records.get(info.provider.plugin) if info else None

    def register_commands(self, app: Any) -> None:
        """Let plugins add sub-commands; one that raises is recorded as broken, the rest still run."""
        for impl in self.manager.hook.srzoo_register_commands.get_hookimpls():
            try:
                impl.function(app=app)
            except Exception as exc:
                self._fail_record(self.records[impl.plugin_name], f"raised while adding commands: {type(exc).__name__}: {exc}")


def _hook_problem(plugin: Any) -> str | None:
    """Hooks pluggy would silently ignore: unknown names, and known ones lacking @hookimpl."""
    marker = f"{PROJECT}_impl"
    for attr in dir(plugin):
        value = getattr(plugin, attr, None) if attr.startswith("srzoo_") else None
        if not callable(value):
            continue
        marked = hasattr(value, marker)
        if attr in HOOK_NAMES and not marked:
            return f"defines {attr} without @hookimpl (from srzoo_core import hookimpl), so it would never be called"
        if attr in HOOK_NAMES:
            extra = [a for a in _argument_names(value) if a not in HOOK_ARGUMENTS[attr]]
            if extra:
                return f"{attr} takes unknown argument {extra[0]!r} (it may take: {', '.join(HOOK_ARGUMENTS[attr])})"
        if attr not in HOOK_NAMES and (marked or attr.startswith("srzoo_register_")):
            close = difflib.get_close_matches(attr, HOOK_NAMES, n=1, cutoff=0.85)
            return f"implements unknown hook {attr!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
    return None


def _argument_names(function: Any) -> list[str]:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return []
    return [n for n, p in parameters.items() if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
