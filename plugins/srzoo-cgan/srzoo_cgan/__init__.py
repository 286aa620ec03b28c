"""srzoo-cgan: the conditional-GAN family — U-Net generator (with skips), PatchGAN discriminator
and LR conditioning for any discriminator. Entry module: registers lazily, no torch."""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_generators(register):
    register(
        "unet",
        "srzoo_cgan.unet:unet",
        description="U-Net with skip connections on the LR grid (depth=2 stride-2 levels by default; any input size via "
                    "replicate-padding), then a PixelShuffle upsampler; linear output",
        slots=("attention", "fusion", "upsampler"),
        scales=(2, 3, 4, 8),
    )


@hookimpl
def srzoo_register_discriminators(register):
    register(
        "patchgan",
        "srzoo_cgan.patchgan:patchgan",
        description="PatchGAN (pix2pix): a map of logits (N,1,h,w), no sigmoid; layers=2 by default: a 34x34-pixel "
                    "receptive field that fits 64x64 targets (layers=1: 16, 3: 70, 4: 142); norm batch|instance|none",
    )
    register(
        "multipatch",
        "srzoo_cgan.multipatch:multipatch",
        description="Multi-scale PatchGAN (pix2pixHD): one patchgan per scale on the image average-pooled x1, x2, x4...; "
                    "the flattened logit maps concatenated finest first into one (N,1,1,total) patch map",
    )


@hookimpl
def srzoo_register_blocks(register):
    register(
        "lrcond",
        "srzoo_cgan.lrcond:lrcond",
        slot="wrapper",
        description="LR conditioning for any discriminator: upsamples the LR input to the image's size and "
                    "concatenates it (the inner discriminator sees 2x the channels); called as disc(x, lr)",
    )
