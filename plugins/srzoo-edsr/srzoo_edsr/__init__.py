"""srzoo-edsr: EDSR (Lim et al., 2017) and BasicSR's MSRResNet, with BasicSR's state-dict keys.

Entry module: registers lazily ("module:attr" strings) and never imports torch.
"""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_generators(register):
    register(
        "edsr",
        "srzoo_edsr.edsr:edsr",
        description="EDSR (BasicSR keys): residual blocks without BN scaled by res_scale, long skip, pixel-shuffle "
                    "upsampling, RGB mean shift; presets baseline (64×16) and large (256×32, res_scale 0.1)",
        slots=("body", "attention", "fusion", "upsampler"),
        scales=(2, 3, 4),
        detect_weights="srzoo_edsr.weights:detect_edsr",
    )
    register(
        "msrresnet",
        "srzoo_edsr.msrresnet:msrresnet",
        description="MSRResNet (BasicSR): SRResNet without BN, LeakyReLU 0.1, pixel-shuffle upsampling, "
                    "bilinear global skip",
        slots=("body", "attention", "fusion", "upsampler"),
        scales=(2, 3, 4),
        detect_weights="srzoo_edsr.weights:detect_msrresnet",
    )
