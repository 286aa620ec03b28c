"""What the docs generators share: generated sections between markers, the CLI run in-process
with its output captured, and the standard plugin set.

A generated section sits between ``<!-- BEGIN GENERATED <name> … -->`` and
``<!-- END GENERATED <name> -->`` lines; everything outside the markers is written by hand and
kept as it is. Each generator takes ``--check``: exit 1, changing nothing, when the page is stale.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CLI_WIDTH = 160  # what the CLI uses when its output is not a terminal (srzoo_core.cli.output)


def standard_plugins() -> list[str]:
    """The distributions ``make install`` installs: ``STANDARD_PLUGINS`` in the Makefile."""
    match = re.search(r"^STANDARD_PLUGINS\s*:?=\s*(.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    if not match:
        raise SystemExit("the Makefile has no STANDARD_PLUGINS line")
    return [f"srzoo-{name}" for name in match.group(1).split()]


def markers(name: str, command: str) -> tuple[str, str]:
    return (f"<!-- BEGIN GENERATED {name}: {command}; do not edit by hand -->", f"<!-- END GENERATED {name} -->")


def replace_section(text: str, name: str, command: str, body: str) -> str:
    begin, end = markers(name, command)
    pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"no generated section {name!r}: the page needs the lines\n{begin}\n{end}")
    return pattern.sub(lambda _: f"{begin}\n{body.strip()}\n{end}", text, count=1)


def update(path: Path, name: str, command: str, body: str, check: bool) -> int:
    """Write the section into ``path`` (or, with ``check``, only compare); the exit code."""
    old = path.read_text()
    new = replace_section(old, name, command, body)
    relative = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    if check:
        stale = new != old
        print(f"{relative} is stale: run {command}" if stale else f"{relative} is up to date")
        return int(stale)
    if new != old:
        path.write_text(new)
    print(f"wrote {relative}" if new != old else f"{relative} was already up to date")
    return 0


@contextlib.contextmanager
def environment(**variables: str | None) -> Iterator[None]:
    """Set (or, for None, unset) environment variables and load the plugins afresh; undo both after."""
    import srzoo_core

    saved = {k: os.environ.get(k) for k in variables}
    for key, value in variables.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    srzoo_core.reset()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        srzoo_core.reset()


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """``srzoo ARGS`` in this process: (exit code, stdout, stderr), as printed to a pipe."""
    from srzoo_core.cli import output
    from srzoo_core.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    widths = output.stdout.width, output.stderr.width
    output.stdout.width = output.stderr.width = CLI_WIDTH
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(list(args))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        output.stdout.width, output.stderr.width = widths
    return code, out.getvalue(), err.getvalue()


def shell_quote(text: str) -> str:
    """How a user would type the argument: bare when safe, else in double (or single) quotes."""
    if text and re.fullmatch(r"[A-Za-z0-9_./:=+-]+", text):
        return text
    if not re.search(r'["$`\\!]', text):
        return f'"{text}"'
    return "'" + text.replace("'", "'\\''") + "'"


def main_args(argv: list[str] | None, description: str) -> bool:
    """The generators' one option: ``--check``."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale; change nothing")
    return parser.parse_args(sys.argv[1:] if argv is None else argv).check
