"""Markdown for every section, and the target lines (figure, target, met/missed, what bounds it)."""

from __future__ import annotations

from typing import Any

NOT_RUN = "not run"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.0f}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def _rounds(v: dict[str, Any]) -> str:
    marks = v.get("disturbed") or [False] * len(v["repeats"])
    return " ".join(f"[{_ms(x)}]" if bad else _ms(x) for x, bad in zip(v["repeats"], marks))


def _loop_rows(section: dict[str, Any], cpu: dict[str, Any] | None, labels: dict[str, str]) -> list[list[Any]]:
    return [[labels[k], _ms(v["median"]), _ms(v["min"]), _ms(v["max"]), _rounds(v),
             _ms(cpu[k]["median"]) if cpu else "—"] for k, v in section.items()]


LOOP_HEADER = ["loop", "median ms/iter", "min", "max", "each round ([disturbed], left out)", "CPU ms/iter (all threads)"]
LABELS = {"srzoo": "srzoo `TrainingLoop` (default: bf16 autocast + channels_last)",
          "bare_bf16": "hand-written, bf16 autocast + channels_last", "bare_fp32": "hand-written, fp32 eager NCHW (seed style)"}


def training_markdown(r: dict[str, Any]) -> str:
    s, q, c = r["setup"], r["ratios"], r.get("cpu_ratios", {})
    cpu = r.get("cpu", {})

    def also(key: str) -> str:
        return f" (CPU time: {c[key]:.3f}×)" if key in c else ""

    lines = [f"Batch {s['batch']}, {s['lr_patch']}→{s['patch']} (×4), built-in photographs, EMA on in every loop; "
             f"{s['rounds']} interleaved rounds × {s['steps']} iterations (RRDBNet: {s['rrdb_rounds']} × {s['rrdb_steps']}); "
             f"srzoo placement: {r['placement']}.", "",
             f"**Pixel step** `{s['srresnet']}`", "", *_table(LOOP_HEADER, _loop_rows(r["pixel"], cpu.get("pixel"), LABELS)), "",
             f"srzoo / hand-written (same precision): **{q['overhead_pixel']:.3f}×**{also('overhead_pixel')}; fp32 seed-style / srzoo: "
             f"**{q['speedup_srresnet']:.2f}×**{also('speedup_srresnet')} (fp32 / hand-written bf16: {q['speedup_srresnet_bare']:.2f}×).", "",
             f"**GAN step** `{s['gan']}` (`--pretrain 0`: every step adversarial)", "",
             *_table(LOOP_HEADER, _loop_rows(r["gan"], cpu.get("gan"), LABELS)), "",
             f"srzoo / hand-written: **{q['overhead_gan']:.3f}×**{also('overhead_gan')}.", "",
             f"**RRDBNet** `{s['rrdbnet']}` (standard width 64, growth 32; fewer blocks than ESRGAN's 23 to fit the "
             "CPU budget; same patch)", "", *_table(LOOP_HEADER, _loop_rows(r["rrdbnet"], cpu.get("rrdbnet"), LABELS)), "",
             f"fp32 seed-style / srzoo: **{q['speedup_rrdbnet']:.2f}×**{also('speedup_rrdbnet')}.", ""]
    peak = r["peak"]
    lines += ["**Distance to the machine's limit.** FLOPs counted with `FlopCounterMode` (forward + backward; "
              "convolutions and matmuls), against the best of these 3×3 convolutions (forward + input and weight "
              "gradients), measured in this run:", "",
              *_table(["conv (N×C×H×W)", "dtype", "GFLOP", "ms", "GFLOP/s"],
                      [[p["shape"], p.get("dtype", "bf16"), f"{p['gflop']:.1f}", _ms(p["seconds"]), f"{p['gflops']:.0f}"]
                       for p in peak["rows"]]), "",
              f"bf16 peak: **{peak['peak_gflops']:.0f} GFLOP/s**"
              + (f"; fp32 on the same convs: {peak['fp32_gflops']:.0f} GFLOP/s, so bf16 can be at most "
                 f"{peak['peak_gflops'] / peak['fp32_gflops']:.2f}× faster than fp32 here." if peak.get("fp32_gflops") else "."), ""]
    f, u = r["flops"], r["utilisation"]
    lines += _table(["step", "GFLOP/step", "ms/iter", "GFLOP/s", "share of peak"], [
        ["SRResNet pixel, srzoo", f"{f['pixel'] / 1e9:.1f}", _ms(r["pixel"]["srzoo"]["median"]),
         f"{f['pixel'] / r['pixel']['srzoo']['median'] / 1e9:.0f}", _pct(u["srzoo_pixel"])],
        ["SRResNet pixel, hand-written bf16", f"{f['pixel'] / 1e9:.1f}", _ms(r["pixel"]["bare_bf16"]["median"]),
         f"{f['pixel'] / r['pixel']['bare_bf16']['median'] / 1e9:.0f}", _pct(u["bare_bf16_pixel"])],
        ["SRResNet + PatchGAN, srzoo", f"{f['gan'] / 1e9:.1f}", _ms(r["gan"]["srzoo"]["median"]),
         f"{f['gan'] / r['gan']['srzoo']['median'] / 1e9:.0f}", _pct(u["srzoo_gan"])]]) + [""]
    p = r["profile"]
    lines += [f"Where srzoo's pixel step goes (`torch.profiler`, self CPU time, {p['step_ms']:.0f} ms of operator time per step):", "",
              *_table(["group", "share"], [[g, _pct(v)] for g, v in p["groups"]]), "",
              *_table(["op", "share", "ms/step", "calls/step"],
                      [[f"`{t['op']}`", _pct(t["share"]), f"{t['ms_per_step']:.1f}", f"{t['calls_per_step']:.0f}"] for t in p["top"]])]
    return "\n".join(lines)


