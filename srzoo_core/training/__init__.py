"""Training layer: the one trainer for every GAN flavour, its loop, evaluation and checkpoints.

Import the submodules you need (``srzoo_core.training.trainer``); this package imports nothing
heavy on its own so the CLI stays fast.
"""
