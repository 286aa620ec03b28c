"""Training-step benchmarks: trainer overhead (srzoo's loop vs a hand-written loop at the same
precision), the default fast path (bf16 autocast + channels_last vs a seed-style fp32 eager loop)
and the distance to the machine's bf16 convolution peak.

    python -m benchmarks.training [--quick | --smoke]

EMA is *on* in every loop (srzoo's default decay 0.999; the hand-written loops do the same
``_foreach_lerp_`` by hand). Data comes from the built-in photographs (96×96 HR crops, ×4) via
srzoo's ``TrainStream`` for srzoo and a plain shuffled ``DataLoader`` over the same dataset for the
hand-written loops, both in the main process (the default, ``workers=0``).
"""

from __future__ import annotations

import time
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.common import BareLoop, SrzooLoop, esrgan_host, interleave, kept, median, paired_ratio, scratch_dir, summary
from benchmarks.plan import Plan, make_plan, standalone

OVERHEAD_TARGET, SRRESNET_SPEEDUP, RRDB_SPEEDUP, PEAK_TARGET = 1.05, 2.0, 1.6, 0.45
PEAK_SHAPES = ((16, 64, 96), (16, 128, 48), (8, 256, 32))  # (N, C, H=W): 3×3 conv C→C, channels_last bf16


def _warm(candidates: dict[str, Any], steps: int) -> None:
    for loop in candidates.values():
        loop.run(steps)


def _compare(candidates: dict[str, Any], plan: Plan, rounds: int, steps: int) -> dict[str, list[dict[str, float]]]:
    _warm(candidates, plan.warm)
    return interleave({name: (lambda loop=loop: loop.run(steps)) for name, loop in candidates.items()}, rounds)


def overhead_and_fast_path(plan: Plan, out: str) -> dict[str, Any]:
    """SRResNet pixel step: srzoo (bf16+CL) vs hand-written bf16+CL vs hand-written fp32 (seed style);
    then the GAN step srzoo vs hand-written."""
    common = dict(batch=plan.batch, patch=plan.patch)
    srzoo = SrzooLoop(out, spec=plan.srresnet, **common)
    data = srzoo.trainer.data.train
    pixel = _compare({
        "srzoo": srzoo,
        "bare_bf16": BareLoop(plan.srresnet, data, batch=plan.batch, dtype=torch.bfloat16, channels_last=True),
        "bare_fp32": BareLoop(plan.srresnet, data, batch=plan.batch),
    }, plan, plan.rounds, plan.steps)
    gan_loop = SrzooLoop(out, spec=plan.srresnet_gan, pretrain="0", **common)
    gan = _compare({
        "srzoo": gan_loop,
        "bare_bf16": BareLoop(plan.srresnet_gan, gan_loop.trainer.data.train, batch=plan.batch, dtype=torch.bfloat16,
                              channels_last=True),
    }, plan, plan.rounds, plan.steps)
    return {"pixel": pixel, "gan": gan, "placement": srzoo.trainer.placement.describe(), "srzoo_loop": srzoo}


def rrdb_fast_path(plan: Plan, out: str) -> dict[str, Any]:
    host = esrgan_host()
    spec = plan.rrdbnet()
    srzoo = SrzooLoop(out, host=host, spec=spec, batch=plan.batch, patch=plan.patch)
    results = _compare({
        "srzoo": srzoo,
        "bare_fp32": BareLoop(spec, srzoo.trainer.data.train, batch=plan.batch, host=host),
    }, plan, plan.rrdb_rounds, plan.rrdb_steps)
    return {"spec": spec, "results": results}


# -- distance to the peak ------------------------------------------------------------------------

def step_flops(spec: str, plan: Plan, host: Any = None) -> float:
    """FLOPs of one training step's forward + backward (generator, and discriminator passes for a
    GAN spec), counted on a batch of 1 and scaled by the batch (convolutions are linear in it)."""
    loop = BareLoop(spec, _OneBatch(plan), batch=1, ema=0.0, host=host)
    lr, hr = next(loop.batches)
    with FlopCounterMode(display=False) as counter:
        loop.step(lr, hr)
    return counter.get_total_flops() * plan.batch


