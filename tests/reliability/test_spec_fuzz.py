"""Spec fuzzing: whatever a user types, the parser and the resolver answer with a Spec or one
SpecError (a caret under the bad part), never a traceback; printing a parsed spec and parsing it
again gives the same tree.

Default run: a few hundred examples per property (derandomised, so CI sees the same inputs). The
big run, with fresh random inputs:

    SRZOO_FUZZ_EXAMPLES=10000 .venv/bin/python -m pytest tests/reliability/test_spec_fuzz.py
"""

from __future__ import annotations

import functools
import os
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from srzoo_core import PluginHost, SpecError, UsageError, parse, print_spec, resolve
from srzoo_core.spec import Spec
from tests.reliability.common import error_count

BIG_RUN = "SRZOO_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("SRZOO_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not BIG_RUN,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

# Specs the installed standard plugins resolve (checked below), in every spelling the grammar has.
VALID = [
    "gen=srresnet loss=l1",
    "gen=srresnet(blocks=8)+se(reduction=8) disc=patchgan(layers=2) loss=l1+ssim+0.01*gan",
    "gen=srresnet gen.blocks=8 loss=l1+gan loss.gan.weight=0.005 disc=patchgan",
    "gen=srresnet+multiscale loss=l1+0.1*mse metric=psnr(space=y,crop=4)+ssim",
    "gen=unet disc=patchgan(layers=3)+lrcond loss=charbonnier+0.005*gan(kind=hinge)",
    "gen=srgan:srresnet(features=16, residual=true) loss=losses:l1 + 2*gdl",
    "gen=srresnet(blocks=1,features=8) loss=l1 metric=psnr(space='channel')+rmse+mae+bias+corr",
    'gen=srresnet loss=l1+1e-3*vgg(weights=random) metric=ssim(space="y",crop=0)',
    "GEN=SRResNet  disc=vggstyle\tloss=L1+0.01*gan  gen.srresnet.blocks=2",
]

TOKENS = [
    "gen", "disc", "loss", "metric", "=", "+", "*", ",", ".", ":", "(", ")", "((", "))", "'", '"', " ", "\t", "\n", "\r\n",
    "1e999", "-1e999", "1e308", "1e-400", "nan", "NaN", "inf", "-inf", "0", "-0", "00", "0.01", ".5", "5.", "1e+16",
    "9" * 400, "1" + "0" * 330, "srresnet", "se", "multiscale", "unet", "patchgan", "lrcond", "vggstyle", "l1", "gan", "ssim",
    "vgg", "psnr", "blocks", "features", "weight", "space", "true", "false", "none", "y", "srgan", "losses", "\x00", "\x1b[31m",
    "é", "ß", "İ", "𝔤en", "\u202e", "\u2028", "\x85", "\x1c", "你好", "🙂", "\\", "#", "$", "~", "/", "-", "_",
]
WORD = re.compile(r"[A-Za-z_][\w\-]*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\s+|.", re.DOTALL)
ODD_CHARS = st.sampled_from(list("=+*,.:()'\"_- \t\n\x00\x7fé𝔤^") + ["\u2028", "9"])


@functools.cache
def installed_host() -> PluginHost:
    host = PluginHost()
    host.load_entry_points()  # every installed plugin, whatever SRZOO_PLUGINS says in the caller's shell
    return host


@st.composite
def mutated(draw) -> str:
    """A valid spec with a few characters inserted, deleted, swapped or replaced."""
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "swap", "replace", "duplicate"]))
        char = draw(st.one_of(ODD_CHARS, st.characters()))
        if kind == "insert":
            text = text[:at] + char + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + 1:]
        elif kind == "swap" and at + 1 < len(text):
            text = text[:at] + text[at + 1] + text[at] + text[at + 2:]
        elif kind == "replace":
            text = text[:at] + char + text[at + 1:]
        else:
            end = draw(st.integers(at, len(text)))
            text = text[:end] + text[at:end] + text[end:]
    return text


@st.composite
def shuffled(draw) -> str:
    """A valid spec's tokens in another order."""
    tokens = WORD.findall(draw(st.sampled_from(VALID)))
    return "".join(draw(st.permutations(tokens)))


@st.composite
def odd_values(draw) -> str:
    """A valid spec with one parameter set to an odd value: any quoted text, a huge or tiny number."""
    head = draw(st.sampled_from(["gen=srresnet(blocks={})", "gen=srresnet gen.features={}", "loss=l1+{}*gan disc=patchgan gen=unet",
                                 "gen=srresnet loss=l1 metric=psnr(space={})", "gen=srresnet(residual={}) loss=l1"]))
    quote = draw(st.sampled_from(['"', "'"]))
    value = draw(st.one_of(
        st.text().filter(lambda t: quote not in t).map(lambda t: f"{quote}{t}{quote}"),
        st.integers().map(str), st.floats().map(repr), st.integers(300, 5000).map(lambda n: "9" * n),
        st.sampled_from(["1e999", "-1e999", "nan", "inf", "1e-999", "0x10", "1_000", "++1", "1e", "true", "None", ""]),
    ))
    return head.format(value)


