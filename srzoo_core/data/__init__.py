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

import importlib
from typing import Any

# name -> module: imported on first use, so that reading the registry (the built-in data sources
# live in srzoo_core.data.sources) never imports torch
_EXPORTS = {
    "AUGMENTATIONS": "modality", "CropDataset": "datasets", "DEGRADATIONS": "resize", "DataBundle": "bundle",
    "DataError": "errors", "DataRequest": "sources", "GRID": "modality", "Modality": "modality", "Normaliser": "normalise",
    "PHOTO": "modality", "PairDataset": "datasets", "degrade": "resize", "imresize": "resize", "load_data": "loader",
    "modality": "modality", "read_image": "images", "register_modality": "modality", "resolve_source": "loader",
    "synthetic_grid": "synthetic", "upsample": "resize", "write_image": "images",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'srzoo_core.data' has no attribute {name!r}")
    return getattr(importlib.import_module(f"srzoo_core.data.{_EXPORTS[name]}"), name)


__all__ = sorted(_EXPORTS)
