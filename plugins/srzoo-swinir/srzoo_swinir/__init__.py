"""srzoo-swinir: SwinIR (Liang et al., 2021) as a plugin.

Entry module: registers lazily ("module:attr" strings) and never imports torch, so ``srzoo list``
stays fast.
"""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_generators(register):
    register(
        "swinir",
        "srzoo_swinir.swinir:swinir",
        description="SwinIR (official keys): residual Swin transformer blocks of shifted-window attention, "
                    "presets classical | lightweight | real | real_large; published weights detected by key layout",
        slots=("attention", "fusion", "upsampler"),
        scales=(2, 3, 4, 8),
        detect_weights="srzoo_swinir.detect:detect_swinir",
    )
