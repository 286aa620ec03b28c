"""Generate the error list of docs/spec-language.md by running ``srzoo spec`` on bad specs.

    python docs/generate_spec_errors.py            # rewrite the generated section
    python docs/generate_spec_errors.py --check    # exit 1 if it is stale (a test runs this)

Every case must still fail with exit code 2; one that stops failing stops the generator, so the
page never shows an error srzoo no longer gives. Runs with the standard plugins only.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docgen import DOCS, ROOT, environment, main_args, run_cli, shell_quote, standard_plugins, update  # noqa: E402

PAGE = DOCS / "spec-language.md"
COMMAND = "python docs/generate_spec_errors.py"
SECTION = "spec-errors"


def with_example_plugin() -> str:
    """Load examples/write_a_plugin from source, as if srzoo-example-plugin were installed."""
    import srzoo_core

    folder = str(ROOT / "examples" / "write_a_plugin")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import srzoo_example_plugin

    srzoo_core.get_host().add_plugin(srzoo_example_plugin, name="example", dist="srzoo-example-plugin", version="0.1.0")
    return "with srzoo-example-plugin from [examples/write_a_plugin](../examples/write_a_plugin) installed"


def csi(threshold: float, crop: int = 0):  # a stand-in, only its signature matters here
    raise NotImplementedError


def with_script_metric() -> str:
    import srzoo_core

    srzoo_core.get_registry().register("metric", "csi", csi)
    return ("with a metric registered from a script: `srzoo_core.register(\"metric\", \"csi\", csi)` "
            "where `def csi(threshold: float, crop: int = 0)`")


class Impostor:  # a second plugin's generator named like srzoo-srgan's
    @staticmethod
    def srzoo_register_generators(register):
        register("srresnet", csi)


def with_clashing_plugin() -> str:
    import srzoo_core

    Impostor.srzoo_register_generators = srzoo_core.hookimpl(Impostor.srzoo_register_generators)
    srzoo_core.get_host().add_plugin(Impostor, name="other", dist="other-sr-models", version="1.0")
    return "with a second plugin, other-sr-models, that also registers a generator `srresnet`"


class Case(NamedTuple):
    title: str
    spec: str
    options: tuple[str, ...] = ()
    env: dict[str, str] = {}
    setup: Callable[[], str] | None = None


GROUPS: dict[str, list[Case]] = {
    "Syntax": [
        Case("An empty spec", ""),
        Case("An unknown role", "generator=srresnet"),
        Case("No `=` after the role", "gen srresnet"),
        Case("A role given twice", "gen=srresnet gen=unet"),
        Case("A term given twice", "loss=l1+l1"),
        Case("Items not separated by spaces", "gen=srresnet;loss=l1"),
        Case("A role with no component", "gen="),
        Case("No component after a plugin name", "gen=srgan:"),
        Case("A weight outside `loss=`", "gen=2*srresnet"),
        Case("A weight without `*`", "loss=l1+0.01gan disc=patchgan"),
        Case("A loss weight written as a parameter", "loss=l1+gan(weight=0.01) disc=patchgan"),
        Case("A missing parameter name", "gen=srresnet(=8)"),
        Case("No `=` after a parameter", "gen=srresnet(blocks)"),
        Case("A parameter given twice", "gen=srresnet(blocks=8,blocks=4)"),
        Case("Parameters not separated by commas", "gen=srresnet(blocks=8 features=32)"),
        Case("A missing value", "gen=srresnet(blocks=)"),
        Case("An unterminated string", 'loss=vgg(weights="vgg19.pth)'),
        Case("A number too large", "gen=srresnet(blocks=1e999)"),
        Case("A digit that is not 0-9", "gen=srresnet(blocks=١٢)"),
        Case("A range written high to low", "deg=jpeg(quality=95..30)+bicubic"),
    ],
    "Overrides": [
        Case("No name after the dot", "gen.=8"),
        Case("No `=` after the override", "gen.blocks 8"),
        Case("An override of a role the spec does not have", "gen=srresnet disc.layers=3"),
        Case("An override of a term the role does not have", "loss=l1 loss.gan.weight=0.1"),
        Case("A loss weight that is not a number", "gen=srresnet disc=patchgan loss=l1+gan loss.gan.weight=high"),
        Case("An override given twice", "gen=srresnet gen.blocks=8 gen.blocks=16"),
    ],
    "Loss weights: positive and finite": [
        Case("A negative weight", "gen=srresnet loss=l1+-0.1*ssim"),
        Case("A weight of zero", "gen=srresnet loss=l1+0*ssim"),
        Case("A weight too small to be told from zero", "gen=srresnet loss=1e-400*l1"),
        Case("A weight that is not finite", "gen=srresnet loss=inf*l1"),
    ],
    "Names, kinds and plugins": [
        Case("A misspelt name", "gen=srresnt"),
        Case("A name nothing installed has", "gen=vdsr"),
        Case("A component of an add-on that is not installed", "gen=rrdbnet"),
        Case("A component of a plugin that is not loaded", "gen=srresnet disc=patchgan loss=l1+0.01*gan",
             env={"SRZOO_DISABLED_PLUGINS": "cgan"}),
        Case("A component in the wrong role", "gen=patchgan"),
        Case("A block where a generator belongs", "gen=se"),
        Case("A block in a role that takes no blocks", "loss=l1+se"),
        Case("A plugin-qualified name naming the wrong plugin", "gen=cgan:srresnet"),
        Case("A name two installed plugins register (write srgan:srresnet)", "gen=srresnet", setup=with_clashing_plugin),
    ],
    "Parameters": [
        Case("A parameter the component does not have", "loss=charbonnier(epsilon=0.01)"),
        Case("A parameter the run sets", "gen=srresnet(scale=2)"),
        Case("A value of the wrong type", "gen=srresnet(blocks=eight)"),
        Case("A word that is not one of the choices", "metric=psnr(space=yuv)"),
        Case("A required parameter left out", "metric=psnr+csi", setup=with_script_metric),
    ],
    "Composition: one generator, blocks in slots": [
        Case("A second generator", "gen=srresnet+unet"),
        Case("A block for a slot the generator does not have", "gen=srresnet+lrcond"),
        Case("A block for a slot the discriminator does not have", "gen=srresnet disc=patchgan+se loss=l1+0.01*gan"),
        Case("Two blocks for one slot", "gen=srresnet+se+pixel_attention", setup=with_example_plugin),
    ],
    "Requirements": [
        Case("An adversarial loss without a discriminator", "gen=srresnet loss=l1+0.01*gan"),
        Case("A discriminator no loss uses", "gen=srresnet disc=patchgan loss=l1"),
    ],
    "Degradations: the chain must make the LR": [
        Case("A chain that does not end at the LR size", "deg=blur+resize+noise+jpeg"),
        Case("A chain that never makes the LR", "deg=noise"),
        Case("An option value a degradation refuses", "deg=jpeg(quality=0..50)+bicubic"),
        Case("A fraction in a range of whole numbers", "deg=jpeg(quality=30.5..95)+bicubic"),
        Case("An override of a term the chain has twice", "deg=blur+resize+resize(final=true) deg.resize.mode=area"),
    ],
    "When the spec is built (no caret: the spec is valid, the model cannot be made)": [
        Case("A scale the generator cannot do", "gen=srresnet", options=("--scale", "3")),
        Case("An option value the component refuses", "gen=srresnet+se(reduction=0)"),
    ],
    "Sizes: the model is sized on PyTorch's meta device before anything is allocated": [
        Case("A model too large for the memory here (SRZOO_MEMORY_LIMIT stands in for this machine's)",
             "gen=srresnet(blocks=100000000)", env={"SRZOO_MEMORY_LIMIT": "64GB"}),
    ],
}


def run_case(case: Case) -> str:
    selection = {"SRZOO_PLUGINS": ",".join(standard_plugins()), "SRZOO_DISABLED_PLUGINS": None, "SRZOO_STRICT_PLUGINS": None}
    with environment(**{**selection, **case.env}):
        note = case.setup() if case.setup else ""
        code, _out, err = run_cli(["spec", case.spec, *case.options])
    if code != 2 or not err.startswith("error: "):
        raise SystemExit(f"{case.title!r}: srzoo spec {case.spec!r} gave exit code {code}, not a usage error (2):\n{err}")
    prefix = "".join(f"{k}={v} " for k, v in case.env.items())
    command = " ".join(["srzoo", "spec", shell_quote(case.spec), *case.options])
    printed = [line.rstrip() for line in err.rstrip("\n").splitlines()]  # no trailing blanks for editors to strip
    lines = [f"**{case.title}**" + (f" ({note})" if note else "") + ":", "", "```text", f"$ {prefix}{command}",
             *printed, "```", ""]
    return "\n".join(lines)


def render() -> str:
    total = sum(len(cases) for cases in GROUPS.values())
    parts = [f"{total} mistakes and what `srzoo spec` prints for each (exit code 2 every time). "
             "`srzoo train`, `srzoo explain` and `srzoo ablate` check a spec the same way before doing anything.", ""]
    for group, cases in GROUPS.items():
        parts += [f"### {group}", ""] + [run_case(case) for case in cases]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    check = main_args(argv, __doc__.splitlines()[0])
    return update(PAGE, SECTION, COMMAND, render(), check)


if __name__ == "__main__":
    raise SystemExit(main())
