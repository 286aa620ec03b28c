"""Markdown of the inference section (benchmarks.inference.run's figures)."""

from __future__ import annotations

from typing import Any


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |",
            *("| " + " | ".join(str(c) for c in row) + " |" for row in rows)]


def _db(x: float) -> str:
    return "∞" if x == float("inf") else f"{x:.2f}"


def precision_markdown(p: dict[str, Any]) -> list[str]:
    rows = [[f"{r['model']} ({r['weights']})", r["image"], r["config"], _db(r["psnr_fp32"]), _db(r["psnr"]), f"{r['cost_db']:+.4f}",
             _db(r["vs_fp32_db"]), f"{r['max_abs_diff']:.1e}"] for r in p["rows"]]
    lines = ["**Precision** — untiled ×4 of the held-out photos (RGB PSNR against HR, border 4 left out); cost = PSNR of fp32 "
             "NCHW − PSNR of the configuration:", ""]
    lines += _table(["model", "image", "configuration", "PSNR fp32 NCHW (dB)", "PSNR (dB)", "cost (dB)", "PSNR vs fp32 output (dB)",
                     "max abs diff"], rows)
    d = p.get("default")
    if d:
        worst = ", ".join(f"{k} {v:.4f} dB" for k, v in sorted(d["worst_cost_db"].items()))
        speed = ", ".join(f"{k} {v:.3f}" for k, v in sorted(d.get("speed_mp_per_s", {}).items()))
        lines += ["", f"Worst |cost| per precision: {worst}; limit {d['limit_db']} dB. Speed (best round, geometric mean "
                      f"over these models, output MP/s, channels_last): {speed} → measured default: **{d['choice']}** "
                      "(the fastest precision under the limit)."]
    return lines


def speed_markdown(s: dict[str, Any]) -> list[str]:
    rows = [[r["model"], r["config"], f"{r['seconds']:.2f}", f"{r['mp_per_s']:.3f}", f"{r.get('best_s', float('nan')):.2f}",
             f"{r.get('best_mp_per_s', float('nan')):.3f}", f"{r['vs_fp32_nchw']:.2f}×"] for r in s["rows"]]
    return [f"**Speed** — untiled {s['size']}² LR → {4 * s['size']}², output megapixels per second (median and best of the "
            "interleaved rounds; the speed-up is the median of per-round ratios):", "",
            *_table(["model", "configuration", "median (s)", "MP/s", "best (s)", "best MP/s", "speed-up vs fp32 NCHW"], rows)]


def tiling_markdown(t: dict[str, Any]) -> list[str]:
    rows = [[r["model"], f"{r['size']}²", r["plan"], r["precision"], f"{r['default_s']:.2f}", f"{r['untiled_s']:.2f}",
             f"{r['ratio']:.3f}×", f"{r['cpu_ratio']:.3f}×", f"{r['probe_s']:.2f}"] for r in t["rows"]]
    return ["**Default path vs untiled** — `upscale_tiled` with the default budget (half of MemAvailable), memory probe "
            "included in every default call, against `tile=0` at the same precision:", "",
            *_table(["model", "LR", "plan (default budget)", "precision", "default (s)", "untiled (s)", "ratio", "CPU-time ratio",
                     "probe (s)"], rows)]


def tile_batch_markdown(b: dict[str, Any]) -> list[str]:
    rows = [[f"{r['size']}²", r["tile"], r["tiles"], r["batch"], f"{r['batched_s']:.2f}", f"{r['single_s']:.2f}", f"{r['speedup']:.2f}×"]
            for r in b["rows"]]
    return [f"**Forced small tiles, several per pass** ({b['model']}, `--tile N`): srzoo's batching against one tile per pass:", "",
            *_table(["LR", "tile", "tiles", "per pass", "batched (s)", "one by one (s)", "speed-up"], rows)]


def seams_markdown(s: dict[str, Any]) -> list[str]:
    rows = [[f"{r['model']} ({r['weights']})", r["receptive_field"] or "—", r["overlap"], r["tile"], r["tiles"],
             f"{r['max_abs_diff']:.2e}", f"{r['output_std']:.3g}", f"{100 * r['share_of_std']:.3f} %"] for r in s["rows"]]
    size = s["rows"][0]["size"] if s["rows"] else "?"
    return [f"**Seams** — forced tiles on a {size}² LR crop of the astronaut photo, fp32, default overlap; "
            "max |tiled − untiled| as a share of the untiled output's σ:", "",
            *_table(["model", "receptive_field", "overlap", "tile", "tiles", "max abs diff", "σ", "share of σ"], rows)]


