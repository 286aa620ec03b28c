"""`srzoo train --log`: TensorBoard events read back with TensorBoard's own reader, a resume that logs
no step twice, and the errors for a logger that is unknown, missing or failing."""

from __future__ import annotations

import json

import pytest

import srzoo_core
from srzoo_core import hookimpl

pytest.importorskip("tensorboard", reason="needs srzoo-loggers[tensorboard]")
pytest.importorskip("srzoo_loggers", reason="needs the srzoo-loggers plugin")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

TINY = ["gen=srresnet(blocks=1,features=8) loss=l1", "--data", "synthetic-grid:12", "--iters", "4", "--val-every", "2",
        "--batch", "2", "--precision", "fp32"]


def _events(run) -> EventAccumulator:
    accumulator = EventAccumulator(str(run / "tensorboard"), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def _records(run) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


class Flaky:
    """A logger whose images always fail: the run goes on, the others keep logging."""

    def start(self, run_dir, description, resume_step):
        self.scalars = 0

    def log_scalars(self, step, values):
        self.scalars += 1

    def log_images(self, step, images):
        raise RuntimeError("the tracking server went away")

    def close(self):
        pass


class FlakyPlugin:
    @hookimpl
    def srzoo_register_loggers(self, register):
        register("flaky", Flaky)


@pytest.fixture
def with_flaky(plugin_env):
    srzoo_core.reset()
    srzoo_core.get_host().add_plugin(FlakyPlugin(), name="flaky-test")
    yield
    srzoo_core.reset()


def test_tensorboard_holds_the_losses_metrics_and_sample_panels(cli, tmp_path, with_flaky):
    code, out, err = cli("train", *TINY, "--out", str(tmp_path), "--name", "tb", "--log", "csv,tensorboard,flaky")
    assert code == 0, err
    run = tmp_path / "tb"
    assert "logger flaky failed (RuntimeError: the tracking server went away) and is turned off" in out + err
    events = _events(run)
    records = _records(run)
    logged = {r["step"]: r["loss/l1"] for r in records if "loss/l1" in r}
    assert [(e.step, pytest.approx(e.value)) for e in events.Scalars("loss/l1")] == [(s, pytest.approx(v)) for s, v in logged.items()]
    assert [e.step for e in events.Scalars("lr")] == [1, 2, 3, 4]
    validation = [r for r in records if "val/psnr" in r]
    assert [(e.step, pytest.approx(e.value, rel=1e-6)) for e in events.Scalars("val/psnr")] == [
        (r["step"], pytest.approx(r["val/psnr"], rel=1e-6)) for r in validation] and len(validation) == 2
    assert [e.step for e in events.Scalars("bicubic/rmse_ch0")] == [2, 4]
    from PIL import Image

    images = events.Images("samples/val")
    assert [i.step for i in images] == [2, 4]
    with Image.open(run / "samples" / "step_000004.png") as panel:
        assert (images[-1].width, images[-1].height) == panel.size
    content = events.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    hparams = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info.hparams
    assert hparams["roles.gen"].string_value == "srresnet(blocks=1,features=8)"
    assert hparams["training.log"].string_value == "csv,tensorboard,flaky"


def test_a_run_that_died_then_resumed_logs_each_step_once(cli, tmp_path, monkeypatch):
    from srzoo_core.training.trainer import Trainer

    args = [*TINY, "--out", str(tmp_path), "--name", "r", "--log", "tensorboard"]
    real_save = Trainer.save

    def die_at_step_4(self, best=False):  # after step 4's values were logged, before its checkpoint: a crash
        if self.step == 4:
            raise RuntimeError("killed")
        return real_save(self, best)

    monkeypatch.setattr(Trainer, "save", die_at_step_4)
    code, _, err = cli("train", *args)
    assert code != 0 and "killed" in err
    monkeypatch.setattr(Trainer, "save", real_save)
    code, _, err = cli("train", *args, "--resume")
    assert code == 0, err

    run = tmp_path / "r"
    files = sorted((run / "tensorboard").glob("events.out.tfevents.*"))
    assert len(files) == 2
    # the resumed writer starts at the checkpoint's step + 1: readers drop the dead run's steps 3 and 4
    starts = [e.step for e in EventFileLoader(str(files[1])).Load() if e.HasField("session_log")]
    assert starts == [3]
    events = _events(run)
    assert [e.step for e in events.Scalars("loss/l1")] == [1, 2, 3, 4]
    assert [e.step for e in events.Scalars("val/psnr")] == [2, 4]
    assert [i.step for i in events.Images("samples/val")] == [2, 4]
    resumed = {r["step"]: r["loss/l1"] for r in _records(run) if "loss/l1" in r}
    assert [pytest.approx(e.value) for e in events.Scalars("loss/l1")] == [resumed[s] for s in (1, 2, 3, 4)]


def test_an_unknown_logger_gets_a_did_you_mean_before_anything_is_written(cli, tmp_path):
    code, _, err = cli("train", *TINY, "--out", str(tmp_path), "--log", "csv,tensorbord")
    assert code == 2 and "unknown logger 'tensorbord' in --log" in err and "did you mean 'tensorboard'?" in err
    code, _, err = cli("train", *TINY, "--out", str(tmp_path), "--log", "cvs")
    assert code == 2 and "did you mean 'csv'?" in err
    code, _, err = cli("train", *TINY, "--out", str(tmp_path), "--log", "csv,,tb")
    assert code == 2 and "comma-separated logger names" in err
    assert "Traceback" not in err and not any(tmp_path.iterdir())


def test_a_missing_backend_package_names_the_extra(cli, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if not installed
    code, _, err = cli("train", *TINY, "--out", str(tmp_path), "--log", "tensorboard")
    assert code == 2 and "pip install 'srzoo-loggers[tensorboard]'" in err
    assert "Traceback" not in err and not any(tmp_path.iterdir())


def test_a_logger_of_a_plugin_not_loaded_names_the_plugin(cli, tmp_path, plugin_env):
    from srzoo_core.registry.host import ENV_DISABLED

    plugin_env.setenv(ENV_DISABLED, "loggers")
    srzoo_core.reset()
    code, _, err = cli("train", *TINY, "--out", str(tmp_path), "--log", "mlflow")
    assert code == 2 and "'mlflow' is provided by srzoo-loggers, which is not loaded" in err
    assert not any(tmp_path.iterdir())


def test_the_python_api_takes_log_too(tmp_path):
    import srzoo
    from srzoo_core.errors import UsageError

    with pytest.raises(UsageError, match="unknown logger 'tensorbord'"):
        srzoo.train("gen=srresnet(blocks=1,features=8) loss=l1", data="synthetic-grid:12", iters=1, out=str(tmp_path),
                    log="tensorbord", quiet=True)
    assert not any(tmp_path.iterdir())
