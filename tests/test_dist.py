"""Installable by name (docs/versioning.md).

The version policy is checked on every run: the core and every plugin here share one version, and
each plugin requires the core's minor series. The install check builds wheels of srzoo and
srzoo-esrgan and runs scripts/dist_check.sh (also `make dist-check`): `pip install srzoo-esrgan`
into a fresh virtual environment must give a `srzoo list gen` that shows rrdbnet. It needs the
package index and takes a minute or more, so it runs only when SRZOO_DIST_CHECK=1."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = sorted(ROOT.glob("plugins/*/pyproject.toml"))


def _project(pyproject: Path) -> dict:
    return tomllib.loads(pyproject.read_text())["project"]


@pytest.mark.parametrize("pyproject", PLUGINS, ids=[p.parent.name for p in PLUGINS])
def test_plugins_share_the_core_version_and_require_its_minor_series(pyproject):
    core = _project(ROOT / "pyproject.toml")["version"]
    major, minor = (int(part) for part in core.split(".")[:2])
    plugin = _project(pyproject)
    assert plugin["version"] == core
    assert f"srzoo>={major}.{minor},<{major}.{minor + 1}" in plugin["dependencies"]
    assert "srzoo" in plugin.get("entry-points", {})


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("SRZOO_DIST_CHECK") != "1",
                    reason="builds wheels and a fresh virtual environment from the package index: set SRZOO_DIST_CHECK=1")
def test_srzoo_esrgan_installs_by_name_from_built_wheels(tmp_path):
    dist = tmp_path / "dist"
    for project in (ROOT, ROOT / "plugins" / "srzoo-esrgan"):
        subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(project)],
                       check=True, capture_output=True)
    checked = subprocess.run(["bash", str(ROOT / "scripts" / "dist_check.sh"), str(dist)], capture_output=True, text=True,
                             env={**os.environ, "PYTHON": sys.executable})
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert "srzoo list gen shows rrdbnet" in checked.stdout
