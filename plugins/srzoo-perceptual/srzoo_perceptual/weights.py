"""Where a published weights file comes from, and reading it strictly. Shared by every network of
this plugin (VGG19 for the loss; AlexNet, VGG16, the LPIPS heads and DISTS' weights for the metrics).

A file is looked for in this order (:meth:`Published.find`):

1. a path given as an option (``weights=PATH``, ``backbone=PATH``);
2. the file's environment variable (``SRZOO_VGG19_WEIGHTS``, ``SRZOO_ALEXNET_WEIGHTS``, …);
3. the torch hub cache, ``<torch.hub.get_dir()>/checkpoints/<file name>`` (where torchvision keeps
   its files too);
4. a download of the published address (or of the file's ``…_URL`` environment variable, e.g. a
   ``file://`` mirror) into that cache, refused unless the file's sha256 starts with the hex digits
   in its name (torchvision's convention) or, for files named without a hash, equals the digest
   pinned here.

A path that was given (1, 2) but does not exist is an error, never a silent fallback to the next
source. When nothing works, a :class:`~srzoo_core.errors.UsageError` says how to provide the file.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import torch

from srzoo_core.errors import UsageError

RANDOM = "random"
_HASH_IN_NAME = re.compile(r"-([a-f0-9]{8,})\.")


def is_random(weights: str | None) -> bool:
    return weights is not None and weights.strip().lower() == RANDOM


def file_name(url: str) -> str:
    return os.path.basename(unquote(urlparse(url).path))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Published:
    """One published weights file and the ways a user can provide it."""

    label: str  # in messages: "VGG19 weights", "could not download VGG19 weights"
    description: str  # "torchvision's VGG19 ImageNet weights"
    url: str
    env: str  # a path
    url_env: str  # another address
    option: str  # "vgg(weights=PATH)"
    random_option: str  # "vgg(weights=random)"
    sha256: str = ""  # the full digest, for a file whose name carries no hash
    cache_name: str = ""  # the name in the hub cache; default: the URL's file name
    shared: str = ", shared with torchvision"

    def address(self) -> str:
        return os.environ.get(self.url_env, "").strip() or self.url

    def cache_file(self, url: str | None = None) -> Path:
        name = self.cache_name or file_name(url or self.address()) or file_name(self.url)
        return Path(torch.hub.get_dir()) / "checkpoints" / name

    def how_to_provide(self, url: str | None = None) -> str:
        url = url or self.address()
        default = self.cache_name or file_name(self.url)
        return (f"provide {self.description} ({default}) in one of these ways: the option {self.option} in the spec; "
                f"the environment variable {self.env}=PATH; the file {self.cache_file(url)} (the torch hub cache"
                f"{self.shared}); or let srzoo download {url} (set {self.url_env} to fetch another address, e.g. a "
                f"file:// mirror). {self.random_option} is for tests only")

    def _given(self, value: str, origin: str) -> Path:
        path = Path(value).expanduser()
        if not path.is_file():
            raise UsageError(f"{self.label} weights file {value!r} (from {origin}): no such file",
                             hint=self.how_to_provide())
        return path

    def find(self, given: str | None = None, origin: str = "the option weights=") -> Path:
        """The weights file, by the order in the module docstring (downloading if needed)."""
        if given:
            return self._given(given, origin)
        from_env = os.environ.get(self.env, "").strip()
        if from_env:
            return self._given(from_env, f"${self.env}")
        url = self.address()
        cached = self.cache_file(url)
        return cached if cached.is_file() else self.download(url, cached)

    def expected_hash(self, url: str) -> str | None:
        match = _HASH_IN_NAME.search(file_name(url))
        return match.group(1) if match else (self.sha256 or None)

    def download(self, url: str, destination: Path) -> Path:
        """Download ``url`` to ``destination``, refused unless its sha256 is the expected one."""
        expected = self.expected_hash(url)
        if expected is None:
            raise UsageError(f"will not download {self.label} weights from {url}: the file name carries no hash to "
                             "check (expected NAME-<8+ hex digits of its sha256>.pth)", hint=self.how_to_provide(url))
        destination.parent.mkdir(parents=True, exist_ok=True)
        print(f"srzoo: downloading {self.label} weights from {url} to {destination}", file=sys.stderr)
        try:
            torch.hub.download_url_to_file(url, str(destination), hash_prefix=expected, progress=True)
        except RuntimeError as exc:
            if "hash" in str(exc):
                raise UsageError(f"{self.label} weights downloaded from {url} failed their hash check and were "
                                 f"discarded: {exc}", hint=self.how_to_provide(url)) from None
            raise UsageError(f"could not download {self.label} weights from {url}: {exc}",
                             hint=self.how_to_provide(url)) from None
        except (OSError, ValueError) as exc:  # URLError is an OSError; ValueError: malformed URL
            raise UsageError(f"could not download {self.label} weights from {url}: {exc}",
                             hint=self.how_to_provide(url)) from None
        return destination

    def read(self, path: Path) -> Mapping:
        """The state dict in ``path``, tensors only (``weights_only``: no pickled code runs)."""
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 -- a corrupt or non-tensor file: report it, not a traceback
            raise UsageError(f"cannot read {self.label} weights from {path}: {type(exc).__name__}: {exc}",
                             hint=self.how_to_provide()) from None
        if not isinstance(state, Mapping):
            raise UsageError(f"{path} holds a {type(state).__name__}, not a state dict of {self.label} weights",
                             hint=self.how_to_provide())
        return state

    def select(self, path: Path, state: Mapping, shapes: Mapping[str, tuple[int, ...]], layout: str,
               ignored: tuple[str, ...] = ()) -> dict[str, torch.Tensor]:
        """The tensors of ``state`` named in ``shapes``: every one must be there with its shape;
        keys starting with one of ``ignored`` are dropped; any other key is an error."""
        kept = {k: v for k, v in state.items() if k in shapes}
        missing = [k for k in shapes if k not in kept]
        unexpected = sorted(k for k in state if k not in shapes and not k.startswith(ignored))
        if missing or unexpected:
            problems = "; ".join(f"{label}: {', '.join(keys[:4])}{' …' if len(keys) > 4 else ''}"
                                 for label, keys in (("missing", missing), ("unexpected", unexpected)) if keys)
            raise UsageError(f"{path} is not {layout} ({problems})", hint=self.how_to_provide())
        wrong = [f"{k} is {tuple(getattr(v, 'shape', ()))}, expected {shapes[k]}"
                 for k, v in kept.items() if tuple(getattr(v, "shape", ())) != tuple(shapes[k])]
        if wrong:
            raise UsageError(f"{path} does not fit {self.label}: {'; '.join(wrong[:3])}", hint=self.how_to_provide())
        return kept


def identity(path: Path | None) -> dict:
    """What a protocol records about a weights file: where it was and its sha256."""
    if path is None:
        return {"file": RANDOM, "note": "random weights (tests only): values are not comparable with anything"}
    return {"file": str(path), "sha256": sha256_of(path)}