def data_markdown(r: dict[str, Any]) -> str:
    rows = [[name, f"{v['data_ms']:.1f}", f"{v['step_ms']:.0f}", _pct(v["fraction"]), v["steps"],
             f"{v['setup_s']:.1f}" if "setup_s" in v else "—"] for name, v in r["sources"].items()]
    return "\n".join([f"`{r['spec']}`, batch {r['batch']}, default loader (`workers=0`), inside srzoo's `TrainingLoop`:", "",
                      *_table(["source", "wait ms/iter", "ms/iter", "waiting", "iterations", "setup s (load, degrade, normalise)"], rows)])


def scaling_markdown(r: dict[str, Any]) -> str:
    rows = [[x["batch"], x["patch"], f"{x['hr_mpx']:.3f}", _ms(x["step_s"]), f"{x['s_per_mpx']:.2f}", f"{x['vs_reference']:.2f}",
             f"{x['images_per_s']:.1f}"] for x in r["sweep"]]
    lines = [f"`{r['spec']}`, srzoo's `StepRunner.step` + EMA, default CPU placement, random tensors:", "",
             *_table(["batch", "HR patch", "HR Mpx/step", "ms/step", "s per HR Mpx", "vs batch 16 / 96", "images/s"], rows), "",
             f"Largest / smallest time per megapixel: {r['linearity']:.2f}× (1.00 = exactly linear in pixels).", ""]
    d = r["distributed"]
    lines += [f"One process vs torchrun (gloo), global batch {d['global_batch']}, `--iters {d['iters']}`, steady rate from metrics.jsonl:", ""]
    drows = []
    for label, v in d["runs"].items():
        if "error" in v:
            drows.append([label, "error", "error", "—", " ".join(v["error"])])
        else:
            drows.append([label, f"{v['steps_per_s']:.3f}", f"{v['samples_per_s']:.1f}", f"{v['wall_s']:.0f}", v["threads"]])
    lines += _table(["run", "steps/s", "samples/s", "wall s (whole command)", "threads"], drows)
    if d["speedup"] is not None:
        lines += ["", f"Two processes / one: {d['speedup']:.2f}× samples/s."]
    return "\n".join(lines)


def gpu_markdown(r: dict[str, Any]) -> str:
    if not r.get("measured"):
        return f"Not measured: {r.get('reason', 'no GPU in this session')}."
    rows = [[x["model"], f"`{x['spec']}`", f"{x['patch'] // 4}→{x['patch']}", x["batch"], x["placement"], f"{x['srzoo_images_per_s']:.1f}",
             f"{x['bare_images_per_s']:.1f}", f"{x['overhead']:.3f}", _pct(x["data_fraction"])] for x in r["rows"]]
    return "\n".join([f"{r['device']}; {r['rounds']} interleaved rounds × {r['steps']} iterations.", "",
                      *_table(["model", "spec", "patch", "batch", "placement", "srzoo images/s", "hand-written images/s",
                               "overhead", "waiting for data"], rows)])


def startup_markdown(r: dict[str, Any]) -> str:
    from benchmarks.startup import markdown

    return markdown(r)


def inference_markdown(r: dict[str, Any]) -> str:
    from benchmarks.inference_report import markdown

    return markdown(r)
