"""srzoo-rcan: RCAN (Zhang et al., 2018) with BasicSR's state-dict keys.

Entry module: registers lazily ("module:attr" strings) and never imports torch.
"""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_generators(register):
    register(
        "rcan",
        "srzoo_rcan.rcan:rcan",
        description="RCAN (BasicSR keys): residual groups of residual channel-attention blocks, long skip, "
                    "pixel-shuffle upsampling, RGB mean shift; an attention block replaces the channel attention",
        slots=("body", "attention", "fusion", "upsampler"),
        scales=(2, 3, 4),
        detect_weights="srzoo_rcan.weights:detect_rcan",
    )
