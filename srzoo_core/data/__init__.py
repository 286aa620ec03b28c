"""Data layer: sources, degradations, normalisation and the datasets a trainer consumes.

    >>> from srzoo_core.data import load_data
    >>> bundle = load_data("builtin", scale=4, patch=96)            # doctest: +SKIP
    >>> lr, hr = bundle.train[0]                                    # doctest: +SKIP
    >>> bundle.describe()["splits"]["val"]["items"]                 # doctest: +SKIP

Defaults, per kind of data:

=================  ===========================================  ======================================
                   photos (builtin, image folders)               grids (.npy, seed-004 dirs, synthetic)
=================  ===========================================  ======================================
degradation        bicubic (MATLAB imresize, antialiased)       bicubic (same)
normalisation      unit: identity on [0, 1]                     zscore per channel, training HR only
training patch     96x96 random aligned crops                   the full field
augmentation       flips + 90-degree rotations ("dihedral")     none (True: flips only)
validation         128x128 tiles of held-out images             every held-out sample, full field
LR where not given made from the whole HR image, 8-bit quantised made from the whole field, float64
=================  ===========================================  ======================================
"""

from __future__ import annotations

from srzoo_core.data.bundle import DataBundle
from srzoo_core.data.datasets import AUGMENTATIONS, CropDataset, PairDataset
from srzoo_core.data.errors import DataError
from srzoo_core.data.images import read_image, write_image
from srzoo_core.data.loader import load_data
from srzoo_core.data.normalise import Normaliser
from srzoo_core.data.resize import DEGRADATIONS, degrade, imresize, upsample
from srzoo_core.data.synthetic import synthetic_grid

__all__ = [
    "AUGMENTATIONS", "CropDataset", "DEGRADATIONS", "DataBundle", "DataError", "Normaliser", "PairDataset",
    "degrade", "imresize", "load_data", "read_image", "synthetic_grid", "upsample", "write_image",
]
