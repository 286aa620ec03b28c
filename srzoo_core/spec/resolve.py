"""Resolution: check a parsed spec against the registry — names, kinds, slots, parameter types,
requirements — and turn it into resolved components. Every problem is a SpecError with a caret."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, NoReturn

from srzoo_core.contracts import broken, exception_text
from srzoo_core.errors import RegistryError, SpecError
from srzoo_core.interfaces import ALL_SLOTS, CONTEXT_PARAMS, DISCRIMINATOR_SLOTS, GENERATOR_OUTPUT_SLOTS, GENERATOR_SLOTS, KIND_NOUNS
from srzoo_core.registry import ComponentInfo, Param, PluginHost, get_host
from srzoo_core.registry.table import a_noun, plugin_key, qualified, scope_names
from srzoo_core.spec.ast import Spec, Term, Value
from srzoo_core.spec.coerce import coerce
from srzoo_core.spec.grammar import CHAINS
from srzoo_core.spec.parser import parse, weight_problem
from srzoo_core.spec.printer import format_value, format_weight

SLOT_ORDER = {slot: i for i, slot in enumerate(ALL_SLOTS)}
_ANY_HEAD_SLOTS = {"gen": GENERATOR_OUTPUT_SLOTS, "disc": DISCRIMINATOR_SLOTS}  # slots every head has
_ROLE_FIELDS = {"gen": "gen", "disc": "disc", "loss": "losses", "metric": "metrics", "deg": "degradations"}
OUTPUT_SIZES = ("same", "any", "target")  # what a degradation does to (H, W); see build_degradations


@dataclass
class ResolvedTerm:
    info: ComponentInfo
    params: dict[str, Any]
    term: Term
    weight: float = 1.0
    qualify: bool = False  # another plugin registers the same name: print plugin:name

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
        is_default = lambda k, v: k in defaults and defaults[k] == v and isinstance(v, bool) == isinstance(defaults[k], bool)  # noqa: E731
        shown = {k: v for k, v in sorted(self.params.items()) if not is_default(k, v)}
        text = qualified(self.info) if self.qualify else self.info.name
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
    degradations: list[ResolvedTerm] = field(default_factory=list)   # deg=, in the order they apply

    def terms(self) -> list[tuple[str, ResolvedTerm]]:
        out = [("gen", t) for t in ([self.gen] if self.gen else []) + self.gen_blocks]
        out += [("disc", t) for t in ([self.disc] if self.disc else []) + self.disc_blocks]
        out += [("loss", t) for t in self.losses] + [("metric", t) for t in self.metrics]
        return out + [("deg", t) for t in self.degradations]

    def parts(self) -> dict[str, str]:
        """Each role's canonical expression (``{"gen": "srresnet+se", "loss": "l1+0.01*gan"}``), in role order."""
        parts: dict[str, str] = {}
        for role, head, blocks in (("gen", self.gen, self.gen_blocks), ("disc", self.disc, self.disc_blocks)):
            if head:
                parts[role] = "+".join(t.canonical() for t in [head, *blocks])
        for role, terms in (("loss", self.losses), ("metric", self.metrics), ("deg", self.degradations)):
            if terms:
                parts[role] = "+".join(t.canonical() for t in terms)
        return parts

    def canonical(self) -> str:
        """One spelling per meaning: registered names, blocks in slot order, default values dropped."""
        return " ".join(f"{role}={text}" for role, text in self.parts().items())

    def with_defaults(self, host: PluginHost | None = None, **defaults: str) -> "ResolvedSpec":
        """This spec with each role it leaves out (``loss=``, ``metric=``) filled from ``defaults``,
        resolved as objects: the spec itself is never printed and parsed again."""
        missing = {role: text for role, text in defaults.items() if not getattr(self, _ROLE_FIELDS[role])}
        if not missing:
            return self
        extra = resolve(" ".join(f"{role}={text}" for role, text in missing.items()), host)
        out = ResolvedSpec(self.spec, self.gen, list(self.gen_blocks), self.disc, list(self.disc_blocks),
                           list(self.losses), list(self.metrics), list(self.degradations))
        for role in missing:
            setattr(out, _ROLE_FIELDS[role], getattr(extra, _ROLE_FIELDS[role]))
        return out

    @property
    def adversarial(self) -> bool:
        return any(t.info.adversarial for t in self.losses)

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
        """The component a term names, of the kind its place in the spec calls for. A name two
        plugins register is never resolved by picking one: the spec must write ``plugin:name``."""
        found = self.registry.candidates(term.name, kind)
        if not found:
            self.explain_missing(term, role, kind)
        if term.scope:
            scoped = [c for c in found if plugin_key(term.scope) in scope_names(c)]
            if not scoped:
                info = found[0]
                if len(found) == 1:
                    raise self.fail(f"{info.name!r} is provided by {info.provider.plugin} ({info.provider.dist}), not by {term.scope!r}",
                                    term.span, hint=f"write {info.provider.plugin}:{info.name}, or just {info.name}")
                raise self.fail(f"{KIND_NOUNS[kind]} {info.name!r} is provided by {_providers(found)}, not by {term.scope!r}",
                                term.span, hint="write " + " or ".join(qualified(c) for c in found))
            found = scoped
        if len(found) > 1:
            raise self.fail(f"{KIND_NOUNS[kind]} {term.name!r} is ambiguous: {len(found)} plugins register it, {_providers(found)}",
                            term.name_span, hint="write the qualified name, " + " or ".join(qualified(c) for c in found)
                            + "; 'srzoo plugins' shows the clash")
        return found[0]

    def explain_missing(self, term: Term, role: str, kind: str) -> NoReturn:
        """No component of this kind has the name: say where it is, or what was probably meant."""
        from srzoo_core.registry.catalogue import missing_component  # only on this error path

        missing = missing_component(term.name, self.host, kind)
        if missing:
            raise self.fail(missing[0], term.name_span, hint=missing[1])
        others = self.registry.find_all(term.name)
        if others:
            raise self.fail(*self.wrong_kind(others[0], term, role, kind))
        missing = missing_component(term.name, self.host)
        if missing:
            raise self.fail(missing[0], term.name_span, hint=missing[1])
        close = self.registry.suggest(term.name, kind)
        hint = f"did you mean {close}?" if close else f"'srzoo list {kind}' shows what is installed"
        raise self.fail(f"unknown {KIND_NOUNS[kind]} {term.name!r}", term.name_span, hint=hint)

    def wrong_kind(self, info: ComponentInfo, term: Term, role: str, kind: str) -> tuple[str, tuple[int, int], str]:
        if info.kind == "block":
            host_role = "gen" if info.slot in GENERATOR_SLOTS + GENERATOR_OUTPUT_SLOTS else "disc"
            example = f"{host_role}={self.example_head(host_role, info.slot)}+{info.name}"
            if role == host_role:
                return f"{info.name!r} is a block, not {a_noun(role)}", term.name_span, f"write {a_noun(role)} first, e.g. {example}"
            return f"{info.name!r} is a block, not {a_noun(kind)}", term.name_span, f"blocks follow {a_noun(host_role)}, e.g. {example}"
        return f"{info.name!r} is {a_noun(info.kind)}, not {a_noun(kind)}", term.name_span, f"did you mean {info.kind}={info.name}?"

    def example_head(self, role: str, slot: str | None) -> str:
        """A generator (or discriminator) for a hint: the spec's own, else an installed one with the slot."""
        written = [t.name for t in self.spec.roles[role].terms] if role in self.spec.roles else []
        installed = [c.name for c in self.registry.list(role) if slot in (*c.slots, *_ANY_HEAD_SLOTS[role])]
        candidates = [n for n in written if self.registry.candidates(n, role)] + installed
        return candidates[0] if candidates else KIND_NOUNS[role]

    def params(self, info: ComponentInfo, term: Term) -> dict[str, Any]:
        try:
            schema = {p.name: p for p in info.params}
        except RegistryError as exc:
            raise self.fail(exc.message, term.name_span, hint=exc.hint) from None
        except SystemExit as exc:  # its module exits while being imported: the plugin's bug, and no reason to stop here
            code = "" if exc.code is None else repr(exc.code)
            raise self.fail(f"{KIND_NOUNS[info.kind]} {info.name!r} from {info.provider} cannot be loaded: importing it called "
                            f"sys.exit({code})", term.name_span, hint=f"this is a bug in {info.provider}; 'srzoo plugins' shows every plugin") from None
        values: dict[str, Any] = {}
        for key, value in term.params.items():
            if key in CONTEXT_PARAMS[info.kind] and key not in schema:
                raise self.fail(f"{key!r} is set by the run, not by the spec", value.key_span,
                                hint="use the command's options (e.g. --scale); channels come from the data")
            param = schema.get(key)
            if param is None:
                raise self.fail(f"{info.name!r} has no parameter {key!r}", value.key_span, hint=_param_hint(info, key, schema))
            values[key] = self.coerce_value(info, param, value)
        missing = [p.name for p in schema.values() if p.required and p.name not in values]
        if missing:
            raise self.fail(f"{info.name!r} needs parameter {missing[0]!r}", term.span, hint=_param_hint(info, missing[0], schema))
        return values

    def coerce_value(self, info: ComponentInfo, param: Param, value: Value) -> Any:
        try:
            return coerce(value.value, param.annotation)
        except (TypeError, ValueError) as exc:
            got = " ".join(f"{format_value(value.value)} ({_type_word(value.value)})".splitlines())  # one line, whatever was quoted
            raise self.fail(f"parameter {param.name!r} of {info.name!r} expects {param.type_name}, got {got}",
                            value.span, hint=str(exc) or f"write {param.type_name}") from None

    def resolved(self, term: Term, role: str, kind: str) -> ResolvedTerm:
        info = self.lookup(term, role, kind)
        weight = 1.0 if term.weight is None else term.weight.value
        problem = weight_problem(weight)
        if problem:  # the parser refuses these too; a tree built in code reaches here
            raise self.fail(problem, term.weight.span, hint=f"write a positive weight, e.g. 0.01*{term.name}")
        qualify = len(self.registry.candidates(info.name, kind)) > 1
        return ResolvedTerm(info, self.params(info, term), term, float(weight), qualify)

    def composite(self, role: str, slots_of_head: Any) -> tuple[ResolvedTerm, list[ResolvedTerm]]:
        """``gen=head+block+…``: one generator (or discriminator), then blocks, each in its own slot."""
        head_term, *block_terms = self.spec.roles[role].terms
        head = self.resolved(head_term, role, role)
        available = tuple(slots_of_head(head.info))
        filled: dict[str, ResolvedTerm] = {}
        for term in block_terms:
            heads = self.registry.candidates(term.name, role)
            second = heads[0] if heads else None
            if second is not None and not self.registry.candidates(term.name, "block"):
                raise self.fail(f"{role}= takes one {KIND_NOUNS[role]}, then blocks; {second.name!r} is a second {KIND_NOUNS[role]}",
                                term.name_span, hint=f"keep one of {head.name!r} and {second.name!r}")
            block = self.resolved(term, role, "block")
            slot = block.info.slot
            if slot not in available:
                own = [s for s in available if s not in GENERATOR_OUTPUT_SLOTS]  # every generator has those: no news
                where = f"its slots are: {', '.join(own)}" if own else "it has no slots"
                raise self.fail(f"block {block.name!r} fills slot {slot!r}, which {KIND_NOUNS[role]} {head.name!r} does not have",
                                term.name_span, hint=where)
            if slot in filled:
                raise self.fail(f"{filled[slot].name!r} and {block.name!r} both fill slot {slot!r} of {head.name!r}",
                                term.name_span, hint="keep one of them")
            filled[slot] = block
        return head, sorted(filled.values(), key=lambda b: SLOT_ORDER[b.info.slot])

    def resolve(self) -> ResolvedSpec:
        out = ResolvedSpec(self.spec)
        if "gen" in self.spec.roles:
            out.gen, out.gen_blocks = self.composite("gen", lambda info: (*info.slots, *GENERATOR_OUTPUT_SLOTS))
        if "disc" in self.spec.roles:
            out.disc, out.disc_blocks = self.composite("disc", lambda info: (*info.slots, *DISCRIMINATOR_SLOTS))
        for role in ("loss", "metric", "deg"):
            if role in self.spec.roles:
                terms = [self.resolved(t, role, role) for t in self.spec.roles[role].terms]
                if role not in CHAINS:
                    self.check_distinct(role, terms)
                setattr(out, _ROLE_FIELDS[role], terms)
        if out.degradations:
            self.check_chain(out.degradations)
        self.check_requirements(out)
        return out

    def check_chain(self, terms: list[ResolvedTerm]) -> None:
        """Build each degradation (cheap: options only) so a bad option gets a caret, then check
        the LR size is explicit: the last term that changes the size must end at H/scale × W/scale."""
        built = []
        for term in terms:
            try:
                built.append(term.info.resolve()(**term.params))
            except ValueError as exc:
                raise self.fail(f"degradation {term.name!r} cannot be built: {exc}", term.term.span) from None
            except (Exception, SystemExit) as exc:  # the plugin's bug, not the spec's
                raise broken(term, f"{exception_text(exc)} while being built") from None
            size = getattr(built[-1], "output_size", None)
            if size not in OUTPUT_SIZES:
                raise broken(term, f"declares output_size {size!r}, not one of {', '.join(OUTPUT_SIZES)}")
        sizing = [(t, b.output_size) for t, b in zip(terms, built) if b.output_size != "same"]
        if sizing and sizing[-1][1] == "target":
            return
        span = (terms[0].term.span[0], terms[-1].term.span[1])
        if not sizing:
            raise self.fail("the chain does not make the LR: no term brings the image to H/scale × W/scale", span,
                            hint=f"end it with bicubic, coarsen or resize(final=true), e.g. deg=bicubic+{terms[-1].term.name}"
                            if len(terms) == 1 else "end it with bicubic, coarsen or resize(final=true)")
        raise self.fail("the chain does not end at H/scale × W/scale", span,
                        hint=f"add resize(final=true), bicubic or coarsen after the last random resize ({sizing[-1][0].name!r})")

    def check_distinct(self, role: str, terms: list[ResolvedTerm]) -> None:
        """Two spellings (a name and an alias) of one component in one role."""
        seen: dict[int, ResolvedTerm] = {}
        for term in terms:
            if id(term.info) in seen:
                first = seen[id(term.info)].term.name
                raise self.fail(f"{first!r} and {term.term.name!r} are the same {KIND_NOUNS[role]}, {term.name!r}",
                                term.term.name_span, hint="give each component once, with all its options")
            seen[id(term.info)] = term

    def check_requirements(self, out: ResolvedSpec) -> None:
        for role, term in out.terms():
            for needed in term.info.requires:
                if needed not in self.spec.roles:
                    example = (self.registry.names(needed) or ["…"])[0]
                    raise self.fail(f"{KIND_NOUNS[term.info.kind]} {term.name!r} needs {needed}=…", term.term.span,
                                    hint=f"add {a_noun(needed)}, e.g. {needed}={example}; 'srzoo list {needed}' shows them all")
        if out.disc and not out.adversarial:
            adversarial = [c.name for c in self.registry.list("loss") if c.adversarial] or ["gan"]
            raise self.fail(f"disc={out.disc.name} is given but no loss uses it", self.spec.roles["disc"].span,
                            hint=f"add an adversarial loss, e.g. loss=l1+0.01*{adversarial[0]}, or drop disc=")


def _type_word(value: Any) -> str:
    """The spec's word for a value's type: int, float, bool, none or str."""
    return "none" if value is None else "range" if isinstance(value, tuple) else type(value).__name__


def _providers(infos: list[ComponentInfo]) -> str:
    return " and ".join(f"{qualified(c)} from {c.provider}" for c in infos)


def _param_hint(info: ComponentInfo, key: str, schema: dict[str, Param]) -> str:
    if not schema:
        return f"{info.name!r} takes no parameters"
    close = [] if key in schema else difflib.get_close_matches(key, list(schema), n=1)
    listing = ", ".join(p.describe(format_value) for p in schema.values())
    return (f"did you mean {close[0]!r}? " if close else "") + f"{info.name!r} takes {listing}"


def resolve(spec: Spec | str, host: PluginHost | None = None) -> ResolvedSpec:
    """Parse (if needed) and resolve a spec against the installed components."""
    parsed = parse(spec) if isinstance(spec, str) else spec
    return _Resolver(parsed, host or get_host()).resolve()
