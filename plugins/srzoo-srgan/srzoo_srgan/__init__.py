"""srzoo-srgan: the SRGAN family (Ledig et al., 2017). Entry module: registers lazily, no torch."""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_generators(register):
    register(
        "srresnet",
        "srzoo_srgan.srresnet:srresnet",
        description="SRResNet (SRGAN paper): 9×9 head, residual conv-BN-PReLU blocks, PixelShuffle ×2 stages, linear output",
        slots=("body", "attention", "fusion", "upsampler"),
        scales=(2, 4, 8),
    )


@hookimpl
def srzoo_register_discriminators(register):
    register(
        "vggstyle",
        "srzoo_srgan.vggstyle:vggstyle",
        description="SRGAN's VGG-style classifier: 8 strided conv-BN-LeakyReLU layers, any input size, one logit",
    )
