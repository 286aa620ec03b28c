"""``load_data``: one entry point from ``--data`` to a :class:`DataBundle`, through the data-source
components that plugins (and the built-in plugin, :mod:`srzoo_core.data.sources`) register.

Resolution of a location: ``scheme:args`` where ``scheme`` is a registered source's name goes to
that source (``npy:fields.npy``, ``synthetic-grid:64``); anything else is offered to every source
in turn (plugins' first, then the built-ins) and the first that accepts it loads it. A location
nobody accepts gets one message saying what was expected, with did-you-mean for a misspelt scheme
and "provided by X, which is not installed" for a known plugin's file type.

``val=``/``test=`` name a separate split (folder or file); for paired data write ``"HR,LR"``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from srzoo_core.data.bundle import DataBundle
from srzoo_core.data.errors import DataError
from srzoo_core.data.images import IMAGE_EXTENSIONS
from srzoo_core.data.normalise import Normaliser
from srzoo_core.data.resize import DEFAULT_DEGRADATION, check_degradation
from srzoo_core.data.sources import DataRequest

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_\-]+):(.*)$", re.S)


def _positive_int(value: object, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DataError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return value


def _split_arg(value: str | None, what: str) -> tuple[Path, Path | None] | None:
    if value is None:
        return None
    parts = [p.strip() for p in str(value).split(",")]
    if len(parts) > 2 or not all(parts):
        raise DataError(f"{what}= takes a path, or 'HR,LR' for paired data; got {value!r}")
    return Path(parts[0]), (Path(parts[1]) if len(parts) == 2 else None)


def _what(path: Path) -> str:
    return "file" if path.suffix else "folder"


def _sources(host: Any) -> list[Any]:
    """Data-source components, plugins' first (so a plugin may claim a file type), then the core's."""
    infos = host.registry.list("datasource")
    return sorted(infos, key=lambda info: (info.provider.dist == "srzoo", info.name))


def sources_hint(host: Any) -> str:
    examples = []
    for info in _sources(host):
        example = getattr(info.resolve(), "example", None)
        examples.append(f"{info.name} ({example})" if example else info.name)
    return "data sources: " + ", ".join(examples) + "; 'srzoo list datasource' describes them"


def resolve_source(location: str, host: Any = None) -> tuple[Any, Any, str]:
    """(component info, source object, location for it) for ``--data``; a clear error otherwise."""
    from srzoo_core.registry import get_host

    host = host or get_host()
    scheme = _SCHEME.match(location)
    if scheme and not Path(location).exists():
        info = host.registry.find(scheme[1], "datasource")
        if info is not None:
            source = info.resolve()()
            rest = scheme[2]
            # A source named like its argument prefix (synthetic-grid:N) takes the whole location.
            return info, source, location if source.accepts(location) else rest
    for info in _sources(host):
        source = info.resolve()()
        if source.accepts(location):
            return info, source, location
    raise _unreadable(location, host, scheme)


def _unreadable(location: str, host: Any, scheme: re.Match | None) -> DataError:
    from srzoo_core.registry.catalogue import missing_component

    path = Path(location)
    if scheme and not path.exists() and not Path(scheme[1]).exists():
        missing = missing_component(scheme[1], host, "datasource")
        if missing:
            return DataError(missing[0], hint=missing[1])
        close = host.registry.suggest(scheme[1], "datasource")
        if close:
            return DataError(f"unknown data source {scheme[1]!r} in {location!r}", hint=f"did you mean {close}?")
    suffix_owner = _suffix_owner(path, host)
    if suffix_owner:
        return DataError(suffix_owner[0], hint=suffix_owner[1])
    hint = sources_hint(host)
    if not path.exists():
        return DataError(f"data source not found: {location}", hint=hint)
    if path.is_file():
        if path.suffix.lower() in IMAGE_EXTENSIONS:
            return DataError(f"{location} is a single image; give the folder that holds the training images")
        return DataError(f"unsupported data file {location}", hint=hint)
    if ":" in location and Path(location.rpartition(":")[0]).is_dir():
        return DataError(f"{location.rpartition(':')[0]} holds no HR_data_train_tm_<Season>.npy files, so "
                         f":{location.rpartition(':')[2]} selects nothing")
    if any(path.glob("*.npy")):
        return DataError(f"{path} holds .npy files but none named HR_data_train_tm[_<Season>].npy",
                         hint="give the .npy file itself as the source, and val=/test= for the other splits")
    return DataError(f"no images (.png, .jpg, ...) or .npy data in folder {path}", hint=hint)


def _suffix_owner(path: Path, host: Any) -> tuple[str, str] | None:
    """A file type that a known, uninstalled plugin reads (e.g. ``.nc`` → srzoo-xarray)."""
    from srzoo_core.registry.catalogue import missing_file_type

    file = Path(str(path).split(":", 1)[0]) if ":" in path.name else path  # f.nc:vars=a → f.nc
    return missing_file_type(file.suffix.lower(), host) if file.suffix else None


def load_data(source: str = "builtin", *, scale: int = 4, patch: int | None = None, degradation: str | None = None,
              val: str | None = None, test: str | None = None, lr: str | None = None, seed: int = 0,
              augment: bool | str | None = None, samples: int | None = None,
              normaliser: Normaliser | None = None, host: Any = None) -> DataBundle:
    """Load a data source into train / val / test datasets of normalised (LR, HR) pairs.

    ``patch``: HR training crop; default 96 for photos and the full field for grids (a patch
    larger than a grid field also means the full field). ``degradation``: how LR is made where
    it is not given; default ``bicubic`` (MATLAB-style, antialiased). ``augment``: None for the
    modality's default, True for its full set, False for none, or a mode by name. ``samples``: for
    ``synthetic-grid`` the number of fields generated (all splits); for other sources keep only
    the first ``samples`` training images / samples (quick runs). ``seed`` drives the training
    crops only, never the splits. ``normaliser``: use these statistics instead of fitting them
    (evaluating a trained model on the normalisation it was trained with).
    """
    source = str(source)
    info, reader, location = resolve_source(source, host)
    if getattr(reader, "fixed_splits", False):
        for name, value in (("lr", lr), ("val", val), ("test", test)):
            if value is not None:
                raise DataError(f"{name}= does not apply to {source}: its splits are fixed and its LR is made by degradation")
    request = _request(scale=scale, patch=patch, degradation=degradation, val=val, test=test, lr=lr, seed=seed,
                       augment=augment, samples=samples, normaliser=normaliser)
    bundle = reader.load(location, request)
    if not isinstance(bundle, DataBundle):
        raise DataError(f"data source {info.name!r} from {info.provider} returned {type(bundle).__name__}, not a DataBundle",
                        hint=f"report this to the maintainers of {info.provider.dist}")
    # Everything needed to load the same data again, e.g. by `srzoo eval` from a checkpoint alone.
    bundle.extra.update(source=source, datasource=info.name, datasource_provider=str(info.provider),
                        val_source=val, test_source=test, lr_path=lr, samples=samples)
    return bundle


def _request(*, scale: int, patch: int | None, degradation: str | None, val: str | None, test: str | None, lr: str | None,
             seed: int, augment: bool | str | None, samples: int | None, normaliser: Normaliser | None) -> DataRequest:
    scale = _positive_int(scale, "scale")
    seed = _positive_int(seed, "seed", minimum=0)
    if patch is not None:
        patch = _positive_int(patch, "patch")
        if patch % scale:
            raise DataError(f"patch {patch} is not divisible by scale {scale}; the LR crop would be {patch / scale:g} pixels")
    if samples is not None:
        samples = _positive_int(samples, "samples")
    lr_path = Path(lr) if lr else None
    val_arg, test_arg = _split_arg(val, "val"), _split_arg(test, "test")
    if lr_path is not None and not lr_path.exists():
        raise DataError(f"LR {_what(lr_path)} not found: {lr_path}")
    for arg, what in ((val_arg, "val"), (test_arg, "test")):
        if arg is None:
            continue
        if lr_path is not None and arg[1] is None:
            raise DataError(f"lr= pairs the training data with real LR, but {what}= gives HR only, whose LR would "
                            "be synthetic: a mixed protocol", hint=f"write {what}=HR,LR or drop {what}= to hold out paired data")
        for p in arg:
            if p is not None and not p.exists():
                raise DataError(f"{what} {_what(p)} not found: {p}")
    return DataRequest(scale=scale, patch=patch, degradation=check_degradation(degradation or DEFAULT_DEGRADATION),
                       val=val_arg, test=test_arg, lr=lr_path, seed=seed, augment=augment, samples=samples,
                       normaliser=normaliser)
