"""Run a few srzoo commands in one process and write what each printed and returned as JSON.

    python plugin_driver.py CASE.json

CASE.json holds ``out`` (where to write the results), ``runs`` (the run folder's parent),
``commands`` (name -> argv for ``srzoo``) and ``catalogue`` (extra catalogue entries: component ->
{kind: distribution}, standing in for a plugin the catalogue knows, as it knows srzoo-esrgan).
Used by test_broken_plugins.py with fake distributions on PYTHONPATH.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys


def run(argv: list[str]) -> dict:
    from srzoo_core.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    return {"code": code, "out": out.getvalue(), "err": err.getvalue()}


def main() -> None:
    case = json.loads(open(sys.argv[1]).read())
    import torch

    torch.set_num_threads(1)  # two cases run side by side on two cores
    from srzoo_core.registry import catalogue

    known = catalogue.load()
    catalogue.load = lambda: {**known, **case["catalogue"]}
    from srzoo_core.training import plots  # pictures take most of a one-step run and say nothing about plugins

    plots.plot_curves = lambda rows, path: path
    plots.save_sample_panel = lambda path, *args, **kwargs: None
    results = {name: run(argv) for name, argv in case["commands"].items()}
    results["modules"] = sorted(name for name in sys.modules if name.startswith("fake_"))
    with open(case["out"], "w") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    main()
