"""Training layer: the one trainer for every GAN flavour, its loop, evaluation and checkpoints.

Import the submodules you need (``srzoo_core.training.trainer``); this package imports nothing
heavy on its own so the CLI stays fast.
"""

from __future__ import annotations

# Tiled upscaling defaults, here so the CLI can show them without importing torch. DEFAULT_TILE
# None = planned from the memory budget (untiled when the input fits); an int forces tiles of that
# many LR pixels. DEFAULT_OVERLAP is the overlap (LR px) of a generator that declares no
# receptive_field: SRResNet-16's tiled output stays within 0.1 % of the untiled one at 32.
# upscale_tiled's own default, overlap=None, derives it from the field (srzoo_core.training.tiling).
DEFAULT_TILE: int | None = None
DEFAULT_OVERLAP = 32
