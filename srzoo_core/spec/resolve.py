"""Resolution: check a parsed spec against the registry — names, kinds, slots, parameter types,
requirements — and turn it into resolved components. Every problem is a SpecError with a caret."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from srzoo_core.errors import RegistryError, SpecError
from srzoo_core.interfaces import CONTEXT_PARAMS, DISCRIMINATOR_SLOTS, GENERATOR_SLOTS, KIND_NOUNS
from srzoo_core.registry import ComponentInfo, PluginHost, get_host
from srzoo_core.registry.catalogue import missing_component
from srzoo_core.spec.ast import Spec, Term, Value
from srzoo_core.spec.coerce import coerce
from srzoo_core.spec.parser import parse
from srzoo_core.spec.printer import format_value, format_weight

ROLE_KIND = {"gen": "gen", "disc": "disc", "loss": "loss", "metric": "metric"}
SLOT_ORDER = {slot: i for i, slot in enumerate(GENERATOR_SLOTS + DISCRIMINATOR_SLOTS)}


@dataclass
class ResolvedTerm:
    info: ComponentInfo
    params: dict[str, Any]
    term: Term
    weight: float = 1.0

    @property
    def name(self) -> str:
        return self.info.name

    def all_params(self) -> dict[str, Any]:
        """Every option with its value: the spec's, else the factory's default."""
        values = {p.name: p.default for p in self.info.params if not p.required}
        values.update(self.params)
        return values

    def canonical(self) -> str:
        defaults = {p.name: p.default for p in self.info.params if not p.required}
        shown = {k: v for k, v in sorted(self.params.items()) if k not in defaults or defaults[k] != v or type(defaults[k]) is not type(v)}
        text = self.info.name
        if shown:
            text += "(" + ",".join(f"{k}={format_value(v)}" for k, v in shown.items()) + ")"
        if self.weight != 1.0:
            text = f"{format_weight(self.weight)}*{text}"
        return text


@dataclass
class ResolvedSpec:
    spec: Spec
    gen: ResolvedTerm | None = None
    gen_blocks: list[ResolvedTerm] = field(default_factory=list)
    disc: ResolvedTerm | None = None
    disc_blocks: list[ResolvedTerm] = field(default_factory=list)
    losses: list[ResolvedTerm] = field(default_factory=list)
    metrics: list[ResolvedTerm] = field(default_factory=list)

    def terms(self) -> list[tuple[str, ResolvedTerm]]:
        out = [("gen", t) for t in ([self.gen] if self.gen else []) + self.gen_blocks]
        out += [("disc", t) for t in ([self.disc] if self.disc else []) + self.disc_blocks]
        return out + [("loss", t) for t in self.losses] + [("metric", t) for t in self.metrics]

    def canonical(self) -> str:
        """One spelling per meaning: registered names, blocks in slot order, default values dropped."""
        parts = []
        for role, head, blocks in (("gen", self.gen, self.gen_blocks), ("disc", self.disc, self.disc_blocks)):
            if head:
                parts.append(f"{role}=" + "+".join(t.canonical() for t in [head, *blocks]))
        for role, terms in (("loss", self.losses), ("metric", self.metrics)):
            if terms:
                parts.append(f"{role}=" + "+".join(t.canonical() for t in terms))
        return " ".join(parts)

    @property
    def adversarial(self) -> bool:
        return any("disc" in t.info.requires for t in self.losses)

    def __str__(self) -> str:
        return self.canonical()


class _Resolver:
    def __init__(self, spec: Spec, host: PluginHost):
        self.spec = spec
        self.host = host
        self.registry = host.registry

    def fail(self, message: str, span: tuple[int, int], hint: str | None = None) -> SpecError:
        return SpecError(message, self.spec.text, span, hint)

    def lookup(self, term: Term, role: str, kind: str) -> ComponentInfo:
        info = self.registry.find(term.name)
        if info is None:
            missing = missing_component(term.name, self.host)
            if missing:
                raise self.fail(missing[0], term.name_span, hint=missing[1])
            close = self.registry.suggest(term.name, kind)
            hint = f"did you mean {close}?" if close else f"run 'srzoo list {kind}' to see every {KIND_NOUNS[kind]}"
            raise self.fail(f"unknown {KIND_NOUNS[kind]} {term.name!r}", term.name_span, hint=hint)
        if term.scope and term.scope.replace("_", "-") not in _scope_names(info):
            raise self.fail(f"{info.name!r} is provided by {info.provider.plugin} ({info.provider.dist}), not by {term.scope!r}", term.span)
        if info.kind != kind:
            raise self.fail(*self.wrong_kind(info, term, role, kind))
        return info

    def wrong_kind(self, info: ComponentInfo, term: Term, role: str, kind: str) -> tuple[str, tuple[int, int], str]:
        if info.kind == "block" and role in ("gen", "disc"):
            head = (self.registry.names(role) or [KIND_NOUNS[role]])[0]
            return f"{info.name!r} is a block; a {KIND_NOUNS[role]} must come first", term.span, f"write e.g. {role}={head}+{info.name}"
        if info.kind == "block":
            return f"{info.name!r} is a block, not {_a(KIND_NOUNS[kind])}", term.span, f"blocks go after a generator, e.g. gen=srresnet+{info.name}"
        return f"{info.name!r} is {_a(KIND_NOUNS[info.kind])}, not {_a(KIND_NOUNS[kind])}", term.span, f"did you mean {info.kind}={info.name}?"

    def params(self, info: ComponentInfo, term: Term) -> dict[str, Any]:
        try:
            schema = {p.name: p for p in info.params}
        except RegistryError as exc:
            raise self.fail(exc.message, term.name_span, hint=exc.hint) from None
        values: dict[str, Any] = {}
        for key, value in term.params.items():
            if key in CONTEXT_PARAMS[info.kind] and key not in schema:
                raise self.fail(f"{key!r} is set by the run, not in the spec", value.key_span, hint="use the command's options (e.g. --scale) or the data's channels")
            param = schema.get(key)
            if param is None:
                raise self.fail(f"{info.name!r} has no parameter {key!r}", value.key_span, hint=_param_hint(key, schema))
            values[key] = self.coerce_value(info, param, value)
        missing = [p.name for p in schema.values() if p.required and p.name not in values]
        if missing:
            raise self.fail(f"{info.name!r} needs parameter {missing[0]!r}", term.span, hint=_param_hint(missing[0], schema))
        return values

    def coerce_value(self, info: ComponentInfo, param: Any, value: Value) -> Any:
        try:
            return coerce(value.value, param.annotation)
        except (TypeError, ValueError) as exc:
            raise self.fail(
                f"parameter {param.name!r} of {info.name!r} expects {param.type_name}, got {format_value(value.value)} ({type(value.value).__name__})",
                value.span, hint=str(exc) or None,
            ) from None

    def resolved(self, term: Term, role: str, kind: str) -> ResolvedTerm:
        info = self.lookup(term, role, kind)
        weight = 1.0 if term.weight is None else float(term.weight.value)
        return ResolvedTerm(info, self.params(info, term), term, weight)

    def composite(self, role: str, slots_of_head: Any) -> tuple[ResolvedTerm, list[ResolvedTerm]]:
        head_term, *block_terms = self.spec.roles[role].terms
        head = self.resolved(head_term, role, role)
        available = tuple(slots_of_head(head.info))
        blocks: list[ResolvedTerm] = []
        filled: dict[str, ResolvedTerm] = {}
        for term in block_terms:
            info = self.registry.find(term.name)
            if info is not None and info.kind == role:
                raise self.fail(f"{role}= takes one {KIND_NOUNS[role]}, then blocks; {info.name!r} is a second {KIND_NOUNS[role]}", term.span)
            block = self.resolved(term, role, "block")
            slot = block.info.slot
            if slot not in available:
                slots = ", ".join(available) or "none"
                raise self.fail(f"block {block.name!r} fills slot {slot!r}, which {head.name!r} does not have", term.span, hint=f"{head.name!r} has slots: {slots}")
            if slot in filled:
                raise self.fail(f"{block.name!r} and {filled[slot].name!r} both fill slot {slot!r} of {head.name!r}", term.span, hint="keep one of them")
            filled[slot] = block
            blocks.append(block)
        blocks.sort(key=lambda b: SLOT_ORDER[b.info.slot])
        return head, blocks

    def resolve(self) -> ResolvedSpec:
        out = ResolvedSpec(self.spec)
        if "gen" in self.spec.roles:
            out.gen, out.gen_blocks = self.composite("gen", lambda info: info.slots)
        if "disc" in self.spec.roles:
            out.disc, out.disc_blocks = self.composite("disc", lambda info: (*info.slots, *DISCRIMINATOR_SLOTS))
        for role in ("loss", "metric"):
            if role in self.spec.roles:
                terms = [self.resolved(t, role, role) for t in self.spec.roles[role].terms]
                setattr(out, "losses" if role == "loss" else "metrics", terms)
        self.check_requirements(out)
        return out

    def check_requirements(self, out: ResolvedSpec) -> None:
        for role, term in out.terms():
            for needed in term.info.requires:
                if needed in ("gen", "disc", "loss", "metric") and needed not in self.spec.roles:
                    example = (self.registry.names(needed) or ["…"])[0]
                    raise self.fail(f"{term.name!r} needs {needed}=…", term.term.span, hint=f"add e.g. {needed}={example} (see 'srzoo list {needed}')")
        if out.disc and not out.adversarial:
            example = (self.registry.names("loss") and [n for n in self.registry.names("loss") if "disc" in self.registry.get(n).requires] or ["gan"])[0]
            raise self.fail(f"disc={out.disc.name} is given but no loss uses it", self.spec.roles["disc"].span, hint=f"add an adversarial loss, e.g. loss=l1+0.01*{example}, or drop disc=")


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _scope_names(info: ComponentInfo) -> set[str]:
    names = {info.provider.plugin.replace("_", "-"), info.provider.dist.lower()}
    return names | {n.removeprefix("srzoo-") for n in names}


def _param_hint(key: str, schema: dict[str, Any]) -> str:
    if not schema:
        return "it takes no parameters"
    close = difflib.get_close_matches(key, list(schema), n=1)
    listing = "; ".join(p.describe() for p in schema.values())
    return (f"did you mean {close[0]!r}? " if close else "") + f"parameters: {listing}"


def resolve(spec: Spec | str, host: PluginHost | None = None) -> ResolvedSpec:
    """Parse (if needed) and resolve a spec against the installed components."""
    parsed = parse(spec) if isinstance(spec, str) else spec
    return _Resolver(parsed, host or get_host()).resolve()
