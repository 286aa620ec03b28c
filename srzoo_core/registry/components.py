"""Component records: what a plugin registers, and the parameter schema read from its factory."""

from __future__ import annotations

import importlib
import inspect
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable

from srzoo_core.errors import RegistryError
from srzoo_core.interfaces import ALL_SLOTS, CONTEXT_PARAMS, GENERATOR_SLOTS, KINDS

_MISSING = inspect.Parameter.empty


def normalise(name: str) -> str:
    """Names compare case-insensitively with '-' and '_' interchangeable."""
    return name.strip().lower().replace("-", "_")


def _type_name(annotation: Any) -> str:
    if annotation is Any or annotation is _MISSING:
        return "any"
    if annotation is type(None):
        return "none"
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation))
    return getattr(annotation, "__name__", str(annotation))


@dataclass(frozen=True)
class Param:
    """One option of a component, as read from its factory's signature."""

    name: str
    annotation: Any = Any
    default: Any = _MISSING

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    @property
    def choices(self) -> tuple | None:
        if typing.get_origin(self.annotation) is typing.Literal:
            return typing.get_args(self.annotation)
        return None

    @property
    def type_name(self) -> str:
        if self.choices is not None:
            return "|".join(str(c) for c in self.choices)
        return _type_name(self.annotation)

    def describe(self) -> str:
        default = "required" if self.required else f"default {self.default!r}"
        return f"{self.name}: {self.type_name} ({default})"


@dataclass(frozen=True)
class Provider:
    """The plugin (entry point) that registered a component, with its distribution."""

    plugin: str
    dist: str
    version: str

    def __str__(self) -> str:
        return f"{self.dist} {self.version}"


SCRIPT_PROVIDER = Provider(plugin="__main__", dist="(script)", version="-")


@dataclass
class ComponentInfo:
    """The registry's record of one component (timm-style metadata)."""

    name: str
    kind: str
    factory: Callable[..., Any] | str
    provider: Provider = SCRIPT_PROVIDER
    description: str = ""
    slots: tuple[str, ...] = ()
    slot: str | None = None
    requires: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    scales: tuple[int, ...] = ()
    _resolved: Callable[..., Any] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise RegistryError(f"unknown component kind {self.kind!r} for {self.name!r}; kinds are {', '.join(KINDS)}")
        if not self.name or normalise(self.name) != self.name.lower().replace("-", "_"):
            raise RegistryError(f"invalid component name {self.name!r}")
        if not self.name.replace("_", "").replace("-", "").isalnum():
            raise RegistryError(f"component name {self.name!r} may hold only letters, digits, '-' and '_'")
        self.name = normalise(self.name)
        self.aliases = tuple(normalise(a) for a in self.aliases)
        self.slots = tuple(self.slots)
        self.requires = tuple(self.requires)
        self.scales = tuple(int(s) for s in self.scales)
        if self.scales and self.kind != "gen":
            raise RegistryError(f"only generators declare scales; {self.name!r} is a {self.kind}")
        bad_slots = [s for s in (*self.slots, *([self.slot] if self.slot else [])) if s not in ALL_SLOTS]
        if bad_slots:
            raise RegistryError(f"{self.name!r} names unknown slot {bad_slots[0]!r}; slots are {', '.join(ALL_SLOTS)}")
        if self.kind == "block" and not self.slot:
            raise RegistryError(f"block {self.name!r} must declare the slot it fills (one of {', '.join(ALL_SLOTS)})")
        if self.kind != "block" and self.slot:
            raise RegistryError(f"only blocks fill a slot; {self.name!r} is a {self.kind}")
        if not (isinstance(self.factory, str) and ":" in self.factory) and not callable(self.factory):
            raise RegistryError(f"factory of {self.name!r} must be a callable or a 'module:attr' string")

    @property
    def qualified_name(self) -> str:
        return f"{self.provider.plugin}:{self.name}"

    def resolve(self) -> Callable[..., Any]:
        """The factory itself, importing its module on first use."""
        if self._resolved is None:
            if callable(self.factory):
                self._resolved = self.factory
            else:
                module_name, _, attr = self.factory.partition(":")
                try:
                    target: Any = importlib.import_module(module_name)
                    for part in attr.split("."):
                        target = getattr(target, part)
                except (ImportError, AttributeError) as exc:
                    raise RegistryError(
                        f"{self.kind} {self.name!r} from {self.provider} cannot be loaded: "
                        f"{type(exc).__name__}: {exc}",
                        hint=f"reinstall {self.provider.dist}, or run 'srzoo plugins' to see its status",
                    ) from exc
                self._resolved = target
        return self._resolved

    def signature_params(self) -> list[Param]:
        """Every keyword parameter of the factory, context and slots included."""
        try:
            signature = inspect.signature(self.resolve(), eval_str=True)
        except (TypeError, ValueError, NameError):
            signature = inspect.signature(self.resolve())
        params = []
        for p in signature.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name == "self":
                continue
            annotation = Any if p.annotation is _MISSING else p.annotation
            params.append(Param(p.name, annotation, p.default))
        return params

    @property
    def params(self) -> list[Param]:
        """Options a spec may set: the signature less context parameters and slot arguments."""
        hidden = set(CONTEXT_PARAMS[self.kind]) | set(self.slots)
        if self.kind == "gen":
            hidden |= set(GENERATOR_SLOTS) & {p.name for p in self.signature_params()}
        return [p for p in self.signature_params() if p.name not in hidden]

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == normalise(name) or p.name == name), None)
