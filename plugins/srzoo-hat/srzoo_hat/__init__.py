"""srzoo-hat: HAT (Chen et al., CVPR 2023) as a plugin.

Entry module: registers lazily ("module:attr" strings) and never imports torch, so ``srzoo list``
stays fast.
"""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_generators(register):
    register(
        "hat",
        "srzoo_hat.hat:hat",
        description="HAT, Hybrid Attention Transformer (official keys): window attention plus channel attention, "
                    "overlapping cross-attention per group; presets hat_s | hat | hat_l; published weights detected by key layout",
        slots=("attention", "fusion", "upsampler"),
        scales=(2, 3, 4, 8),
        detect_weights="srzoo_hat.detect:detect_hat",
    )