def memory_markdown(m: dict[str, Any]) -> list[str]:
    rows = []
    for r in m["rows"]:
        if "error" in r:
            rows.append([r["model"], "error", r["error"], "", "", "", ""])
            continue
        used = r["vmhwm_mib"] - r["rss_before_mib"]
        rows.append([r["model"], r["plan"], f"{r['estimate_mib']:.0f}", f"{r['vmhwm_mib']:.0f}", f"{r['rss_before_mib']:.0f}",
                     f"{used:.0f}", f"{r['estimate_mib'] / max(used, 1):.2f}"])
    return [f"**Peak memory** — untiled default path at {m['size']}² LR, each in a fresh process: its own high-water mark "
            "(`VmHWM` from /proc/self/status) against the planner's estimate (output + one pass, × the safety factor):", "",
            *_table(["model", "plan", "estimate (MiB)", "VmHWM (MiB)", "RSS before (MiB)", "VmHWM − before (MiB)", "estimate / used"],
                    rows)]


def big_markdown(b: dict[str, Any]) -> list[str]:
    if "error" in b:
        return [f"**{b['size']}² grid under {b['budget']}**: error — `{b['error']}`"]
    used = b["vmhwm_mib"] - b["rss_before_mib"]
    return [f"**{b['size']}² LR grid under `--max-memory {b['budget']}`** (`{b['spec']}`, 1 channel, ×4 → "
            f"{b['out_shape'][-2]}×{b['out_shape'][-1]}, random weights, through `upscale_file`: .npy in, z-score, upscale, "
            f".npy out): {b['plan']}, {b['precision']}; {b['seconds']:.0f} s; VmHWM {b['vmhwm_mib']:.0f} MiB, "
            f"{used:.0f} MiB above the {b['rss_before_mib']:.0f} MiB before the call (the float32 output alone is "
            f"{b['output_mib']:.0f} MiB)."]


def onnx_markdown(o: dict[str, Any]) -> list[str]:
    if "skipped" in o:
        return [f"**onnxruntime vs PyTorch**: skipped — {o['skipped']}."]
    rows = []
    for r in o["rows"]:
        if "error" in r:
            rows.append([r["model"], "error", r["error"], "", "", "", ""])
            continue
        rows.append([r["model"], f"{r['onnxruntime_s']:.2f}", f"{r['pytorch fp32 NCHW_s']:.2f}", f"{r['pytorch default_s']:.2f}",
                     f"{r['ort_vs_fp32']:.2f}×", f"{r['ort_vs_default']:.2f}×", f"{r['max_abs_diff']:.1e}"])
    return [f"**onnxruntime vs PyTorch** — untiled {o['size']}² LR, CPU, same thread count (time ratios > 1: onnxruntime faster):", "",
            *_table(["model", "onnxruntime (s)", "PyTorch fp32 NCHW (s)", "PyTorch default (s)", "vs fp32 NCHW", "vs default",
                     "max abs diff"], rows)]


def markdown(r: dict[str, Any]) -> str:
    load = r.get("load_average", ["?", "?"])
    head = (f"Models ×4: {', '.join(f'{k} `{v}`' for k, v in r['models'].items())}; torch {r['torch']}, {r['threads']} threads on "
            f"{r['cpus']} CPUs; 1-min load average {load[0]} at start, {load[1]} at end (a shared machine inflates times; ratios "
            f"are paired per round). srresnet and rrdbnet briefly trained ({r['train_iters']} steps), the others random init. "
            f"srzoo's `AUTO_PRECISION`: {r['auto_precision']}.")
    parts = [[head], precision_markdown(r["precision"]), speed_markdown(r["speed"]), tiling_markdown(r["tiling"]),
             tile_batch_markdown(r["tile_batch"]), seams_markdown(r["seams"]), memory_markdown(r["memory"]), big_markdown(r["big"]), onnx_markdown(r["onnx"])]
    return "\n\n".join("\n".join(p) for p in parts)
