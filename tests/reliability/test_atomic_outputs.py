"""Every file srzoo writes goes through a temporary file and an atomic rename (srzoo_core/files.py):
on a full disk — the data write or the rename failing with ENOSPC — each output of `upscale`,
`report`, `bench`, `export` and a training run keeps its previous contents, no temporary file is left,
and the command ends with one message naming the file. A scan of srzoo_core's source keeps new
writers on that path."""

from __future__ import annotations

import ast
import errno
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import srzoo_core
from tests.reliability.common import TINY_SPEC, error_count, flat, train_photo_model

FAILURES = ("write", "rename")


class DiskFull:
    """ENOSPC for one target: when its temporary file is flushed ("write") or renamed over it ("rename")."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, target: Path, where: str):
        self.target, self.hits = Path(target).resolve(), 0
        real_replace, real_fsync = os.replace, os.fsync

        def replace(src, dst, **kwargs):
            if where == "rename" and Path(dst).resolve() == self.target:
                self._fail()
            return real_replace(src, dst, **kwargs)

        def fsync(fd):
            if where == "write" and self._is_temporary(Path(os.readlink(f"/proc/self/fd/{fd}"))):
                self._fail()
            return real_fsync(fd)

        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(os, "fsync", fsync)

    def _is_temporary(self, path: Path) -> bool:
        name, target = path.name, self.target
        return path.parent == target.parent and name.startswith(f".{target.stem}.") and name.endswith(f".tmp{target.suffix}")

    def _fail(self) -> None:
        self.hits += 1
        raise OSError(errno.ENOSPC, "No space left on device")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_refused_and_intact(code: int, err: str, disk: DiskFull, target: Path, before: dict[str, bytes], folder: Path) -> None:
    err = flat(err)
    assert disk.hits >= 1, "the output was not written through srzoo_core.files"
    assert code != 0 and f"cannot write {target}" in err and "No space left on device" in err, err
    assert error_count(err) == 1 and "Traceback" not in err, err
    after = _snapshot(folder)
    rel = str(target.relative_to(folder))
    assert after.get(rel) == before.get(rel), f"{rel} changed"
    assert not [p for p in folder.rglob(".*") if ".tmp" in p.name], "a temporary file was left"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A photo model (×2, RGB) and a grid model (×4, synthetic-grid), each two steps."""
    import srzoo_core.api as api

    root = tmp_path_factory.mktemp("models")
    photo = train_photo_model(root)
    api.train(TINY_SPEC, data="synthetic-grid:12", batch=4, val_batch=8, iters=2, val_every=2, precision="fp32", out=str(root),
              name="grid", quiet=True)
    return {"root": root, "photos": root / "photos", "photo": photo / "best.safetensors", "grid": root / "grid"}


def _commands() -> set[str]:
    import importlib

    from srzoo_core.cli.app import BUILTIN_COMMANDS, app

    for module in BUILTIN_COMMANDS:
        importlib.import_module(module)
    return {c.name or c.callback.__name__ for c in app.registered_commands}


def _cases(trained: dict, work: Path) -> dict[str, tuple[list[str], list[Path]]]:
    """command -> (argv, the outputs it writes), for the commands this srzoo has."""
    lr = work / "lr.png"
    shutil.copy(trained["photos"] / "im0.png", lr)
    grid = work / "lr.npy"
    np.save(grid, np.random.default_rng(1).normal(size=(2, 16, 16)).astype(np.float32))
    report = work / "report"
    cases = {
        "upscale-photo": (["upscale", str(trained["photo"]), str(lr), str(work / "sr.png")], [work / "sr.png"]),
        "upscale-grid": (["upscale", str(trained["grid"] / "best.safetensors"), str(grid), str(work / "sr.npy")], [work / "sr.npy"]),
        "report": (["report", str(trained["grid"]), "--out", str(report), "--metrics", "psnr"],
                   [report / "report.md", report / "report.csv", report / "report_psnr.png", report / "curves.png"]),
        "bench": (["bench", "bicubic", str(trained["photos"]), "--out", str(work / "bench"), "--save-images", str(work / "sr")],
                  [work / "bench" / "bench.json", work / "bench" / "per_image.csv", work / "bench" / "table.md",
                   work / "sr" / "bicubic" / "photos" / "im0.png"]),
        "export": (["export", str(trained["photo"]), str(work / "model.onnx"), "--no-check"], [work / "model.onnx"]),
    }
    return cases


