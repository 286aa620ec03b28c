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
