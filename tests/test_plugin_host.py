"""The plugin host, with fake plugins installed as real distributions: every kind of broken plugin
is recorded with its error while every other plugin still works."""

from __future__ import annotations

import sys

import pytest
import typer

import srzoo_core
from srzoo_core import PluginError, PluginHost, SpecError, hookimpl, resolve
from srzoo_core.errors import UnknownComponentError
from srzoo_core.interfaces import ALL_SLOTS
from srzoo_core.registry import catalogue
from srzoo_core.registry.table import DuplicateComponentError
from tests import fakes
from tests.conftest import STANDARD, installed_points


def load(*points) -> PluginHost:
    host = PluginHost(builtins=False)  # entry points only: these tests are about loading them
    host.load_entry_points(points)
    return host


# fake-clash registers the block "se" that srzoo-blocks has: a clash, not a broken plugin (see below).
BROKEN = tuple(d for d in fakes.BROKEN if d is not fakes.CLASH)
BROKEN_ERRORS = {k: v for k, v in fakes.EXPECTED_ERRORS.items() if k != "clash"}


def test_each_broken_plugin_is_recorded_and_the_others_still_work(fake_site):
    root = fake_site(fakes.GOOD, *BROKEN)
    host = load(*installed_points(*STANDARD), *fakes.entry_points(root))
    errors = {name: r.error for name, r in host.records.items() if r.status == "error"}
    assert errors == BROKEN_ERRORS
    ok = sorted(name for name, r in host.records.items() if r.status == "ok")
    assert ok == ["blocks", "dupe", "good", "srgan"] and host.records["dupe"].dist == "fake-dupe-a"
    assert host.registry.names() == ["fakegen", "srresnet", "vggstyle", "multiscale", "se", "dupe_a"]
    assert host.records["good"].components == ["fakegen"]
    assert "fakeraises" not in host.registry  # rolled back: what the raising plugin registered before failing is gone
    assert "fake_future" not in sys.modules  # a plugin for another core is never imported


def test_a_name_two_plugins_register_stays_with_both_and_becomes_ambiguous(fake_site):
    host = load(*installed_points(*STANDARD), *fakes.entry_points(fake_site(fakes.CLASH)))
    assert {n: (r.status, r.error) for n, r in host.records.items()} == {n: ("ok", None) for n in ("blocks", "clash", "srgan")}
    assert host.records["clash"].components == ["fakeclash_ok", "se"]  # nothing of either plugin is disabled
    assert host.records["blocks"].components == ["se", "multiscale"]
    assert [(c.name, c.provider.dist) for c in host.registry.list("block", "se")] == [("se", "srzoo-blocks"), ("se", "fake-clash")]
    [clash] = host.clashes()
    assert clash.message() == f"block 'se' is registered by 2 plugins: blocks:se (srzoo-blocks {fakes.BLOCKS}) and clash:se (fake-clash 1.0)"
    assert host.clashes(host.records["srgan"]) == [] and host.clashes(host.records["clash"]) == [clash]
    with pytest.raises(SpecError) as caught:
        resolve("gen=srresnet+se", host)
    assert caught.value.render() == (
        f"error: block 'se' is ambiguous: 2 plugins register it, blocks:se from srzoo-blocks {fakes.BLOCKS} and clash:se from fake-clash 1.0\n"
        "  gen=srresnet+se\n"
        "               ^^\n"
        "hint: write the qualified name, blocks:se or clash:se; 'srzoo plugins' shows the clash"
    )
    for spelling, dist in (("blocks:se", "srzoo-blocks"), ("srzoo-blocks:se", "srzoo-blocks"), ("clash:se", "fake-clash")):
        resolved = resolve(f"gen=srresnet+{spelling}", host)
        assert resolved.gen_blocks[0].info.provider.dist == dist
    # the canonical form keeps the plugin wherever the bare name is ambiguous, so it resolves again
    assert resolve("gen=srresnet+srzoo-blocks:se", host).canonical() == "gen=srresnet+blocks:se"
    assert resolve("gen=srresnet+fakeclash_ok", host).gen_blocks[0].info.provider.dist == "fake-clash"  # its other components work
    with pytest.raises(UnknownComponentError, match="block 'se' is ambiguous"):
        host.registry.get("se")
    assert host.registry.get("clash:se", "block").provider.dist == "fake-clash"


def test_entry_points_load_in_sorted_order_whatever_order_they_come_in(fake_site):
    same = "from srzoo_core import hookimpl\n@hookimpl\ndef srzoo_register_generators(register):\n    register('same', lambda: 0)\n"
    root = fake_site(fakes.FakeDist("fake-bb", same, entry="bb"), fakes.FakeDist("fake-aa", same, entry="aa"), fakes.GOOD)
    points = fakes.entry_points(root)
    for ordering in (points, points[::-1]):
        host = load(*ordering)
        assert list(host.records) == ["aa", "bb", "good"]
        assert [c.provider.dist for c in host.registry.list("gen", "same")] == ["fake-aa", "fake-bb"]
        assert [r.status for r in host.records.values()] == ["ok", "ok", "ok"]


