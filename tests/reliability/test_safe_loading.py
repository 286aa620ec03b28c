"""Safe loading: srzoo's checkpoints are safetensors and nothing is ever unpickled. A malicious
PyTorch pickle handed to `srzoo eval` or `srzoo upscale` is refused with a clear message and its
payload never runs; the code that does read legacy .pth weights (srzoo-esrgan, srzoo-perceptual)
does so with torch.load(weights_only=True), and no other unpickling call exists."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.reliability.common import error_count, flat

ROOT = Path(__file__).resolve().parents[2]


class Payload:
    """Unpickling this runs code that creates a file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


@pytest.mark.parametrize("name, zipped", [("evil.pth", True), ("evil.pt", False), ("renamed.safetensors", True)])
def test_a_malicious_pickle_is_refused_by_eval_and_upscale_and_never_runs(cli, tmp_path, name, zipped):
    marker, path = tmp_path / "pwned", tmp_path / name
    torch.save({"gen.head.weight": torch.zeros(1), "payload": Payload(marker)}, path, _use_new_zipfile_serialization=zipped)
    grid = tmp_path / "in.npy"
    np.save(grid, np.zeros((2, 8, 8), np.float32))
    for command in (["eval", str(path)], ["upscale", str(path), str(grid), str(tmp_path / "out.npy")]):
        code, out, err = cli(*command)
        assert code == 2, err
        assert f"error: {path} is a PyTorch pickle file (torch.save), not an srzoo checkpoint; srzoo never unpickles" in flat(err)
        assert error_count(err) == 1 and "Traceback" not in err + out
    assert not marker.exists() and not (tmp_path / "out.npy").exists()
    live = tmp_path / "live.pth"  # (torch.load hands *.safetensors names to safetensors)
    live.write_bytes(path.read_bytes())
    torch.load(live, weights_only=False)  # the payload is live: an unrestricted load runs it
    assert marker.exists()


def _unsafe_calls(source: str) -> list[str]:
    """torch.load without weights_only=True, pickle/dill/joblib loads, np.load(allow_pickle=True)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value.id if isinstance(node.func.value, ast.Name) else ""
        keywords = {k.arg: getattr(k.value, "value", None) for k in node.keywords}
        name = f"{owner}.{node.func.attr}"
        if name == "torch.load" and keywords.get("weights_only") is not True:
            found.append(f"line {node.lineno}: torch.load without weights_only=True")
        elif owner in ("pickle", "dill", "joblib", "cloudpickle") and node.func.attr in ("load", "loads"):
            found.append(f"line {node.lineno}: {name}")
        elif node.func.attr == "load" and keywords.get("allow_pickle") is True:
            found.append(f"line {node.lineno}: {name}(allow_pickle=True)")
    return found


def test_no_code_path_unpickles():
    sources = [p for p in sorted(ROOT.glob("srzoo_core/**/*.py"))] + sorted(ROOT.glob("plugins/*/srzoo_*/**/*.py"))
    assert len(sources) > 50
    problems = [f"{p.relative_to(ROOT)} {problem}" for p in sources for problem in _unsafe_calls(p.read_text())]
    assert problems == []
    assert _unsafe_calls("import torch\ntorch.load(f)\ntorch.load(f, weights_only=False)\npickle.loads(b)\nnp.load(f, allow_pickle=True)\n"
                         "torch.load(f, map_location='cpu', weights_only=True)\nnp.load(f)\n") == [
        "line 2: torch.load without weights_only=True", "line 3: torch.load without weights_only=True",
        "line 4: pickle.loads", "line 5: np.load(allow_pickle=True)"]
