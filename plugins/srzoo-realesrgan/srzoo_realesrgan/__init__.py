"""srzoo-realesrgan: Real-ESRGAN's compact generator and U-Net discriminator (Wang et al., 2021).

Entry module: registers lazily ("module:attr" strings) and never imports torch.
"""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_generators(register):
    register(
        "srvggnet",
        "srzoo_realesrgan.srvgg:srvggnet",
        description="SRVGGNetCompact (Real-ESRGAN realesr-*v3): plain conv + PReLU stack at low resolution, one pixel "
                    "shuffle, plus the nearest-upsampled input; presets general-x4v3 and animevideov3",
        aliases=("compact",),
        scales=(1, 2, 3, 4),
        detect_weights="srzoo_realesrgan.srvgg:detect_srvggnet",
    )


@hookimpl
def srzoo_register_discriminators(register):
    register(
        "unetsn",
        "srzoo_realesrgan.unetsn:unetsn",
        description="Real-ESRGAN's U-Net discriminator with spectral norm and skip connections: one logit per pixel",
    )