def test_a_plugin_registering_one_name_twice_is_refused_whole(fake_site):
    twice = fakes.HEADER + "@hookimpl\ndef srzoo_register_losses(register):\n    register('fine', lambda: 0)\n" \
        "    register('twice', lambda: 0)\n    register('Twice', lambda: 1)\n"
    host = load(*fakes.entry_points(fake_site(fakes.FakeDist("fake-twice", twice))))
    assert host.records["twice"].error == "fake-twice 1.0 registers loss 'twice' twice (none of its components were registered)"
    assert "fine" not in host.registry


def test_a_plugin_that_exits_while_importing_is_contained(fake_site):
    root = fake_site(fakes.FakeDist("fake-exits", "raise SystemExit(3)\n"), fakes.GOOD)
    host = load(*fakes.entry_points(root))
    assert host.records["exits"].error == "failed to import fake_exits: SystemExit: 3"
    assert host.records["good"].status == "ok"


def test_lazy_factories_of_a_plugin_are_imported_only_when_built(fake_site):
    host = load(*fakes.entry_points(fake_site(fakes.GOOD)))
    assert "fake_good" in sys.modules and "fake_good_impl" not in sys.modules
    assert [c.name for c in host.registry.list("gen")] == ["fakegen"]
    assert "fake_good_impl" not in sys.modules
    assert host.registry.create("gen", "fakegen", width=5) == ("fakegen", 3, 3, 2, 5)
    assert "fake_good_impl" in sys.modules


def test_srzoo_plugins_restricts_which_plugins_load(plugin_env, fake_site):
    fake_site(fakes.GOOD, fakes.IMPORT_ERROR)
    plugin_env.setenv("SRZOO_PLUGINS", "srgan, fake_good")  # entry-point or distribution names, any spelling
    host = srzoo_core.get_host()
    assert host.records["srgan"].status == "ok" and host.records["good"].status == "ok"
    assert (host.records["blocks"].status, host.records["blocks"].error) == ("disabled", "excluded by SRZOO_PLUGINS")
    assert host.records["importerror"].status == "disabled"
    assert {c.provider.dist for c in srzoo_core.list_components()} == {"srzoo", "srzoo-srgan", "fake-good"}


def test_srzoo_disabled_plugins_disables_and_the_spec_says_so(plugin_env, fake_site):
    fake_site(fakes.GOOD)
    plugin_env.setenv("SRZOO_DISABLED_PLUGINS", "blocks,fake-good")
    host = srzoo_core.get_host()
    assert host.records["blocks"].error == "disabled by SRZOO_DISABLED_PLUGINS" and "fakegen" not in host.registry
    with pytest.raises(SpecError) as caught:
        resolve("gen=srresnet+se")
    assert caught.value.render() == (
        "error: 'se' is provided by srzoo-blocks, which is not loaded (disabled by SRZOO_DISABLED_PLUGINS)\n"
        "  gen=srresnet+se\n"
        "               ^^\n"
        "hint: remove blocks from SRZOO_DISABLED_PLUGINS"
    )


