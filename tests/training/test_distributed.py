"""Two CPU processes under torchrun (gloo) train one model; only rank 0 writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_two_process_torchrun_trains_and_rank0_writes(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "SRZOO_DIST_BACKEND": "gloo"}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
        "-m", "srzoo_core.cli", "train", "gen=srresnet(blocks=1,features=8) loss=l1", "--data", "synthetic-grid:20",
        "--batch", "2", "--iters", "4", "--val-every", "2", "--out", str(tmp_path), "--name", "ddp", "--precision", "fp32",
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    runs = list(tmp_path.iterdir())
    assert [p.name for p in runs] == ["ddp"]
    status = json.loads((tmp_path / "ddp" / "run.json").read_text())
    assert status["status"] == "finished" and status["step"] == 4
    assert (tmp_path / "ddp" / "last.safetensors").is_file()
    assert done.stdout.count("final validation at step 4") == 1


def _documented_multinode_command() -> str:
    """The torchrun line of docs/cluster.md's tested block (continuation lines joined)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "cluster.md").read_text()
    block = text.split("<!-- tested: tests/training/test_distributed.py", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    joined = block.replace("\\\n", " ")
    return next(line for line in joined.splitlines() if line.strip().startswith("torchrun "))


def test_the_documented_multinode_recipe_runs_as_two_nodes_on_localhost(tmp_path):
    import shlex
    import socket

    with socket.socket() as probe:  # a free port for the rendezvous
        probe.bind(("localhost", 0))
        port = probe.getsockname()[1]
    line = _documented_multinode_command().replace("$HEAD:29500", f"localhost:{port}")
    words = shlex.split(line)
    assert words[0] == "torchrun" and "--nnodes=2" in words and "--accumulate" in words
    words[words.index("--out") + 1] = str(tmp_path)
    command = [sys.executable, "-m", "torch.distributed.run", *words[1:]]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "SRZOO_DIST_BACKEND": "gloo"}
    nodes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outputs = [node.communicate() for node in nodes]
    for node, (out, err) in zip(nodes, outputs):
        assert node.returncode == 0, err[-3000:]
    name = words[words.index("--name") + 1]
    assert [p.name for p in tmp_path.iterdir()] == [name]
    status = json.loads((tmp_path / name / "run.json").read_text())
    assert status["status"] == "finished" and status["step"] == 4
    assert status["description"]["training"]["accumulate"] == 2
    assert sum(out.count("final validation at step 4") for out, _ in outputs) == 1
