"""A plugin's factory or module that breaks its contract (returns no nn.Module, the wrong shape or
channel count, raises, calls sys.exit) is one message naming the plugin, its version and the
component, exit code 2, no traceback, before any run folder exists; and the conformance kit
reports each of the same plugins as a failure, never a crash."""

from __future__ import annotations

import sys

import pytest

from srzoo_core.testing import ConformanceError, check_plugin
from tests import fakes
from tests.reliability.common import TINY_ARGS, error_count

CONTRACTS = fakes.FakeDist("fake-contracts", fakes.HEADER + '''
from fake_contracts_impl import (bad_logits, block_none, exits, forward_exits, forward_raises, not_module, raises,
                                 wrong_channels, wrong_shape)

@hookimpl
def srzoo_register_generators(register):
    for name, factory in [("notmodule", not_module), ("wrongshape", wrong_shape), ("wrongchannels", wrong_channels),
                          ("raisestype", raises), ("exits", exits), ("fwdraises", forward_raises), ("fwdexits", forward_exits)]:
        register(name, factory)

@hookimpl
def srzoo_register_blocks(register):
    register("blocknone", block_none, slot="attention")

@hookimpl
def srzoo_register_discriminators(register):
    register("badlogits", bad_logits)

@hookimpl
def srzoo_register_losses(register):
    register("exitsonimport", "fake_contracts_exits:make")
''', extra_modules={"fake_contracts_exits": "import sys\nsys.exit(5)\n", "fake_contracts_impl": '''
import sys
from torch import nn


class Upscale(nn.Module):
    """Upsamples by ``factor`` to ``channels`` channels (when asked for the wrong ones, the wrong shape)."""

    def __init__(self, in_channels, channels, factor, fails=None):
        super().__init__()
        self.conv, self.up, self.fails = nn.Conv2d(in_channels, channels, 3, padding=1), nn.Upsample(scale_factor=factor), fails

    def forward(self, x):
        if self.fails == "raise":
            raise TypeError("forward() got an unexpected tensor")
        if self.fails == "exit":
            sys.exit(4)
        return self.up(self.conv(x))


def not_module(in_channels=3, out_channels=3, scale=4):
    return "a string"

def wrong_shape(in_channels=3, out_channels=3, scale=4):
    return Upscale(in_channels, out_channels, 2)

def wrong_channels(in_channels=3, out_channels=3, scale=4):
    return Upscale(in_channels, 1, scale)

def raises(in_channels=3, out_channels=3, scale=4):
    raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

def exits(in_channels=3, out_channels=3, scale=4):
    sys.exit(3)

def forward_raises(in_channels=3, out_channels=3, scale=4):
    return Upscale(in_channels, out_channels, scale, fails="raise")

def forward_exits(in_channels=3, out_channels=3, scale=4):
    return Upscale(in_channels, out_channels, scale, fails="exit")

def block_none(channels):
    return None

def bad_logits(in_channels=3):
    return nn.Conv2d(in_channels, 3, 3, padding=1)
'''})

OWNER = "from fake-contracts 1.0 (plugin 'contracts')"
HINT = ("hint: this is a bug in fake-contracts 1.0: report it to its authors, or choose another {noun} ('srzoo list {kind}'); "
        "'srzoo plugins' shows every plugin")
EXPECTED = {
    "gen=notmodule": f"generator 'notmodule' {OWNER} returned str, not a torch.nn.Module",
    "gen=wrongshape": f"generator 'wrongshape' {OWNER} gives output of shape (1, 3, 32, 64) for an input of shape "
                      "(1, 3, 16, 32) at ×4; expected (1, 3, 64, 128)",
    "gen=wrongchannels": f"generator 'wrongchannels' {OWNER} gives 1 output channel(s) where 3 were asked for "
                         "(input (1, 3, 16, 32), output (1, 1, 64, 128))",
    "gen=raisestype": f"generator 'raisestype' {OWNER} raised TypeError: unsupported operand type(s) for +: 'int' and 'str' "
                      "while being built",
    "gen=exits": f"generator 'exits' {OWNER} called sys.exit(3) while being built",
    "gen=fwdraises": f"generator 'fwdraises' {OWNER} raised TypeError: forward() got an unexpected tensor on a small test input",
    "gen=fwdexits": f"generator 'fwdexits' {OWNER} called sys.exit(4) on a small test input",
    "gen=srresnet+blocknone": f"block 'blocknone' {OWNER} returned NoneType, not a torch.nn.Module",
    "gen=srresnet disc=badlogits": f"discriminator 'badlogits' {OWNER} gives output of shape (1, 3, 64, 64) for a "
                                   "(1, 3, 64, 64) input; a discriminator gives logits of shape (N, 1) or (N, 1, h, w)",
}
KINDS = {"block": "block", "disc": "discriminator", "gen": "generator"}


