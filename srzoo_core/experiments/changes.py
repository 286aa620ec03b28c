"""Ablation changes and arms: ``--add gen:se`` / ``--swap loss:l1=charbonnier`` applied to the
base spec's syntax tree, each arm resolved (so an invalid combination fails before any training)
and named after its changes (``baseline``, ``+se``, ``+se+multiscale``).
"""

from __future__ import annotations

import copy
import difflib
import itertools
import re
from dataclasses import dataclass
from typing import Any

from srzoo_core.errors import SpecError, UsageError
from srzoo_core.spec.ast import ROLES, Role, Spec, Term
from srzoo_core.spec.parser import parse
from srzoo_core.spec.printer import format_value, format_weight, print_spec
from srzoo_core.spec.resolve import ResolvedSpec, resolve

BASELINE = "baseline"
ADD_HINT = "write --add ROLE:TERM, e.g. --add gen:se, --add gen:se(reduction=8) or --add loss:0.1*vgg"
SWAP_HINT = ("write --swap ROLE:OLD=NEW, e.g. --swap loss:l1=charbonnier, or --swap ROLE:NEW to replace the whole "
             "role, e.g. --swap deg:realesrgan")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.=@,-]+")


@dataclass
class Change:
    kind: str            # "add" or "swap"
    role: str            # gen, disc, loss or metric
    term: Term           # the term added, or the one put in place of ``old``
    text: str            # as the user wrote it, e.g. "gen:se"
    old: str | None = None

    @property
    def label(self) -> str:
        """Folder-safe, readable: ``se``, ``se.reduction=8``, ``vgg@0.1``, ``l1=charbonnier``."""
        label = _term_label(self.term)
        if self.kind != "swap":
            return label
        return f"{self.old}={label}" if self.old else f"{self.role}={label}"

    def as_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "role": self.role, "text": self.text, "label": self.label}
        return out | ({"old": self.old} if self.old else {})

    def apply(self, spec: Spec) -> None:
        """Change ``spec`` (a copy of the base) in place; a clear error when it cannot be done."""
        flag = f"--{self.kind} {self.text}"
        role = spec.roles.get(self.role)
        if self.kind == "add":
            if role is None:
                spec.roles[self.role] = Role(self.role, [copy.deepcopy(self.term)])
                return
            if role.term(self.term.name) is not None:
                raise UsageError(f"{flag}: {self.role}= already has {self.term.name!r}",
                                 hint=f"to change its options or weight, use --swap {self.role}:{self.term.name}={print_term_text(self.term)}")
            role.terms.append(copy.deepcopy(self.term))
            return
        if self.old is None:  # --swap ROLE:NEW: the role becomes this one term
            spec.roles[self.role] = Role(self.role, [copy.deepcopy(self.term)])
            return
        names = [t.name for t in role.terms] if role else []
        if self.old not in names:
            where = f"its terms are: {', '.join(names)}" if names else f"the spec has no {self.role}="
            close = difflib.get_close_matches(self.old or "", names, n=1)
            raise UsageError(f"{flag}: {self.role}= has no term {self.old!r}", hint=(f"did you mean {close[0]!r}? " if close else "") + where)
        index = names.index(self.old)
        new = copy.deepcopy(self.term)
        if new.weight is None:
            new.weight = role.terms[index].weight  # loss:l1=charbonnier keeps l1's weight
        if new.name != self.old and role.term(new.name) is not None:
            raise UsageError(f"{flag}: {self.role}= already has {new.name!r}", hint=f"drop it from the base spec or swap another term")
        role.terms[index] = new


@dataclass
class Arm:
    name: str
    changes: list[Change]
    resolved: ResolvedSpec

    @property
    def spec(self) -> str:
        return self.resolved.canonical()

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "spec": self.spec, "changes": [c.text for c in self.changes]}


def print_term_text(term: Term) -> str:
    from srzoo_core.spec.printer import print_term

    return print_term(term)


def _term_label(term: Term) -> str:
    label = f"{term.scope}.{term.name}" if term.scope else term.name
    for key, value in term.params.items():
        label += f".{key}={format_value(value.value)}"
    if term.weight is not None:
        label += f"@{format_weight(term.weight.value)}"
    return _UNSAFE.sub("-", label).strip("-") or "change"


