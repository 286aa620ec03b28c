"""The one registry of components: register → create → list → describe, in the timm style."""

from __future__ import annotations

import difflib
import fnmatch
from typing import Any, Iterable

from srzoo_core.errors import RegistryError
from srzoo_core.interfaces import KIND_NOUNS, KINDS
from srzoo_core.registry.components import ComponentInfo, normalise


class DuplicateComponentError(RegistryError):
    def __init__(self, new: ComponentInfo, existing: ComponentInfo, name: str):
        super().__init__(
            f"{new.kind} name {name!r} from {new.provider} clashes with {existing.kind} "
            f"{existing.name!r} from {existing.provider}",
            hint=f"uninstall one of {existing.provider.dist} and {new.provider.dist}, "
            f"or restrict loading with SRZOO_PLUGINS",
        )
        self.new = new
        self.existing = existing


class Registry:
    """Components by normalised name. A name (or alias) may be taken only once, across all kinds."""

    def __init__(self) -> None:
        self._components: dict[str, ComponentInfo] = {}
        self._names: dict[str, str] = {}  # every name and alias -> canonical name

    def __len__(self) -> int:
        return len(self._components)

    def __iter__(self):
        return iter(sorted(self._components.values(), key=lambda c: (KINDS.index(c.kind), c.name)))

    def __contains__(self, name: str) -> bool:
        return normalise(name) in self._names

    def clash(self, info: ComponentInfo) -> tuple[str, ComponentInfo] | None:
        for name in (info.name, *info.aliases):
            if name in self._names:
                return name, self._components[self._names[name]]
        return None

    def add(self, info: ComponentInfo) -> ComponentInfo:
        found = self.clash(info)
        if found:
            raise DuplicateComponentError(info, found[1], found[0])
        self._components[info.name] = info
        for name in (info.name, *info.aliases):
            self._names[name] = info.name
        return info

    def register(self, kind: str, name: str, factory: Any, **fields: Any) -> ComponentInfo:
        """Register a component from a script or notebook, outside any plugin."""
        return self.add(ComponentInfo(name=name, kind=kind, factory=factory, **fields))

    def remove(self, name: str) -> None:
        info = self._components.pop(normalise(name))
        for alias in (info.name, *info.aliases):
            self._names.pop(alias, None)

    def find(self, name: str) -> ComponentInfo | None:
        canonical = self._names.get(normalise(name))
        return self._components[canonical] if canonical else None

    def get(self, name: str, kind: str | None = None) -> ComponentInfo:
        info = self.find(name)
        if info is None:
            noun = KIND_NOUNS[kind] if kind else "component"
            hint = self.suggest(name, kind)
            raise RegistryError(f"unknown {noun} {name!r}", hint=f"did you mean {hint}?" if hint else "run 'srzoo list' to see every component")
        if kind and info.kind != kind:
            raise RegistryError(f"{info.name!r} is a {KIND_NOUNS[info.kind]}, not a {KIND_NOUNS[kind]}")
        return info

    def names(self, kind: str | None = None) -> list[str]:
        return [c.name for c in self if kind is None or c.kind == kind]

    def suggest(self, name: str, kind: str | None = None) -> str | None:
        """The closest registered names of the given kind, formatted for a hint."""
        candidates = {alias: canonical for alias, canonical in self._names.items() if kind is None or self._components[canonical].kind == kind}
        close = difflib.get_close_matches(normalise(name), list(candidates), n=3, cutoff=0.6)
        unique = list(dict.fromkeys(candidates[c] for c in close))
        return " or ".join(repr(c) for c in unique) if unique else None

    def list(self, kind: str | None = None, pattern: str = "*") -> list[ComponentInfo]:
        """Components of a kind whose name or alias matches a shell-style wildcard pattern."""
        if kind is not None and kind not in KINDS:
            raise RegistryError(f"unknown kind {kind!r}", hint=f"kinds are {', '.join(KINDS)}")
        pat = normalise(pattern)
        return [
            c for c in self
            if (kind is None or c.kind == kind) and any(fnmatch.fnmatchcase(n, pat) for n in (c.name, *c.aliases))
        ]

    def create(self, kind: str, name: str, **params: Any) -> Any:
        """Build a component by name; parameters are passed to its factory unchanged."""
        return self.get(name, kind).resolve()(**params)

    def describe(self, name: str) -> dict[str, Any]:
        info = self.get(name)
        return {
            "name": info.name,
            "kind": info.kind,
            "description": info.description,
            "plugin": info.provider.plugin,
            "dist": info.provider.dist,
            "version": info.provider.version,
            "aliases": list(info.aliases),
            "slots": list(info.slots),
            "slot": info.slot,
            "requires": list(info.requires),
            "scales": list(info.scales),
            "params": [
                {"name": p.name, "type": p.type_name, "required": p.required, "default": None if p.required else p.default}
                for p in info.params
            ],
        }

    def extend(self, infos: Iterable[ComponentInfo]) -> None:
        for info in infos:
            self.add(info)
