"""The target lines: for each figure its value, the target, met or missed, and for a missed one
what bounds it, from the measurements of the same run."""

from __future__ import annotations

from typing import Any

SEAM_LIMIT = 0.01      # max |tiled - untiled| as a share of the output's std: 1 % of σ = 0.0025 for a photo of
                       # σ ≈ 0.25 in [0, 1], under one 8-bit level (0.0039), so no seam can show after quantisation
PHOTO_STD = 0.25
TILED_LIMIT = 1.10


def line(number: str, figure: str, value: str, target: str, met: bool | None, bound: str = "") -> dict[str, Any]:
    return {"n": number, "figure": figure, "value": value, "target": target, "met": met, "bound": "" if met else bound}


def _profile_text(training: dict[str, Any]) -> str:
    groups = training["profile"]["groups"][:4]
    return "operator time: " + ", ".join(f"{g} {100 * v:.0f} %" for g, v in groups)


def training_lines(t: dict[str, Any]) -> list[dict[str, Any]]:
    q, px, gan, c = t["ratios"], t["pixel"], t["gan"], t.get("cpu_ratios", {})

    def value(key: str, digits: int) -> str:
        return f"{q[key]:.{digits}f}×" + (f" (CPU time {c[key]:.{digits}f}×)" if key in c else "")

    out = []
    for key, name, sec in (("overhead_pixel", "pixel step (SRResNet-16, l1)", px), ("overhead_gan", "GAN step (+PatchGAN, l1+0.01*gan)", gan)):
        s, b = sec["srzoo"]["median"], sec["bare_bf16"]["median"]
        out.append(line("1", f"trainer overhead, {name}", value(key, 3), "≤ 1.05×", q[key] <= 1.05,
                        f"srzoo {1e3 * s:.0f} ms vs hand-written {1e3 * b:.0f} ms per iteration (+{1e3 * (s - b):.0f} ms)"))
    peak = t["peak"]
    ceiling = peak["peak_gflops"] / peak["fp32_gflops"]
    for key, name, target in (("speedup_srresnet", "SRResNet-16", 2.0), ("speedup_rrdbnet", t["setup"]["rrdbnet"], 1.6)):
        bound = (f"the CPU's own bf16/fp32 ratio on a large 3×3 conv is {ceiling:.2f}× (peak {peak['peak_gflops']:.0f} vs "
                 f"{peak['fp32_gflops']:.0f} GFLOP/s)")
        if key == "speedup_srresnet":
            bound += f"; a hand-written bf16+channels_last loop gets {q['speedup_srresnet_bare']:.2f}×; {_profile_text(t)}"
        out.append(line("2", f"default fast path vs fp32 eager, {name}", value(key, 2), f"≥ {target:.1f}×", q[key] >= target, bound))
    u = t["utilisation"]["srzoo_pixel"]
    out.append(line("3", "SRResNet step FLOP rate / bf16 conv peak", f"{100 * u:.0f} %", "≥ 45 %", u >= 0.45,
                    f"{t['flops']['pixel'] / 1e9:.0f} GFLOP per step at {1e3 * px['srzoo']['median']:.0f} ms vs peak "
                    f"{peak['peak_gflops']:.0f} GFLOP/s; hand-written bf16 reaches {100 * t['utilisation']['bare_bf16_pixel']:.0f} %; "
                    + _profile_text(t)))
    return out


