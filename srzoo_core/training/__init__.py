"""Training layer: the one trainer for every GAN flavour, its loop, evaluation and checkpoints.

Import the submodules you need (``srzoo_core.training.trainer``); this package imports nothing
heavy on its own so the CLI stays fast.
"""

# Tiled upscaling defaults (LR pixels), here so the CLI can show them without importing torch.
# Overlap 32 keeps a deep SRResNet's tiled output within 0.1 % of the untiled one (16 left visible seams).
DEFAULT_TILE, DEFAULT_OVERLAP = 128, 32