@pytest.mark.parametrize("command", ["upscale-photo", "upscale-grid", "report", "bench", "export"])
def test_a_full_disk_leaves_every_previous_output_whole(cli, trained, tmp_path, monkeypatch, command):
    if command.split("-")[0] not in _commands():
        pytest.skip(f"this srzoo has no `srzoo {command.split('-')[0]}` command")
    if command == "export":
        pytest.importorskip("onnx")
    argv, outputs = _cases(trained, tmp_path)[command]
    code, _, err = cli(*argv)
    assert code == 0, err
    assert all(p.is_file() for p in outputs), [p for p in outputs if not p.is_file()]
    for target in outputs:
        for where in FAILURES:
            before = _snapshot(tmp_path)
            with monkeypatch.context() as patch:
                disk = DiskFull(patch, target, where)
                code, _, err = cli(*argv)
            assert_refused_and_intact(code, err, disk, target, before, tmp_path)


@pytest.mark.parametrize("output", ["curves.png", "metrics.csv", "run.json"])
def test_a_full_disk_during_training_stops_the_run_with_the_previous_file_whole(cli, tmp_path, monkeypatch, output):
    args = [TINY_SPEC, "--data", "synthetic-grid:12", "--batch", "4", "--iters", "2", "--val-every", "1", "--out", str(tmp_path)]
    run = tmp_path / "full"
    target = run / output
    real_replace, seen = os.replace, []

    def disk_fills_up(src, dst, **kwargs):  # the first validation writes it; from the second on, nothing fits
        if Path(dst) == target:
            seen.append(dst)
            if len(seen) == 3 if output == "run.json" else len(seen) == 2:  # run.json: "running" twice, then "finished"
                before.update(_snapshot(run))
            if before:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst, **kwargs)

    before: dict[str, bytes] = {}
    monkeypatch.setattr(os, "replace", disk_fills_up)
    code, _, err = cli("train", *args, "--name", "full")
    err = flat(err)
    assert code == 1 and f"{target}" in err and "No space left on device" in err, err
    assert error_count(err) == 1 and "Traceback" not in err
    assert _snapshot(run)[output] == before[output]
    assert not [p for p in run.rglob(".*") if ".tmp" in p.name]


# -- the source scan ----------------------------------------------------------------------------

# Calls that write a file: the method name, and receivers for which that name is not a file write
# (the trainer's own save(), which writes checkpoints through checkpoint.write_atomic).
WRITERS = {"write_text": (), "write_bytes": (), "savefig": (), "imwrite": (), "save_file": (), "save_model": ("ckpt",),
           "save": ("self", "t", "trainer"), "savez": (), "savez_compressed": (), "to_csv": (), "to_netcdf": ()}
COPIES = {"copy", "copyfile", "copy2", "copytree", "move"}  # shutil's
ATOMIC = {"atomic_path", "atomic_output", "write_text_atomic"}
# (file, call) pairs that write on purpose without files.py, and why.
ALLOWED = {
    ("files.py", "open"): "the implementation of atomic writes",
    ("training/rundir.py", "open"): "metrics.jsonl is an append log: a torn last line is skipped by its reader",
    ("registry/catalogue.py", "write_text"): "a developer tool regenerating the source tree's catalogue.json",
    ("testing/checks_datasources.py", "write_text"): "the conformance kit's scratch file in a temporary folder",
}


def _writes(tree: ast.AST) -> list[tuple[int, str, bool]]:
    """(line, call name, inside an atomic ``with``) for every call that writes a file."""
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, atomic: bool) -> None:
        if isinstance(node, (ast.With, ast.AsyncWith)):
            atomic = atomic or any(isinstance(i.context_expr, ast.Call) and _name(i.context_expr.func) in ATOMIC for i in node.items)
        if isinstance(node, ast.Call):
            name = _name(node.func)
            opens = name == "open" and set(_mode(node)) & set("wax+")
            writes = name in WRITERS and isinstance(node.func, ast.Attribute) and _receiver(node.func) not in WRITERS[name]
            copies = name == "save_file" or (name in COPIES and _receiver(node.func) == "shutil")
            if opens or writes or copies:
                found.append((node.lineno, name, atomic))
        for child in ast.iter_child_nodes(node):
            visit(child, atomic)

    visit(tree, False)
    return found


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _receiver(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id
    return ""


def _mode(call: ast.Call) -> str:
    args = [*call.args[1:2], *[k.value for k in call.keywords if k.arg == "mode"]]
    return next((a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)), "")


def test_every_file_srzoo_writes_goes_through_files_py():
    root = Path(srzoo_core.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        rel = str(path.relative_to(root))
        for line, name, atomic in _writes(ast.parse(path.read_text(), str(path))):
            if not atomic and (rel, name) not in ALLOWED:
                offenders.append(f"srzoo_core/{rel}:{line}: {name}(...) outside atomic_path/atomic_output")
    assert not offenders, "\n".join(offenders)
