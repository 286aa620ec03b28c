"""VGG19's convolutional part with torchvision's exact layout, and where its weights come from.

Layout: ``VGG19().features`` is an ``nn.Sequential`` whose indices and state-dict keys
(``features.0.weight`` … ``features.34.bias``) are those of ``torchvision.models.vgg19().features``:
convolutions at 0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34, each followed by a
ReLU, and a 2×2 max-pool after each of the five blocks. So torchvision's ImageNet file
``vgg19-dcbb9e9d.pth`` loads here as is; its ``classifier.*`` keys are ignored.

Weights are looked for as :mod:`srzoo_perceptual.weights` describes: the ``weights=PATH`` option,
``$SRZOO_VGG19_WEIGHTS``, the torch hub cache (``<torch.hub.get_dir()>/checkpoints/vgg19-dcbb9e9d.pth``,
where torchvision keeps it too), else a download of ``https://download.pytorch.org/models/vgg19-dcbb9e9d.pth``
(or of ``$SRZOO_VGG19_URL``), checked against the hash in its name.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from srzoo_perceptual.backbones import shapes_of, vgg_layers
from srzoo_perceptual.weights import Published

PUBLISHED = Published(label="VGG19", description="torchvision's VGG19 ImageNet weights",
                      url="https://download.pytorch.org/models/vgg19-dcbb9e9d.pth", env="SRZOO_VGG19_WEIGHTS",
                      url_env="SRZOO_VGG19_URL", option="vgg(weights=PATH)", random_option="vgg(weights=random)")
WEIGHTS_ENV = PUBLISHED.env
URL_ENV = PUBLISHED.url_env
DEFAULT_URL = PUBLISHED.url

# torchvision's configuration "E": output channels of each conv, "M" a 2x2 max-pool.
CONFIG: tuple = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")


def _conv_indices() -> dict[str, int]:
    """{"conv1_1": 0, "conv1_2": 2, "conv2_1": 5, …, "conv5_4": 34}: index of each conv in features."""
    names, index, block, conv = {}, 0, 1, 1
    for item in CONFIG:
        if item == "M":
            index, block, conv = index + 1, block + 1, 1
        else:
            names[f"conv{block}_{conv}"] = index
            index, conv = index + 2, conv + 1
    return names


CONV_INDICES: dict[str, int] = _conv_indices()
# "convX_Y" is the conv's output before its activation, "reluX_Y" the same feature after it.
LAYERS: dict[str, int] = {**CONV_INDICES, **{name.replace("conv", "relu"): i + 1 for name, i in CONV_INDICES.items()}}
FEATURE_KEYS: tuple[str, ...] = tuple(f"features.{i}.{p}" for i in CONV_INDICES.values() for p in ("weight", "bias"))


def layer_index(layer: str) -> int:
    """Index in ``features`` of the module whose output is the named feature."""
    key = layer.strip().lower()
    if key not in LAYERS:
        raise ValueError(f"unknown VGG19 layer {layer!r}; use convX_Y (before activation) or reluX_Y (after), "
                         f"e.g. conv2_2, conv3_4, conv4_4, conv5_4")
    return LAYERS[key]


def downsampling(index: int) -> int:
    """How many times the input is halved before the module at ``index``."""
    pools = [i for i, item in enumerate(_modules_config()) if item == "M"]
    return sum(1 for p in pools if p < index)


def _modules_config() -> list:
    out: list = []
    for item in CONFIG:
        out += ["M"] if item == "M" else [item, "R"]
    return out


FEATURE_SHAPES: dict[str, tuple[int, ...]] = shapes_of(lambda: vgg_layers(CONFIG))


class VGG19(nn.Module):
    """The ``features`` part of torchvision's VGG19 (no batch norm), same indices and keys.
    ``last`` keeps only ``features[0..last]`` (the rest is never built, computed nor stored)."""

    def __init__(self, last: int | None = None) -> None:
        super().__init__()
        self.features = nn.Sequential(*vgg_layers(CONFIG, last))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


# -- where the weights come from -------------------------------------------------------------------

def weights_url() -> str:
    return PUBLISHED.address()


def cache_file(url: str | None = None) -> Path:
    """``<torch.hub.get_dir()>/checkpoints/<file name of the URL>``."""
    return PUBLISHED.cache_file(url)


def find_weights(weights: str | None = None) -> Path:
    """The weights file: the option, the environment variable, the cache, else a download."""
    return PUBLISHED.find(weights)


def load_vgg19(path: Path, last: int | None = None) -> VGG19:
    """A VGG19 (up to ``features[last]``) with the ``features.*`` tensors of ``path``. Every
    ``features.*`` key of VGG19 must be there with its shape, and no other (strict, whatever
    ``last``); ``classifier.*`` keys are ignored; anything else is an error."""
    state = PUBLISHED.read(path)
    features = PUBLISHED.select(path, state, FEATURE_SHAPES, "torchvision's VGG19 layout", ignored=("classifier.",))
    model = VGG19(last)
    kept = {k: v for k, v in features.items() if last is None or int(k.split(".")[1]) <= last}
    model.load_state_dict(kept, strict=True)
    return model
