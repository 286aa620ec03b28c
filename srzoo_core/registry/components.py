"""Component records: what a plugin registers, and the parameter schema read from its factory."""

from __future__ import annotations

import importlib
import inspect
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable

from srzoo_core.errors import RegistryError
from srzoo_core.interfaces import ALL_SLOTS, CONTEXT_PARAMS, GENERATOR_SLOTS, KIND_NOUNS, KINDS
from srzoo_core.spec.grammar import NAME_PATTERN, ROLES

_MISSING = inspect.Parameter.empty


def normalise(name: str) -> str:
    """Names compare case-insensitively with '-' and '_' interchangeable."""
    return name.strip().lower().replace("-", "_")


def _spell_choice(choice: Any) -> str:
    if isinstance(choice, bool) or choice is None:
        return {True: "true", False: "false", None: "none"}[choice]
    return str(choice)


def type_name(annotation: Any) -> str:
    """How a spec writer reads an annotation: ``int``, ``int|none``, ``y|rgb``, ``tuple[int, ...]``."""
    if annotation is Any or annotation is _MISSING:
        return "any"
    if annotation is type(None) or annotation is None:
        return "none"
    if isinstance(annotation, str):  # a string annotation that could not be evaluated
        return annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return "|".join(_spell_choice(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return "|".join(type_name(a) for a in args)
    if origin is not None and args:
        inner = ", ".join("..." if a is Ellipsis else type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


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
    def type_name(self) -> str:
        return type_name(self.annotation)

    def describe(self, spell: Callable[[Any], str] = repr) -> str:
        """``blocks: int = 16`` or ``channels: int (required)``; ``spell`` formats the default."""
        return f"{self.name}: {self.type_name} " + ("(required)" if self.required else f"= {spell(self.default)}")


@dataclass(frozen=True)
class Provider:
    """The plugin (entry point) that registered a component, with its distribution."""

    plugin: str
    dist: str
    version: str

    def __str__(self) -> str:
        return self.dist if self.version == "-" else f"{self.dist} {self.version}"


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
    # generators: "module:attr" (or a callable) of ``detect(state_dict) -> (options, state_dict) | None``,
    # which recognises this architecture's published weights (see interfaces.py)
    detect_weights: Callable[..., Any] | str | None = None
    suffixes: tuple[str, ...] = ()  # data sources: the file types they read (".nc"), for "provided by X" hints
    _resolved: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    _signature: list[Param] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise RegistryError(f"unknown component kind {self.kind!r} for {self.name!r}; kinds are {', '.join(KINDS)}")
        for name in (self.name, *self.aliases):
            if not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name):
                raise RegistryError(f"invalid component name {name!r}: use letters, digits, '-' and '_', and begin with a letter or '_'")
        self.name = normalise(self.name)
        self.aliases = tuple(normalise(a) for a in self.aliases)
        self.slots = tuple(self.slots)
        self.requires = tuple(self.requires)
        self.scales = tuple(int(s) for s in self.scales)
        if self.scales and self.kind != "gen":
            raise RegistryError(f"only generators declare scales; {self.name!r} is a {KIND_NOUNS[self.kind]}")
        self.suffixes = tuple(str(s).lower() for s in self.suffixes)
        if self.suffixes and self.kind != "datasource":
            raise RegistryError(f"only data sources declare file suffixes; {self.name!r} is a {KIND_NOUNS[self.kind]}")
        if self.detect_weights is not None and self.kind != "gen":
            raise RegistryError(f"only generators detect published weights; {self.name!r} is a {KIND_NOUNS[self.kind]}")
        if self.slots and self.kind not in ("gen", "disc"):
            raise RegistryError(f"only generators and discriminators have slots; {self.name!r} is a {KIND_NOUNS[self.kind]}")
        bad_slots = [s for s in (*self.slots, *([self.slot] if self.slot else [])) if s not in ALL_SLOTS]
        if bad_slots:
            raise RegistryError(f"{self.name!r} names unknown slot {bad_slots[0]!r}; slots are {', '.join(ALL_SLOTS)}")
        if self.kind == "block" and not self.slot:
            raise RegistryError(f"block {self.name!r} must declare the slot it fills (one of {', '.join(ALL_SLOTS)})")
        if self.kind != "block" and self.slot:
            raise RegistryError(f"only blocks fill a slot; {self.name!r} is a {KIND_NOUNS[self.kind]}")
        bad_requires = [r for r in self.requires if r not in ROLES]
        if bad_requires:
            raise RegistryError(f"{self.name!r} requires unknown role {bad_requires[0]!r}; roles are {', '.join(ROLES)}")
        for what, target in (("factory", self.factory), ("detect_weights", self.detect_weights)):
            lazy = isinstance(target, str) and re.fullmatch(r"[\w.]+:[\w.]+", target)
            if (target is not None or what == "factory") and not lazy and not callable(target):
                raise RegistryError(f"{what} of {self.name!r} must be a callable or a 'module:attr' string, not {target!r}")

    @property
    def adversarial(self) -> bool:
        """The one declaration that a loss is adversarial: registered with ``requires=("disc",)``
        (its module's ``role`` must then be ``"adversarial"``; the build checks they agree)."""
        return self.kind == "loss" and "disc" in self.requires

    @property
    def qualified_name(self) -> str:
        return f"{self.provider.plugin}:{self.name}"

    def resolve(self) -> Callable[..., Any]:
        """The factory itself, importing its module on first use."""
        if self._resolved is None:
            self._resolved = self._load(self.factory, "factory")
        return self._resolved

    def resolve_detector(self) -> Callable[..., Any] | None:
        """The generator's published-weights detector, or None when it declares none."""
        return None if self.detect_weights is None else self._load(self.detect_weights, "weights detector")

    def _load(self, target: Any, what: str) -> Callable[..., Any]:
        if isinstance(target, str):
            reference = target
            module_name, _, attr = reference.partition(":")
            try:
                target = importlib.import_module(module_name)
                for part in attr.split("."):
                    target = getattr(target, part)
            except Exception as exc:  # a plugin module may raise anything while importing
                raise RegistryError(
                    f"{KIND_NOUNS[self.kind]} {self.name!r} from {self.provider} cannot be loaded from "
                    f"{reference!r}: {type(exc).__name__}: {exc}",
                    hint=f"reinstall {self.provider.dist}, or run 'srzoo plugins' to see its status"
                    if self.provider != SCRIPT_PROVIDER else "check the 'module:attr' reference and that the module imports",
                ) from exc
            if not callable(target):
                raise RegistryError(f"{reference!r} (the {what} of {self.name!r}) is not callable")
        return target

    def signature_params(self) -> list[Param]:
        """Every keyword parameter of the factory, context and slots included."""
        if self._signature is None:
            factory = self.resolve()
            try:
                signature = inspect.signature(factory, eval_str=True)
            except Exception:  # annotations that cannot be evaluated stay strings
                try:
                    signature = inspect.signature(factory)
                except (TypeError, ValueError) as exc:
                    raise RegistryError(f"the parameters of {self.name!r} cannot be read: {exc}") from exc
            self._signature = [
                Param(p.name, Any if p.annotation is _MISSING else p.annotation, p.default)
                for p in signature.parameters.values()
                if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "self"
            ]
        return self._signature

    @property
    def params(self) -> list[Param]:
        """Options a spec may set: the signature less context parameters and slot arguments."""
        hidden = set(CONTEXT_PARAMS[self.kind]) | set(self.slots)
        if self.kind == "gen":
            hidden |= set(GENERATOR_SLOTS)
        return [p for p in self.signature_params() if p.name not in hidden]

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name in (name, normalise(name))), None)
