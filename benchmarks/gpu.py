"""GPU training throughput (``--device cuda``): absolute images/s of srzoo's training loop (AMP:
bf16 where supported, else fp16 with a grad scaler; channels_last) for SRResNet-16 at its standard
96×96 HR patch and RRDBNet-23 at ESRGAN's 128×128, batch 16, built-in photographs, EMA on, next
to a hand-written AMP loop on the same modules (the overhead ratio).

    python -m benchmarks.gpu [--quick]

Every timing stamp waits for the device (``torch.cuda.synchronize``), in both loops alike.
"""

from __future__ import annotations

import argparse
from typing import Any

import torch

from benchmarks.common import BareLoop, SrzooLoop, esrgan_host, interleave, paired_ratio, scratch_dir, summary
from benchmarks.plan import Plan, make_plan

MODELS = (("SRResNet-16", "gen=srresnet(blocks=16) loss=l1", 96), ("RRDBNet-23", "gen=rrdbnet(blocks=23) loss=l1", 128))
BATCH = 16


def run(plan: Plan | None = None, verbose: bool = False, device: str = "cuda") -> dict[str, Any]:
    plan = plan or make_plan("full")
    if device == "cuda" and not torch.cuda.is_available():
        return {"benchmark": "gpu", "measured": False, "reason": "--device cuda was asked for but no CUDA device is available"}
    host = esrgan_host()
    models = MODELS if plan.name != "smoke" else (("SRResNet-1", "gen=srresnet(blocks=1) loss=l1", 24),)
    rows = []
    with scratch_dir() as out:
        for label, spec, patch in models:
            batch = BATCH if plan.name != "smoke" else 2
            srzoo = SrzooLoop(out, host=host, spec=spec, batch=batch, patch=patch, device=device)
            placement = srzoo.trainer.placement
            bare = BareLoop(spec, srzoo.trainer.data.train, batch=batch, device=device, dtype=placement.dtype,
                            channels_last=placement.channels_last, host=host)
            for loop in (srzoo, bare):
                loop.run(max(plan.warm, 3))
            results = interleave({"srzoo": lambda: srzoo.run(plan.gpu_steps), "bare": lambda: bare.run(plan.gpu_steps)},
                                 plan.gpu_rounds)
            s, b = summary(results["srzoo"]), summary(results["bare"])
            rows.append({"model": label, "spec": spec, "patch": patch, "batch": batch, "placement": placement.describe(),
                         "srzoo_images_per_s": batch / s["median"], "bare_images_per_s": batch / b["median"],
                         "overhead": paired_ratio(results["srzoo"], results["bare"]),
                         "data_fraction": summary(results["srzoo"], "data_s")["median"] / s["median"]})
            del srzoo, bare
            if device == "cuda":
                torch.cuda.empty_cache()
    report = {"benchmark": "gpu", "measured": True, "device": torch.cuda.get_device_name(0) if device == "cuda" else device,
              "rows": rows, "rounds": plan.gpu_rounds, "steps": plan.gpu_steps}
    if verbose:
        from benchmarks.report import gpu_markdown

        print(gpu_markdown(report))
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    run(make_plan("quick" if args.quick else "full"), verbose=True)


if __name__ == "__main__":
    main()