def test_strict_mode_turns_any_broken_plugin_into_one_error(plugin_env, fake_site):
    fake_site(fakes.GOOD, fakes.IMPORT_ERROR, fakes.RAISES)
    plugin_env.setenv("SRZOO_PLUGINS", "srgan,blocks,good,importerror,raises")
    plugin_env.setenv("SRZOO_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError) as caught:
        srzoo_core.get_host()
    assert caught.value.exit_code == 1
    assert caught.value.render() == (
        "error: strict mode: 2 plugin problem(s)\n"
        f"  - importerror (fake-importerror 1.0): {fakes.EXPECTED_ERRORS['importerror']}\n"
        f"  - raises (fake-raises 1.0): {fakes.EXPECTED_ERRORS['raises']}\n"
        "hint: fix or uninstall the broken plugins, or unset SRZOO_STRICT_PLUGINS; 'srzoo plugins' shows every plugin"
    )
    plugin_env.setenv("SRZOO_PLUGINS", "srgan,blocks,good")
    srzoo_core.reset()
    assert srzoo_core.get_host().broken() == []


def test_strict_mode_refuses_a_plugin_selection_that_names_nothing(plugin_env):
    plugin_env.setenv("SRZOO_PLUGINS", "srgan,blokcs")
    assert srzoo_core.get_host().unmatched() == ["blokcs"]
    srzoo_core.reset()
    plugin_env.setenv("SRZOO_STRICT_PLUGINS", "yes")
    with pytest.raises(PluginError, match="'blokcs' in SRZOO_PLUGINS or SRZOO_DISABLED_PLUGINS matches no installed plugin"):
        srzoo_core.get_host()


def test_a_script_registers_components_without_packaging(plugin_env):
    info = srzoo_core.register("gen", "scriptgen", lambda in_channels, out_channels, scale, depth=2: ("script", depth))
    assert (info.provider.dist, srzoo_core.create("gen", "scriptgen", in_channels=1, out_channels=1, scale=2)) == ("(script)", ("script", 2))

    class Notebook:
        @hookimpl
        def srzoo_register_losses(self, register):
            register("notebook_loss", lambda: "loss", description="from a notebook")

    record = srzoo_core.add_plugin(Notebook())
    assert (record.name, record.status, record.components) == ("__main__", "ok", ["notebook_loss"])
    assert srzoo_core.describe("notebook_loss")["dist"] == "(script)"
    assert [c.name for c in srzoo_core.list_components("loss", "note*")] == ["notebook_loss"]
    with pytest.raises(PluginError, match="a plugin named '__main__' is already loaded"):
        srzoo_core.add_plugin(Notebook())
    with pytest.raises(DuplicateComponentError, match="generator 'srresnet' from \\(script\\) clashes with generator 'srresnet' from srzoo-srgan"):
        srzoo_core.register("gen", "srresnet", lambda: None)


def test_a_broken_script_plugin_raises_and_leaves_nothing_behind():
    host = PluginHost()

    class Broken:
        @hookimpl
        def srzoo_register_blocks(self, register):
            register("half", lambda channels: None, slot="fusion")
            register("nameless", lambda channels: None)  # no slot: refused

    with pytest.raises(PluginError) as caught:
        host.add_plugin(Broken(), name="nb")
    assert caught.value.message == (
        "plugin 'nb': raised while registering (its registrations were rolled back): block 'nameless' must declare "
        f"the slot it fills (one of {', '.join(ALL_SLOTS)})")
    assert "half" not in host.registry and "nb" not in host.records
    assert host.manager.get_plugin("nb") is None


def test_plugins_add_commands_and_one_that_raises_is_recorded():
    host, app = PluginHost(), typer.Typer()

    class Adds:
        @hookimpl
        def srzoo_register_commands(self, app):
            app.command("hello")(lambda: None)

    class Raises:
        @hookimpl
        def srzoo_register_commands(self, app):
            raise ValueError("no commands today")

    host.add_plugin(Adds(), name="adds")
    host.add_plugin(Raises(), name="raises")
    host.register_commands(app)
    assert [c.name for c in app.registered_commands] == ["hello"]
    assert host.records["raises"].error == "raised while adding commands: ValueError: no commands today"
    assert host.records["adds"].status == "ok"


def test_an_uninstalled_plugin_is_named_with_an_install_hint_and_reinstalling_brings_it_back():
    without_blocks = [ep for ep in installed_points() if ep.dist.metadata["Name"] != "srzoo-blocks"]
    with pytest.raises(SpecError) as caught:
        resolve("gen=srresnet+se", load(*without_blocks))
    assert caught.value.exit_code == 2
    assert caught.value.render() == (
        "error: 'se' is provided by srzoo-blocks, which is not installed\n"
        "  gen=srresnet+se\n"
        "               ^^\n"
        "hint: install it with 'pip install srzoo-blocks -c constraints.txt' (the constraint keeps the torch srzoo was "
        "installed with; in a srzoo checkout: 'pip install -c constraints.txt -e plugins/srzoo-blocks')"
    )
    resolved = resolve("gen=srresnet+se", load(*installed_points()))
    assert [t.name for t in resolved.gen_blocks] == ["se"]


def test_a_broken_provider_is_named_with_its_error(fake_site, monkeypatch):
    root = fake_site(fakes.IMPORT_ERROR)
    monkeypatch.setattr(catalogue, "load", lambda: {"fakething": {"block": "fake-importerror"}})
    host = load(*installed_points(*STANDARD), *fakes.entry_points(root))
    assert catalogue.missing_component("fakething", host) == (
        f"'fakething' is provided by fake-importerror, which failed to load: {fakes.EXPECTED_ERRORS['importerror']}",
        "'srzoo plugins' shows every plugin's status; reinstall or fix it",
    )
    assert catalogue.missing_component("fakething", host, kind="loss") is None
    assert catalogue.missing_component("srresnet", host) is None


def test_the_catalogue_knows_the_standard_plugins():
    found = catalogue.collect(catalogue.DEFAULT_PLUGINS_DIR)
    assert found["se"] == {"block": "srzoo-blocks"} and found["srresnet"] == {"gen": "srzoo-srgan"}


def test_the_catalogue_file_is_fresh(capsys):
    """Fails after a plugin under plugins/ gains a component: run python -m srzoo_core.registry.catalogue."""
    assert catalogue.main(["--check"]) == 0, capsys.readouterr().out
