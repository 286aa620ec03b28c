"""The one registry of components: register → create → list → describe, in the timm style.

A name (or alias) is unique per kind for :meth:`Registry.add` (a script's registration): the loss
``ssim`` and the metric ``ssim`` live side by side, while a second generator ``srresnet`` is an
error naming both. Plugins register through the host with ``shared=True``: two plugins offering the
generator ``srresnet`` both stay registered, the bare name becomes *ambiguous* (``find`` and ``get``
refuse it, naming the candidates) and each is reached by its qualified name, ``srgan:srresnet``.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from srzoo_core.errors import RegistryError, UnknownComponentError
from srzoo_core.interfaces import KIND_NOUNS, KINDS
from srzoo_core.registry.components import ComponentInfo, normalise
from srzoo_core.spec.grammar import NAME_PATTERN


def plugin_key(name: str) -> str:
    """Plugin and distribution names compare like PyPI names: case-insensitive, '_' and '.' as '-'."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def scope_names(info: ComponentInfo) -> set[str]:
    """The scopes that select this component in ``scope:name``: its plugin, its distribution, and
    the distribution less ``srzoo-`` (all compared as :func:`plugin_key`)."""
    names = {plugin_key(info.provider.plugin), plugin_key(info.provider.dist)}
    return names | {n.removeprefix("srzoo-") for n in names}


def qualified(info: ComponentInfo) -> str:
    """``plugin:name``, the spelling that picks this component among same-named ones."""
    plugin = info.provider.plugin
    scope = plugin if re.fullmatch(NAME_PATTERN, plugin) else plugin_key(info.provider.dist).replace(".", "-")
    return f"{scope}:{info.name}"


def split_scope(name: str) -> tuple[str | None, str]:
    """``"srgan:srresnet"`` -> ``("srgan", "srresnet")``; a bare name has no scope."""
    scope, colon, bare = name.rpartition(":")
    return (scope.strip() or None, bare) if colon else (None, name)


@dataclass(frozen=True)
class Clash:
    """One name of one kind that two or more plugins register."""

    kind: str
    name: str
    infos: tuple[ComponentInfo, ...]

    def message(self) -> str:
        providers = " and ".join(f"{qualified(i)} ({i.provider})" for i in self.infos)
        return f"{KIND_NOUNS[self.kind]} {self.name!r} is registered by {len(self.infos)} plugins: {providers}"


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


class AmbiguousComponentError(UnknownComponentError):
    """A bare name that two or more plugins register for one kind: the qualified form is needed."""

    def __init__(self, name: str, kind: str, infos: list[ComponentInfo]):
        listing = ", ".join(f"{qualified(i)} ({i.provider})" for i in infos)
        super().__init__(f"{KIND_NOUNS[kind]} {normalise(name)!r} is ambiguous: {len(infos)} plugins register it ({listing})",
                         hint="write the qualified name, " + " or ".join(qualified(i) for i in infos)
                         + "; 'srzoo plugins' shows the clash")
        self.infos = infos


