"""The one registry of components: register → create → list → describe, in the timm style.

A name (or alias) is taken once per kind: the loss ``ssim`` and the metric ``ssim`` live side by
side, while two plugins offering the generator ``srresnet`` is an error naming both.
"""

from __future__ import annotations

import difflib
import fnmatch
from typing import Any, Iterable, Iterator

from srzoo_core.errors import RegistryError, UnknownComponentError
from srzoo_core.interfaces import KIND_NOUNS, KINDS
from srzoo_core.registry.components import ComponentInfo, normalise


def a_noun(kind: str) -> str:
    """'a generator', 'an attention block'…: the kind's noun with its article."""
    noun = KIND_NOUNS.get(kind, kind)
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def clash_message(new: ComponentInfo, existing: ComponentInfo, name: str) -> str:
    noun = KIND_NOUNS[new.kind]
    if new.provider == existing.provider:
        return f"{new.provider} registers {noun} {name!r} twice"
    taken = repr(existing.name) if name == existing.name else f"{existing.name!r} (alias {name!r})"
    return f"{noun} {name!r} from {new.provider} clashes with {noun} {taken} from {existing.provider}"


class DuplicateComponentError(RegistryError):
    def __init__(self, new: ComponentInfo, existing: ComponentInfo, name: str):
        super().__init__(
            clash_message(new, existing, name),
            hint=f"uninstall one of {existing.provider.dist} and {new.provider.dist}, "
            f"or choose the plugins to load with SRZOO_PLUGINS / SRZOO_DISABLED_PLUGINS",
        )
        self.new = new
        self.existing = existing


class Registry:
    """Components by kind and normalised name (or alias)."""

    def __init__(self) -> None:
        self._names: dict[str, dict[str, ComponentInfo]] = {kind: {} for kind in KINDS}

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __iter__(self) -> Iterator[ComponentInfo]:
        """Every component once, by kind (in KINDS order) then name."""
        for kind in KINDS:
            yield from sorted({id(c): c for c in self._names[kind].values()}.values(), key=lambda c: c.name)

    def __contains__(self, name: str) -> bool:
        return bool(self.find_all(name))

    def clash(self, info: ComponentInfo) -> tuple[str, ComponentInfo] | None:
        taken = self._names[info.kind]
        return next(((n, taken[n]) for n in (info.name, *info.aliases) if n in taken), None)

    def add(self, info: ComponentInfo) -> ComponentInfo:
        found = self.clash(info)
        if found:
            raise DuplicateComponentError(info, found[1], found[0])
        for name in (info.name, *info.aliases):
            self._names[info.kind][name] = info
        return info

    def register(self, kind: str, name: str, factory: Any, **fields: Any) -> ComponentInfo:
        """Register a component from a script or notebook, outside any plugin."""
        return self.add(ComponentInfo(name=name, kind=kind, factory=factory, **fields))

    def remove(self, name: str, kind: str | None = None) -> None:
        info = self.get(name, kind)
        for alias in (info.name, *info.aliases):
            del self._names[info.kind][alias]

    def find(self, name: str, kind: str | None = None) -> ComponentInfo | None:
        """The component of that kind (or of any kind, the first in KINDS order), else None."""
        if kind is not None:
            return self._names[kind].get(normalise(name))
        found = self.find_all(name)
        return found[0] if found else None

    def find_all(self, name: str) -> list[ComponentInfo]:
        key = normalise(name)
        return [self._names[kind][key] for kind in KINDS if key in self._names[kind]]

    def get(self, name: str, kind: str | None = None) -> ComponentInfo:
        """Like :meth:`find`, but an unknown or ambiguous name raises UnknownComponentError."""
        self._check_kind(kind)
        found = self.find_all(name)
        if kind is not None:
            info = self.find(name, kind)
            if info is not None:
                return info
            if found:
                other = found[0]
                raise UnknownComponentError(f"{other.name!r} is {a_noun(other.kind)}, not {a_noun(kind)}")
        if not found:
            close = self.suggest(name, kind)
            raise UnknownComponentError(
                f"unknown {KIND_NOUNS[kind] if kind else 'component'} {name!r}",
                hint=f"did you mean {close}?" if close else f"run 'srzoo list{' ' + kind if kind else ''}' to see what is installed",
            )
        if len(found) > 1:
            kinds = " and ".join(a_noun(c.kind) for c in found)
            raise UnknownComponentError(f"{found[0].name!r} names {kinds}", hint="give the kind too: " + " or ".join(f"{c.kind} {c.name}" for c in found))
        return found[0]

    def names(self, kind: str | None = None) -> list[str]:
        return [c.name for c in self if kind is None or c.kind == kind]

    def suggest(self, name: str, kind: str | None = None) -> str | None:
        """The closest registered names (of the kind, if given), formatted for a hint."""
        candidates = {alias: c.name for k in KINDS if kind in (None, k) for alias, c in self._names[k].items()}
        close = difflib.get_close_matches(normalise(name), list(candidates), n=3, cutoff=0.6)
        unique = list(dict.fromkeys(candidates[c] for c in close))
        return " or ".join(repr(c) for c in unique) if unique else None

    def list(self, kind: str | None = None, pattern: str = "*") -> list[ComponentInfo]:
        """Components of a kind whose name or alias matches a shell-style wildcard pattern."""
        self._check_kind(kind)
        pat = normalise(pattern)
        return [
            c for c in self
            if kind in (None, c.kind) and any(fnmatch.fnmatchcase(n, pat) for n in (c.name, *c.aliases))
        ]

    def create(self, kind: str, name: str, **params: Any) -> Any:
        """Build a component by name; parameters are passed to its factory unchanged."""
        return self.get(name, kind).resolve()(**params)

    def describe(self, name: str, kind: str | None = None) -> dict[str, Any]:
        info = self.get(name, kind)
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

    @staticmethod
    def _check_kind(kind: str | None) -> None:
        if kind is not None and kind not in KINDS:
            raise UnknownComponentError(f"unknown kind {kind!r}", hint=f"kinds are {', '.join(KINDS)}")
