"""The spec grammar: roles, terms, weights, parameters, overrides, qualified names, and printing
that round-trips (parse ∘ print ∘ parse = parse), checked on generated specs too."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srzoo_core.spec import Role, Spec, Term, Value, parse, print_spec
from srzoo_core.spec.ast import ROLES
from srzoo_core.spec.printer import format_value, format_weight


def test_a_full_spec_parses_into_roles_terms_weights_and_parameters():
    spec = parse("gen=srresnet(blocks=8)+se(reduction=8) disc=patchgan(layers=2) loss=l1+ssim+0.01*gan metric=psnr(space=y,crop=4)")
    assert list(spec.roles) == ["gen", "disc", "loss", "metric"]
    gen = spec.roles["gen"]
    assert [t.name for t in gen.terms] == ["srresnet", "se"]
    assert gen.terms[0].params == {"blocks": Value(8)} and gen.terms[1].params == {"reduction": Value(8)}
    loss = spec.roles["loss"].terms
    assert [(t.name, t.weight) for t in loss] == [("l1", None), ("ssim", None), ("gan", Value(0.01))]
    assert spec.roles["metric"].terms[0].params == {"space": Value("y"), "crop": Value(4)}


def test_values_are_typed_like_the_spec_writes_them():
    params = parse("gen=g(a=8,b=0.5,c=1e-3,d=true,e=False,f=none,g=bicubic,h=3x3,i=\"two words\",j='x,y',k=-2,l=1e+16,m=./data/x.npy)").roles["gen"].terms[0].params
    assert {k: v.value for k, v in params.items()} == {
        "a": 8, "b": 0.5, "c": 1e-3, "d": True, "e": False, "f": None, "g": "bicubic", "h": "3x3",
        "i": "two words", "j": "x,y", "k": -2, "l": 1e16, "m": "./data/x.npy",
    }
    assert type(params["a"].value) is int and Value(1) != Value(True) and Value(1) != Value(1.0)


def test_spans_point_into_the_text():
    text = "gen=srresnet(blocks=8) loss=l1+0.01*gan"
    spec = parse(text)
    term = spec.roles["gen"].terms[0]
    assert text[slice(*term.name_span)] == "srresnet" and text[slice(*term.span)] == "srresnet(blocks=8)"
    assert text[slice(*term.params["blocks"].key_span)] == "blocks" and text[slice(*term.params["blocks"].span)] == "8"
    gan = spec.roles["loss"].terms[1]
    assert text[slice(*gan.span)] == "0.01*gan" and text[slice(*gan.weight.span)] == "0.01"
    assert text[slice(*spec.roles["loss"].span)] == "loss=l1+0.01*gan"


def test_overrides_fold_into_the_terms_they_name():
    spec = parse("gen=srresnet+se gen.blocks=8 gen.se.reduction=4 loss=l1+gan loss.gan.weight=0.005 loss.l1.reduction=sum")
    assert spec == parse("gen=srresnet(blocks=8)+se(reduction=4) loss=l1(reduction=sum)+0.005*gan")
    assert parse("gen.blocks=8 gen=srresnet(blocks=16)") == parse("gen=srresnet(blocks=8)")  # the override wins
    assert print_spec(spec) == "gen=srresnet(blocks=8)+se(reduction=4) loss=l1(reduction=sum)+0.005*gan"


def test_plugin_qualified_names_keep_their_scope():
    term = parse("gen=srresnet+blocks:se").roles["gen"].terms[1]
    assert (term.scope, term.name) == ("blocks", "se")
    assert print_spec(parse("gen=srresnet+Srzoo-Blocks:SE")) == "gen=srresnet+srzoo_blocks:se"


def test_names_are_case_insensitive_and_dashes_are_underscores_but_values_keep_case():
    assert parse("GEN=SRResNet(Num-Blocks=8,mode=Bicubic)") == parse("gen=srresnet(num_blocks=8,mode=Bicubic)")
    assert parse("gen=a(mode=Bicubic)") != parse("gen=a(mode=bicubic)")


def test_spaces_are_allowed_around_plus_and_inside_parentheses():
    assert parse("  gen=srresnet + se( reduction = 8 , )   loss=l1 +0.01*gan ") == parse("gen=srresnet+se(reduction=8) loss=l1+0.01*gan")


def test_order_of_items_and_spelling_do_not_matter_to_the_tree():
    a = parse("loss=l1+0.01*gan disc=vggstyle gen=srresnet")
    b = parse("gen=srresnet disc=vggstyle loss=l1 loss.gan.weight=0.01 loss=l1+0.01*gan".replace(" loss=l1 loss.gan.weight=0.01", ""))
    assert a == b and print_spec(a) == "gen=srresnet disc=vggstyle loss=l1+0.01*gan"


@pytest.mark.parametrize("text, printed", [
    ("loss=1*l1", "loss=1*l1"),
    ("loss=2*l1+1e-05*gan", "loss=2*l1+1e-05*gan"),
    ("gen=g(x=1e16,y=-0.0,z=.5)", "gen=g(x=1e+16,y=-0.0,z=0.5)"),
    ("gen=g(s=\"true\",t='say \"hi\"',u=\"\",v=\"1\")", "gen=g(s=\"true\",t='say \"hi\"',u=\"\",v=\"1\")"),
    ("gen=g(path=~/runs/a-b_c.pt)", "gen=g(path=~/runs/a-b_c.pt)"),
])
def test_printing_spells_each_value_so_it_reads_back(text, printed):
    assert print_spec(parse(text)) == printed
    assert parse(printed) == parse(text)


# -- the round trip on generated specs ---------------------------------------------------------

NAMES = st.builds(str.__add__, st.sampled_from("abcgklmsxyz"), st.text("abcdeflmnrsxyz0189_", max_size=6))
SCALARS = st.one_of(
    st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none(),
    st.text(st.characters(codec="ascii", exclude_characters="'\r"), max_size=8),
)


PARAMS = st.dictionaries(NAMES.filter(lambda k: k != "weight"), SCALARS.map(Value), max_size=3)
WEIGHTS = st.none() | (st.sampled_from([1.0, 2.0, 0.01]) | st.floats(0, 1e3, exclude_min=True)).map(Value)  # weights are > 0


@st.composite
def terms(draw, role: str) -> Term:
    weight = draw(WEIGHTS) if role == "loss" else None
    return Term(draw(NAMES), draw(PARAMS), weight, draw(st.none() | NAMES))


TERM_LISTS = {role: st.lists(terms(role), min_size=1, max_size=3, unique_by=lambda t: t.name) for role in ROLES}


@st.composite
def specs(draw) -> Spec:
    spec = Spec(text="")
    for role in draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=4, unique=True)):
        spec.roles[role] = Role(role, draw(TERM_LISTS[role]))
    return spec


def spell(draw, name: str) -> str:
    """Another spelling of a name: other case, '-' for '_'."""
    name = draw(st.sampled_from([str.lower, str.upper, str.title, str.capitalize]))(name)
    return name.replace("_", "-") if draw(st.booleans()) else name


def loosely(draw, spec: Spec) -> str:
    """The spec as a person might write it: items in any order, names in any case, spaces around
    '+' and '=' inside parentheses, parameters and weights moved into overrides."""
    items = []
    for role, written in spec.roles.items():
        parts = []
        for term in written.terms:
            name = spell(draw, term.name)
            text = (f"{spell(draw, term.scope)}:" if term.scope else "") + name
            inline = {}
            for key, value in term.params.items():
                if draw(st.booleans()):
                    inline[key] = value
                else:
                    items.append(f"{spell(draw, role)}.{name}.{spell(draw, key)}={format_value(value.value)}")
            if inline:
                text += "( " + " , ".join(f"{spell(draw, k)} = {format_value(v.value)}" for k, v in inline.items()) + " )"
            if term.weight is not None and draw(st.booleans()):
                items.append(f"{role}.{name}.weight={format_weight(term.weight.value)}")
            elif term.weight is not None:
                text = f"{format_weight(term.weight.value)}*{text}"
            parts.append(text)
        items.append(f"{spell(draw, role)}=" + draw(st.sampled_from(["+", " + ", "  +"])).join(parts))
    return "  ".join(draw(st.permutations(items)))


@settings(max_examples=60, deadline=None)
@given(specs(), st.data())
def test_parse_print_parse_is_parse(spec, data):
    text = print_spec(spec)
    parsed = parse(text)
    assert parsed == spec
    assert parse(print_spec(parsed)) == parsed and print_spec(parsed) == text
    assert parse(loosely(data.draw, spec)) == spec


# -- ranges (low..high) ------------------------------------------------------------------------


def test_a_range_is_a_pair_of_numbers_low_to_high():
    params = parse("deg=jpeg(quality=30..95)+noise(sigma=-0.5..1e-3,scale=1e+16..2e+16) deg.jpeg.prob=0..1").roles["deg"].terms
    assert params[0].params == {"quality": Value((30, 95)), "prob": Value((0, 1))}
    assert params[1].params["sigma"].value == (-0.5, 1e-3) and params[1].params["scale"].value == (1e16, 2e16)
    assert Value((1, 2)) != Value((1.0, 2.0)) and Value((1, 2)) == Value((1, 2))


@pytest.mark.parametrize("text, value", [
    ('deg=a(q="30..95")', "30..95"), ("deg=a(q=1..2x)", "1..2x"), ("deg=a(q=v1..2)", "v1..2"), ("deg=a(q=3..3)", (3, 3)),
])
def test_quoted_or_longer_words_are_not_ranges(text, value):
    spec = parse(text)
    assert spec.roles["deg"].terms[0].params["q"].value == value
    assert parse(print_spec(spec)) == spec


def test_ranges_print_back_as_low_dot_dot_high():
    assert print_spec(parse("deg=jpeg(quality=30..95,sigma=.5..1.,x=-1e-05..2e+16)")) == "deg=jpeg(quality=30..95,sigma=0.5..1.0,x=-1e-05..2e+16)"
    assert format_value((0.2, 3.0)) == "0.2..3.0" and format_value("30..95") == '"30..95"'


def test_a_reversed_range_is_an_error_with_a_caret():
    from srzoo_core.errors import SpecError

    with pytest.raises(SpecError) as caught:
        parse("deg=jpeg(quality=95..30)")
    assert caught.value.message == "the range 95..30 is reversed" and caught.value.span == (17, 23)
    assert caught.value.hint == "write the low end first: 30..95"


ENDS = st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.tuples(ENDS, ENDS).map(lambda pair: tuple(sorted(pair, key=float))))
def test_ranges_round_trip(pair):
    spec = Spec(text="", roles={"deg": Role("deg", [Term("d", {"r": Value(pair)})])})
    assert parse(print_spec(spec)) == spec