def test_a_component_whose_module_exits_on_import_is_one_message(contracts, cli):
    text = "gen=srresnet loss=exitsonimport"
    code, out, err = cli("spec", text)
    assert (code, err) == (2, "error: loss 'exitsonimport' from fake-contracts 1.0 cannot be loaded: importing it called sys.exit(5)\n"
                              f"  {text}\n" + " " * (2 + text.index("exits")) + "^" * len("exitsonimport") + "\n"
                              "hint: this is a bug in fake-contracts 1.0; 'srzoo plugins' shows every plugin\n"), err


@pytest.fixture
def contracts(plugin_env, fake_site):
    plugin_env.setenv("SRZOO_PLUGINS", "srgan,losses,metrics,contracts")
    fake_site(CONTRACTS)


def kind_of(spec: str) -> str:
    return "block" if "+" in spec else "disc" if "disc=" in spec else "gen"


def loss_for(spec: str) -> str:
    return "loss=l1+0.01*gan" if "disc=" in spec else "loss=l1"


@pytest.mark.parametrize("spec", list(EXPECTED))
def test_a_broken_component_is_one_message_naming_its_plugin(contracts, cli, spec):
    code, out, err = cli("spec", f"{spec} {loss_for(spec)}")
    kind = kind_of(spec)
    assert (code, err) == (2, f"error: {EXPECTED[spec]}\n{HINT.format(noun=KINDS[kind], kind=kind)}\n"), err
    assert "Traceback" not in out + err


@pytest.mark.parametrize("spec, message", [
    ("gen=wrongchannels", "gives 1 output channel(s) where 2 were asked for"),  # the synthetic grid has 2 channels
    ("gen=exits", "called sys.exit(3) while being built"),
    ("gen=srresnet(blocks=1,features=8) disc=badlogits", "gives output of shape (1, 3, 64, 64) for a (1, 2, 64, 64) input"),
])
def test_training_refuses_it_before_the_run_folder_exists(contracts, cli, tmp_path, no_plots, spec, message):
    code, _, err = cli("train", f"{spec} {loss_for(spec)}", *TINY_ARGS, "--iters", "1", "--out", str(tmp_path), "--name", "run")
    assert code == 2 and error_count(err) == 1 and "Traceback" not in err, err
    name = spec.split("=")[-1]
    assert err.startswith(f"error: {KINDS[kind_of(spec)]} {name!r} {OWNER} {message}"), err
    assert not (tmp_path / "run").exists()


def test_the_conformance_kit_reports_the_same_cases_and_never_crashes(fake_site):
    fake_site(CONTRACTS)
    import fake_contracts

    with pytest.raises(ConformanceError) as caught:
        check_plugin(fake_contracts)
    failures = {(f.name, f.check): f.why for f in caught.value.failures}
    assert failures[("notmodule", "returns a module")] == "the factory returned str, not a torch.nn.Module"
    assert failures[("blocknone", "returns a module")] == "the factory returned NoneType, not a torch.nn.Module"
    assert failures[("wrongshape", "output size")].startswith("scale 4, 1 channel: input (2, 1, 16, 32) gave (2, 1, 32, 64)")
    assert failures[("wrongchannels", "output size")] == "scale 4, 2 channels: input (2, 2, 16, 32) gave (2, 1, 64, 128), expected (2, 2, 64, 128)"
    assert "raised TypeError: unsupported operand" in failures[("raisestype", "output size")]
    assert failures[("exits", "output size")] == "called sys.exit(3)"
    assert failures[("fwdraises", "output size")] == "raised TypeError: forward() got an unexpected tensor"
    assert failures[("fwdexits", "output size")] == "called sys.exit(4)"
    assert failures[("badlogits", "logits")].startswith("1 channel, 32×32: output (2, 3, 32, 32), expected logits")
    assert failures[("exitsonimport", "load")] == "called sys.exit(5)"
    assert "fake_contracts" in sys.modules  # the kit ran in this process: sys.exit never left it
