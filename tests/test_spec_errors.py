"""Every spec error is one message: the spec echoed, a caret under the bad part, and a hint.
The expected texts are exact, caret line included."""

from __future__ import annotations

import textwrap

import pytest

from srzoo_core import SpecError, parse, resolve
from srzoo_core.errors import UsageError


def rendered(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


SYNTAX_ERRORS = [
    ('gen=srresnet,loss=l1', """
        error: unexpected ','
          gen=srresnet,loss=l1
                      ^
        hint: separate items with spaces and terms with '+'
    """),
    ('gne=srresnet', """
        error: unknown role 'gne'
          gne=srresnet
          ^^^
        hint: did you mean 'gen'?
    """),
    ('gen srresnet', """
        error: expected '=' after 'gen', found ' '
          gen srresnet
             ^
        hint: write gen=… with no space around '='
    """),
    ('gen=srresnet gen=se', """
        error: gen= is given twice
          gen=srresnet gen=se
                       ^^^
        hint: write all its terms in one gen=…, joined by '+'
    """),
    ('gen=srresnet+se+se', """
        error: 'se' appears twice in gen=
          gen=srresnet+se+se
                          ^^
        hint: give each component once, with all its options
    """),
    ('gen=2*srresnet', """
        error: weights are allowed only in loss=, not in gen=
          gen=2*srresnet
              ^
        hint: drop '2*'
    """),
    ('loss=l1(weight=0.1)', """
        error: a loss weight is written before the name, not as a parameter
          loss=l1(weight=0.1)
                  ^^^^^^^^^^
        hint: write 0.1*l1
    """),
    ('gen=srresnet(blocks=8', """
        error: expected ',' or ')' after a parameter, found the end of the spec
          gen=srresnet(blocks=8
                               ^
        hint: write parameters as (name=value, name=value)
    """),
    ('gen=srresnet(blocks=)', """
        error: expected a value, found ')'
          gen=srresnet(blocks=)
                              ^
        hint: a value is a number, a range low..high, true, false, none, a word or a "quoted string"
    """),
    ("gen=srresnet(mode='bicubic)", """
        error: unterminated string
          gen=srresnet(mode='bicubic)
                            ^^^^^^^^^
        hint: close it with '
    """),
    ('gen.blocks=8', """
        error: gen.blocks overrides a gen= that the spec does not have
          gen.blocks=8
              ^^^^^^
        hint: add gen=… or drop the override
    """),
    ('gen=srresnet gen.se.reduction=4', """
        error: gen= has no term 'se'
          gen=srresnet gen.se.reduction=4
                           ^^
        hint: its terms are: srresnet
    """),
    ('loss=l1 loss.l1.weight=high', """
        error: a loss weight must be a number
          loss=l1 loss.l1.weight=high
                                 ^^^^
        hint: e.g. loss.l1.weight=0.01
    """),
    ('gen=srresnet(blocks=1e999)', """
        error: 1e999 is too large a number
          gen=srresnet(blocks=1e999)
                              ^^^^^
        hint: write a number below 1e308
    """),
    ('gen=srresnet(blocks=8,blocks=9)', """
        error: parameter 'blocks' is given twice
          gen=srresnet(blocks=8,blocks=9)
                                ^^^^^^
        hint: give each parameter once
    """),
    ('gen=srresnet  loss=', """
        error: expected a component name in loss=, found the end of the spec
          gen=srresnet  loss=
                             ^
        hint: write loss=name; 'srzoo list' shows the installed components
    """),
]

RESOLUTION_ERRORS = [
    ('gen=srresnt', """
        error: unknown generator 'srresnt'
          gen=srresnt
              ^^^^^^^
        hint: did you mean 'srresnet'?
    """),
    ('gen=vggstyle', """
        error: 'vggstyle' is a discriminator, not a generator
          gen=vggstyle
              ^^^^^^^^
        hint: did you mean disc=vggstyle?
    """),
    ('loss=zzz', """
        error: unknown loss 'zzz'
          loss=zzz
               ^^^
        hint: 'srzoo list loss' shows what is installed
    """),
    ('gen=srresnet(blcks=8)', """
        error: 'srresnet' has no parameter 'blcks'
          gen=srresnet(blcks=8)
                       ^^^^^
        hint: did you mean 'blocks'? 'srresnet' takes features: int = 64, blocks: int = 16, residual: bool = false
    """),
    ('gen=srresnet(blocks=eight)', """
        error: parameter 'blocks' of 'srresnet' expects int, got eight (str)
          gen=srresnet(blocks=eight)
                              ^^^^^
        hint: write a whole number
    """),
    ('gen=srresnet gen.blocks=8.5', """
        error: parameter 'blocks' of 'srresnet' expects int, got 8.5 (float)
          gen=srresnet gen.blocks=8.5
                                  ^^^
        hint: write a whole number
    """),
    ('metric=typed(space=lab)', """
        error: parameter 'space' of 'typed' expects rgb|y, got lab (str)
          metric=typed(space=lab)
                             ^^^
        hint: choose one of: rgb, y
    """),
    ('metric=typed(fast=1)', """
        error: parameter 'fast' of 'typed' expects bool, got 1 (int)
          metric=typed(fast=1)
                            ^
        hint: write true or false
    """),
    ('metric=typed(limit=x)', """
        error: parameter 'limit' of 'typed' expects int|none, got x (str)
          metric=typed(limit=x)
                             ^
        hint: write a whole number
    """),
    ('metric=typed(label=5)', """
        error: parameter 'label' of 'typed' expects str, got 5 (int)
          metric=typed(label=5)
                             ^
        hint: quote it to pass it as text
    """),
    ('metric=typed(gain=true)', """
        error: parameter 'gain' of 'typed' expects float, got true (bool)
          metric=typed(gain=true)
                            ^^^^
        hint: write a number
    """),
    ('loss=weighted', """
        error: 'weighted' needs parameter 'level'
          loss=weighted
               ^^^^^^^^
        hint: 'weighted' takes level: int (required), scale: float = 1.0
    """),
    ('gen=srresnet(scale=2)', """
        error: 'scale' is set by the run, not by the spec
          gen=srresnet(scale=2)
                       ^^^^^
        hint: use the command's options (e.g. --scale); channels come from the data
    """),
    ('gen=srresnet loss=l1+0.01*gan', """
        error: loss 'gan' needs disc=…
          gen=srresnet loss=l1+0.01*gan
                               ^^^^^^^^
        hint: add a discriminator, e.g. disc=vggstyle; 'srzoo list disc' shows them all
    """),
    ('gen=srresnet disc=vggstyle loss=l1', """
        error: disc=vggstyle is given but no loss uses it
          gen=srresnet disc=vggstyle loss=l1
                       ^^^^^^^^^^^^^
        hint: add an adversarial loss, e.g. loss=l1+0.01*gan, or drop disc=
    """),
    ('gen=rrdbnet', """
        error: 'rrdbnet' is provided by srzoo-esrgan, which is not installed
          gen=rrdbnet
              ^^^^^^^
        hint: install it with 'pip install srzoo-esrgan -c constraints.txt' (the constraint keeps the torch srzoo was installed with; in a srzoo checkout: 'pip install -c constraints.txt -e plugins/srzoo-esrgan')
    """),
    ('gen=tiny+se', """
        error: block 'se' fills slot 'attention', which generator 'tiny' does not have
          gen=tiny+se
                   ^^
        hint: its slots are: fusion
    """),
    ('disc=vggstyle+se loss=gan', """
        error: block 'se' fills slot 'attention', which discriminator 'vggstyle' does not have
          disc=vggstyle+se loss=gan
                        ^^
        hint: its slots are: wrapper
    """),
    ('gen=srresnet+se+cbam', """
        error: 'se' and 'cbam' both fill slot 'attention' of 'srresnet'
          gen=srresnet+se+cbam
                          ^^^^
        hint: keep one of them
    """),
    ('gen=srresnet+tiny', """
        error: gen= takes one generator, then blocks; 'tiny' is a second generator
          gen=srresnet+tiny
                       ^^^^
        hint: keep one of 'srresnet' and 'tiny'
    """),
    ('gen=se+srresnet', """
        error: 'se' is a block, not a generator
          gen=se+srresnet
              ^^
        hint: write a generator first, e.g. gen=srresnet+se
    """),
    ('loss=se', """
        error: 'se' is a block, not a loss
          loss=se
               ^^
        hint: blocks follow a generator, e.g. gen=srresnet+se
    """),
    ('gen=blocks:srresnet', """
        error: 'srresnet' is provided by srgan (srzoo-srgan), not by 'blocks'
          gen=blocks:srresnet
              ^^^^^^^^^^^^^^^
        hint: write srgan:srresnet, or just srresnet
    """),
    ('loss=l1+mae_loss', """
        error: 'l1' and 'mae_loss' are the same loss, 'l1'
          loss=l1+mae_loss
                  ^^^^^^^^
        hint: give each component once, with all its options
    """),
]


@pytest.mark.parametrize("spec, message", SYNTAX_ERRORS, ids=[s for s, _ in SYNTAX_ERRORS])
def test_syntax_errors(spec, message):
    with pytest.raises(SpecError) as caught:
        parse(spec)
    assert caught.value.render() == rendered(message)


@pytest.mark.parametrize("spec, message", RESOLUTION_ERRORS, ids=[s for s, _ in RESOLUTION_ERRORS])
def test_resolution_errors(spec, message, host):
    parse(spec)  # well-formed: the problem is in what it names
    with pytest.raises(SpecError) as caught:
        resolve(spec, host)
    assert caught.value.render() == rendered(message)


def test_spec_errors_are_usage_errors_whose_str_is_the_whole_message():
    with pytest.raises(SpecError) as caught:
        parse("")
    error = caught.value
    assert isinstance(error, UsageError) and error.exit_code == 2
    assert str(error) == error.render() == 'error: the spec is empty\n  \n  ^\nhint: write e.g. "gen=srresnet loss=l1"'


def test_the_echo_keeps_the_caret_aligned_under_tabs_and_newlines(host):
    with pytest.raises(SpecError) as caught:
        resolve("gen=srresnet\tloss=l1\n metric=zzz", host)
    assert caught.value.render() == rendered("""
        error: unknown metric 'zzz'
          gen=srresnet loss=l1  metric=zzz
                                       ^^^
        hint: 'srzoo list metric' shows what is installed
    """)


def test_a_factory_that_cannot_be_imported_is_a_spec_error_at_its_name(host):
    host.registry.register("gen", "ghost", "srzoo_no_such_module:make")
    with pytest.raises(SpecError) as caught:
        resolve("gen=ghost", host)
    assert caught.value.render() == rendered("""
        error: generator 'ghost' from (script) cannot be loaded from 'srzoo_no_such_module:make': ModuleNotFoundError: No module named 'srzoo_no_such_module'
          gen=ghost
              ^^^^^
        hint: check the 'module:attr' reference and that the module imports
    """)


def test_every_error_has_a_hint():
    assert all("\n        hint: " in message for _, message in SYNTAX_ERRORS + RESOLUTION_ERRORS)
