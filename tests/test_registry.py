"""The registry: component records, parameter schemas, create/list/describe, names and clashes."""

from __future__ import annotations

import sys
from importlib import metadata
from typing import Any, Literal, Optional, Union

import pytest

from srzoo_core import ComponentInfo, Param, Provider, Registry, RegistryError
from srzoo_core.errors import UnknownComponentError
from srzoo_core.interfaces import ALL_SLOTS
from srzoo_core.registry.components import type_name
from srzoo_core.registry.table import AmbiguousComponentError, DuplicateComponentError

SLOTS = ", ".join(ALL_SLOTS)
A = Provider(plugin="a", dist="fake-a", version="1.0")
B = Provider(plugin="b", dist="fake-b", version="2.0")


def make_gen(in_channels: int, out_channels: int, scale: int, width: int = 8, attention=None):
    return ("gen", in_channels, out_channels, scale, width, attention)


def registry_with(*infos: ComponentInfo) -> Registry:
    registry = Registry()
    registry.extend(infos)
    return registry


def test_a_plugin_component_has_its_full_record(host):
    info = host.registry.get("srresnet")
    assert (info.name, info.kind, info.factory) == ("srresnet", "gen", "srzoo_srgan.srresnet:srresnet")
    assert info.provider == Provider(plugin="srgan", dist="srzoo-srgan", version=metadata.version("srzoo-srgan"))
    assert info.slots == ("body", "attention", "fusion", "upsampler") and info.scales == (2, 4, 8)
    assert info.slot is None and info.requires == () and info.aliases == () and info.description
    se = host.registry.get("se", "block")
    assert (se.slot, se.provider.dist) == ("attention", "srzoo-blocks")


def test_describe_gives_every_field_and_the_parameter_schema(host):
    assert host.registry.describe("srresnet") == {
        "name": "srresnet", "kind": "gen", "description": host.registry.get("srresnet").description,
        "plugin": "srgan", "dist": "srzoo-srgan", "version": metadata.version("srzoo-srgan"),
        "aliases": [], "slots": ["body", "attention", "fusion", "upsampler"], "slot": None, "requires": [],
        "scales": [2, 4, 8],
        "params": [
            {"name": "features", "type": "int", "required": False, "default": 64},
            {"name": "blocks", "type": "int", "required": False, "default": 16},
            {"name": "residual", "type": "bool", "required": False, "default": False},
        ],
    }


def test_params_come_from_the_factory_signature_less_context_and_slots():
    info = ComponentInfo("g", "gen", make_gen, slots=("attention",))
    assert [p.name for p in info.signature_params()] == ["in_channels", "out_channels", "scale", "width", "attention"]
    assert info.params == [Param("width", int, 8)]
    assert info.param("WIDTH") == Param("width", int, 8) and info.param("depth") is None
    block = ComponentInfo("b", "block", lambda channels, reduction=4: None, slot="attention")
    assert [(p.name, p.type_name, p.default) for p in block.params] == [("reduction", "any", 4)]


@pytest.mark.parametrize("annotation, expected", [
    (int, "int"), (float, "float"), (bool, "bool"), (str, "str"), (Any, "any"), (type(None), "none"),
    (Optional[int], "int|none"), (int | None, "int|none"), (Union[int, float], "int|float"),
    (Literal["rgb", "y"], "rgb|y"), (Optional[Literal["rgb", "y"]], "rgb|y|none"), (Literal[True, 1], "true|1"),
    (tuple[int, ...], "tuple[int, ...]"), (list[str], "list[str]"), (dict[str, float], "dict[str, float]"),
    ("SomeForwardRef", "SomeForwardRef"),
])
def test_type_names_read_like_the_spec(annotation, expected):
    assert type_name(annotation) == expected
    assert Param("x", annotation, 1).type_name == expected


def test_param_describe():
    assert Param("blocks", int, 16).describe() == "blocks: int = 16"
    assert Param("mode", Literal["a", "b"], "a").describe() == "mode: a|b = 'a'"
    assert Param("level", int).describe() == "level: int (required)"
    assert Param("mode", str, "a").describe(str) == "mode: str = a"


def test_annotations_written_as_strings_are_evaluated():
    namespace: dict = {}
    exec("from __future__ import annotations\ndef f(channels, k: int = 3, mode: str | None = None): pass", namespace)
    info = ComponentInfo("b", "block", namespace["f"], slot="fusion")
    assert [(p.name, p.annotation, p.type_name) for p in info.params] == [("k", int, "int"), ("mode", str | None, "str|none")]


def test_create_calls_the_factory_with_the_parameters():
    registry = registry_with(ComponentInfo("g", "gen", make_gen))
    assert registry.create("gen", "g", in_channels=2, out_channels=2, scale=4, width=3) == ("gen", 2, 2, 4, 3, None)
    with pytest.raises(RegistryError, match="'g' is a generator, not a loss"):
        registry.create("loss", "g")


