"""Recursive-descent parser for spec strings.

    spec  = item (WS item)*
    item  = ROLE "=" expr | ROLE "." NAME ["." NAME] "=" value
    expr  = term ("+" term)*
    term  = [NUMBER "*"] [NAME ":"] NAME ["(" [NAME "=" value ("," NAME "=" value)*] ")"]
    value = NUMBER | true | false | none | NAME | PATH | "quoted" | 'quoted'

Overrides (``gen.blocks=8``, ``loss.gan.weight=0.005``) are folded into the terms they name, so
the tree holds no override nodes and printing it gives the canonical form.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from srzoo_core.errors import SpecError
from srzoo_core.spec.ast import ROLES, Role, Spec, Span, Term, Value

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
BARE = re.compile(r"[A-Za-z0-9_./~\-]+")
KEYWORDS = {"true": True, "false": False, "none": None}
WEIGHT = "weight"


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.overrides: list[tuple[str, list[tuple[str, Span]], Value]] = []

    # -- helpers -----------------------------------------------------------------------------

    def fail(self, message: str, span: Span | None = None, hint: str | None = None) -> SpecError:
        if span is None:
            span = (self.pos, self.pos + 1)
        return SpecError(message, self.text, span, hint)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_spaces(self) -> None:
        while self.peek().isspace():
            self.pos += 1

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "the end of the spec"
            raise self.fail(f"expected {what}, found {found}")
        self.pos += 1

    def match(self, pattern: re.Pattern) -> tuple[str, Span] | None:
        m = pattern.match(self.text, self.pos)
        if not m or not m.group(0):
            return None
        self.pos = m.end()
        return m.group(0), (m.start(), m.end())

    def name(self, what: str) -> tuple[str, Span]:
        found = self.match(NAME)
        if not found:
            shown = repr(self.peek()) if self.peek() else "the end of the spec"
            raise self.fail(f"expected {what}, found {shown}")
        return found[0].lower().replace("-", "_"), found[1]

    # -- grammar -----------------------------------------------------------------------------

    def parse(self) -> Spec:
        spec = Spec(text=self.text)
        self.skip_spaces()
        if not self.peek():
            raise self.fail("the spec is empty", (0, 1), hint='write e.g. "gen=srresnet loss=l1"')
        while self.peek():
            self.item(spec)
            if self.peek() and not self.peek().isspace():
                raise self.fail(f"unexpected {self.peek()!r}", hint="separate items with spaces and terms with '+'")
            self.skip_spaces()
        for role, path, value in self.overrides:
            self.apply_override(spec, role, path, value)
        return spec

    def item(self, spec: Spec) -> None:
        start = self.pos
        role, role_span = self.name("a role (gen, disc, loss or metric)")
        if role not in ROLES:
            close = difflib.get_close_matches(role, ROLES, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}?" if close else "roles are gen, disc, loss and metric"
            raise self.fail(f"unknown role {role!r}", role_span, hint=hint)
        if self.peek() == ".":
            self.pos += 1
            path = [self.name("a parameter name after '.'")]
            if self.peek() == ".":
                self.pos += 1
                path.append(self.name("a parameter name after '.'"))
            self.expect("=", "'=' after the override's name")
            value = self.value()
            value.key_span = path[-1][1]
            self.overrides.append((role, path, value))
            return
        self.expect("=", f"'=' after {role!r}")
        if role in spec.roles:
            raise self.fail(f"role {role!r} is given twice", role_span, hint=f"join the terms with '+' in one {role}=…")
        terms = [self.term(role)]
        while self.peek() == "+":
            self.pos += 1
            terms.append(self.term(role))
        seen: dict[str, Term] = {}
        for term in terms:
            if term.name in seen:
                raise self.fail(f"{term.name!r} appears twice in {role}=", term.name_span, hint="give each component once; set its options in one place")
            seen[term.name] = term
        spec.roles[role] = Role(role, terms, (start, self.pos))

    def term(self, role: str) -> Term:
        start = self.pos
        weight = None
        number = self.match(NUMBER)
        if number:
            self.expect("*", "'*' after a weight")
            if role != "loss":
                raise self.fail(f"weights are allowed only in loss=, not in {role}=", number[1], hint="drop the 'N*' prefix")
            weight = Value(_number(number[0]), number[1])
        name, name_span = self.name(f"a component name in {role}=")
        scope = None
        if self.peek() == ":":
            self.pos += 1
            scope = name
            name, name_span = self.name(f"a component name after '{scope}:'")
        params: dict[str, Value] = {}
        if self.peek() == "(":
            self.pos += 1
            self.skip_spaces()
            while self.peek() != ")":
                key, key_span = self.name("a parameter name")
                self.skip_spaces()
                self.expect("=", f"'=' after parameter {key!r}")
                self.skip_spaces()
                if key in params:
                    raise self.fail(f"parameter {key!r} is given twice", key_span)
                params[key] = self.value()
                params[key].key_span = key_span
                self.skip_spaces()
                if self.peek() == ",":
                    self.pos += 1
                    self.skip_spaces()
                elif self.peek() != ")":
                    raise self.fail("expected ',' or ')' in the parameter list")
            self.pos += 1
        if role == "loss" and WEIGHT in params:
            raise self.fail("a loss weight is written as a prefix, e.g. 0.01*gan", params[WEIGHT].span)
        return Term(name=name, params=params, weight=weight, scope=scope, span=(start, self.pos), name_span=name_span)

    def value(self) -> Value:
        start = self.pos
        if self.peek() in ("'", '"'):
            quote = self.peek()
            end = self.text.find(quote, self.pos + 1)
            if end < 0:
                raise self.fail("unterminated string", (start, len(self.text)), hint=f"close it with {quote}")
            self.pos = end + 1
            return Value(self.text[start + 1 : end], (start, self.pos))
        bare = self.match(BARE)
        if not bare:
            shown = repr(self.peek()) if self.peek() else "the end of the spec"
            raise self.fail(f"expected a value, found {shown}")
        return Value(parse_scalar(bare[0]), bare[1])

    def apply_override(self, spec: Spec, role: str, path: list[tuple[str, Span]], value: Value) -> None:
        target = spec.get(role)
        if target is None:
            raise self.fail(f"override of {role}. but no {role}= is given", path[0][1], hint=f"add {role}=… or drop the override")
        if len(path) == 1:
            term, (key, key_span) = target.terms[0], path[0]
        else:
            (term_name, term_span), (key, key_span) = path
            term = target.term(term_name)
            if term is None:
                names = ", ".join(t.name for t in target.terms)
                raise self.fail(f"{role}= has no term {term_name!r}", term_span, hint=f"its terms are {names}")
        if key == WEIGHT and role == "loss":
            if not isinstance(value.value, (int, float)) or isinstance(value.value, bool):
                raise self.fail("a loss weight must be a number", value.span)
            term.weight = Value(float(value.value), value.span)
        else:
            term.params[key] = value


def _number(text: str) -> int | float:
    value = float(text)
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else value


def parse_scalar(text: str) -> Any:
    """Turn a bare value into bool, None, int, float or str."""
    lowered = text.lower()
    if lowered in KEYWORDS:
        return KEYWORDS[lowered]
    if NUMBER.fullmatch(text):
        return _number(text)
    return text


def parse(text: str) -> Spec:
    """Parse a spec string, raising :class:`SpecError` with a caret on any mistake."""
    if not isinstance(text, str):
        raise TypeError(f"a spec is a string, not {type(text).__name__}")
    return _Parser(text).parse()
