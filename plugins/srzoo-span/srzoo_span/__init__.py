"""srzoo-span: SPAN (Wan et al., CVPR workshops 2024) as an add-on plugin.

Entry module: registers lazily ("module:attr" strings) and never imports torch.
"""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_generators(register):
    register(
        "span",
        "srzoo_span.span:span",
        description="SPAN: six parameter-free-attention blocks of re-parameterisable 3x3 convs (Conv3XC), "
                    "PixelShuffle; official state-dict keys (conv_1, block_N, conv_cat, conv_2, upsampler)",
        slots=("attention", "fusion", "upsampler"),
        scales=(2, 3, 4),
        detect_weights="srzoo_span.weights:detect_span",
    )