def test_list_filters_by_kind_and_wildcard_pattern():
    registry = registry_with(
        ComponentInfo("srresnet", "gen", make_gen), ComponentInfo("rrdbnet", "gen", make_gen, aliases=("esrgan",)),
        ComponentInfo("vggstyle", "disc", make_gen), ComponentInfo("rrdb", "block", make_gen, slot="body"),
        ComponentInfo("ssim", "loss", make_gen), ComponentInfo("ssim", "metric", make_gen),
    )
    names = lambda found: [(c.kind, c.name) for c in found]  # noqa: E731
    assert names(registry.list()) == [("gen", "rrdbnet"), ("gen", "srresnet"), ("disc", "vggstyle"),
                                      ("block", "rrdb"), ("loss", "ssim"), ("metric", "ssim")]
    assert names(registry.list("gen")) == [("gen", "rrdbnet"), ("gen", "srresnet")]
    assert names(registry.list(None, "rrdb*")) == [("gen", "rrdbnet"), ("block", "rrdb")]
    assert names(registry.list("gen", "*NET")) == [("gen", "rrdbnet"), ("gen", "srresnet")]
    assert names(registry.list(None, "esr?an")) == [("gen", "rrdbnet")]  # aliases match too
    assert names(registry.list(None, "[sv]*")) == [("gen", "srresnet"), ("disc", "vggstyle"), ("loss", "ssim"), ("metric", "ssim")]
    assert registry.list("loss", "nothing*") == []
    with pytest.raises(UnknownComponentError) as caught:
        registry.list("model")
    assert caught.value.render() == "error: unknown kind 'model'\nhint: kinds are gen, disc, block, loss, metric, deg, datasource, logger"
    assert caught.value.exit_code == 2
    assert len(registry) == 6 and registry.names("gen") == ["rrdbnet", "srresnet"]


def test_names_are_case_insensitive_with_dash_and_underscore_alike():
    registry = registry_with(ComponentInfo("My-Gen", "gen", make_gen, aliases=("Other_Name",)))
    info = registry.get("my_gen")
    assert (info.name, info.aliases) == ("my_gen", ("other_name",))
    for spelling in ("MY-GEN", "my_gen", "My-gen", "other-name", "OTHER_NAME"):
        assert registry.find(spelling, "gen") is info and spelling in registry
    assert [c.name for c in registry.list(None, "MY-*")] == ["my_gen"]


def test_a_duplicate_name_is_an_error_naming_both_and_the_first_stays():
    first = ComponentInfo("srresnet", "gen", make_gen, provider=A)
    registry = registry_with(first)
    with pytest.raises(DuplicateComponentError) as caught:
        registry.add(ComponentInfo("SRResNet", "gen", make_gen, provider=B))
    assert caught.value.render() == (
        "error: generator 'srresnet' from fake-b 2.0 clashes with generator 'srresnet' from fake-a 1.0\n"
        "hint: uninstall one of fake-a and fake-b, or choose the plugins to load with SRZOO_PLUGINS / SRZOO_DISABLED_PLUGINS"
    )
    assert registry.get("srresnet") is first  # never last-one-wins


def test_an_alias_clash_names_the_component_it_belongs_to():
    registry = registry_with(ComponentInfo("rrdbnet", "gen", make_gen, aliases=("esrgan",), provider=A))
    with pytest.raises(DuplicateComponentError, match=r"^error: generator 'esrgan' from fake-b 2.0 clashes with generator "
                                                      r"'rrdbnet' \(alias 'esrgan'\) from fake-a 1.0"):
        registry.add(ComponentInfo("esrgan", "gen", make_gen, provider=B))
    with pytest.raises(DuplicateComponentError, match="^error: fake-a 1.0 registers generator 'rrdbnet' twice"):
        registry.add(ComponentInfo("rrdbnet", "gen", make_gen, provider=A))


def test_plugins_share_a_name_which_then_needs_the_plugin():
    ours, theirs = ComponentInfo("srresnet", "gen", make_gen, provider=A), ComponentInfo("SRResNet", "gen", make_gen, provider=B)
    registry = registry_with(ours)
    registry.add(theirs, shared=True)  # the plugin host's way: both stay
    assert registry.list("gen") == [ours, theirs] and registry.candidates("srresnet", "gen") == [ours, theirs]
    with pytest.raises(AmbiguousComponentError) as caught:
        registry.find("srresnet", "gen")
    assert caught.value.exit_code == 2 and caught.value.render() == (
        "error: generator 'srresnet' is ambiguous: 2 plugins register it (a:srresnet (fake-a 1.0), b:srresnet (fake-b 2.0))\n"
        "hint: write the qualified name, a:srresnet or b:srresnet; 'srzoo plugins' shows the clash")
    assert registry.get("b:srresnet") is theirs and registry.get("fake-a:srresnet", "gen") is ours
    assert [(c.kind, c.name, c.infos) for c in registry.clashes()] == [("gen", "srresnet", (ours, theirs))]
    with pytest.raises(DuplicateComponentError, match="^error: fake-b 2.0 registers generator 'srresnet' twice"):
        registry.add(ComponentInfo("srresnet", "gen", make_gen, provider=B), shared=True)  # one plugin, one name
    registry.remove("a:srresnet", "gen")
    assert registry.find("srresnet", "gen") is theirs and registry.clashes() == []