class _OneBatch(torch.utils.data.Dataset):
    def __init__(self, plan: Plan):
        torch.manual_seed(1)
        self.item = (torch.rand(3, plan.patch // 4, plan.patch // 4), torch.rand(3, plan.patch, plan.patch))

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.item


def conv_peak(plan: Plan) -> dict[str, Any]:
    """Best FLOP rate of a large 3×3 conv, channels_last, forward + backward (input and weight
    gradients): bf16 (the peak) and fp32 (the ceiling of what bf16 can gain on this CPU)."""
    rows = []
    shapes = PEAK_SHAPES if plan.name != "smoke" else ((2, 32, 32),)
    for n, c, h in shapes:
        for label, dtype in (("bf16", torch.bfloat16), ("fp32", torch.float32)):
            torch.manual_seed(0)
            conv = torch.nn.Conv2d(c, c, 3, padding=1).to(dtype).to(memory_format=torch.channels_last)
            x = torch.randn(n, c, h, h, dtype=dtype).contiguous(memory_format=torch.channels_last).requires_grad_()
            grad = torch.randn(n, c, h, h, dtype=dtype).contiguous(memory_format=torch.channels_last)

            def once() -> None:
                conv(x).backward(grad)

            with FlopCounterMode(display=False) as counter:
                once()
            flops, times = counter.get_total_flops(), []
            for _ in range(plan.peak_reps):
                start = time.perf_counter()
                once()
                times.append(time.perf_counter() - start)
            rows.append({"shape": f"{n}×{c}×{h}×{h}, {c}→{c}", "dtype": label, "gflop": flops / 1e9,
                         "seconds": median(times), "gflops": flops / median(times) / 1e9})
    return {"rows": rows, "peak_gflops": max(r["gflops"] for r in rows if r["dtype"] == "bf16"),
            "fp32_gflops": max(r["gflops"] for r in rows if r["dtype"] == "fp32")}


CATEGORIES = (
    ("convolution", ("conv",)), ("batch norm", ("batch_norm",)), ("PReLU", ("prelu",)),
    ("pixel shuffle", ("pixel_shuffle", "pixel_unshuffle")), ("optimizer (Adam, EMA)", ("_foreach", "adam", "lerp", "optimizer")),
    ("layout/dtype copies", ("copy_", "_to_copy", "to", "contiguous", "clone", "empty_like")),
    ("loss", ("l1_loss", "abs", "sgn", "binary_cross_entropy")),
)


def profile_step(loop: SrzooLoop, steps: int = 2) -> dict[str, Any]:
    """torch.profiler over srzoo's step (StepRunner.step + EMA): self CPU time per op, grouped."""
    from torch.profiler import ProfilerActivity, profile

    t = loop.trainer
    batches = t.stream.batches(t.step)
    lr, hr = (t.placement.to_input(x) for x in next(batches))
    t.runner.step(lr, hr, "pixel")
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            t.runner.step(lr, hr, "pixel")
            t.ema.update(t.generator)
    events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    total = sum(e.self_cpu_time_total for e in events)
    groups: dict[str, float] = {}
    for e in events:
        name = e.key.removeprefix("aten::").lower()
        group = next((g for g, keys in CATEGORIES if any(k == name or (k != "to" and k in name) for k in keys)), "other")
        groups[group] = groups.get(group, 0.0) + e.self_cpu_time_total
    top = sorted(events, key=lambda e: -e.self_cpu_time_total)[:12]
    return {
        "step_ms": total / 1e3 / steps,
        "groups": sorted(((g, v / total) for g, v in groups.items()), key=lambda kv: -kv[1]),
        "top": [{"op": e.key, "share": e.self_cpu_time_total / total, "ms_per_step": e.self_cpu_time_total / 1e3 / steps,
                 "calls_per_step": e.count / steps} for e in top],
    }


# -- the section ---------------------------------------------------------------------------------

def run(plan: Plan | None = None, verbose: bool = False) -> dict[str, Any]:
    plan = plan or make_plan("full")
    with scratch_dir() as out:
        first = overhead_and_fast_path(plan, out)
        if verbose:
            print("overhead: done", flush=True)
        rrdb = rrdb_fast_path(plan, out)
        if verbose:
            print("rrdbnet: done", flush=True)
        peak = conv_peak(plan)
        flops = {"pixel": step_flops(plan.srresnet, plan), "gan": step_flops(plan.srresnet_gan, plan)}
        profile = profile_step(first.pop("srzoo_loop"))
    pixel, gan, rr = first["pixel"], first["gan"], rrdb["results"]
    report: dict[str, Any] = {
        "benchmark": "training", "plan": plan.name, "placement": first["placement"],
        "setup": {"batch": plan.batch, "patch": plan.patch, "lr_patch": plan.patch // 4, "srresnet": plan.srresnet,
                  "gan": plan.srresnet_gan, "rrdbnet": rrdb["spec"], "rounds": plan.rounds, "steps": plan.steps,
                  "rrdb_rounds": plan.rrdb_rounds, "rrdb_steps": plan.rrdb_steps},
        "pixel": {k: summary(v) for k, v in pixel.items()}, "gan": {k: summary(v) for k, v in gan.items()},
        "rrdbnet": {k: summary(v) for k, v in rr.items()},
        "ratios": {
            "overhead_pixel": paired_ratio(pixel["srzoo"], pixel["bare_bf16"]),
            "overhead_gan": paired_ratio(gan["srzoo"], gan["bare_bf16"]),
            "speedup_srresnet": paired_ratio(pixel["bare_fp32"], pixel["srzoo"]),
            "speedup_srresnet_bare": paired_ratio(pixel["bare_fp32"], pixel["bare_bf16"]),
            "speedup_rrdbnet": paired_ratio(rr["bare_fp32"], rr["srzoo"]),
        },
        "cpu_ratios": {
            "overhead_pixel": paired_ratio(pixel["srzoo"], pixel["bare_bf16"], "cpu_s"),
            "overhead_gan": paired_ratio(gan["srzoo"], gan["bare_bf16"], "cpu_s"),
            "speedup_srresnet": paired_ratio(pixel["bare_fp32"], pixel["srzoo"], "cpu_s"),
            "speedup_rrdbnet": paired_ratio(rr["bare_fp32"], rr["srzoo"], "cpu_s"),
        },
        "cpu": {name: {k: summary(v, "cpu_s") for k, v in section.items()}
                for name, section in (("pixel", pixel), ("gan", gan), ("rrdbnet", rr))},
        "data_builtin": {"fraction": median([r["data_s"] / r["step_s"] for r in kept(pixel["srzoo"])]),
                         "data_ms": median([r["data_s"] for r in kept(pixel["srzoo"])]) * 1e3,
                         "step_ms": median([r["step_s"] for r in kept(pixel["srzoo"])]) * 1e3,
                         "steps": len(kept(pixel["srzoo"])) * plan.steps},
        "peak": peak, "flops": flops, "profile": profile,
    }
    step_s = report["pixel"]["srzoo"]["median"]
    report["utilisation"] = {
        "srzoo_pixel": flops["pixel"] / step_s / 1e9 / peak["peak_gflops"],
        "bare_bf16_pixel": flops["pixel"] / report["pixel"]["bare_bf16"]["median"] / 1e9 / peak["peak_gflops"],
        "srzoo_gan": flops["gan"] / report["gan"]["srzoo"]["median"] / 1e9 / peak["peak_gflops"],
    }
    if verbose:
        from benchmarks.report import training_markdown

        print(training_markdown(report))
    return report


def main(argv: list[str] | None = None) -> None:
    standalone(run, __doc__, argv)


if __name__ == "__main__":
    main()
