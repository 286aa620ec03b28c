"""Put the plugin's source on sys.path (the tests run whether or not it is installed) and give
tests a fresh plugin host holding its hooks, plus a reference chain runner (the core's is not
reachable from here): terms applied in order with one generator and the chain's target size."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

PLUGIN_ROOT = str(Path(__file__).resolve().parents[1])
if PLUGIN_ROOT not in sys.path:
    sys.path.insert(0, PLUGIN_ROOT)

import srzoo_degradations

from srzoo_core import PluginHost


@pytest.fixture(scope="session")
def host() -> PluginHost:
    host = PluginHost()
    host.add_plugin(srzoo_degradations, name="degradations")
    return host


@pytest.fixture(scope="session")
def build(host):
    """``build("jpeg", quality=10)``: the registered factory called with options."""
    def make(name: str, **options):
        return host.registry.get(name, "deg").resolve()(**options)
    return make


@pytest.fixture(scope="session")
def chain_rule():
    return check_chain


@pytest.fixture(scope="session")
def chain():
    return run_chain


def check_chain(terms) -> None:
    """The chain rule this plugin proposes to the core (README, "Chains"): the last term that
    changes the size must end at the LR size."""
    sizing = [t for t in terms if t.output_size != "same"]
    if not sizing or sizing[-1].output_size != "target":
        raise ValueError("the chain does not end at H/scale × W/scale: put resize(final=true), bicubic or coarsen "
                         "after the last random resize")


def run_chain(terms, image, scale, generator):
    check_chain(terms)
    target = (image.shape[-2] // scale, image.shape[-1] // scale)
    params = []
    for term in terms:
        image, p = term(image, scale=scale, generator=generator, target_size=target)
        params.append(p)
    assert tuple(image.shape[-2:]) == target
    return image, params
