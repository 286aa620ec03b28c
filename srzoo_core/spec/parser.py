"""Recursive-descent parser for spec strings.

    spec  = item (WS item)*
    item  = ROLE "=" expr | ROLE "." NAME ["." NAME] "=" value
    expr  = term (WS* "+" WS* term)*
    term  = [NUMBER "*"] [NAME ":"] NAME ["(" [NAME "=" value ("," NAME "=" value)*] ")"]
    value = NUMBER | NUMBER ".." NUMBER | true | false | none | NAME | PATH | "quoted" | 'quoted'

A range ``low..high`` (``q=30..95``, ``sigma=-0.5..1e-3``) is a 2-tuple of numbers, low <= high.

Overrides (``gen.blocks=8``, ``loss.gan.weight=0.005``) are folded into the terms they name, so
the tree holds no override nodes and printing it gives the canonical form.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

from srzoo_core.errors import SpecError
from srzoo_core.spec.grammar import CHAINS, NAME_PATTERN
from srzoo_core.spec.ast import ROLES, Role, Spec, Span, Term, Value

NAME = re.compile(NAME_PATTERN)
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # ASCII digits only: '١٢' and '²' are no numbers
BARE = re.compile(r"[A-Za-z0-9_./~\-]+")
RANGE = re.compile(rf"({NUMBER.pattern})\.\.({NUMBER.pattern})")
KEYWORDS = {"true": True, "false": False, "none": None}
WEIGHT = "weight"
END = "the end of the spec"
VALUE_HINT = "a value is a number, a range low..high, true, false, none, a word or a \"quoted string\""
ROLE_LIST = ", ".join(ROLES[:-1])  # "gen, disc, …", then "and/or deg"
DIGITS_HINT = "write numbers with the ASCII digits 0-9"
# ``inf*l1``, ``-nan*l1``: a word where a loss weight goes (a weight is a positive number).
WORD_WEIGHT = re.compile(r"[+-]?[A-Za-z_][A-Za-z0-9_\-]*(?=\s*\*)")


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.overrides: list[tuple[str, list[tuple[str, Span]], Value]] = []
        self.overridden: set[tuple[int, str]] = set()  # (id of the term, key): each set by one override

    # -- helpers -----------------------------------------------------------------------------

    def fail(self, message: str, span: Span | None = None, hint: str | None = None) -> SpecError:
        return SpecError(message, self.text, span or (self.pos, self.pos + 1), hint)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def found(self) -> str:
        return repr(self.peek()) if self.peek() else END

    def skip_spaces(self) -> None:
        while self.peek().isspace():
            self.pos += 1

    def expect(self, char: str, what: str, hint: str) -> None:
        if self.peek() != char:
            raise self.fail(f"expected {what}, found {self.found()}", hint=hint)
        self.pos += 1

    def match(self, pattern: re.Pattern) -> tuple[str, Span] | None:
        m = pattern.match(self.text, self.pos)
        if not m or not m.group(0):
            return None
        self.pos = m.end()
        return m.group(0), (m.start(), m.end())

    def name(self, what: str, hint: str) -> tuple[str, Span]:
        found = self.match(NAME)
        if not found:
            raise self.fail(f"expected {what}, found {self.found()}", hint=hint)
        return found[0].lower().replace("-", "_"), found[1]

    def number(self, text: str, span: Span) -> int | float:
        value = _number(text)
        if not math.isfinite(value):
            raise self.fail(f"{text} is too large a number", span, hint="write a number below 1e308")
        return value

    def weight(self, value: Any, span: Span) -> Value:
        """A loss weight: a positive, finite number (``0*l1`` and ``1e-400*l1``, which is 0 in
        floating point, would train nothing; a negative weight would maximise the loss)."""
        problem = weight_problem(value)
        written = self.text[span[0]:span[1]]
        if problem and value == 0 and re.search(r"[1-9]", written.split("e")[0].split("E")[0]):
            problem = f"the loss weight {written} is too small: it is 0 in floating point"
        if problem:
            raise self.fail(problem, span, hint="write a positive weight such as 0.01; drop the term to leave a loss out")
        return Value(float(value), span)

    def not_ascii_digit(self) -> SpecError | None:
        """A digit that is not 0-9 ('١', '²'): looks like a number to a person, is none to the spec."""
        char = self.peek()
        return self.fail(f"{char!r} is not a digit the spec reads", hint=DIGITS_HINT) if char.isnumeric() and not char.isascii() else None

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
        role, role_span = self.name(f"a role ({ROLE_LIST} or {ROLES[-1]})", 'write role=terms, e.g. "gen=srresnet loss=l1"')
        if role not in ROLES:
            close = difflib.get_close_matches(role, ROLES, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}?" if close else f"the roles are {ROLE_LIST} and {ROLES[-1]}"
            raise self.fail(f"unknown role {role!r}", role_span, hint=hint)
        if self.peek() == ".":
            self.override(role)
            return
        self.expect("=", f"'=' after {role!r}", f"write {role}=… with no space around '='")
        if role in spec.roles:
            raise self.fail(f"{role}= is given twice", role_span, hint=f"write all its terms in one {role}=…, joined by '+'")
        terms = [self.term(role)]
        while self.plus_follows():
            terms.append(self.term(role))
        seen: set[tuple[str | None, str]] = set()
        for term in terms:
            if (term.scope, term.name) in seen and role not in CHAINS:
                raise self.fail(f"{term.name!r} appears twice in {role}=", term.name_span, hint="give each component once, with all its options")
            seen.add((term.scope, term.name))
        spec.roles[role] = Role(role, terms, (start, self.pos))

    def plus_follows(self) -> bool:
        """A '+' after the term, spaces allowed around it; consumes it and the spaces after."""
        mark = self.pos
        self.skip_spaces()
        if self.peek() != "+":
            self.pos = mark
            return False
        self.pos += 1
        self.skip_spaces()
        return True

    def override(self, role: str) -> None:
        """``role.key=value`` or ``role.term.key=value``, folded into the term once all is parsed."""
        hint = f"write an override as {role}.parameter=value or {role}.component.parameter=value"
        path = []
        while self.peek() == "." and len(path) < 2:
            self.pos += 1
            path.append(self.name("a name after '.'", hint))
        self.expect("=", "'=' after the override's name", hint)
        value = self.value()
        value.key_span = path[-1][1]
        self.overrides.append((role, path, value))

    def term(self, role: str) -> Term:
        start = self.pos
        weight = None
        number = self.match(NUMBER)
        if number:
            self.expect("*", "'*' after a weight", "write a weighted loss as 0.01*gan")
            if role != "loss":
                raise self.fail(f"weights are allowed only in loss=, not in {role}=", number[1], hint=f"drop '{number[0]}*'")
            weight = self.weight(self.number(*number), number[1])
        word = WORD_WEIGHT.match(self.text, self.pos) if role == "loss" and not number else None
        if word and word.group(0).lstrip("+-").lower() in ("inf", "infinity", "nan"):
            raise self.fail(f"a loss weight must be a finite number above 0, not {word.group(0)}", word.span(),
                            hint="write a positive weight such as 0.01*gan")
        if word:
            raise self.fail(f"{word.group(0)!r} is not a loss weight: a weight is a positive number", word.span(),
                            hint="write the weight before the name, e.g. 0.01*gan")
        digit = self.not_ascii_digit()
        if digit:
            raise digit
        name_hint = f"write {role}=name; 'srzoo list' shows the installed components"
        name, name_span = self.name(f"a component name in {role}=", name_hint)
        scope = None
        if self.peek() == ":":
            self.pos += 1
            scope = name
            name, name_span = self.name(f"a component name after '{scope}:'", name_hint)
        params = self.params() if self.peek() == "(" else {}
        if role == "loss" and WEIGHT in params:
            weight_value = params[WEIGHT]
            raise self.fail("a loss weight is written before the name, not as a parameter",
                            (weight_value.key_span[0], weight_value.span[1]), hint=f"write {_number_text(weight_value.value)}*{name}")
        return Term(name=name, params=params, weight=weight, scope=scope, span=(start, self.pos), name_span=name_span)

    def params(self) -> dict[str, Value]:
        hint = "write parameters as (name=value, name=value)"
        params: dict[str, Value] = {}
        self.pos += 1
        self.skip_spaces()
        while self.peek() != ")":
            key, key_span = self.name("a parameter name", hint)
            self.skip_spaces()
            self.expect("=", f"'=' after parameter {key!r}", hint)
            self.skip_spaces()
            if key in params:
                raise self.fail(f"parameter {key!r} is given twice", key_span, hint="give each parameter once")
            params[key] = self.value()
            params[key].key_span = key_span
            self.skip_spaces()
            if self.peek() == ",":
                self.pos += 1
                self.skip_spaces()
            elif self.peek() != ")":
                raise self.fail(f"expected ',' or ')' after a parameter, found {self.found()}", hint=hint)
        self.pos += 1
        return params

    def value(self) -> Value:
        start = self.pos
        if self.peek() in ("'", '"'):
            quote = self.peek()
            end = self.text.find(quote, self.pos + 1)
            if end < 0:
                raise self.fail("unterminated string", (start, len(self.text)), hint=f"close it with {quote}")
            self.pos = end + 1
            return Value(self.text[start + 1 : end], (start, self.pos))
        number = NUMBER.match(self.text, self.pos)
        bare = BARE.match(self.text, self.pos)
        pair = RANGE.match(self.text, self.pos)
        if pair and (not bare or pair.end() >= bare.end()):  # 30..95 is a range, 1..2x a word
            return self.range(pair)
        if number and (not bare or number.end() >= bare.end()):  # 1e+16 is a number, 3x3 a word
            self.pos = number.end()
            return Value(self.number(number.group(0), number.span()), number.span())
        if not bare:
            raise self.not_ascii_digit() or self.fail(f"expected a value, found {self.found()}", hint=VALUE_HINT)
        self.pos = bare.end()
        return Value(parse_scalar(bare.group(0)), bare.span())

    def range(self, match: re.Match) -> Value:
        low, high = (self.number(match.group(g), match.span(g)) for g in (1, 2))
        if low > high:
            raise self.fail(f"the range {match.group(0)} is reversed", match.span(),
                            hint=f"write the low end first: {match.group(2)}..{match.group(1)}")
        self.pos = match.end()
        return Value((low, high), match.span())

    def apply_override(self, spec: Spec, role: str, path: list[tuple[str, Span]], value: Value) -> None:
        target = spec.get(role)
        written = f"{role}." + ".".join(p[0] for p in path)
        if target is None:
            raise self.fail(f"{written} overrides a {role}= that the spec does not have", path[0][1], hint=f"add {role}=… or drop the override")
        if len(path) == 1:
            term, (key, key_span) = target.terms[0], path[0]
        else:
            (term_name, term_span), (key, key_span) = path
            term = target.term(term_name)
            if term is None:
                names = ", ".join(t.name for t in target.terms)
                raise self.fail(f"{role}= has no term {term_name!r}", term_span, hint=f"its terms are: {names}")
            if sum(t.name == term_name for t in target.terms) > 1:
                raise self.fail(f"{role}= has {term_name!r} more than once, so {written} cannot tell which", term_span,
                                hint=f"write the option inside that {term_name}(…)")
        if (id(term), key) in self.overridden:  # like a parameter given twice inside parentheses
            raise self.fail(f"{written} is given twice", key_span, hint="give each override once")
        self.overridden.add((id(term), key))
        if key == WEIGHT and role == "loss":
            if not isinstance(value.value, (int, float)) or isinstance(value.value, bool):
                raise self.fail("a loss weight must be a number", value.span, hint=f"e.g. {written}=0.01")
            term.weight = self.weight(value.value, value.span)
        else:
            term.params[key] = value


def _number(text: str) -> int | float:
    return int(text) if re.fullmatch(r"[+-]?[0-9]{1,308}", text) else float(text)  # longer: a float, so too large is caught


def weight_problem(value: Any) -> str | None:
    """Why a loss weight is refused, or None: it must be a finite number above 0."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "a loss weight must be a number"
    if math.isnan(value) or math.isinf(value):
        return f"a loss weight must be a finite number, not {value}"
    if value <= 0:
        return f"a loss weight must be above 0, not {_number_text(value)}" + (" (it would maximise the loss)" if value < 0 else "")
    return None


def _number_text(value: Any) -> str:
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else "0.01"


def parse_scalar(text: str) -> Any:
    """Turn a bare value into bool, None, int, float, a (low, high) range or str."""
    lowered = text.lower()
    if lowered in KEYWORDS:
        return KEYWORDS[lowered]
    pair = RANGE.fullmatch(text)
    if pair:
        return _number(pair.group(1)), _number(pair.group(2))
    if NUMBER.fullmatch(text):
        return _number(text)
    return text


def parse(text: str) -> Spec:
    """Parse a spec string, raising :class:`SpecError` with a caret on any mistake."""
    if not isinstance(text, str):
        raise TypeError(f"a spec is a string, not {type(text).__name__}")
    return _Parser(text).parse()
