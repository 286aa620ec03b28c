"""The ``deg=`` role: resolution against the registry, ranges into the degradations' options, the
chain rule (the LR size is explicit), and every mistake as one message with a caret."""

from __future__ import annotations

import textwrap

import pytest

from srzoo_core import PluginHost
from srzoo_core.build import build_degradations
from srzoo_core.errors import SpecError
from srzoo_core.spec.coerce import coerce
from srzoo_core.spec.resolve import resolve
from tests.conftest import installed_points


@pytest.fixture(scope="module")
def host() -> PluginHost:
    h = PluginHost()
    h.load_entry_points(installed_points("srzoo-srgan", "srzoo-cgan", "srzoo-losses", "srzoo-metrics", "srzoo-degradations"))
    return h


def error(text: str, host: PluginHost) -> str:
    with pytest.raises(SpecError) as caught:
        resolve(text, host)
    return caught.value.render()


def test_deg_is_a_role_in_order_after_the_others(host):
    resolved = resolve("deg=blur(sigma=0.5..2)+bicubic+noise(sigma=0.01) gen=srresnet loss=l1", host)
    assert resolved.parts() == {"gen": "srresnet", "loss": "l1", "deg": "blur(sigma=0.5..2.0)+bicubic+noise(sigma=0.01)"}
    assert resolved.canonical() == "gen=srresnet loss=l1 deg=blur(sigma=0.5..2.0)+bicubic+noise(sigma=0.01)"
    assert [(role, t.name) for role, t in resolved.terms() if role == "deg"] == [("deg", "blur"), ("deg", "bicubic"), ("deg", "noise")]
    filled = resolved.with_defaults(host, metric="psnr")
    assert [t.name for t in filled.degradations] == ["blur", "bicubic", "noise"]


def test_ranges_and_scalars_reach_the_options_typed(host):
    resolved = resolve("deg=jpeg(quality=40..60)+blur(sigma=1,size=7..9)+resize(final=true)", host)
    jpeg, blur, _ = resolved.degradations
    assert jpeg.params == {"quality": (40, 60)} and blur.params == {"sigma": 1.0, "size": (7, 9)}
    assert resolve("deg=jpeg(quality=30..95)+bicubic", host).canonical() == "deg=jpeg+bicubic"  # the default range


def test_a_term_may_come_twice_in_a_chain(host):
    text = "deg=blur+resize+noise+jpeg+blur(sigma=0.2..1.5)+resize(final=true)"
    assert resolve(text, host).canonical() == text.replace("0.2..1.5", "0.2..1.5")
    assert [t.name for t in build_degradations(text, host)] == ["blur", "resize", "noise", "jpeg", "blur", "resize"]


def test_build_degradations_gives_the_terms_in_order_with_their_options(host):
    terms = build_degradations("gen=srresnet deg=noise(sigma=0.02)+coarsen", host)
    assert [(t.name, t.output_size) for t in terms] == [("noise", "same"), ("coarsen", "target")]
    assert terms[0].options["sigma"] == 0.02 and terms[0].options["poisson_prob"] == 0.0
    assert build_degradations("gen=srresnet", host) == []


def test_coerce_takes_ranges_for_tuple_annotations():
    assert coerce((1, 3), tuple[float, float]) == (1.0, 3.0)
    assert coerce((30, 95), int | tuple[int, int]) == (30, 95) and coerce(2, float | tuple[float, float]) == 2.0
    with pytest.raises(TypeError, match="range low..high of whole numbers"):
        coerce((30.5, 95), int | tuple[int, int])
    with pytest.raises(TypeError, match="range low..high of numbers"):
        coerce(0.5, tuple[float, float])