def startup_lines(s: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    top = s["imports"]["top"][:3]
    bound = ("imports: " + ", ".join(f"{r['module']} {r['cumulative_ms']:.0f} ms" for r in top)
             + f"; torch imported: {'yes' if s['imports']['torch_imported'] else 'no'}")
    for c in s["commands"]:
        out.append(line("4", f"start-up, `{c['command']}`", f"{c['median_s']:.3f} s", f"< {s['target_s']} s",
                        c["median_s"] < s["target_s"], bound))
    return out


TILED_TARGETS = {("srresnet", 256), ("srresnet", 512), ("rrdbnet", 256), ("rrdbnet", 512)}


def inference_lines(r: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for row in r["tiling"]["rows"]:
        targeted = (row["model"], row["size"]) in TILED_TARGETS
        out.append(line("5", f"default (budget-planned) / untiled time, {row['model']}, {row['size']}² LR",
                        f"{row['ratio']:.3f}× (CPU time {row['cpu_ratio']:.3f}×)", "≤ 1.1×" if targeted else "— (for reference)",
                        row["ratio"] <= TILED_LIMIT if targeted else None,
                        f"{row['default_s']:.2f} s vs {row['untiled_s']:.2f} s; plan: {row['plan']}; memory probe {row['probe_s']:.2f} s"))
    for row in r["seams"]["rows"]:
        share = row["share_of_std"]
        out.append(line("5", f"seams: max |tiled − untiled| / σ, {row['model']} ({row['weights']}), overlap {row['overlap']}",
                        f"{100 * share:.3f} % (≈ {share * PHOTO_STD * 255:.2f} 8-bit levels at σ {PHOTO_STD})",
                        f"≤ {100 * SEAM_LIMIT:g} % of σ", share <= SEAM_LIMIT,
                        f"max abs diff {row['max_abs_diff']:.2e}, σ {row['output_std']:.3g}, {row['tiles']} tiles of ≤{row['tile']} LR px, "
                        f"declared receptive_field {row['receptive_field']}"))
    default = r["precision"]["default"]
    auto = r["auto_precision"].get("cpu")
    worst = ", ".join(f"{k} {v:.4f} dB" for k, v in sorted(default["worst_cost_db"].items()))
    out.append(line("5", "inference default precision (CPU) = the fastest whose cost is < 0.01 dB, else fp32",
                    f"measured: {default['choice']}; srzoo's auto: {auto}", "the same", default["choice"] == auto,
                    f"worst |PSNR cost| vs fp32 NCHW on astronaut + coffee: {worst}"))
    big = r["big"]
    if "error" in big:
        out.append(line("5", f"{big['size']}² LR grid under {big['budget']}", "error", "runs", False, big["error"]))
    else:
        used = big["vmhwm_mib"] - big["rss_before_mib"]
        budget = parse_budget_mib(big["budget"])
        out.append(line("5", f"{big['size']}² LR grid ×4 under --max-memory {big['budget']}: VmHWM − RSS before the call",
                        f"{used:.0f} MiB (VmHWM {big['vmhwm_mib']:.0f} MiB)", f"≤ {budget:.0f} MiB", used <= budget,
                        f"{big['plan']}; output {big['output_mib']:.0f} MiB"))
    for row in r["memory"]["rows"]:
        if "error" in row:
            out.append(line("5", f"peak memory, {row['model']}", "error", "runs", False, row["error"]))
            continue
        used = row["vmhwm_mib"] - row["rss_before_mib"]
        out.append(line("5", f"memory estimate covers the measured peak, {row['model']} untiled {r['memory']['size']}² LR",
                        f"estimate {row['estimate_mib']:.0f} MiB / used {used:.0f} MiB = {row['estimate_mib'] / max(used, 1):.2f}",
                        "≥ 1", row["estimate_mib"] >= used, f"VmHWM {row['vmhwm_mib']:.0f} MiB of a fresh process"))
    return out


def parse_budget_mib(text: str) -> float:
    from srzoo_core.training.tiling import parse_memory

    return parse_memory(text) / 2 ** 20


def data_lines(d: dict[str, Any]) -> list[dict[str, Any]]:
    return [line("6", f"waiting for data, {name}", f"{100 * v['fraction']:.1f} %", "< 5 %", v["fraction"] < d["target"],
                 f"{v['data_ms']:.0f} ms of {v['step_ms']:.0f} ms per iteration in next(batches), main process (workers=0)")
            for name, v in d["sources"].items()]


def scaling_lines(s: dict[str, Any]) -> list[dict[str, Any]]:
    out = [line("7", "step time per HR megapixel, largest / smallest over the sweep", f"{s['linearity']:.2f}×",
                "≈ 1 (linear; no target set)", None)]
    if s["distributed"]["speedup"] is not None:
        out.append(line("7", "torchrun 2 processes / 1 process, samples/s", f"{s['distributed']['speedup']:.2f}×",
                        "(no target set)", None))
    return out


def not_run(number: str, figure: str, reason: str) -> dict[str, Any]:
    return {"n": number, "figure": figure, "value": "not run", "target": "—", "met": None, "bound": reason}


def collect(results: dict[str, Any]) -> list[dict[str, Any]]:
    makers = {"training": (("1", "trainer overhead"), training_lines), "startup": (("4", "start-up"), startup_lines),
              "inference": (("5", "inference"), inference_lines), "data": (("6", "data pipeline"), data_lines),
              "scaling": (("7", "scaling"), scaling_lines)}
    out = []
    for key, ((number, figure), make) in makers.items():
        value = results.get(key)
        if value is None:
            continue
        if "error" in value or value.get("not_run"):
            out.append(not_run(number, figure, value.get("error") or value.get("not_run")))
            continue
        try:
            out += make(value)
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:  # a section's report changed shape
            out.append(not_run(number, figure, f"its figures could not be read ({type(exc).__name__}: {exc})"))
    return out