def test_one_name_may_serve_two_kinds_and_then_needs_the_kind():
    loss, metric = ComponentInfo("ssim", "loss", make_gen, provider=A), ComponentInfo("ssim", "metric", make_gen, provider=B)
    registry = registry_with(loss, metric)
    assert registry.get("ssim", "loss") is loss and registry.get("ssim", "metric") is metric
    assert registry.find_all("SSIM") == [loss, metric] and registry.find("ssim") is loss
    with pytest.raises(UnknownComponentError) as caught:
        registry.describe("ssim")
    assert caught.value.render() == "error: 'ssim' names a loss and a metric\nhint: give the kind too: loss ssim or metric ssim"
    assert registry.describe("ssim", "metric")["dist"] == "fake-b"


def test_unknown_names_suggest_the_closest_of_the_kind(host):
    with pytest.raises(UnknownComponentError) as caught:
        host.registry.get("srresnt", "gen")
    assert caught.value.render() == "error: unknown generator 'srresnt'\nhint: did you mean 'srresnet'?"
    assert caught.value.exit_code == 2
    with pytest.raises(UnknownComponentError) as caught:
        host.registry.get("zzz")
    assert caught.value.render() == "error: unknown component 'zzz'\nhint: run 'srzoo list' to see what is installed"
    with pytest.raises(UnknownComponentError, match="^error: 'vggstyle' is a discriminator, not a generator$"):
        host.registry.get("vggstyle", "gen")


def test_lazy_factories_are_imported_only_when_used(tmp_path, monkeypatch):
    (tmp_path / "srzoo_lazy_probe.py").write_text("def make(channels, depth: int = 2):\n    return ('made', channels, depth)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "srzoo_lazy_probe", raising=False)
    registry = registry_with(ComponentInfo("probe", "block", "srzoo_lazy_probe:make", slot="fusion"))
    assert [c.name for c in registry.list("block")] == ["probe"] and "probe" in registry
    assert "srzoo_lazy_probe" not in sys.modules
    assert registry.create("block", "probe", channels=4) == ("made", 4, 2)
    assert "srzoo_lazy_probe" in sys.modules
    assert [p.name for p in registry.get("probe").params] == ["depth"]
    monkeypatch.delitem(sys.modules, "srzoo_lazy_probe")


def test_a_lazy_factory_that_cannot_be_imported_is_one_clear_error():
    registry = registry_with(ComponentInfo("ghost", "gen", "srzoo_no_such_module:make", provider=A))
    with pytest.raises(RegistryError) as caught:
        registry.create("gen", "ghost")
    assert caught.value.render() == (
        "error: generator 'ghost' from fake-a 1.0 cannot be loaded from 'srzoo_no_such_module:make': "
        "ModuleNotFoundError: No module named 'srzoo_no_such_module'\n"
        "hint: reinstall fake-a, or run 'srzoo plugins' to see its status"
    )


@pytest.mark.parametrize("fields, message", [
    (dict(name="3d", kind="gen"), "invalid component name '3d': use letters, digits, '-' and '_', and begin with a letter or '_'"),
    (dict(name="a b", kind="gen"), "invalid component name 'a b': use letters, digits, '-' and '_', and begin with a letter or '_'"),
    (dict(name="g", kind="gen", aliases=("ok", "no way")), "invalid component name 'no way'"),
    (dict(name="g", kind="model"), "unknown component kind 'model' for 'g'; kinds are gen, disc, block, loss, metric, deg, datasource, logger"),
    (dict(name="b", kind="block"), f"block 'b' must declare the slot it fills (one of {SLOTS})"),
    (dict(name="b", kind="block", slot="head"), f"'b' names unknown slot 'head'; slots are {SLOTS}"),
    (dict(name="l", kind="loss", slot="body"), "only blocks fill a slot; 'l' is a loss"),
    (dict(name="l", kind="loss", slots=("body",)), "only generators and discriminators have slots; 'l' is a loss"),
    (dict(name="d", kind="disc", scales=(2,)), "only generators declare scales; 'd' is a discriminator"),
    (dict(name="l", kind="loss", requires=("discriminator",)), "'l' requires unknown role 'discriminator'; roles are gen, disc, loss, metric"),
    (dict(name="l", kind="loss", factory="not a reference"), "factory of 'l' must be a callable or a 'module:attr' string, not 'not a reference'"),
])
def test_invalid_records_are_refused(fields, message):
    fields.setdefault("factory", make_gen)
    with pytest.raises(RegistryError) as caught:
        ComponentInfo(**fields)
    assert caught.value.message.startswith(message)


def test_remove_takes_the_name_and_its_aliases():
    registry = registry_with(ComponentInfo("g", "gen", make_gen, aliases=("h",)), ComponentInfo("g", "loss", make_gen))
    registry.remove("g", "gen")
    assert registry.find("h") is None and [c.kind for c in registry.find_all("g")] == ["loss"]