@pytest.mark.parametrize("spec, expected", [
    ("deg=blur+resize+noise+jpeg", """
        error: the chain does not end at H/scale × W/scale
          deg=blur+resize+noise+jpeg
              ^^^^^^^^^^^^^^^^^^^^^^
        hint: add resize(final=true), bicubic or coarsen after the last random resize ('resize')"""),
    ("deg=noise", """
        error: the chain does not make the LR: no term brings the image to H/scale × W/scale
          deg=noise
              ^^^^^
        hint: end it with bicubic, coarsen or resize(final=true), e.g. deg=bicubic+noise"""),
    ("deg=jpeg(quality=0..50)+bicubic", """
        error: degradation 'jpeg' cannot be built: quality=0..50 is out of bounds: it must lie within 1..100
          deg=jpeg(quality=0..50)+bicubic
              ^^^^^^^^^^^^^^^^^^^"""),
    ("deg=jpeg(quality=30.5..50)+bicubic", """
        error: parameter 'quality' of 'jpeg' expects int|tuple[int, int], got 30.5..50 (range)
          deg=jpeg(quality=30.5..50)+bicubic
                           ^^^^^^^^
        hint: write a whole number; write a range low..high of whole numbers"""),
    ("deg=bicubc", """
        error: unknown degradation 'bicubc'
          deg=bicubc
              ^^^^^^
        hint: did you mean 'bicubic'?"""),
    ("deg=srresnet", """
        error: 'srresnet' is a generator, not a degradation
          deg=srresnet
              ^^^^^^^^
        hint: did you mean gen=srresnet?"""),
    ("gen=realesrgan", """
        error: 'realesrgan' is a degradation, not a generator
          gen=realesrgan
              ^^^^^^^^^^
        hint: did you mean deg=realesrgan?"""),
    ("deg=0.5*bicubic", """
        error: weights are allowed only in loss=, not in deg=
          deg=0.5*bicubic
              ^^^
        hint: drop '0.5*'"""),
    ("deg=blur+resize+resize(final=true) deg.resize.mode=area", """
        error: deg= has 'resize' more than once, so deg.resize.mode cannot tell which
          deg=blur+resize+resize(final=true) deg.resize.mode=area
                                                 ^^^^^^
        hint: write the option inside that resize(…)"""),
    ("deg=jpeg(quality=95..30)+bicubic", """
        error: the range 95..30 is reversed
          deg=jpeg(quality=95..30)+bicubic
                           ^^^^^^
        hint: write the low end first: 30..95"""),
])
def test_mistakes_in_deg_get_one_message_with_a_caret(host, spec, expected):
    assert error(spec, host) == textwrap.dedent(expected).strip("\n")


def test_a_degradation_of_a_plugin_that_is_not_installed(host):
    bare = PluginHost()
    bare.load_entry_points(installed_points("srzoo-srgan"))
    assert "'realesrgan' is provided by srzoo-degradations, which is not installed" in error("gen=srresnet deg=realesrgan", bare)


def test_srzoo_spec_checks_the_chain(cli):
    code, _, err = cli("spec", "gen=srresnet deg=blur+resize")
    assert code == 2 and "the chain does not end at H/scale × W/scale" in err and "Traceback" not in err
    code, out, _ = cli("spec", "gen=srresnet deg=realesrgan")
    assert code == 0 and "gen=srresnet deg=realesrgan" in out


class _Crashes:
    def __init__(self):
        raise RuntimeError("no kernels today")


class _OddSize:
    output_size, modalities = "bigger", ("photo",)


def test_a_degradation_that_breaks_its_contract_is_named_with_its_plugin():
    from srzoo_core.contracts import ComponentError
    from tests.test_conformance_kit import make_plugin

    odd = PluginHost()
    odd.add_plugin(make_plugin("odd_degs", srzoo_register_degradations=[("crashes", _Crashes, {}), ("odd", _OddSize, {})]),
                   name="odd", dist="srzoo-odd", version="0.1")
    with pytest.raises(ComponentError, match=r"degradation 'crashes' from srzoo-odd.*raised RuntimeError: no kernels today while being built"):
        resolve("deg=crashes", odd)
    with pytest.raises(ComponentError, match="declares output_size 'bigger', not one of same, any, target"):
        resolve("deg=odd", odd)
