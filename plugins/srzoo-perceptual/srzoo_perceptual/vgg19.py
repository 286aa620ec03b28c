"""VGG19's convolutional part with torchvision's exact layout, and where its weights come from.

Layout: ``VGG19().features`` is an ``nn.Sequential`` whose indices and state-dict keys
(``features.0.weight`` … ``features.34.bias``) are those of ``torchvision.models.vgg19().features``:
convolutions at 0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34, each followed by a
ReLU, and a 2×2 max-pool after each of the five blocks. So torchvision's ImageNet file
``vgg19-dcbb9e9d.pth`` loads here as is; its ``classifier.*`` keys are ignored.

Weights are looked for in this order (:func:`find_weights`):

1. the ``weights=PATH`` option;
2. the environment variable ``SRZOO_VGG19_WEIGHTS``;
3. the torch hub cache, ``<torch.hub.get_dir()>/checkpoints/vgg19-dcbb9e9d.pth`` (where
   torchvision keeps it too);
4. a download of ``https://download.pytorch.org/models/vgg19-dcbb9e9d.pth`` (or of
   ``$SRZOO_VGG19_URL``) into that cache, refused unless the file's sha256 starts with the hex
   digits in its name (torchvision's convention).

A path that was given (1, 2) but does not exist is an error, never a silent fallback to the next
source. When nothing works, a :class:`~srzoo_core.errors.UsageError` says how to provide the file.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse

import torch
from torch import nn

from srzoo_core.errors import UsageError

WEIGHTS_ENV = "SRZOO_VGG19_WEIGHTS"
URL_ENV = "SRZOO_VGG19_URL"
DEFAULT_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
RANDOM = "random"
_HASH_IN_NAME = re.compile(r"-([a-f0-9]{8,})\.")

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


def _feature_shapes() -> dict[str, tuple[int, ...]]:
    shapes, channels = {}, 3
    convs = [item for item in CONFIG if item != "M"]
    for index, out in zip(CONV_INDICES.values(), convs):
        shapes[f"features.{index}.weight"] = (out, channels, 3, 3)
        shapes[f"features.{index}.bias"] = (out,)
        channels = out
    return shapes


FEATURE_SHAPES: dict[str, tuple[int, ...]] = _feature_shapes()


class VGG19(nn.Module):
    """The ``features`` part of torchvision's VGG19 (no batch norm), same indices and keys.
    ``last`` keeps only ``features[0..last]`` (the rest is never built, computed nor stored)."""

    def __init__(self, last: int | None = None) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for item in CONFIG:
            if item == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(channels, item, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                channels = item
        self.features = nn.Sequential(*layers[: None if last is None else last + 1])
        for module in self.features:
            if isinstance(module, nn.Conv2d):  # torchvision's initialisation
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


# -- where the weights come from -------------------------------------------------------------------

def weights_url() -> str:
    return os.environ.get(URL_ENV, "").strip() or DEFAULT_URL


def _file_name(url: str) -> str:
    return os.path.basename(unquote(urlparse(url).path)) or "vgg19-dcbb9e9d.pth"


def cache_file(url: str | None = None) -> Path:
    """``<torch.hub.get_dir()>/checkpoints/<file name of the URL>``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / _file_name(url or weights_url())


def _how_to_provide(url: str) -> str:
    return (f"provide torchvision's VGG19 ImageNet weights ({_file_name(DEFAULT_URL)}) in one of these ways: "
            f"the option vgg(weights=PATH) in the spec; the environment variable {WEIGHTS_ENV}=PATH; the file "
            f"{cache_file(url)} (the torch hub cache, shared with torchvision); or let srzoo download {url} "
            f"(set {URL_ENV} to fetch another address, e.g. a file:// mirror). vgg(weights=random) is for tests only")


