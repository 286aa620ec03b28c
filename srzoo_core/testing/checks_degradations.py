"""Checks of degradations (kind ``deg``): what makes a training LR from its HR.

Rules, so an author knows what passes (the contract is in :mod:`srzoo_core.interfaces` and the
srzoo-degradations README):

* ``modalities`` is a non-empty tuple of known modality names; ``modality_error(m)`` is None
  exactly for those and, for every other known modality, a sentence naming the component.
* ``output_size`` is ``same``, ``any`` or ``target`` and ``needs_target`` a bool. On a 3×32×24
  image at ×4, float32 and float64, with and without ``target_size=(8, 6)``: ``same`` keeps
  32×24, ``target`` gives 8×6, ``any`` some non-empty size; channels, dtype and device kept,
  values finite; ``params`` a dict that survives a JSON round trip.
* Without ``target_size``, a ``target`` (or ``needs_target``) term refuses a 30×22 HR, which ×4
  does not divide, with ``ValueError``; any term refuses a (1, 3, H, W) or integer tensor so.
* Randomness only from the generator it is given: the same seed gives the same bytes and params
  even when the global torch, NumPy and Python generators are reseeded in between, and those
  generators' states are left as they were. (Other seeds need not change anything: ``smooth``
  with a fixed sigma draws its ``prob`` coin and always gives the same.) A pickled copy gives
  the same output.
* A term that accepts ``grid`` returns a float64 field of large values (280 ± 5) unclipped.
"""

from __future__ import annotations

import copy
import json
import pickle
import random
from typing import Any, Callable

import numpy as np
import torch

from srzoo_core.registry import ComponentInfo
from srzoo_core.testing._kit import Recorder, require

SCALE = 4
HR = (3, 32, 24)
TARGET = (8, 6)
OUTPUT_SIZES = ("same", "any", "target")
SEED = 1234


def _image(dtype: torch.dtype = torch.float32, grid: bool = False, shape: tuple[int, ...] = HR) -> torch.Tensor:
    g = torch.Generator().manual_seed(7)
    x = torch.rand(shape, generator=g, dtype=torch.float64)
    return (280.0 + 10.0 * (x - 0.5) if grid else 0.05 + 0.9 * x).to(dtype)


def _run(deg: Any, image: torch.Tensor, seed: int = SEED, target: tuple[int, int] | None = TARGET) -> tuple[torch.Tensor, Any]:
    return deg(image, scale=SCALE, generator=torch.Generator().manual_seed(seed), target_size=target)


def _global_states() -> tuple[Any, ...]:
    return torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()


def _json_round_trip(params: dict[str, Any]) -> bool:
    try:
        return json.loads(json.dumps(params)) == params
    except (TypeError, ValueError):
        return False


def _same(a: tuple[torch.Tensor, Any], b: tuple[torch.Tensor, Any]) -> bool:
    return a[0].dtype == b[0].dtype and a[0].shape == b[0].shape and torch.equal(a[0], b[0]) and a[1] == b[1]


def degradation(rec: Recorder, info: ComponentInfo, factory: Callable[..., Any], params: dict[str, Any]) -> None:
    from srzoo_core.data.modality import modalities

    deg = None
    with rec.check("build"):
        deg = factory(**params)
    if deg is None:
        return
    known = [m.name for m in modalities()]
    with rec.check("declares its modalities"):
        declared = getattr(deg, "modalities", None)
        require(isinstance(declared, tuple) and declared and all(m in known for m in declared),
                f"modalities is {declared!r}; expected a non-empty tuple of {', '.join(known)}")
        for m in known:
            message = deg.modality_error(m)
            if m in declared:
                require(message is None, f"modality_error({m!r}) is {message!r} though {m!r} is in modalities")
            else:
                require(isinstance(message, str) and info.name in message,
                        f"modality_error({m!r}) is {message!r}; expected a sentence naming {info.name!r}")
    size = getattr(deg, "output_size", None)
    with rec.check("declares its output size"):
        require(size in OUTPUT_SIZES, f"output_size is {size!r}; expected one of {', '.join(OUTPUT_SIZES)}")
        require(isinstance(getattr(deg, "needs_target", None), bool), "needs_target must be True or False")
    if size not in OUTPUT_SIZES:
        return
    grid = "grid" in deg.modalities and "photo" not in deg.modalities
    with rec.check("output shape, dtype and params"):
        for dtype in (torch.float32, torch.float64):
            for target in (None, TARGET):
                image = _image(dtype, grid)
                out, drawn = _run(deg, image, target=target)
                where = f"{dtype} input, target_size={target}"
                require(isinstance(out, torch.Tensor) and out.ndim == 3 and out.shape[0] == HR[0],
                        f"{where}: returned {getattr(out, 'shape', type(out).__name__)}, expected ({HR[0]}, h, w)")
                expected = {"same": HR[1:], "target": TARGET}.get(size)
                require(expected is None or tuple(out.shape[1:]) == expected,
                        f"{where}: output_size {size!r} but the output is {tuple(out.shape[1:])}, not {expected}")
                require(min(out.shape[1:]) >= 1, f"{where}: an empty output {tuple(out.shape)}")
                require(out.dtype == dtype and out.device == image.device, f"{where}: returned {out.dtype} on {out.device}")
                require(torch.isfinite(out).all(), f"{where}: non-finite values")
                require(isinstance(drawn, dict) and _json_round_trip(drawn),
                        f"{where}: params {drawn!r} are not a dict that survives a JSON round trip")
    with rec.check("refuses bad input"):
        bad = [("a (1, C, H, W) batch", _image(shape=(1, *HR))), ("an integer image", (_image() * 255).to(torch.uint8))]
        if size == "target" or deg.needs_target:
            bad.append(("a 30×22 HR without target_size (×4 does not divide it)", _image(grid=grid, shape=(3, 30, 22))))
        for what, image in bad:
            try:
                _run(deg, image, target=None)
            except ValueError:
                continue
            require(False, f"{what} is accepted; expected a ValueError")
    _reproducible(rec, deg, grid)
    if "grid" in deg.modalities:
        with rec.check("keeps physical values"):
            out, _ = _run(deg, _image(torch.float64, grid=True))
            require(out.dtype == torch.float64 and 250 < float(out.mean()) < 310 and float(out.max()) > 1.0,
                    f"a 280 ± 5 float64 field came back {out.dtype} with mean {float(out.mean()):.4g}, max {float(out.max()):.4g}")


def _reproducible(rec: Recorder, deg: Any, grid: bool) -> None:
    image = _image(grid=grid)
    with rec.check("randomness from the generator only"):
        before = _global_states()
        first = _run(deg, image)
        after = _global_states()
        require(torch.equal(before[0], after[0]) and np.array_equal(before[1], after[1]) and before[2] == after[2],
                "a call changed the global torch, NumPy or Python random state")
        torch.manual_seed(99)
        np.random.seed(99)
        random.seed(99)
        require(_same(first, _run(deg, image)), "the same generator seed gave different output or params "
                "(after reseeding the global generators): draw everything from the generator passed in")
    with rec.check("pickles"):
        pickle.dumps(deg)  # data-loader workers started by spawn receive a pickled copy
        duplicate = copy.deepcopy(deg)  # the same reduce protocol, without unpickling anything
        require(_same(_run(deg, image), _run(duplicate, image)), "a copy gives other output (data-loader workers use copies)")
