"""How much each section measures: the full suite (``make bench``, about 25 minutes on 2 cores,
19 of them inference), ``--quick`` (fewer rounds and steps, smaller inference sizes) and ``--smoke`` (tiny
models, for checking that the suite runs at all; its figures mean nothing)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Callable



SMOKE_MODELS = {"srresnet": "gen=srresnet(blocks=1,features=8)", "rrdbnet": "gen=rrdbnet(blocks=1,features=8,growth=4)",
                "span": "gen=span(features=8,blocks=1)", "swinir": "gen=swinir(preset=lightweight,embed_dim=12,depths=\"2\",num_heads=2)"}


@dataclass
class Plan:
    name: str = "full"
    rounds: int = 5            # interleaved rounds per comparison
    steps: int = 3             # training iterations per repeat
    warm: int = 2              # iterations run once per candidate before the rounds
    batch: int = 16
    patch: int = 96            # HR training crop (LR = patch / 4)
    blocks: int = 16           # SRResNet blocks
    rrdb_blocks: int = 8       # RRDBNet blocks on CPU (standard width 64, growth 32)
    rrdb_rounds: int = 3
    rrdb_steps: int = 2
    peak_reps: int = 3
    grid_samples: int = 10_000
    grid_steps: int = 6
    batches: tuple[int, ...] = (4, 8, 16, 32)
    patches: tuple[int, ...] = (48, 96, 144)
    scaling_reps: int = 2
    dist_iters: int = 8        # torchrun comparison: iterations per run (the first 2 are not timed)
    startup_runs: int = 5
    # benchmarks.inference.run's options: srresnet-16, rrdbnet-8 (as in training), span, swinir lightweight
    inference: dict[str, Any] = field(default_factory=lambda: {
        "sizes": (128, 256, 512), "rounds": 3, "train_iters": 30, "speed_size": 128, "seam_size": 256, "seam_tile": 160,
        "memory_size": 256, "big_size": 4096, "big_budget": "2GiB", "onnx_size": 128, "batch_size": 256,
        "batch_tiles": (64, 96)})
    gpu_steps: int = 20
    gpu_rounds: int = 3

    @property
    def srresnet(self) -> str:
        return f"gen=srresnet(blocks={self.blocks}) loss=l1"

    @property
    def srresnet_gan(self) -> str:
        return f"gen=srresnet(blocks={self.blocks}) disc=patchgan loss=l1+0.01*gan"

    def rrdbnet(self, blocks: int | None = None) -> str:
        return f"gen=rrdbnet(blocks={blocks or self.rrdb_blocks}) loss=l1"


def make_plan(name: str) -> Plan:
    if name == "full":
        return Plan()
    if name == "quick":
        return Plan(name="quick", rounds=3, steps=2, warm=1, rrdb_blocks=4, rrdb_rounds=2, rrdb_steps=1, peak_reps=2, grid_steps=3,
                    batches=(4, 16, 32), patches=(48, 96, 144), scaling_reps=1, dist_iters=5, startup_runs=3,
                    inference={"sizes": (64, 128, 256), "rounds": 2, "train_iters": 10, "speed_size": 96, "seam_size": 192,
                               "seam_tile": 144, "memory_size": 128, "big_size": 2048, "big_budget": "1GiB", "onnx_size": 96,
                               "batch_size": 128, "batch_tiles": (48,)},
                    gpu_steps=10, gpu_rounds=2)
    if name == "smoke":
        return Plan(name="smoke", rounds=2, steps=1, warm=1, batch=2, patch=24, blocks=1, rrdb_blocks=1, rrdb_rounds=2,
                    rrdb_steps=1, peak_reps=1, grid_samples=200, grid_steps=2, batches=(1, 2), patches=(16, 24),
                    scaling_reps=1, dist_iters=4, startup_runs=1,
                    inference={"models": SMOKE_MODELS, "sizes": (24, 32, 48), "rounds": 1, "train_iters": 1, "speed_size": 24,
                               "seam_size": 64, "seam_tile": 48, "memory_size": 32, "big_size": 128,
                               "big_spec": "gen=srresnet(blocks=1,features=8)", "big_budget": "64MiB", "onnx_size": 24,
                               "batch_size": 48, "batch_tiles": (24,)},
                    gpu_steps=3, gpu_rounds=2)
    raise ValueError(f"unknown plan {name!r}")


def standalone(run: Callable[..., Any], doc: str | None, argv: list[str] | None = None) -> None:
    """Command line of a single benchmark module (``python -m benchmarks.<module> [--quick|--smoke]``)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    run(make_plan("smoke" if args.smoke else "quick" if args.quick else "full"), verbose=True)
