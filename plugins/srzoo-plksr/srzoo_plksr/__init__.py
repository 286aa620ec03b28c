"""srzoo-plksr: PLKSR and RealPLKSR (partial large-kernel CNNs) as an add-on plugin.

Entry module: registers lazily ("module:attr" strings) and never imports torch.
"""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_generators(register):
    register(
        "realplksr",
        "srzoo_plksr.realplksr:realplksr",
        description="RealPLKSR (neosr / traiNNer-redux): partial large-kernel blocks with GroupNorm or LayerNorm, "
                    "PixelShuffle or DySample, nearest-repeat skip; published keys (feats.N, to_img)",
        slots=("body", "attention", "fusion"),
        scales=(2, 3, 4),
        detect_weights="srzoo_plksr.weights:detect_realplksr",
    )
    register(
        "plksr",
        "srzoo_plksr.plksr:plksr",
        description="PLKSR (Lee, Yun & Ro 2024): partial large-kernel conv, channel mixer, element-wise attention, "
                    "PixelShuffle, nearest-repeat skip; official keys (feats.N.channe_mixer, lk, attn, refine)",
        slots=("body", "attention", "fusion"),
        scales=(2, 3, 4),
        detect_weights="srzoo_plksr.weights:detect_plksr",
    )