class Registry:
    """Components by kind and normalised name (or alias)."""

    def __init__(self) -> None:
        # kind -> normalised name or alias -> every component registered under it, in load order
        self._names: dict[str, dict[str, list[ComponentInfo]]] = {kind: {} for kind in KINDS}

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __iter__(self) -> Iterator[ComponentInfo]:
        """Every component once, by kind (in KINDS order) then name (same-named ones in load order)."""
        for kind in KINDS:
            unique = {id(c): c for infos in self._names[kind].values() for c in infos}
            yield from sorted(unique.values(), key=lambda c: c.name)

    def __contains__(self, name: str) -> bool:
        return bool(self.find_all(name))

    def clash(self, info: ComponentInfo) -> tuple[str, ComponentInfo] | None:
        """The first (name, component) of the same kind that already holds one of ``info``'s names."""
        taken = self._names[info.kind]
        return next(((n, taken[n][0]) for n in (info.name, *info.aliases) if taken.get(n)), None)

    def add(self, info: ComponentInfo, shared: bool = False) -> ComponentInfo:
        """Add a component. A name its own provider already registered is always an error; one
        another provider registered is an error too unless ``shared`` (the plugin host's way: both
        stay, and the bare name becomes ambiguous)."""
        names = list(dict.fromkeys((info.name, *info.aliases)))
        for name in names:
            for existing in self._names[info.kind].get(name, ()):
                if not shared or existing.provider == info.provider:
                    raise DuplicateComponentError(info, existing, name)
        for name in names:
            self._names[info.kind].setdefault(name, []).append(info)
        return info

    def register(self, kind: str, name: str, factory: Any, **fields: Any) -> ComponentInfo:
        """Register a component from a script or notebook, outside any plugin."""
        return self.add(ComponentInfo(name=name, kind=kind, factory=factory, **fields))

    def remove(self, name: str, kind: str | None = None) -> None:
        info = self.get(name, kind)
        for alias in dict.fromkeys((info.name, *info.aliases)):
            remaining = [c for c in self._names[info.kind][alias] if c is not info]
            if remaining:
                self._names[info.kind][alias] = remaining
            else:
                del self._names[info.kind][alias]

    def candidates(self, name: str, kind: str) -> list[ComponentInfo]:
        """Every component of the kind under that name or alias (``scope:name`` keeps those of the
        plugin or distribution ``scope``), in load order."""
        scope, bare = split_scope(name)
        found = self._names[kind].get(normalise(bare), [])
        return [c for c in found if scope is None or plugin_key(scope) in scope_names(c)]

    def find(self, name: str, kind: str | None = None) -> ComponentInfo | None:
        """The component of that kind (or of any kind, the first in KINDS order), else None; a
        name two plugins register raises :class:`AmbiguousComponentError` (never a silent pick)."""
        for k in (kind,) if kind is not None else KINDS:
            found = self.candidates(name, k)
            if len(found) > 1:
                raise AmbiguousComponentError(name, k, found)
            if found:
                return found[0]
        return None

    def find_all(self, name: str) -> list[ComponentInfo]:
        """Every component under that name, of every kind (in KINDS order), same-named ones included."""
        return [c for kind in KINDS for c in self.candidates(name, kind)]

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
            close = self.suggest(split_scope(name)[1], kind)
            raise UnknownComponentError(
                f"unknown {KIND_NOUNS[kind] if kind else 'component'} {name!r}",
                hint=f"did you mean {close}?" if close else f"run 'srzoo list{' ' + kind if kind else ''}' to see what is installed",
            )
        kinds = list(dict.fromkeys(c.kind for c in found))
        if len(kinds) > 1:
            first = {k: next(c for c in found if c.kind == k) for k in kinds}
            raise UnknownComponentError(f"{found[0].name!r} names " + " and ".join(a_noun(k) for k in kinds),
                                        hint="give the kind too: " + " or ".join(f"{k} {c.name}" for k, c in first.items()))
        if len(found) > 1:
            raise AmbiguousComponentError(name, kinds[0], found)
        return found[0]

    def clashes(self) -> list[Clash]:
        """Every name (or alias) of a kind that two or more plugins register."""
        return [Clash(kind, name, tuple(infos)) for kind in KINDS
                for name, infos in sorted(self._names[kind].items()) if len(infos) > 1]

    def names(self, kind: str | None = None) -> list[str]:
        return [c.name for c in self if kind is None or c.kind == kind]

    def suggest(self, name: str, kind: str | None = None) -> str | None:
        """The closest registered names (of the kind, if given), formatted for a hint."""
        candidates: dict[str, list[str]] = {}
        for k in KINDS:
            if kind in (None, k):
                for alias, infos in self._names[k].items():
                    candidates.setdefault(alias, []).extend(c.name for c in infos)
        close = difflib.get_close_matches(normalise(name), list(candidates), n=3, cutoff=0.6)
        unique = list(dict.fromkeys(n for c in close for n in candidates[c]))
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

    def extend(self, infos: Iterable[ComponentInfo], shared: bool = False) -> None:
        for info in infos:
            self.add(info, shared)

    @staticmethod
    def _check_kind(kind: str | None) -> None:
        if kind is not None and kind not in KINDS:
            raise UnknownComponentError(f"unknown kind {kind!r}", hint=f"kinds are {', '.join(KINDS)}")