SPEC_TEXT = st.one_of(
    st.text(),  # any unicode, control characters included
    st.lists(st.sampled_from(TOKENS), max_size=24).map("".join),
    mutated(), shuffled(), odd_values(),
)


def check_error(error: SpecError, text: str) -> None:
    """The message on one line, the spec echoed on one line, one caret line under it, then the hint."""
    lines = error.render().splitlines()
    echo = "".join(" " if c.isspace() else c for c in text)
    assert lines[0].startswith("error: ") and len(lines[0]) > len("error: "), lines
    assert lines[1] == "  " + echo, lines
    assert re.fullmatch(r"  +\^+", lines[2]) and len(lines[2]) <= len(lines[1]) + 1, lines
    assert len(lines) == 3 or (len(lines) == 4 and lines[3].startswith("hint: ")), lines
    carets = [line for i, line in enumerate(lines) if i != 1 and re.fullmatch(r"\s*\^+\s*", line)]
    assert carets == [lines[2]], lines


def check_round_trip(spec: Spec) -> None:
    printed = print_spec(spec)
    again = parse(printed)
    assert again == spec, (spec.text, printed)
    assert print_spec(again) == printed


def test_the_valid_corpus_resolves():
    for text in VALID:
        assert resolve(text, installed_host()).gen is not None, text


@pytest.mark.parametrize("text", VALID)
def test_parse_print_parse_is_the_identity_on_valid_specs(text):
    check_round_trip(parse(text))


@FUZZ
@given(SPEC_TEXT)
@example("")
@example("gen=srresnet(blocks=1" + "0" * 400 + ")")  # an int too large for a float
@example("gen=srresnet(blocks=" + "9" * 5000 + ")")  # more digits than int() converts
@example("loss=" + "1" * 400 + "*l1")
def test_parse_gives_a_spec_or_one_spec_error(text):
    try:
        spec = parse(text)
    except SpecError as error:
        check_error(error, text)
    else:
        assert isinstance(spec, Spec)
        check_round_trip(spec)


@FUZZ
@given(SPEC_TEXT)
@example('gen=srresnet(blocks="x\n^^^")')  # user text inside the message must not add lines
@example("gen=srresnet(features=1" + "0" * 320 + ") loss=l1")
def test_resolve_gives_a_resolved_spec_or_a_usage_error(text):
    try:
        resolved = resolve(text, installed_host())
    except SpecError as error:
        check_error(error, text)
    except UsageError as error:
        assert error.exit_code == 2 and error.render().startswith("error: ")
    else:
        check_round_trip(resolved.spec)
        canonical = resolved.canonical()
        assert resolve(canonical, installed_host()).canonical() == canonical


BAD_SPECS = [
    "",
    "gen=srresnet(blocks=8",
    "gen=srresnet)",
    "gne=srresnet loss=l1",
    "gen=patchgan loss=l1",
    "gen=srresnet(blocks=eight) loss=l1",
    "gen=srresnet(blocks=1e999)",
    "gen=srresnet loss=l1+0.01*gan",
    "gen=srresnet+se+se",
    "gen=srrésnet loss=l1",
    "gen=srresnet\x00 loss=l1",
    'gen=srresnet(blocks="a\nb") loss=l1',
    "gen=srresnet(blocks=7) loss=l1 disc.layers=2",
]


def test_bad_specs_at_the_command_line_give_one_message_with_a_caret(capsys):
    from srzoo_core.cli.app import main

    for text in BAD_SPECS:
        with pytest.raises(SystemExit) as stop:
            main(["spec", text])
        out, err = capsys.readouterr()
        assert stop.value.code == 2, (text, err)
        with pytest.raises(SpecError) as caught:
            resolve(text)
        assert err == caught.value.render() + "\n", text  # exactly what the error renders: nothing wrapped or lost
        assert error_count(err) == 1 and "Traceback" not in err + out, text
        assert len([line for line in err.splitlines() if re.fullmatch(r"  +\^+", line)]) == 1, err


def test_a_long_bad_spec_is_echoed_on_one_line(capsys):
    from srzoo_core.cli.app import main

    text = "gen=srresnet(blocks=2,features=8,residual=true) disc=patchgan(layers=2) loss=l1+ssim+0.01*gan " \
           "metric=psnr(space=y,crop=4)+ssim loss.l1.weight=2 gen.blocks=3 metric.psnr.crop=5 disc.layrs=2"
    with pytest.raises(SystemExit):
        main(["spec", text])
    _, err = capsys.readouterr()
    with pytest.raises(SpecError) as caught:
        resolve(text)
    assert err == caught.value.render() + "\n"
