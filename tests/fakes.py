"""Fake plugins as real installed distributions: a ``<name>-<version>.dist-info`` folder (METADATA
and ``entry_points.txt`` with the ``[srzoo]`` group) next to the plugin's module source. Put the
folder on ``sys.path`` (in-process) or ``PYTHONPATH`` (a subprocess) and ``importlib.metadata``
finds them exactly as it finds a pip-installed plugin.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Iterable

from srzoo_core.registry.host import core_version


@dataclass(frozen=True)
class FakeDist:
    name: str  # distribution name, e.g. "fake-good"
    source: str  # the entry module's source
    version: str = "1.0"
    entry: str | None = None  # entry-point name; default: the name less "fake-"
    requires: tuple[str, ...] = ("srzoo>=0.1",)
    extra_modules: dict[str, str] = field(default_factory=dict)  # module name -> source

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")

    @property
    def entry_name(self) -> str:
        return self.entry or self.name.removeprefix("fake-")


def install(root: Path, dists: Iterable[FakeDist]) -> Path:
    """Write the distributions into ``root`` (a folder to put on the path); returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for dist in dists:
        info = root / f"{dist.module}-{dist.version}.dist-info"
        info.mkdir()
        requires = "".join(f"Requires-Dist: {r}\n" for r in dist.requires)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist.name}\nVersion: {dist.version}\n{requires}")
        (info / "entry_points.txt").write_text(f"[srzoo]\n{dist.entry_name} = {dist.module}\n")
        (info / "top_level.txt").write_text(dist.module + "\n")
        for module, source in {dist.module: dist.source, **dist.extra_modules}.items():
            (root / f"{module}.py").write_text(textwrap.dedent(source))
    return root


def entry_points(root: Path) -> list[metadata.EntryPoint]:
    """The ``srzoo`` entry points of the distributions installed in ``root`` only."""
    return [ep for dist in metadata.distributions(path=[str(root)]) for ep in dist.entry_points if ep.group == "srzoo"]


HEADER = "from srzoo_core import hookimpl\n"

# A well-behaved plugin: its generator's module is imported only when the generator is built.
GOOD = FakeDist("fake-good", HEADER + '''
@hookimpl
def srzoo_register_generators(register):
    register("fakegen", "fake_good_impl:make", description="a fake generator", scales=(2,))
''', extra_modules={"fake_good_impl": '''
def make(in_channels=3, out_channels=3, scale=2, width: int = 4):
    return ("fakegen", in_channels, out_channels, scale, width)
'''})

IMPORT_ERROR = FakeDist("fake-importerror", "import srzoo_missing_dependency\n")

RAISES = FakeDist("fake-raises", HEADER + '''
@hookimpl
def srzoo_register_losses(register):
    register("fakeraises", lambda: None)
    raise RuntimeError("boom")
''')

UNKNOWN_HOOK = FakeDist("fake-unknownhook", HEADER + '''
@hookimpl
def srzoo_register_widgets(register):
    register("widget", lambda: None)
''')

BAD_ARGUMENT = FakeDist("fake-badarg", HEADER + '''
@hookimpl
def srzoo_register_generators(register, device):
    register("badarg", lambda: None)
''')

UNMARKED = FakeDist("fake-unmarked", '''
def srzoo_register_generators(register):
    register("unmarked", lambda: None)
''')

# Registers the block "se", which srzoo-blocks (entry point "blocks", loaded first) already has: not
# broken (both stay registered and a spec must write blocks:se or clash:se), so not in BROKEN.
CLASH = FakeDist("fake-clash", HEADER + '''
@hookimpl
def srzoo_register_blocks(register):
    register("fakeclash_ok", lambda channels: None, slot="fusion")
    register("SE", lambda channels: None, slot="attention")
''')

# Two distributions with the same entry-point name, "dupe".
DUPE_A = FakeDist("fake-dupe-a", HEADER + '''
@hookimpl
def srzoo_register_metrics(register):
    register("dupe_a", lambda: None)
''', entry="dupe")
DUPE_B = FakeDist("fake-dupe-b", HEADER + '''
@hookimpl
def srzoo_register_metrics(register):
    register("dupe_b", lambda: None)
''', entry="dupe")

# Declares a core range that excludes the installed core; its module must never be imported.
FUTURE = FakeDist("fake-future", 'raise AssertionError("fake-future must not be imported")\n', requires=("srzoo>=99",))

BROKEN = (IMPORT_ERROR, RAISES, UNKNOWN_HOOK, BAD_ARGUMENT, UNMARKED, DUPE_A, DUPE_B, FUTURE)
ALL = (GOOD, *BROKEN)

# The error each broken fake is recorded with, keyed by its plugin (entry-point) name.
CORE, BLOCKS = core_version(), metadata.version("srzoo-blocks")
EXPECTED_ERRORS = {
    "importerror": "failed to import fake_importerror: ModuleNotFoundError: No module named 'srzoo_missing_dependency'",
    "raises": "raised while registering (its registrations were rolled back): RuntimeError: boom",
    "unknownhook": "implements unknown hook 'srzoo_register_widgets'",
    "badarg": "srzoo_register_generators takes unknown argument 'device' (it may take: register)",
    "unmarked": "defines srzoo_register_generators without @hookimpl (from srzoo_core import hookimpl), "
                "so it would never be called",
    "dupe@fake-dupe-b": "entry point name 'dupe' is also used by fake-dupe-a 1.0; rename one of them",
    "future": f"requires srzoo>=99 but srzoo {CORE} is installed",
}
