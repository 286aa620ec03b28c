"""Composition through slots: blocks reach the generator through the slot they declare, and the
canonical form does not depend on how the spec was written."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from srzoo_core import UsageError, build_generator, count_parameters, resolve  # noqa: E402

SMALL = "srresnet(blocks=3,features=8)"


def modules_named(module, class_name: str) -> list:
    return [m for m in module.modules() if type(m).__name__ == class_name]


def test_se_puts_attention_in_every_residual_block(host):
    plain = build_generator(f"gen={SMALL}", host=host)
    with_se = build_generator(f"gen={SMALL}+se(reduction=2)", host=host)
    assert modules_named(plain, "SqueezeExcitation") == []
    assert [type(unit.attention).__name__ for unit in with_se.trunk] == ["SqueezeExcitation"] * 3
    assert type(with_se.fusion).__name__ == "Identity"
    assert count_parameters(with_se) > count_parameters(plain)


def test_multiscale_fuses_right_after_the_head(host):
    gen = build_generator(f"gen={SMALL}+multiscale(largest=5)", host=host)
    assert type(gen.fusion).__name__ == "MultiScaleFusion" and len(gen.fusion.branches) == 2
    assert modules_named(gen, "SqueezeExcitation") == []
    names = [name for name, _ in gen.named_children()]
    assert names.index("fusion") == names.index("head") + 1


def test_both_blocks_together_and_the_output_shape(host):
    gen = build_generator(f"gen={SMALL}+multiscale+se", in_channels=2, scale=4, host=host)
    assert len(modules_named(gen, "SqueezeExcitation")) == 3 and len(modules_named(gen, "MultiScaleFusion")) == 1
    assert gen(torch.zeros(1, 2, 6, 6)).shape == (1, 2, 24, 24)


def test_block_order_does_not_matter_for_the_canonical_form(host):
    a = resolve(f"gen={SMALL}+se+multiscale", host)
    b = resolve("gen=srresnet(features=8,blocks=3)+multiscale+se", host)
    assert a.canonical() == b.canonical() == "gen=srresnet(blocks=3,features=8)+se+multiscale"
    assert [t.info.slot for t in a.gen_blocks] == ["attention", "fusion"]
    assert count_parameters(build_generator(a, host=host)) == count_parameters(build_generator(b, host=host))


def test_the_canonical_form_drops_defaults_scopes_and_unit_weights_and_reads_back(host):
    spec = ("metric=typed(crop=0,space=Y) loss=1*l1(reduction=mean)+0.01*gan disc=srgan:vggstyle "
            "gen=srresnet(blocks=16)+blocks:se gen.se.reduction=8")
    resolved = resolve(spec, host)
    canonical = "gen=srresnet+se(reduction=8) disc=vggstyle loss=l1+0.01*gan metric=typed(space=y)"
    assert resolved.canonical() == str(resolved) == canonical
    assert resolve(canonical, host).canonical() == canonical
    assert resolved.adversarial and [(t.name, t.weight) for t in resolved.losses] == [("l1", 1.0), ("gan", 0.01)]
    assert resolved.gen.all_params() == {"features": 64, "blocks": 16, "residual": False}
    assert [role for role, _ in resolved.terms()] == ["gen", "gen", "disc", "loss", "loss", "metric"]


def test_values_are_coerced_to_the_declared_types(host):
    resolved = resolve("metric=typed(gain=2,limit=none,space=Y,fast=true)", host)
    params = resolved.metrics[0].params
    assert params == {"gain": 2.0, "limit": None, "space": "y", "fast": True}
    assert type(params["gain"]) is float


def test_an_unsupported_configuration_is_a_usage_error(host):
    with pytest.raises(UsageError) as caught:
        build_generator("gen=srresnet", scale=3, host=host)
    assert caught.value.exit_code == 2
    first, *_, last = caught.value.render().splitlines()  # the middle is the plugin's own words
    assert first.startswith("error: generator 'srresnet' cannot be built: ") and "Traceback" not in first
    assert last == "hint: 'srresnet' supports scales 2, 4, 8"
    with pytest.raises(UsageError, match="^error: the spec has no generator\nhint: add gen="):
        build_generator("loss=l1", host=host)
