"""torchvision's ImageNet feature extractors, built here with torchvision's exact layout.

``features`` is an ``nn.Sequential`` whose indices and state-dict keys are those of
``torchvision.models.<name>().features``, so torchvision's files load as they are (their
``classifier.*`` keys are ignored):

* VGG16 (configuration "D", no batch norm), ``vgg16-397923af.pth``: convolutions at 0, 2, 5, 7,
  10, 12, 14, 17, 19, 21, 24, 26, 28, each followed by a ReLU, a 2×2 max-pool at 4, 9, 16, 23, 30;
* AlexNet, ``alexnet-owt-7be5be79.pth``: convolutions at 0 (11×11, stride 4, padding 2),
  3 (5×5, padding 2), 6, 8, 10 (3×3, padding 1), each followed by a ReLU, 3×3 max-pools of
  stride 2 at 2, 5 and 12.

A network is kept only up to its deepest tapped layer; ``forward`` returns the outputs of the
modules at ``taps``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from srzoo_perceptual.weights import Published

VGG16_CONFIG: tuple = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
# (output channels, kernel, stride, padding) of each convolution; "M" a 3x3 max-pool of stride 2.
ALEXNET_CONFIG: tuple = ((64, 11, 4, 2), "M", (192, 5, 1, 2), "M", (384, 3, 1, 1), (256, 3, 1, 1), (256, 3, 1, 1), "M")


def vgg_layers(config: Sequence, last: int | None = None) -> list[nn.Module]:
    """torchvision's ``make_layers(config)`` without batch norm, up to the module at index ``last``,
    then torchvision's initialisation of the convolutions kept."""
    layers: list[nn.Module] = []
    channels = 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(channels, item, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            channels = item
    layers = layers[: None if last is None else last + 1]
    for module in layers:
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return layers


def alexnet_layers() -> list[nn.Module]:
    """torchvision's ``AlexNet().features`` (PyTorch's default initialisation, as torchvision)."""
    layers: list[nn.Module] = []
    channels = 3
    for item in ALEXNET_CONFIG:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=3, stride=2))
            continue
        out, kernel, stride, padding = item
        layers += [nn.Conv2d(channels, out, kernel_size=kernel, stride=stride, padding=padding), nn.ReLU(inplace=True)]
        channels = out
    return layers


def shapes_of(make_layers: Callable[[], list[nn.Module]]) -> dict[str, tuple[int, ...]]:
    """``{"features.0.weight": shape, …}`` of the whole network, without allocating it."""
    with torch.device("meta"):
        features = nn.Sequential(*make_layers())
    return {f"features.{k}": tuple(v.shape) for k, v in features.state_dict().items()}


class Features(nn.Module):
    """``features[0..max(taps)]`` of a torchvision network; returns the outputs at ``taps``."""

    def __init__(self, layers: list[nn.Module], taps: Sequence[int]) -> None:
        super().__init__()
        self.taps = tuple(taps)
        self.features = nn.Sequential(*layers[: max(self.taps) + 1])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outputs = []
        for index, module in enumerate(self.features):
            x = module(x)
            if index in self.taps:
                outputs.append(x)
        return outputs


def torchvision_file(name: str, label: str, url: str, metric: str) -> Published:
    return Published(label=label, description=f"torchvision's {label} ImageNet weights", url=url,
                     env=f"SRZOO_{name}_WEIGHTS", url_env=f"SRZOO_{name}_URL", option=f"{metric}(backbone=PATH)",
                     random_option=f"{metric}(weights=random)")


VGG16 = torchvision_file("VGG16", "VGG16", "https://download.pytorch.org/models/vgg16-397923af.pth", "dists")
ALEXNET = torchvision_file("ALEXNET", "AlexNet", "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth", "lpips")
VGG16_SHAPES = shapes_of(lambda: vgg_layers(VGG16_CONFIG))
ALEXNET_SHAPES = shapes_of(alexnet_layers)


def load_backbone(published: Published, given: str | None, shapes: dict[str, tuple[int, ...]],
                  network: Features) -> tuple[Features, str]:
    """``network`` with the ``features.*`` tensors of the file found for ``published`` (every key
    of the whole network checked, strictly; ``classifier.*`` ignored); and the file's path."""
    path = published.find(given, origin="the option backbone=")
    state = published.read(path)
    tensors = published.select(path, state, shapes, f"torchvision's {published.label} layout", ignored=("classifier.",))
    kept = {k: v for k, v in tensors.items() if int(k.split(".")[1]) <= max(network.taps)}
    network.load_state_dict(kept, strict=True)
    return network, str(path)
