"""The ``srzoo`` command: list, describe, plugins, spec; exit codes; strict mode; start-up without
torch. Broken fakes are real distributions on PYTHONPATH of a subprocess running the installed
console script; the rest runs ``main()`` in-process, which is faster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import srzoo_core
from srzoo_core.cli import main
from tests import fakes

SCRIPT = Path(sys.executable).with_name("srzoo")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-c", "from srzoo_core.cli import main; main()"]
SRGAN, BLOCKS = metadata.version("srzoo-srgan"), metadata.version("srzoo-blocks")
CORE = metadata.version("srzoo")


def srzoo(*args: str, pythonpath: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """Run the installed ``srzoo`` in a subprocess with no SRZOO_* settings but those given."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SRZOO_")} | env
    if pythonpath is not None:
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), os.environ.get("PYTHONPATH")]))
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, env=environment, timeout=120)


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory) -> Path:
    return fakes.install(tmp_path_factory.mktemp("site"), fakes.ALL)


@pytest.fixture
def cli(plugin_env, capsys):
    """``cli(*args) -> (exit code, stdout, stderr)``, in-process; plugins limited to srgan and blocks."""
    plugin_env.setenv("SRZOO_PLUGINS", "srgan,blocks")

    def run(*args: str) -> tuple[int, str, str]:
        srzoo_core.reset()
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        out, err = capsys.readouterr()
        return exited.value.code or 0, out, err

    return run


# -- broken plugins, in a subprocess ------------------------------------------------------------

def test_list_still_shows_the_working_plugins_while_broken_ones_exist(broken_site):
    result = srzoo("list", pythonpath=broken_site)
    assert result.returncode == 0 and result.stderr == ""
    rows = {line.split("│")[0].strip(): [c.strip() for c in line.split("│")[1:4]] for line in result.stdout.splitlines() if "│" in line}
    assert rows["srresnet"] == ["gen", "srzoo-srgan", SRGAN] and rows["vggstyle"] == ["disc", "srzoo-srgan", SRGAN]
    assert rows["se"] == ["block", "srzoo-blocks", BLOCKS] and rows["multiscale"] == ["block", "srzoo-blocks", BLOCKS]
    assert rows["fakegen"] == ["gen", "fake-good", "1.0"] and "fakeraises" not in rows
    assert "plugin(s) failed to load; see 'srzoo plugins'." in result.stdout


def test_plugins_shows_each_broken_plugin_with_its_error(broken_site):
    result = srzoo("plugins", pythonpath=broken_site)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    for key, error in fakes.EXPECTED_ERRORS.items():
        name, _, dist = key.partition("@")
        assert f"{name} ({dist or 'fake-' + name} 1.0): {error}" in lines
        assert any(line.split("│")[0].strip() == name and "│ error " in line for line in lines)
    assert any(line.split("│")[0].strip() == "srgan" and "srresnet, vggstyle" in line for line in lines)


def test_strict_plugins_flag_fails_with_one_message(broken_site):
    fake_plugins = ",".join(key.partition("@")[0] for key in fakes.EXPECTED_ERRORS)
    result = srzoo("--strict-plugins", "list", pythonpath=broken_site, SRZOO_PLUGINS=f"srgan,blocks,good,{fake_plugins}")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: strict mode: ") and "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith(("error", "hint"))] == [
        "error: strict mode: 7 plugin problem(s)",
        "hint: fix or uninstall the broken plugins, or unset SRZOO_STRICT_PLUGINS; 'srzoo plugins' shows every plugin",
    ]
    for name, error in fakes.EXPECTED_ERRORS.items():
        assert error in result.stderr


def test_strict_mode_from_the_environment_and_the_flag_anywhere(plugin_env, fake_site, capsys):
    fake_site(fakes.RAISES)
    for argv, strict in ((["list"], "1"), (["list", "--strict-plugins"], "")):
        plugin_env.setenv("SRZOO_STRICT_PLUGINS", strict)
        srzoo_core.reset()
        with pytest.raises(SystemExit) as exited:
            main(argv)
        out, err = capsys.readouterr()
        assert exited.value.code == 1 and out == ""
        assert f"  - raises (fake-raises 1.0): {fakes.EXPECTED_ERRORS['raises']}\n" in err


def test_list_and_help_do_not_import_torch():
    probe = (
        "import sys\n"
        "from srzoo_core.cli import main\n"
        "for argv in (['list'], ['--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as exit:\n"
        "        assert not exit.code, exit.code\n"
        "assert 'torch' not in sys.modules, 'srzoo list imported torch'\n"
        "print('no torch')\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SRZOO_")}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=environment, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("no torch")


def test_spec_errors_exit_2_without_a_traceback():
    result = srzoo("spec", "gen=srresnt loss=l1", SRZOO_PLUGINS="srgan,blocks")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        "error: unknown generator 'srresnt'\n"
        "  gen=srresnt loss=l1\n"
        "      ^^^^^^^\n"
        "hint: did you mean 'srresnet'?\n"
    )


