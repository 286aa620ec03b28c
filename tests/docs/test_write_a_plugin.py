"""examples/write_a_plugin, checked from source without installing it: its packaging declares the
entry point, its hooks load into a fresh plugin host, it passes the conformance kit, and a spec
using its components resolves and builds. The example's own tests run too (slow: a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import torch

from srzoo_core import PluginHost, SpecError, build_generator, build_losses, resolve
from srzoo_core.testing import check_plugin

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "write_a_plugin"
if str(EXAMPLE) not in sys.path:
    sys.path.insert(0, str(EXAMPLE))

import srzoo_example_plugin  # noqa: E402


@pytest.fixture
def host() -> PluginHost:
    """The installed plugins plus the example, added from source as an installed plugin would be."""
    host = PluginHost()
    host.load_entry_points()
    host.records.pop("example", None)
    host.add_plugin(srzoo_example_plugin, name="example", dist="srzoo-example-plugin", version="0.1.0")
    return host


def test_pyproject_declares_the_entry_point():
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["srzoo"] == {"example": "srzoo_example_plugin"}
    assert any(d.startswith("srzoo") and "<" in d for d in project["dependencies"])  # a range of core versions


def test_conformance_kit_passes():
    passed = check_plugin(srzoo_example_plugin)
    assert {line.split("]")[0] for line in passed} == {"[block pixel_attention", "[loss fft_l1"}


def test_components_register_lazily_with_provenance(host):
    record = host.records["example"]
    assert record.status == "ok" and record.components == ["pixel_attention", "fft_l1"]
    block = host.registry.get("pa", "block")
    assert block.name == "pixel_attention" and block.slot == "attention" and isinstance(block.factory, str)
    assert str(block.provider) == "srzoo-example-plugin 0.1.0"


def test_a_spec_using_the_plugin_resolves_and_builds(host):
    spec = "gen=srresnet(blocks=2)+example:pixel_attention(kernel_size=3) disc=patchgan loss=l1+0.1*fft_l1+0.01*gan"
    resolved = resolve(spec, host)
    assert resolved.canonical() == "gen=srresnet(blocks=2)+pixel_attention(kernel_size=3) disc=patchgan loss=l1+0.1*fft_l1+0.01*gan"
    generator = build_generator(resolved, in_channels=2, scale=4, host=host)
    assert generator(torch.randn(1, 2, 8, 8)).shape == (1, 2, 32, 32)
    assert [t.name for t in build_losses(resolved, host=host)] == ["l1", "fft_l1", "gan"]


def test_the_block_competes_for_the_attention_slot(host):
    with pytest.raises(SpecError, match="both fill slot 'attention'"):
        resolve("gen=srresnet+se+pa", host)


@pytest.mark.slow
def test_the_examples_own_tests_pass():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(EXAMPLE), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=EXAMPLE, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