def _given_file(value: str, origin: str, url: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_file():
        raise UsageError(f"VGG19 weights file {value!r} (from {origin}): no such file", hint=_how_to_provide(url))
    return path


def download(url: str, destination: Path) -> Path:
    """Download ``url`` to ``destination``, refused unless its sha256 starts with the hex digits in
    the file name (torchvision's convention: ``vgg19-dcbb9e9d.pth``)."""
    match = _HASH_IN_NAME.search(_file_name(url))
    if match is None:
        raise UsageError(f"will not download VGG19 weights from {url}: the file name carries no hash to check "
                         "(expected NAME-<8+ hex digits of its sha256>.pth)", hint=_how_to_provide(url))
    destination.parent.mkdir(parents=True, exist_ok=True)
    print(f"srzoo: downloading VGG19 weights from {url} to {destination}", file=sys.stderr)
    try:
        torch.hub.download_url_to_file(url, str(destination), hash_prefix=match.group(1), progress=True)
    except RuntimeError as exc:
        if "hash" in str(exc):
            raise UsageError(f"VGG19 weights downloaded from {url} failed their hash check and were discarded: {exc}",
                             hint=_how_to_provide(url)) from None
        raise UsageError(f"could not download VGG19 weights from {url}: {exc}", hint=_how_to_provide(url)) from None
    except (OSError, ValueError) as exc:  # URLError is an OSError; ValueError: malformed URL
        raise UsageError(f"could not download VGG19 weights from {url}: {exc}", hint=_how_to_provide(url)) from None
    return destination


def find_weights(weights: str | None = None) -> Path:
    """The weights file, by the order in the module docstring (downloading if needed)."""
    url = weights_url()
    if weights:
        return _given_file(weights, "the option weights=", url)
    from_env = os.environ.get(WEIGHTS_ENV, "").strip()
    if from_env:
        return _given_file(from_env, f"${WEIGHTS_ENV}", url)
    cached = cache_file(url)
    if cached.is_file():
        return cached
    return download(url, cached)


def load_vgg19(path: Path, last: int | None = None) -> VGG19:
    """A VGG19 (up to ``features[last]``) with the ``features.*`` tensors of ``path``. Every
    ``features.*`` key of VGG19 must be there with its shape, and no other (strict, whatever
    ``last``); ``classifier.*`` keys are ignored; anything else is an error."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a corrupt or non-tensor file: report it, not a traceback
        raise UsageError(f"cannot read VGG19 weights from {path}: {type(exc).__name__}: {exc}",
                         hint=_how_to_provide(weights_url())) from None
    if not isinstance(state, Mapping):
        raise UsageError(f"{path} holds a {type(state).__name__}, not a state dict of VGG19 weights",
                         hint=_how_to_provide(weights_url()))
    features = {k: v for k, v in state.items() if k.startswith("features.")}
    stray = sorted(k for k in state if not k.startswith(("features.", "classifier.")))
    missing = sorted(set(FEATURE_KEYS) - set(features), key=FEATURE_KEYS.index)
    unexpected = sorted(set(features) - set(FEATURE_KEYS))
    if stray or missing or unexpected:
        problems = "; ".join(f"{label}: {', '.join(keys[:4])}{' …' if len(keys) > 4 else ''}"
                             for label, keys in (("missing", missing), ("unexpected", unexpected + stray)) if keys)
        raise UsageError(f"{path} is not torchvision's VGG19 layout ({problems})", hint=_how_to_provide(weights_url()))
    wrong = [f"{k} is {tuple(getattr(v, 'shape', ()))}, expected {FEATURE_SHAPES[k]}"
             for k, v in features.items() if tuple(getattr(v, "shape", ())) != FEATURE_SHAPES[k]]
    if wrong:
        raise UsageError(f"{path} does not fit VGG19: {'; '.join(wrong[:3])}", hint=_how_to_provide(weights_url()))
    model = VGG19(last)
    kept = {k: v for k, v in features.items() if last is None or int(k.split(".")[1]) <= last}
    model.load_state_dict(kept, strict=True)
    return model