def test_describe_an_unknown_component_is_a_usage_error():
    result = srzoo("describe", "srresnt", SRZOO_PLUGINS="srgan,blocks")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: unknown component 'srresnt'\nhint: did you mean 'srresnet'?\n"


# -- in-process ---------------------------------------------------------------------------------

def test_list_json_and_filters(cli):
    code, out, _ = cli("list", "--json")
    assert code == 0
    assert [(c["name"], c["kind"], c["plugin"], c["dist"], c["version"]) for c in json.loads(out)] == [
        ("srresnet", "gen", "srgan", "srzoo-srgan", SRGAN), ("vggstyle", "disc", "srgan", "srzoo-srgan", SRGAN),
        ("multiscale", "block", "blocks", "srzoo-blocks", BLOCKS), ("se", "block", "blocks", "srzoo-blocks", BLOCKS),
        *[(name, "datasource", "srzoo", "srzoo", CORE) for name in ("builtin", "folder", "npy", "seed004", "synthetic_grid")],
    ]
    names = lambda *args: [c["name"] for c in json.loads(cli("list", *args, "--json")[1])]  # noqa: E731
    assert names("gen") == ["srresnet"] and names("blocks") == ["multiscale", "se"]
    assert names("s*") == ["srresnet", "se", "seed004", "synthetic_grid"] and names("block", "m*") == ["multiscale"] and names("gen", "x*") == []
    code, out, err = cli("list", "model", "s*")
    assert (code, out) == (2, "") and err == "error: unknown kind 'model'\nhint: kinds are gen, disc, block, loss, metric, deg, datasource, logger\n"


def test_list_table(cli):
    code, out, _ = cli("list", "block")
    assert code == 0
    header, _, *rows = out.splitlines()
    assert header.split() == ["name", "┃", "kind", "┃", "plugin", "┃", "version", "┃", "description"]
    assert [row.split("│")[0].strip() for row in rows] == ["multiscale", "se"]


def test_describe_text_and_json(cli):
    code, out, _ = cli("describe", "SE")
    assert code == 0
    assert out.splitlines()[0] == f"se — block from srzoo-blocks {BLOCKS} (plugin 'blocks')"
    assert "fills slot: attention" in out and any(line.split() == ["reduction", "│", "int", "│", "16"] for line in out.splitlines())
    code, out, _ = cli("describe", "gen", "srresnet", "--json")
    described = json.loads(out)
    assert (code, described["slots"], described["scales"]) == (0, ["body", "attention", "fusion", "upsampler"], [2, 4, 8])
    assert [p["name"] for p in described["params"]] == ["features", "blocks", "residual"]


def test_describe_a_name_two_kinds_share(cli):
    cli("list")  # loads the host, which the registrations below join
    srzoo_core.register("loss", "dual", lambda: None)
    srzoo_core.register("metric", "dual", lambda space="rgb": None)
    with pytest.raises(SystemExit) as exited:
        main(["describe", "dual"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        main(["describe", "metric", "dual"])
    assert exited.value.code == 0


def test_plugins_json(cli):
    code, out, _ = cli("plugins", "--json")
    records = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and records["srgan"]["components"] == ["srresnet", "vggstyle"] and records["srgan"]["status"] == "ok"
    assert all(r["status"] == "disabled" and r["error"] == "excluded by SRZOO_PLUGINS" for n, r in records.items() if n not in ("srgan", "blocks", "srzoo"))
    assert records["srzoo"]["status"] == "ok" and "builtin" in records["srzoo"]["components"]  # the built-in data sources


def test_spec_prints_the_canonical_form_the_components_and_the_parameter_count(cli):
    code, out, err = cli("spec", "gen=srresnet(features=8,blocks=2)+multiscale+se(reduction=16)", "--channels", "2")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "gen=srresnet(blocks=2,features=8)+se+multiscale"
    rows = [[c.strip() for c in line.split("│")] for line in lines if "│" in line]
    assert [r[:4] for r in rows] == [["gen", "srresnet", "gen", f"srzoo-srgan {SRGAN}"], ["gen", "se", "block", f"srzoo-blocks {BLOCKS}"],
                                     ["gen", "multiscale", "block", f"srzoo-blocks {BLOCKS}"]]
    expected = srzoo_core.count_parameters(srzoo_core.build_generator(lines[0], in_channels=2, scale=4))
    assert lines[-1] == f"generator parameters: {expected:,} (2 channels, ×4)"


def test_spec_errors_in_process(cli):
    code, out, err = cli("spec", "gen=vggstyle")
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == "error: 'vggstyle' is a discriminator, not a generator"
    assert err.splitlines()[-1] == "hint: did you mean disc=vggstyle?"
