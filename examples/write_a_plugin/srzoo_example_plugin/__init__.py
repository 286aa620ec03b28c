"""srzoo-example-plugin: a third-party plugin for srzoo, as small as a complete one gets.

This is the entry module (``[project.entry-points.srzoo] example = "srzoo_example_plugin"``).
srzoo imports it for every command, ``srzoo list`` included, so it imports no torch: each factory
is named lazily as ``"module:attr"`` and imported only when a spec uses it.
"""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_blocks(register):
    register(
        "pixel_attention",
        "srzoo_example_plugin.attention:pixel_attention",
        slot="attention",
        aliases=("pa",),
        description="Pixel attention (Zhao et al. 2020, PAN): x * sigmoid(conv(x)), one gate per pixel "
                    "and channel, inside every trunk unit",
    )


@hookimpl
def srzoo_register_losses(register):
    register(
        "fft_l1",
        "srzoo_example_plugin.fft_loss:FFTL1Loss",
        description="L1 distance between the 2-D Fourier transforms of sr and hr (real and imaginary "
                    "parts), so every spatial frequency counts alike (pixel role)",
    )
