"""Names two plugins share, numbers no model can take, and what can be checked before a run starts,
all through the command line:

- a plugin that registers a name another plugin has (and sorts first) never wins silently nor
  disables the other: the bare name is ambiguous, the qualified one works, `srzoo plugins` shows
  the clash, strict mode fails on it;
- loss weights must be positive and finite; an override path is given once;
- a model too large for any memory here is refused before anything is allocated, with the
  estimate; a metric that cannot score the validation data is refused before the run folder exists;
- a slow plugin is named with its load time, and Ctrl-C while it imports stops the command.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from importlib import metadata

import pytest

import srzoo_core
from srzoo_core import sizing
from tests import fakes
from tests.reliability.common import TINY_ARGS, clean_env, error_count, srzoo

SRGAN = metadata.version("srzoo-srgan")
# Sorts before "srgan" and registers its generator's name, as the impostor did.
IMPOSTOR = fakes.FakeDist("fake-impostor", fakes.HEADER + '''
@hookimpl
def srzoo_register_generators(register):
    register("SRResNet", "fake_impostor_impl:make", description="not the SRGAN paper's")
''', entry="aaa", extra_modules={"fake_impostor_impl": '''
from torch import nn

def make(in_channels=3, out_channels=3, scale=4):
    return nn.Sequential(nn.Conv2d(in_channels, out_channels * scale * scale, 3, padding=1), nn.PixelShuffle(scale))
'''})
TINY = "gen={}srresnet(blocks=1,features=8) loss=l1"


def one_error(code: int, out: str, err: str) -> str:
    """The one error message (exit 2, no traceback), as rendered."""
    assert code == 2 and error_count(err) == 1 and "Traceback" not in out + err, (code, out, err)
    return err


@pytest.fixture
def impostor(plugin_env, fake_site):
    plugin_env.setenv("SRZOO_PLUGINS", "aaa,srgan,losses,metrics")
    fake_site(IMPOSTOR)


def test_a_clashing_name_is_ambiguous_and_neither_plugin_is_disabled(impostor, cli, tmp_path, no_plots):
    listed = json.loads(cli("list", "--json")[1])
    assert [(c["name"], c["kind"], c["dist"], c["qualified_name"], c["ambiguous"]) for c in listed if c["kind"] in ("gen", "disc")] == [
        ("srresnet", "gen", "fake-impostor", "aaa:srresnet", True), ("srresnet", "gen", "srzoo-srgan", "srgan:srresnet", True),
        ("vggstyle", "disc", "srzoo-srgan", "srgan:vggstyle", False)]  # srgan's other component stays
    records = {r["name"]: r for r in json.loads(cli("plugins", "--json")[1])}
    clash = f"generator 'srresnet' is registered by 2 plugins: aaa:srresnet (fake-impostor 1.0) and srgan:srresnet (srzoo-srgan {SRGAN})"
    assert (records["aaa"]["status"], records["aaa"]["clashes"]) == ("ok", [clash])
    assert (records["srgan"]["status"], records["srgan"]["clashes"], records["srgan"]["components"]) == ("ok", [clash], ["srresnet", "vggstyle"])
    assert f"clash: {clash}; a spec must write aaa:srresnet or srgan:srresnet" in cli("plugins")[1].replace("\n", "")

    err = one_error(*cli("train", TINY.format(""), *TINY_ARGS, "--iters", "1", "--out", str(tmp_path), "--name", "bare"))
    assert err == (
        f"error: generator 'srresnet' is ambiguous: 2 plugins register it, aaa:srresnet from fake-impostor 1.0 and "
        f"srgan:srresnet from srzoo-srgan {SRGAN}\n"
        "  gen=srresnet(blocks=1,features=8) loss=l1\n"
        "      ^^^^^^^^\n"
        "hint: write the qualified name, aaa:srresnet or srgan:srresnet; 'srzoo plugins' shows the clash\n")
    assert not (tmp_path / "bare").exists()
    assert one_error(*cli("describe", "srresnet")).startswith("error: generator 'srresnet' is ambiguous")
    assert cli("describe", "srgan:srresnet")[0] == 0

    code, _, err = cli("train", TINY.format("srgan:"), *TINY_ARGS, "--iters", "1", "--out", str(tmp_path), "--name", "qualified")
    assert code == 0, err
    run = json.loads((tmp_path / "qualified" / "run.json").read_text())
    assert run["status"] == "finished" and run["description"]["roles"]["gen"] == "srgan:srresnet(blocks=1,features=8)"

    srzoo_core.reset()
    strict = cli("--strict-plugins", "list")
    assert strict[0] == 1 and f"  - {clash}; a spec must write the qualified name" in strict[2]


@pytest.mark.parametrize("spec, message, caret", [
    ("loss=-1*l1", "a loss weight must be above 0, not -1 (it would maximise the loss)", "-1"),
    ("loss=0*l1", "a loss weight must be above 0, not 0", "0"),
    ("loss=1e-400*l1", "the loss weight 1e-400 is too small: it is 0 in floating point", "1e-400"),
    ("loss=inf*l1", "a loss weight must be a finite number above 0, not inf", "inf"),
    ("loss=nan*l1", "a loss weight must be a finite number above 0, not nan", "nan"),
    ("loss=l1+1e999*gan disc=patchgan", "1e999 is too large a number", "1e999"),
    ("loss=l1 loss.l1.weight=-0.5", "a loss weight must be above 0, not -0.5 (it would maximise the loss)", "-0.5"),
    ("loss=l1 loss.l1.weight=0.0", "a loss weight must be above 0, not 0.0", "0.0"),
])
def test_loss_weights_must_be_positive_and_finite(cli, spec, message, caret):
    text = f"gen=srresnet {spec}"
    lines = one_error(*cli("spec", text)).splitlines()
    assert lines[0] == f"error: {message}"
    start = text.index(caret, text.index("loss"))
    assert lines[2] == "  " + " " * start + "^" * len(caret)


def test_an_override_given_twice_is_an_error_like_a_parameter_given_twice(cli):
    text = "gen=srresnet gen.blocks=1 gen.blocks=2"
    assert one_error(*cli("spec", text)) == (
        "error: gen.blocks is given twice\n"
        f"  {text}\n"
        "                                ^^^^^^\n"
        "hint: give each override once\n")
    assert one_error(*cli("spec", "gen=srresnet gen.blocks=1 gen.srresnet.blocks=2")).startswith("error: gen.srresnet.blocks is given twice")
    assert cli("spec", "gen=srresnet(blocks=1) gen.blocks=2")[0] == 0  # an override of a written value stays allowed


@pytest.mark.parametrize("spec, option", [
    ("gen=srresnet(blocks=100000000)", "blocks=100000000"),
    ("gen=srresnet(blocks=" + "1" + "0" * 30 + ")", "blocks=1" + "0" * 30),
    ("gen=srresnet gen.blocks=100000000", "blocks=100000000"),
    ("gen=srresnet(features=100000)", "features=100000"),
    ("gen=srresnet(blocks=1,features=8) disc=patchgan(features=100000000) loss=l1+0.01*gan", "features=100000000"),
])
def test_a_model_no_memory_here_can_hold_is_refused_with_the_estimate(cli, spec, option):
    lines = one_error(*cli("spec", spec)).splitlines()
    assert " is too large for this machine: about " in lines[0] and " which need at least " in lines[0]
    assert lines[0].endswith(" of RAM available") or " of memory on GPU " in lines[0], lines[0]
    assert lines[2] == "  " + " " * spec.index(option) + "^" * len(option)


def test_the_estimate_is_in_the_message_against_a_memory_limit_one_may_set(cli, monkeypatch):
    monkeypatch.setenv("SRZOO_MEMORY_LIMIT", "1GB")
    text = "gen=srresnet(blocks=2,features=2048)"  # 2 blocks: built on meta in no time, counted exactly
    lines = one_error(*cli("spec", text)).splitlines()
    assert lines[0] == ("error: generator 'srresnet' is too large for this machine: about 491,788,291 parameters, which need at "
                        "least 7.9 GB to train (weights, gradients and Adam state), more than the 1.0 GB set by SRZOO_MEMORY_LIMIT")
    assert lines[2] == "  " + " " * text.index("features=2048") + "^" * len("features=2048")
    monkeypatch.setenv("SRZOO_MEMORY_LIMIT", "lots")
    assert one_error(*cli("spec", text)) == "error: SRZOO_MEMORY_LIMIT='lots' is not an amount of memory\nhint: write e.g. SRZOO_MEMORY_LIMIT=16GB\n"


def test_a_build_that_outlasts_the_deadline_is_refused(cli, monkeypatch):
    monkeypatch.setattr(sizing, "META_SECONDS", 0.0)
    text = "gen=srresnet(blocks=3,features=8)"
    lines = one_error(*cli("spec", text)).splitlines()
    assert lines[0] == "error: generator 'srresnet' is too large to build: even on the meta device (which allocates nothing) building it took over 0 s"
    assert lines[2] == "  " + " " * text.index("features=8") + "^" * len("features=8")  # the largest integer option


def test_training_refuses_a_huge_model_before_the_run_folder_exists(cli, tmp_path):
    err = one_error(*cli("train", "gen=srresnet(blocks=100000000) loss=l1", *TINY_ARGS, "--out", str(tmp_path), "--name", "huge"))
    assert "is too large for this machine" in err and not (tmp_path / "huge").exists()


def test_spec_still_counts_parameters_and_estimates_training_memory(cli):
    code, out, err = cli("spec", "gen=srresnet(blocks=2,features=8) loss=l1")
    assert (code, err) == (0, "")
    built = srzoo_core.count_parameters(srzoo_core.build_generator("gen=srresnet(blocks=2,features=8)"))
    assert out.splitlines()[-1] == f"generator parameters: {built:,} (3 channels, ×4)"
    assert out.splitlines()[-2].startswith("training memory, roughly: ")


@pytest.mark.parametrize("metric", ["psnr(crop=100000)", "ssim(crop=40)+psnr"])
def test_a_metric_that_cannot_score_the_validation_data_fails_before_the_run(cli, tmp_path, metric):
    text = f"gen=srresnet(blocks=1,features=8) loss=l1 metric={metric}"
    lines = one_error(*cli("train", text, *TINY_ARGS, "--iters", "1", "--out", str(tmp_path), "--name", "crop")).splitlines()
    name = metric.split("(")[0]
    assert lines[0].startswith(f"error: metric {name!r} cannot score this run's validation data (samples of shape (2, 64, 64)): ")
    assert lines[2] == "  " + " " * text.index(metric) + "^" * len(metric.split("+")[0])
    assert not (tmp_path / "crop").exists()


SLOW = fakes.FakeDist("fake-slowpoke", fakes.HEADER + '''
import os, time
if os.environ.get("SLOWPOKE_MARK"):
    open(os.environ["SLOWPOKE_MARK"], "w").close()
time.sleep(float(os.environ.get("SLOWPOKE_SECONDS", "1.1")))

@hookimpl
def srzoo_register_losses(register):
    register("slowloss", lambda: None)
''')


def test_a_slow_plugin_is_named_with_its_load_time(plugin_env, fake_site, cli):
    plugin_env.setenv("SRZOO_PLUGINS", "srgan,slowpoke")
    fake_site(SLOW)
    records = {r["name"]: r for r in json.loads(cli("plugins", "--json")[1])}
    assert records["slowpoke"]["slow"] and records["slowpoke"]["load_seconds"] >= 1.1
    assert not records["srgan"]["slow"] and records["srgan"]["load_seconds"] < 1
    seconds = f"{records['slowpoke']['load_seconds']:.1f}"
    assert f"slow: slowpoke (fake-slowpoke 1.0) took {seconds} s to import and register" in cli("plugins")[1].replace("\n", "")


def test_ctrl_c_during_a_slow_plugin_import_stops_the_command(tmp_path):
    site = fakes.install(tmp_path / "site", [SLOW])
    mark = tmp_path / "importing"
    env = {**clean_env(), "PYTHONPATH": str(site), "SLOWPOKE_MARK": str(mark), "SLOWPOKE_SECONDS": "600"}
    # a shell that started the test run in the background may have ignored SIGINT; a user's terminal has not
    process = subprocess.Popen(srzoo("list"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    while not mark.exists():  # the plugin is importing (and will sleep for ten minutes)
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate()
    assert (process.returncode, out) == (130, "") and err.strip().splitlines()[-1] == "interrupted", err
    assert "Traceback" not in err
