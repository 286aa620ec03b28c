"""Fixtures for the core's tests: a clean plugin environment, fake installed distributions, and a
plugin host holding the real srgan and blocks plugins plus a few test components."""

from __future__ import annotations

import sys
from importlib import metadata
from typing import Literal

import pytest

import srzoo_core
from srzoo_core import PluginHost, hookimpl
from srzoo_core.registry.host import ENTRY_POINT_GROUP, ENV_DISABLED, ENV_ONLY, ENV_STRICT
from tests import fakes

STANDARD = ("srzoo-srgan", "srzoo-blocks")


def installed_points(*dists: str) -> list[metadata.EntryPoint]:
    """The installed ``srzoo`` entry points of the named distributions (all, if none named)."""
    return [
        ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
        if not dists or (ep.dist is not None and ep.dist.metadata["Name"] in dists)
    ]


@pytest.fixture
def plugin_env(monkeypatch: pytest.MonkeyPatch):
    """No plugin selection or strict mode inherited from the caller; a fresh global host before and after."""
    for variable in (ENV_ONLY, ENV_DISABLED, ENV_STRICT):
        monkeypatch.delenv(variable, raising=False)
    srzoo_core.reset()
    yield monkeypatch
    srzoo_core.reset()


@pytest.fixture
def fake_site(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """``install(*dists)`` writes fake distributions into a folder put on sys.path and returns it."""
    root = tmp_path / "site"
    before = set(sys.modules)

    def install(*dists: fakes.FakeDist):
        fakes.install(root, dists)
        monkeypatch.syspath_prepend(str(root))
        return root

    yield install
    for name in set(sys.modules) - before:
        if name.startswith("fake_"):
            del sys.modules[name]


class _Pixel:
    role = "pixel"

    def __init__(self, reduction: Literal["mean", "sum"] = "mean"):
        self.reduction = reduction


class _Adversarial:
    role = "adversarial"

    def __init__(self, flavour: Literal["vanilla", "hinge"] = "vanilla"):
        self.flavour = flavour


def _typed(space: Literal["rgb", "y"] = "rgb", crop: int = 0, gain: float = 1.0, label: str = "x",
           fast: bool = False, limit: int | None = None):
    return dict(space=space, crop=crop, gain=gain, label=label, fast=fast, limit=limit)


def _weighted(level: int, scale: float = 1.0):
    return (level, scale)


def _tiny(in_channels: int, out_channels: int, scale: int, width: int = 4, fusion=None):
    return ("tiny", width, fusion)


class ExtraComponents:
    """Components the standard plugins do not provide (or that other helpers write concurrently)."""

    @hookimpl
    def srzoo_register_generators(self, register):
        register("tiny", _tiny, slots=("fusion",), description="a generator with a fusion slot only")

    @hookimpl
    def srzoo_register_blocks(self, register):
        register("cbam", lambda channels: ("cbam", channels), slot="attention", description="a second attention block")

    @hookimpl
    def srzoo_register_losses(self, register):
        register("l1", _Pixel, aliases=("mae_loss",))
        register("gan", _Adversarial, requires=("disc",))
        register("weighted", _weighted)

    @hookimpl
    def srzoo_register_metrics(self, register):
        register("typed", _typed)


@pytest.fixture
def host() -> PluginHost:
    """The installed srzoo-srgan and srzoo-blocks plus :class:`ExtraComponents` (plugin 'testing')."""
    h = PluginHost()
    h.load_entry_points(installed_points(*STANDARD))
    h.add_plugin(ExtraComponents(), name="testing")
    return h


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run `srzoo ARGS` in this process; return (exit code, stdout, stderr)."""
    from srzoo_core.cli.app import main

    try:
        main(list(args))
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def cli(capsys):
    """The CLI in-process: ``code, out, err = cli("train", ...)``."""
    return lambda *args: run_cli(capsys, *args)
