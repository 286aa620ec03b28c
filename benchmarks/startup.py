"""Start-up benchmark: how long ``srzoo list`` and ``srzoo --help`` take, and where import time goes.

    python -m benchmarks.startup            # 7 runs of each command, a Markdown table
    python -m benchmarks.startup --runs 15 --json startup.json

Each run is a fresh process (the installed console script, as a user runs it); the table gives
the median, min and max wall time against the target of 0.5 s. The import breakdown comes from
``python -X importtime`` running ``srzoo list`` once: the top-level imports by cumulative time,
and whether torch was imported (it must not be: plugins register lazily).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGET_S = 0.5
COMMANDS: tuple[tuple[str, ...], ...] = (("list",), ("--help",))
_SCRIPT = Path(sys.executable).with_name("srzoo")
SRZOO = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-c", "from srzoo_core.cli import main; main()"]
_LIST_IN_PROCESS = "from srzoo_core.cli import main\ntry:\n    main(['list'])\nexcept SystemExit:\n    pass\n"


def time_command(args: tuple[str, ...], runs: int) -> dict[str, Any]:
    """Wall time of ``srzoo *args`` over ``runs`` fresh processes (one untimed warm-up first)."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run([*SRZOO, *args], capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"srzoo {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
        if i:  # the first run warms the file cache and is not counted
            times.append(elapsed)
    return {"command": "srzoo " + " ".join(args), "runs": runs, "median_s": statistics.median(times),
            "min_s": min(times), "max_s": max(times)}


def import_breakdown(top: int = 10) -> dict[str, Any]:
    """``python -X importtime`` of ``srzoo list``: top-level imports by cumulative time (ms)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", _LIST_IN_PROCESS], capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.split(":", 1)[1].split("|", 2)
        rows.append({"module": name.rstrip(), "self_ms": int(own) / 1000, "cumulative_ms": int(cumulative) / 1000})
    top_level = [r for r in rows if not r["module"].startswith("  ")]  # nested imports are indented
    names = {r["module"].strip() for r in rows}
    return {
        "total_ms": sum(r["cumulative_ms"] for r in top_level),
        "top": sorted(({**r, "module": r["module"].strip()} for r in top_level), key=lambda r: -r["cumulative_ms"])[:top],
        "srzoo_self_ms": sum(r["self_ms"] for r in rows if r["module"].strip().startswith("srzoo")),
        "torch_imported": "torch" in names,
    }


def run(runs: int = 7, verbose: bool = False) -> dict[str, Any]:
    """Time the commands and break down imports; ``ok`` when every median is under the target."""
    commands = [time_command(args, runs) for args in COMMANDS]
    report = {
        "benchmark": "startup", "target_s": TARGET_S, "python": sys.version.split()[0], "cpus": os.cpu_count(),
        "commands": commands, "imports": import_breakdown(),
    }
    report["ok"] = all(c["median_s"] < TARGET_S for c in commands) and not report["imports"]["torch_imported"]
    if verbose:
        print(markdown(report))
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [f"Start-up (target < {report['target_s']} s; Python {report['python']}, {report['cpus']} CPUs)", "",
             "| command | median (s) | min (s) | max (s) | runs | under target |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    for c in report["commands"]:
        verdict = "yes" if c["median_s"] < report["target_s"] else "**no**"
        lines.append(f"| `{c['command']}` | {c['median_s']:.3f} | {c['min_s']:.3f} | {c['max_s']:.3f} | {c['runs']} | {verdict} |")
    imports = report["imports"]
    lines += ["", f"Imports of `srzoo list` (`python -X importtime`): {imports['total_ms']:.0f} ms in all, "
              f"{imports['srzoo_self_ms']:.0f} ms in srzoo's own modules (core and plugins); torch imported: "
              f"{'**yes**' if imports['torch_imported'] else 'no'}", "",
              "| top-level import | cumulative (ms) | self (ms) |", "| --- | ---: | ---: |"]
    lines += [f"| {r['module']} | {r['cumulative_ms']:.1f} | {r['self_ms']:.1f} |" for r in imports["top"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command (default 7)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    report = run(runs=args.runs, verbose=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
