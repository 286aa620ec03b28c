"""The plugin host: loads entry points of group ``srzoo`` one by one, so one broken plugin never
takes the others down, and records each plugin's status and error."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from srzoo_core.errors import PluginError, SrzooError
from srzoo_core.registry.components import ComponentInfo, Provider
from srzoo_core.registry.hookspecs import COMPONENT_HOOKS, HOOK_NAMES, PROJECT, SrzooHooks
from srzoo_core.registry.table import Registry

ENTRY_POINT_GROUP = "srzoo"
ENV_ONLY = "SRZOO_PLUGINS"
ENV_DISABLED = "SRZOO_DISABLED_PLUGINS"
ENV_STRICT = "SRZOO_STRICT_PLUGINS"

OK, ERROR, DISABLED = "ok", "error", "disabled"
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

    @property
    def provider(self) -> Provider:
        return Provider(plugin=self.name, dist=self.dist, version=self.version)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "dist": self.dist, "version": self.version, "module": self.module,
            "status": self.status, "error": self.error, "components": list(self.components),
        }


def _env_names(variable: str) -> set[str] | None:
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    return {n.strip().lower().replace("_", "-") for n in value.split(",") if n.strip()}


def core_version() -> str:
    try:
        return metadata.version("srzoo")
    except metadata.PackageNotFoundError:
        return "0+source"


class PluginHost:
    def __init__(self, only: set[str] | None = None, disabled: set[str] | None = None):
        self.only = only
        self.disabled = disabled or set()
        self.manager = pluggy.PluginManager(PROJECT)
        self.manager.add_hookspecs(SrzooHooks)
        self.registry = Registry()
        self.records: dict[str, PluginRecord] = {}

    @classmethod
    def from_environment(cls) -> "PluginHost":
        host = cls(only=_env_names(ENV_ONLY), disabled=_env_names(ENV_DISABLED))
        host.load_entry_points()
        return host

    # -- loading -----------------------------------------------------------------------------

    def load_entry_points(self) -> None:
        points = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.name, ep.value))
        for ep in points:
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
                record.error = f"not loaded: excluded by {ENV_ONLY if self.only is not None and not self._listed(record, self.only) else ENV_DISABLED}"
                continue
            if ep.dist is not None and not self._core_compatible(ep.dist, record):
                continue
            try:
                plugin = ep.load()
            except BaseException as exc:  # a plugin's import may raise anything, SystemExit included
                self._fail_record(record, f"failed to import {ep.value}: {type(exc).__name__}: {exc}")
                continue
            self._install(plugin, record)

    def add_plugin(self, plugin: Any, name: str = "__main__", dist: str = "(script)", version: str = "-") -> PluginRecord:
        """Register an unpackaged plugin (a module, class or object with hook implementations)."""
        if name in self.records:
            raise PluginError(f"a plugin named {name!r} is already loaded", hint="pass another name=")
        record = PluginRecord(name=name, dist=dist, version=version, module=getattr(plugin, "__name__", repr(plugin)))
        self.records[name] = record
        self._install(plugin, record)
        if record.status != OK:
            raise PluginError(f"plugin {name!r}: {record.error}")
        return record

    def _listed(self, record: PluginRecord, names: set[str]) -> bool:
        return bool({record.name.lower().replace("_", "-"), record.dist.lower().replace("_", "-")} & names)

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
        unknown = [n for n in dir(plugin) if n.startswith("srzoo_") and n not in HOOK_NAMES and callable(getattr(plugin, n, None))]
        if unknown:
            close = difflib.get_close_matches(unknown[0], HOOK_NAMES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self._fail_record(record, f"implements unknown hook {unknown[0]!r}{hint}")
            return
        try:
            self.manager.register(plugin, name=record.name)
        except Exception as exc:  # pluggy validates hook argument names here
            self._fail_record(record, f"invalid hook implementation: {exc}")
            return
        staged: list[ComponentInfo] = []
        try:
            for hook_name, kind in COMPONENT_HOOKS.items():
                for impl in getattr(self.manager.hook, hook_name).get_hookimpls():
                    if impl.plugin_name == record.name:
                        impl.function(**self._hook_arguments(impl, staged, kind, record))
        except BaseException as exc:
            self.manager.unregister(name=record.name)
            detail = exc.message if isinstance(exc, SrzooError) else f"{type(exc).__name__}: {exc}"
            self._fail_record(record, f"raised while registering (its registrations were rolled back): {detail}")
            return
        problem = self._first_clash(staged)
        if problem:
            self.manager.unregister(name=record.name)
            self._fail_record(record, problem + " (none of its components were registered)")
            return
        self.registry.extend(staged)
        record.components = [c.name for c in staged]

    def _hook_arguments(self, impl: Any, staged: list[ComponentInfo], kind: str, record: PluginRecord) -> dict[str, Any]:
        def register(name: str, factory: Any, **fields: Any) -> ComponentInfo:
            info = ComponentInfo(name=name, kind=kind, factory=factory, provider=record.provider, **fields)
            staged.append(info)
            return info

        return {"register": register} if "register" in impl.argnames else {}

    def _first_clash(self, staged: list[ComponentInfo]) -> str | None:
        scratch = Registry()
        for info in staged:
            found = self.registry.clash(info) or scratch.clash(info)
            if found:
                name, existing = found
                return f"{info.kind} {name!r} clashes with {existing.kind} {existing.name!r} from {existing.provider}"
            scratch.add(info)
        return None

    # -- queries -----------------------------------------------------------------------------

    def broken(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.status == ERROR]

    def check_strict(self) -> None:
        broken = self.broken()
        if broken:
            lines = "; ".join(f"{r.name} ({r.dist}): {r.error}" for r in broken)
            raise PluginError(
                f"{len(broken)} broken plugin(s) in strict mode: {lines}",
                hint=f"fix or uninstall them, or unset {ENV_STRICT}; 'srzoo plugins' shows details",
            )

    def provider_of(self, component: str) -> PluginRecord | None:
        info = self.registry.find(component)
        return self.records.get(info.provider.plugin) if info else None

    def register_commands(self, app: Any) -> None:
        for impl in self.manager.hook.srzoo_register_commands.get_hookimpls():
            impl.function(app=app)
