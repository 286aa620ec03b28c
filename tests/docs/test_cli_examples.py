"""Every ``srzoo …`` command in the docs' shell code blocks, the README and the examples' READMEs
still works, so the examples cannot rot.

- Cheap commands (list, describe, spec, plugins, explain, anything with --help) run in-process and
  must exit 0.
- The others (train, ablate, eval, upscale, report) are parsed by the command's own option parser
  (an unknown option, a bad value or a missing argument fails) and every spec in them must resolve,
  every arm of an ablation included.
- A command after a ``pip install`` line in the same block uses a plugin that CI does not install
  (the add-on srzoo-esrgan, the example plugin): it is checked with that plugin loaded from source.
"""

from __future__ import annotations

import importlib
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

import srzoo_core

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "examples").glob("*/README.md"))]
SHELL = {"", "bash", "sh", "shell", "console"}
RUN = {"list", "describe", "spec", "plugins", "explain"}
# what a `pip install` line names -> (source folder, module, plugin name, distribution)
ADD_ONS = {
    "srzoo-esrgan": ("plugins/srzoo-esrgan", "srzoo_esrgan", "esrgan", "srzoo-esrgan"),
    "write_a_plugin": ("examples/write_a_plugin", "srzoo_example_plugin", "example", "srzoo-example-plugin"),
}
INSTALL = re.compile(r"pip install\b.*?(" + "|".join(map(re.escape, ADD_ONS)) + ")")
ENV_WORD = re.compile(r"[A-Z_][A-Z0-9_]*=.*")


@dataclass
class Example:
    source: str
    line: int
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    add_ons: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.source}:{self.line}: srzoo {' '.join(self.argv)}"[:120]


def code_blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of each fenced block in a shell language and each indented block."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^\s*(```+|~~~+)\s*([\w-]*)", lines[i])
        if fence:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(fence.group(1))), len(lines))
            if fence.group(2).lower() in SHELL:
                yield i + 2, lines[i + 1:end]
            i = end + 1
            continue
        if lines[i].startswith("    ") and (i == 0 or not lines[i - 1].strip()):
            end = i
            while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
                end += 1
            yield i + 1, [line[4:] for line in lines[i:end]]
            i = end
            continue
        i += 1


def examples() -> list[Example]:
    found = []
    for path in SOURCES:
        for start, block in code_blocks(path.read_text()):
            add_ons: tuple[str, ...] = ()
            logical, first = "", None
            for offset, raw in enumerate(block):
                first = start + offset if first is None else first
                if raw.rstrip().endswith("\\"):
                    logical += raw.rstrip()[:-1] + " "
                    continue
                line, logical, number, first = logical + raw, "", first, None
                add_ons += tuple(m.group(1) for m in INSTALL.finditer(line))
                words = shlex.split(line.strip().removeprefix("$ "), comments=True)
                env = {}
                while words and ENV_WORD.fullmatch(words[0]):
                    key, _, value = words.pop(0).partition("=")
                    env[key] = value
                if words and (words[0] == "srzoo" or words[0].endswith("/srzoo")):
                    found.append(Example(str(path.relative_to(ROOT)), number, words[1:], env, add_ons))
    return found


EXAMPLES = examples()


def test_the_docs_have_examples():
    sources = {e.source for e in EXAMPLES}
    assert {"README.md", "docs/getting-started.md", "docs/spec-language.md"} <= sources
    assert {a for e in EXAMPLES for a in e.add_ons} == set(ADD_ONS)


def cli_command(name: str):
    """The click command behind ``srzoo NAME``, with every built-in and plugin command attached."""
    import typer.main

    from srzoo_core.cli.app import BUILTIN_COMMANDS, app

    for module in BUILTIN_COMMANDS:
        importlib.import_module(module)
    return typer.main.get_command(app).commands.get(name)


def load_add_on(key: str) -> None:
    """Add a plugin to the global plugin host from source, unless it is installed and loaded."""
    folder, module, name, dist = ADD_ONS[key]
    host = srzoo_core.get_host()
    if any(r.dist == dist and r.status == "ok" for r in host.records.values()):
        return
    if str(ROOT / folder) not in sys.path:
        sys.path.insert(0, str(ROOT / folder))
    host.records.pop(name, None)  # installed but not loaded: replace the record
    host.add_plugin(importlib.import_module(module), name=name, dist=dist, version="source")


def check_specs(name: str, params: dict) -> None:
    """Every spec a parsed command would train resolves (all arms of an ablation)."""
    if name == "train" and params.get("spec"):
        srzoo_core.resolve(params["spec"])
    if name == "ablate":
        from srzoo_core.experiments.changes import expand, parse_add, parse_swap

        changes = [parse_add(t) for t in params.get("add") or []] + [parse_swap(t) for t in params.get("swap") or []]
        expand(params["base_spec"], changes, factorial=bool(params.get("factorial")))


@pytest.fixture
def environment(monkeypatch):
    for variable in ("SRZOO_PLUGINS", "SRZOO_DISABLED_PLUGINS", "SRZOO_STRICT_PLUGINS"):
        monkeypatch.delenv(variable, raising=False)
    srzoo_core.reset()
    yield monkeypatch
    srzoo_core.reset()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example(example: Example, environment, capsys):
    for key, value in example.env.items():
        environment.setenv(key, value)
    argv = [a for a in example.argv if a != "--strict-plugins"]
    name = next((a for a in argv if not a.startswith("-")), None)
    if name is not None:
        command = cli_command(name)
        if command is None:
            pytest.fail(f"{example.source}:{example.line}: srzoo has no command {name!r}")
    for key in example.add_ons:
        load_add_on(key)
    if name is None or name in RUN or "--help" in argv or "-h" in argv:
        from srzoo_core.cli.app import main

        try:
            main(list(example.argv))
            code = 0
        except SystemExit as exit_:
            code = exit_.code or 0
        captured = capsys.readouterr()
        assert code == 0, f"{example.id} exited with {code}:\n{captured.err}{captured.out[-2000:]}"
        return
    import typer

    rest = argv[argv.index(name) + 1:]
    try:
        context = command.make_context(f"srzoo {name}", rest)
    except typer.TyperException as exc:  # click's usage errors: unknown option, bad value, missing argument
        pytest.fail(f"{example.id}: {getattr(exc, 'format_message', exc.__str__)()}")
    check_specs(name, context.params)
