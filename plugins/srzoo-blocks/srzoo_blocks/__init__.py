"""srzoo-blocks: blocks that compose into generators through slots. Entry module: no torch."""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_blocks(register):
    register(
        "se",
        "srzoo_blocks.se:se",
        slot="attention",
        description="Squeeze-excitation channel attention (Hu et al. 2018) inside every trunk unit",
    )
    register(
        "multiscale",
        "srzoo_blocks.multiscale:multiscale",
        slot="fusion",
        description="Multi-scale fusion after the head: parallel 3×3/5×5/7×7 convs fused by a 1×1, residual",
    )