def _role_of(text: str, flag: str, hint: str) -> tuple[str, str]:
    role, sep, rest = text.partition(":")
    role = role.strip().lower()
    if not sep or not rest.strip():
        raise UsageError(f"{flag} {text!r}: expected ROLE:TERM", hint=hint)
    if role not in ROLES:
        close = difflib.get_close_matches(role, ROLES, n=1, cutoff=0.5)
        more = f"did you mean {close[0]}:{rest}? " if close else ""
        raise UsageError(f"{flag} {text!r}: unknown role {role!r}", hint=more + "the roles are " + ", ".join(ROLES))
    return role, rest


def _one_term(role: str, term_text: str, flag: str, shown: str, offset: int) -> Term:
    """Parse one term with the spec grammar; a mistake gets a caret under the user's own text."""
    try:
        parsed = parse(f"{role}={term_text}")
    except SpecError as exc:
        start, end = exc.span
        shift = offset - len(role) - 1
        raise SpecError(f"{flag}: {exc.message}", shown, (max(0, start + shift), max(1, end + shift)), exc.hint) from None
    terms = parsed.roles[role].terms if role in parsed.roles else []
    if len(parsed.roles) != 1 or len(terms) != 1:
        raise UsageError(f"{flag} {shown!r}: give one term per change", hint="repeat the flag for each change, e.g. --add gen:se --add gen:multiscale")
    return terms[0]


def parse_add(text: str) -> Change:
    role, rest = _role_of(text, "--add", ADD_HINT)
    term = _one_term(role, rest, "--add", text, text.index(":") + 1)
    return Change("add", role, term, text)


def parse_swap(text: str) -> Change:
    role, rest = _role_of(text, "--swap", SWAP_HINT)
    old, sep, new = rest.partition("=")
    if not sep or "(" in old:  # no OLD=: the whole role is replaced (an '=' inside options is not OLD=)
        term = _one_term(role, rest, "--swap", text, text.index(":") + 1)
        return Change("swap", role, term, text)
    if not old.strip() or not new.strip():
        raise UsageError(f"--swap {text!r}: expected ROLE:OLD=NEW or ROLE:NEW", hint=SWAP_HINT)
    old_name = old.strip().split("*")[-1].lower().replace("-", "_")  # loss:0.01*gan=… names the term gan
    term = _one_term(role, new, "--swap", text, text.index("=") + 1)
    return Change("swap", role, term, text, old=old_name)


def arm_name(changes: list[Change]) -> str:
    return "+" + "+".join(c.label for c in changes) if changes else BASELINE


def build_arm(base: Spec, changes: list[Change], host: Any = None) -> Arm:
    spec = copy.deepcopy(base)
    for change in changes:
        change.apply(spec)
    name = arm_name(changes)
    text = print_spec(spec)
    try:
        resolved = resolve(text, host)
    except SpecError as exc:
        what = ", ".join(f"--{c.kind} {c.text}" for c in changes)
        raise SpecError(f"arm {name!r} ({what}) is not a valid spec: {exc.message}", exc.spec, exc.span, exc.hint) from None
    return Arm(name, list(changes), resolved)


def expand(base_text: str, changes: list[Change], factorial: bool = False, host: Any = None) -> list[Arm]:
    """Baseline, each change alone, all together (or, with ``factorial``, every subset)."""
    try:
        base = parse(base_text)
        base_resolved = resolve(base, host)
    except SpecError as exc:
        raise SpecError(f"base spec: {exc.message}", exc.spec, exc.span, exc.hint) from None
    if not changes:
        raise UsageError("an ablation needs at least one change", hint=ADD_HINT)
    labels = [c.label for c in changes]
    for label in labels:
        if labels.count(label) > 1:
            raise UsageError(f"two changes are both named {label!r}", hint="give each change once")
    if factorial:
        subsets = [list(s) for k in range(len(changes) + 1) for s in itertools.combinations(changes, k)]
    else:
        subsets = [[]] + [[c] for c in changes] + ([list(changes)] if len(changes) > 1 else [])
    arms = [Arm(BASELINE, [], base_resolved)] + [build_arm(base, s, host) for s in subsets if s]
    seen: dict[str, str] = {}
    for arm in arms:
        if arm.spec in seen:
            raise UsageError(f"arms {seen[arm.spec]!r} and {arm.name!r} are the same model ({arm.spec})",
                             hint="a change that leaves the spec as it was measures nothing; drop it")
        seen[arm.spec] = arm.name
    return arms
