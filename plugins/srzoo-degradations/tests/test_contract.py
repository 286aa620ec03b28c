"""The contract of every degradation: registration, shapes, dtypes, params, reproducibility from
the generator alone, modalities, option checking. (The conformance kit has no checks for kind
``deg`` yet; these are the checks proposed for it.)"""

from __future__ import annotations

import json
import os
import pickle
import random
import subprocess
import sys

import numpy as np
import pytest
import torch

NAMES = ("blur", "sinc", "resize", "noise", "jpeg", "realesrgan", "bicubic", "smooth", "coarsen")
PLUGIN_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMALL = {"blur": {"size": (3, 7)}, "sinc": {"size": (3, 7)}, "smooth": {"sigma": (0.5, 2.0)}}
RANDOM = ("blur", "sinc", "resize", "noise", "jpeg", "realesrgan", "smooth")


def _image(dtype=torch.float32, c=3, h=32, w=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(c, h, w, generator=g, dtype=torch.float64) * 0.8 + 0.1).to(dtype)


def _run(deg, image, seed, scale=4):
    return deg(image, scale=scale, generator=torch.Generator().manual_seed(seed))


def test_entry_module_is_lazy():
    code = ("import sys, srzoo_degradations; from srzoo_core import PluginHost; "
            "h = PluginHost(); h.add_plugin(srzoo_degradations, name='degradations'); "
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('srzoo_degradations.')))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([PLUGIN_ROOT, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


def test_registrations(host):
    infos = [i for i in host.registry if i.provider.plugin == "degradations"]
    assert sorted(i.name for i in infos) == sorted(NAMES)
    assert all(i.kind == "deg" and isinstance(i.factory, str) and i.description for i in infos)
    assert [p.name for p in host.registry.get("jpeg", "deg").params] == ["quality", "prob"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shape_dtype_params(build, name, dtype):
    deg = build(name, **SMALL.get(name, {}))
    assert set(deg.modalities) <= {"photo", "grid"} and "photo" in deg.modalities
    image = _image(dtype)
    out, params = _run(deg, image, seed=3)
    assert out.dtype == dtype and out.ndim == 3 and out.shape[0] == 3 and torch.isfinite(out).all()
    if deg.output_size == "same":
        assert out.shape == image.shape
    elif deg.output_size == "target":
        assert out.shape == (3, 8, 6)
    assert json.loads(json.dumps(params)) == params


@pytest.mark.parametrize("name", RANDOM)
def test_reproducible_from_the_generator_alone(build, name):
    """Same seed: byte-identical output and params, whatever the global RNGs do in between;
    the global torch, numpy and Python RNGs are never drawn from."""
    deg = build(name, **SMALL.get(name, {}))
    image = _image()
    states = torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()
    out1, p1 = _run(deg, image, seed=11)
    assert torch.equal(torch.get_rng_state(), states[0]) and np.array_equal(np.random.get_state()[1], states[1])
    assert random.getstate() == states[2]
    torch.manual_seed(999), np.random.seed(999), random.seed(999)
    out2, p2 = _run(deg, image, seed=11)
    assert out1.numpy().tobytes() == out2.numpy().tobytes() and json.dumps(p1) == json.dumps(p2)
    differs = [not torch.equal(out1, o) or p1 != p for o, p in (_run(deg, image, seed=s) for s in range(12, 16))]
    assert any(differs)


@pytest.mark.parametrize("name", ("blur", "realesrgan", "noise"))
def test_pickles_for_data_loader_workers(build, name):
    deg = build(name, **SMALL.get(name, {}))
    twin = pickle.loads(pickle.dumps(deg))
    assert torch.equal(_run(deg, _image(), seed=5)[0], _run(twin, _image(), seed=5)[0])


def test_generator_drives_the_params(build):
    """Per-sample generators (seeded from run seed, epoch and index) give differing draws."""
    blur = build("blur")
    kinds = {_run(blur, _image(), seed=s)[1].get("kernel") for s in range(60)}
    assert {"iso", "aniso", "sinc"} <= kinds


@pytest.mark.parametrize("name,grid", [("blur", False), ("sinc", False), ("resize", False), ("jpeg", False),
                                       ("realesrgan", False), ("noise", True), ("bicubic", True), ("smooth", True),
                                       ("coarsen", True)])
def test_modalities(build, name, grid):
    deg = build(name)
    assert ("grid" in deg.modalities) is grid
    assert deg.modality_error("photo") is None
    message = deg.modality_error("grid")
    if grid:
        assert message is None
    else:
        assert f"'{name}'" in message and "physical grids" in message and "smooth" in message


def test_noise_on_grids_only_when_gaussian_and_unclipped(build):
    assert "grid" not in build("noise", poisson_prob=0.5).modalities
    assert "grid" not in build("noise", clip=True).modalities
    assert "Poisson" in build("noise", poisson_prob=0.5).modality_error("grid")


@pytest.mark.parametrize("name,options,words", [
    ("jpeg", {"quality": (95, 30)}, "reversed"),
    ("jpeg", {"quality": (0, 95)}, "out of bounds"),
    ("jpeg", {"quality": 30.5}, "whole"),
    ("jpeg", {"quality": "high"}, "range"),
    ("noise", {"sigma": (-0.1, 0.1)}, "out of bounds"),
    ("noise", {"gray_prob": 1.5}, "probability"),
    ("blur", {"size": (6, 21)}, "odd"),
    ("blur", {"kind": "iso|box"}, "unknown 'box'"),
    ("blur", {"kind": "iso|aniso", "kind_weights": (1.0,)}, "kind_weights"),
    ("blur", {"betap": (2.0, 1.2)}, "reversed"),
    ("sinc", {"omega": (1.0, 4.0)}, "out of bounds"),
    ("resize", {"up": 0.5, "down": 0.6, "keep": 0.1}, "must be 1"),
    ("resize", {"factor": 0.5}, "no part above 1"),
    ("resize", {"final": True, "factor": (0.5, 2.0)}, "remove factor"),
    ("resize", {"mode": "nearest"}, "unknown 'nearest'"),
    ("smooth", {"boundary": "wrap"}, "boundary"),
])
def test_bad_options_are_value_errors(build, name, options, words):
    with pytest.raises(ValueError, match=words):
        build(name, **options)


def test_weights_and_modes_may_be_written_with_bars(build):
    blur = build("blur", kind="iso|aniso", kind_weights="0|1", sinc_prob=0)
    assert {_run(blur, _image(), seed=s)[1]["kernel"] for s in range(8)} == {"aniso"}
    assert build("resize", mode="bicubic|area").modes == ("bicubic", "area")


def test_scalars_are_fixed_values(build):
    plateau = build("blur", kind="plateau_aniso", betap=1.7, sigma=1.5, sinc_prob=0)
    assert {(p["beta"], p["sigma_x"]) for p in (_run(plateau, _image(), seed=s)[1] for s in range(4))} == {(1.7, 1.5)}
    _, params = _run(build("jpeg", quality=42), _image(), seed=0)
    assert params["quality"] == 42
    _, params = _run(build("resize", factor=0.5, up=0, down=1, keep=0), _image(), seed=0)
    assert params["factor"] == 0.5 and params["size"] == [16, 12]


def test_bad_calls(build):
    jpeg = build("jpeg")
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        jpeg(torch.rand(1, 3, 8, 8), scale=2, generator=torch.Generator())
    with pytest.raises(ValueError, match="divisible by 4"):
        build("bicubic")(torch.rand(3, 10, 8), scale=4, generator=torch.Generator())
    with pytest.raises(ValueError, match="1 channel"):
        jpeg(torch.rand(2, 8, 8), scale=2, generator=torch.Generator())
    with pytest.raises(ValueError, match="resize\\(final=true\\)"):
        build("coarsen")(torch.rand(3, 12, 12), scale=2, generator=torch.Generator(), target_size=(4, 4))


def test_chain_ends_at_the_target_size(build, chain):
    terms = [build("blur"), build("resize"), build("noise"), build("jpeg"), build("resize", final=True)]
    for seed in range(6):
        out, params = chain(terms, _image(h=48, w=40), 4, torch.Generator().manual_seed(seed))
        assert out.shape == (3, 12, 10) and params[-1]["size"] == [12, 10]


def test_chain_without_a_final_resize_is_refused(build, chain_rule):
    for terms in ([build("blur"), build("noise")], [build("bicubic"), build("resize")]):
        with pytest.raises(ValueError, match="final=true"):
            chain_rule(terms)
    chain_rule([build("blur"), build("bicubic"), build("noise"), build("jpeg")])   # LR-sized terms after the target


def test_conformance(srzoo_conformance):
    """The kit's checks for kind ``deg`` are still to come (see the README); until then the tests
    above stand in for them, and this runs the kit as soon as it knows the kind."""
    import srzoo_degradations

    from srzoo_core.testing import conformance
    if "deg" not in conformance.CHECKS:
        pytest.skip("the conformance kit has no checks for degradations yet")
    srzoo_conformance(srzoo_degradations)
