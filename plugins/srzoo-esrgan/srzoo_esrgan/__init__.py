"""srzoo-esrgan: the ESRGAN family (Wang et al., 2018) as an add-on plugin.

Entry module: registers lazily ("module:attr" strings) and never imports torch, so ``srzoo list``
stays fast. Published weights: :func:`srzoo_esrgan.weights.load_rrdbnet_weights`.
"""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_generators(register):
    register(
        "rrdbnet",
        "srzoo_esrgan.rrdbnet:rrdbnet",
        description="ESRGAN's RRDBNet (BasicSR keys): RRDB trunk without BN, nearest ×2 + conv upsampling, "
                    "linear output; ×2 and ×1 pixel-unshuffle the input (BasicSR); loads BasicSR / original-ESRGAN "
                    "weights (weights=…)",
        slots=("body", "attention", "fusion", "upsampler"),
        scales=(1, 2, 4),
        detect_weights="srzoo_esrgan.weights:detect_rrdbnet",
    )


@hookimpl
def srzoo_register_discriminators(register):
    register(
        "esrdisc",
        "srzoo_esrgan.esrdisc:esrdisc",
        description="ESR discriminator (seed 004): 8 strided conv-LeakyReLU layers without BN, any input size, logits",
    )


@hookimpl
def srzoo_register_blocks(register):
    register(
        "rrdb",
        "srzoo_esrgan.rrdbnet:rrdb",
        slot="body",
        description="Residual-in-residual dense block (ESRGAN) as a generator's repeated trunk unit",
    )


@hookimpl
def srzoo_register_losses(register):
    register(
        "ragan",
        "srzoo_esrgan.ragan:ragan",
        description="Relativistic average GAN loss (ESRGAN), BCE on C(real) − E[C(fake)] and C(fake) − E[C(real)]",
        requires=("disc",),
    )
