"""The target lines: for each figure its value, the target, met or missed, and for a missed one
what bounds it, from the measurements of the same run."""

from __future__ import annotations

from typing import Any

SEAM_LIMIT = 0.01      # max |tiled - untiled| as a share of the output's std: 1 % of σ = 0.0025 for a photo of
                       # σ ≈ 0.25 in [0, 1], under one 8-bit level (0.0039), so no seam can show after quantisation
PHOTO_STD = 0.25
SRRESNET_RADIUS = 40   # LR px: 9×9 head (4) + 33 3×3 convs in the trunk (33) + upsampler/tail (≈ 2.5)
RSS_LIMIT_MIB = 2048
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


def inference_lines(r: dict[str, Any]) -> list[dict[str, Any]]:
    cases = [c for c in r.get("cases", []) if "skipped" not in c and "error" not in c]
    errors = [c for c in r.get("cases", []) if "error" in c]
    out = []
    bounded = [c for c in cases if c["mode"] in ("tiled", "cli")]
    worst = max(bounded, key=lambda c: c["peak_rss_mib"], default=None)
    if worst is not None:
        out.append(line("5", "inference peak RSS, tiled and CLI paths (largest case)", f"{worst['peak_rss_mib']:.0f} MiB",
                        "< 2 GiB", worst["peak_rss_mib"] < RSS_LIMIT_MIB, f"{worst['case']}"))
    untiled_rss = [c for c in cases if c["mode"] == "untiled"]
    if untiled_rss:
        big = max(untiled_rss, key=lambda c: c["peak_rss_mib"])
        out.append(line("5", f"inference peak RSS, untiled (opt-in `--tile 0`), largest case run: {big['size']}² LR",
                        f"{big['peak_rss_mib']:.0f} MiB", "— (grows with the image by design; for reference)", None))
    by_size: dict[int, dict[str, Any]] = {}
    for c in cases:
        by_size.setdefault(c["size"], {})[c["mode"]] = c
    for size, pair in sorted(by_size.items()):
        if "tiled" in pair and "untiled" in pair:
            ratio = pair["tiled"]["seconds"] / pair["untiled"]["seconds"]
            value = f"{ratio:.2f}×"
            if "cpu_seconds" in pair["tiled"] and "cpu_seconds" in pair["untiled"]:
                value += f" (CPU time {pair['tiled']['cpu_seconds'] / pair['untiled']['cpu_seconds']:.2f}×)"
            out.append(line("5", f"tiled / untiled wall time, {size}² LR", value, "≤ 1.1×", ratio <= TILED_LIMIT,
                            f"{pair['tiled']['seconds']:.1f} s vs {pair['untiled']['seconds']:.1f} s (overlap recomputed: "
                            f"tile {pair['tiled']['tile']}, overlap {pair['tiled']['overlap']})"))
            if "max_abs_diff" in pair["tiled"]:
                rel = pair["tiled"]["max_abs_diff"] / max(pair["tiled"]["output_std"], 1e-12)
                levels = rel * PHOTO_STD * 255
                out.append(line("5", f"seams: max |tiled − untiled| / output σ, {size}² LR",
                                f"{100 * rel:.2f} % (≈ {levels:.1f} 8-bit levels on a photo of σ {PHOTO_STD})",
                                f"≤ {100 * SEAM_LIMIT:g} % of σ (< 1 level: no visible seam)", rel <= SEAM_LIMIT,
                                f"max abs diff {pair['tiled']['max_abs_diff']:.2e} with output σ {pair['tiled']['output_std']:.3g} "
                                f"(random weights); overlap {pair['tiled']['overlap']} LR px against a receptive-field radius of "
                                f"≈ {SRRESNET_RADIUS} LR px for SRResNet-16"
                                + (f"; {seam_probe(r['overlap_probe'])}" if "overlap_probe" in r else "")))
    for c in errors:
        out.append(line("5", f"inference case {c['case']}", "error", "runs", False, " ".join(c["error"])))
    return out


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


def seam_probe(p: dict[str, Any]) -> str:
    from benchmarks.seams import text

    return text(p)


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
