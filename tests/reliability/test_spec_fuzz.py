"""Spec fuzzing: whatever a user types, the parser and the resolver answer with a Spec or one
SpecError (a caret under the bad part), never a traceback; printing a parsed spec and parsing it
again gives the same tree. Numeric extremes (1e30, 1e-400, 10**400, inf, nan, digits that are not
ASCII such as '١٢' or '²') in options and loss weights, taken as far as sizing the model, give an
estimate or one error, never a hang (every meta build has a deadline).

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

from srzoo_core import PluginHost, SpecError, UsageError, parse, print_spec, resolve, sizing
from srzoo_core.build import size_generator
from srzoo_core.spec import Spec
from tests.reliability.common import error_count

BIG_RUN = "SRZOO_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("SRZOO_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not BIG_RUN,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
SIZING = settings(FUZZ, max_examples=max(1, EXAMPLES // 20))  # each example may build a model on the meta device

# Numbers at and past the edges, as a user might type them (``1`` followed by 400 zeros is 10**400).
EXTREMES = [
    "1e30", "-1e30", "1e-400", "-1e-400", "1e308", "1e999", "inf", "-inf", "nan", "0", "-0", "-1", "0.0", "5e-324",
    "1" + "0" * 400, "9" * 308, "9" * 309, str(2**63), str(2**64), "100000000", "100000", "1e+16", ".5e-3",
    "١٢", "²", "٣٤", "𝟙", "१०", "0x10", "1_000", "1e", "+1", "--1",
]
NUMBERS = st.one_of(st.sampled_from(EXTREMES), st.integers(-4, 16).map(str), st.integers(10**5, 10**40).map(str),
                    st.integers(-10**400, 10**400).map(str))

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
    *EXTREMES, "*l1", "*gan",
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
        NUMBERS,
    ))
    return head.format(value)


# Specs with a number in each {} (options and loss weights), resolved and then sized.
MODEL_TEMPLATES = [
    "gen=srresnet(blocks={},features=8) loss={}*l1",
    "gen=srresnet(features={}) gen.blocks={}",
    "gen=srresnet(blocks=1,features=8)+se(reduction={}) loss=l1+{}*mse",
    "gen=srresnet(blocks=1,features={})+multiscale loss=l1 loss.l1.weight={}",
    "gen=unet(features={}) disc=patchgan(layers={}) loss=l1+0.01*gan",
]


@st.composite
def extreme_models(draw) -> str:
    template = draw(st.sampled_from(MODEL_TEMPLATES))
    return template.format(*(draw(NUMBERS) for _ in range(template.count("{}"))))


SPEC_TEXT = st.one_of(
    st.text(),  # any unicode, control characters included
    st.lists(st.sampled_from(TOKENS), max_size=24).map("".join),
    mutated(), shuffled(), odd_values(), extreme_models(),
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


@SIZING
@given(extreme_models())
@example("gen=srresnet(blocks=100000000,features=8) loss=1*l1")
@example("gen=srresnet(features=100000) gen.blocks=" + "1" + "0" * 300)
@example("gen=srresnet(blocks=1,features=" + "9" * 300 + ")+multiscale loss=l1 loss.l1.weight=1")
def test_sizing_a_model_gives_an_estimate_or_one_usage_error(short_deadlines, text):
    try:
        resolved = resolve(text, installed_host())
        estimate = size_generator(resolved, host=installed_host())
    except SpecError as error:
        check_error(error, text)
    except UsageError as error:
        assert error.exit_code == 2 and error.render().startswith("error: ")
    else:
        assert estimate.parameters > 0 and estimate.probe_shape is not None


@pytest.fixture(scope="module")
def short_deadlines():
    """Short deadlines for meta builds (0.5 s for the quick try and 2 s in all, against 1 s and 30 s
    in use), so a model too slow to size costs this suite seconds; hypothesis runs many examples
    per test, so a function-scoped monkeypatch won't do. One model is sized first under the real
    deadlines: the first meta forward pass in a process imports part of PyTorch's compiler."""
    size_generator("gen=srresnet(blocks=1,features=8)", host=installed_host())
    saved = sizing.QUICK_SECONDS, sizing.META_SECONDS
    sizing.QUICK_SECONDS, sizing.META_SECONDS = 0.5, 2.0
    yield
    sizing.QUICK_SECONDS, sizing.META_SECONDS = saved


EXTREME_SPECS = [
    "gen=srresnet(blocks=100000000)",
    "gen=srresnet(blocks=" + "1" + "0" * 30 + ")",
    "gen=srresnet(blocks=1e30)",
    "gen=srresnet(features=100000)",
    "gen=srresnet(blocks=١٢)",
    "gen=srresnet(blocks=²)",
    "gen=srresnet loss=-1*l1",
    "gen=srresnet loss=0*l1",
    "gen=srresnet loss=1e-400*l1",
    "gen=srresnet loss=inf*l1",
    "gen=srresnet loss=nan*l1",
    "gen=srresnet gen.blocks=1 gen.blocks=2",
]


def spec_command_error(capsys, text: str) -> str:
    """``srzoo spec TEXT``: exit code 2, one error with one caret line, no traceback; its stderr."""
    from srzoo_core.cli.app import main

    with pytest.raises(SystemExit) as stop:
        main(["spec", text])
    out, err = capsys.readouterr()
    assert stop.value.code == 2, (text, err)
    assert error_count(err) == 1 and "Traceback" not in err + out, text
    assert len([line for line in err.splitlines() if re.fullmatch(r"  +\^+", line)]) == 1, err
    return err


def test_numeric_extremes_at_the_command_line_give_one_message_with_a_caret(capsys):
    for text in EXTREME_SPECS:
        spec_command_error(capsys, text)


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
    for text in BAD_SPECS:
        err = spec_command_error(capsys, text)
        with pytest.raises(SpecError) as caught:
            resolve(text)
        assert err == caught.value.render() + "\n", text  # exactly what the error renders: nothing wrapped or lost


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
