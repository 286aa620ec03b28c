"""ONNX export of a generator, and a check of the exported file against PyTorch with onnxruntime.

The exported model maps an ``lr`` tensor (N, C, H, W) float32 to ``sr`` (N, C_out, scale*H,
scale*W) with batch, height and width dynamic. It computes what ``srzoo upscale`` computes for one
tile: a generator that declares an int ``size_multiple`` gets its input replicate-padded on the
bottom/right to that multiple and its output cropped back, inside the graph, so the file takes
any size. Normalisation stays outside the graph (as in srzoo); the file's ``metadata_props`` say
how to apply it, with the scale, channels, srzoo version and spec, so a consumer needs no srzoo.

Export uses PyTorch's ``torch.export``-based exporter (``dynamo=True``, which needs onnxscript;
the TorchScript exporter is deprecated and bakes traced sizes into reshapes). The example input
has odd sizes (19×23): a branch like ``if h % 4: pad(...)`` is then traced on its general path,
whose pad amounts stay symbolic, so the file is right for every size, multiples included. A
generator that refuses odd sizes is exported at the first even example it takes and the file
records the multiple it needs (``size_multiple``). :func:`verify_onnx` is the proof either way.

Needs the ``export`` extra: ``pip install 'srzoo[export]' -c constraints.txt``.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import io
import json
import logging
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from srzoo_core.errors import UsageError
from srzoo_core.files import atomic_path
from srzoo_core.training.inference import _size_multiple

__all__ = ["ExportError", "INPUT_NAME", "OUTPUT_NAME", "export_onnx", "metadata_json", "read_metadata", "require_packages", "verify_onnx"]

INPUT_NAME, OUTPUT_NAME = "lr", "sr"
INSTALL_HINT = "pip install 'srzoo[export]' -c constraints.txt"
# Odd, coprime example sizes, then ×2, ×4, ×8 for generators that refuse odd inputs.
EXAMPLE_SIZES: tuple[tuple[int, int], ...] = ((19, 23), (38, 46), (76, 92), (152, 184))
DEFAULT_SIZES: tuple[tuple[int, int, int], ...] = ((1, 16, 16), (1, 23, 37), (2, 40, 32))  # (N, H, W); C from the file
# What export_onnx writes itself; caller metadata may not override these.
OWN_KEYS = ("srzoo_version", "scale", "in_channels", "out_channels", "size_multiple", "input", "output", "layout")


class ExportError(UsageError):
    """A generator that cannot be exported, or an exported file that does not match PyTorch."""


def _require(module: str) -> object:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(f"ONNX export needs the {module!r} package, which is not installed",
                         hint=f"install the export extra: {INSTALL_HINT}") from None


def require_packages(runtime: bool = True) -> None:
    """Fail before any work when the export extra is missing (onnxruntime only for checking)."""
    for module in ("onnx", "onnxscript", *(("onnxruntime",) if runtime else ())):
        _require(module)


class _AnySize(nn.Module):
    """The generator as the tiler runs it: padded to ``size_multiple`` (replicate), cropped back."""

    def __init__(self, generator: nn.Module, scale: int, multiple: int):
        super().__init__()
        self.generator, self.scale, self.multiple = generator, scale, multiple

    def forward(self, lr: torch.Tensor) -> torch.Tensor:
        if self.multiple == 1:
            return self.generator(lr)
        h, w = lr.shape[-2:]
        padded = F.pad(lr, (0, (-w) % self.multiple, 0, (-h) % self.multiple), mode="replicate")
        return self.generator(padded)[..., : h * self.scale, : w * self.scale]


def _prepared(generator: nn.Module, scale: int) -> _AnySize:
    """A float32, eval-mode CPU copy (the caller's module is left as it was)."""
    copied = copy.deepcopy(generator).to(device="cpu", dtype=torch.float32).eval()
    return _AnySize(copied, scale, _size_multiple(generator)).eval()


def _example(model: nn.Module, in_channels: int, scale: int, label: str) -> tuple[torch.Tensor, int, int]:
    """The first example input the model takes; returns it, the size multiple it implies and C_out."""
    refusal = None
    for h, w in EXAMPLE_SIZES:
        x = torch.randn(2, in_channels, h, w, generator=torch.Generator().manual_seed(0))
        try:
            with torch.no_grad():
                y = model(x)
        except ValueError as exc:
            refusal = exc
            continue
        if tuple(y.shape[-2:]) != (h * scale, w * scale):
            raise ExportError(f"generator {label} mapped {tuple(x.shape)} to {tuple(y.shape)}, not ×{scale}")
        return x, h // EXAMPLE_SIZES[0][0], int(y.shape[1])
    raise ExportError(f"generator {label} refused every example input size ({refusal})")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The exporter prints progress, logs optional-op registrations (torchvision's, absent here) and
    deprecation notes, and dumps graphs when it fails; the error itself is what the user needs."""
    names = ("torch.onnx", "torch.export", "torch._export", "torch._dynamo", "torch.fx", "onnxscript")
    loggers = [logging.getLogger(name) for name in names]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        sink = io.StringIO()
        with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _reason(exc: BaseException) -> str:
    """The exporter's long report cut to its cause and the line of the model that raised it."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line]
    cause = next((lines[i + 1] for i, line in enumerate(lines[:-1]) if line == "## Exception summary"), lines[0] if lines else "")
    where = next((lines[i + 1:i + 3] for i, line in enumerate(lines) if line.startswith("The following call raised")), [])
    return cause + (f" ({' '.join(where)})" if where else "") if cause else type(exc).__name__


def _rename_dims(proto: object, names: dict[str, str]) -> None:
    """Give the exporter's symbolic dims (``s77``, ``4*s53``) readable names everywhere."""
    if not names:
        return
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    graph = proto.graph  # type: ignore[attr-defined]
    for value in [*graph.input, *graph.output, *graph.value_info]:
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param:
                dim.dim_param = pattern.sub(lambda m: names[m.group(1)], dim.dim_param)


def export_onnx(generator: nn.Module, path: str | Path, *, in_channels: int, scale: int, metadata: Mapping[str, str],
                opset: int | None = None) -> Path:
    """Export ``generator`` (float32, eval mode, on the CPU) to ``path`` as one ONNX file, written
    atomically (a temporary file beside it, then ``os.replace``).

    Batch, height and width are dynamic; input ``lr`` and output ``sr`` are NCHW float32 in the
    generator's (normalised) space. ``metadata`` (str → str: spec, channel names, normalisation…)
    is stored in ``metadata_props`` beside what this function records itself (:data:`OWN_KEYS`).
    ``opset`` is the ai.onnx opset (default: the exporter's). A generator the exporter cannot
    handle is an :class:`ExportError` naming it (``metadata["generator"]`` or its class)."""
    onnx = _require("onnx")
    _require("onnxscript")
    path = Path(path)
    label = repr(metadata.get("generator") or type(generator).__name__)
    clash = sorted(set(metadata) & set(OWN_KEYS))
    if clash:
        raise ValueError(f"metadata may not set {', '.join(clash)}: export_onnx records them itself")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("metadata must map str to str (encode lists and dicts as JSON)")
    model = _prepared(generator, int(scale))
    example, multiple, out_channels = _example(model, int(in_channels), int(scale), label)
    dims = {0: torch.export.Dim.DYNAMIC, 2: torch.export.Dim.DYNAMIC, 3: torch.export.Dim.DYNAMIC}
    try:
        with _quiet():
            program = torch.onnx.export(model, (example,), None, dynamo=True, dynamic_shapes={"lr": dims},
                                        input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], opset_version=opset,
                                        verbose=False, optimize=True)
            proto = program.model_proto
    except Exception as exc:  # the exporter raises many types; all mean "this generator does not export"
        raise ExportError(f"generator {label} cannot be exported to ONNX: {_reason(exc)}",
                          hint="its forward must be traceable by torch.export (no Python control flow on tensor values)") from exc
    produced = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is not None and produced != opset:  # the exporter falls back to its own opset when conversion fails
        raise ExportError(f"generator {label} cannot be exported at opset {opset}; the exporter could only write opset {produced}",
                          hint=f"use --opset {produced} or newer, or leave it out")
    symbols = [d.dim_param for d in proto.graph.input[0].type.tensor_type.shape.dim]
    _rename_dims(proto, {s: n for s, n in zip(symbols, ("batch", "", "height", "width")) if s and n})
    own = {
        "srzoo_version": _srzoo_version(), "scale": str(int(scale)), "in_channels": str(int(in_channels)),
        "out_channels": str(out_channels), "size_multiple": str(multiple), "input": INPUT_NAME, "output": OUTPUT_NAME,
        "layout": "NCHW float32; height and width any multiple of size_multiple; output scale x larger",
    }
    del proto.metadata_props[:]
    for key, value in {**own, **metadata}.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    with atomic_path(path) as tmp:
        onnx.save_model(proto, str(tmp))
    return path


def _srzoo_version() -> str:
    from srzoo_core import __version__

    return str(__version__)


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file, as a dict."""
    onnx = _require("onnx")
    model = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in model.metadata_props}


def verify_onnx(path: str | Path, generator: nn.Module, sizes: Sequence[Sequence[int]] | None = None,
                atol: float = 1e-4, rtol: float = 1e-5) -> dict[tuple[int, ...], float]:
    """Run the file with onnxruntime and ``generator`` with PyTorch (float32, as exported) on the
    same seeded random inputs; return the max abs difference per input shape, or raise
    :class:`ExportError` if onnxruntime fails or an output element differs by more than
    ``atol + rtol * |PyTorch's value|`` (``rtol`` covers float32 rounding in generators with
    large outputs, e.g. SPAN's ×255 range: ~1e-4 at outputs near 150, as PyTorch's own float32 vs
    float64 difference there).

    ``sizes`` are (N, C, H, W) shapes; by default (1,C,16,16), (1,C,23,37), (2,C,40,32) with C from
    the file, heights and widths rounded up to the file's ``size_multiple``."""
    ort = _require("onnxruntime")
    meta = read_metadata(path)
    scale, channels, multiple = int(meta["scale"]), int(meta["in_channels"]), int(meta.get("size_multiple", "1"))
    if sizes is None:
        sizes = [(n, channels, -(-h // multiple) * multiple, -(-w // multiple) * multiple) for n, h, w in DEFAULT_SIZES]
    model = _prepared(generator, scale)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    differences: dict[tuple[int, ...], float] = {}
    for i, shape in enumerate(sizes):
        shape = tuple(int(s) for s in shape)
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(i))
        with torch.no_grad():
            expected = model(x).numpy()
        try:
            got = session.run([OUTPUT_NAME], {INPUT_NAME: x.numpy()})[0]
        except Exception as exc:  # onnxruntime's own error types
            raise ExportError(f"onnxruntime failed on input {shape} of {path}: {str(exc).splitlines()[0]}") from None
        if got.shape != expected.shape:
            raise ExportError(f"{path} gives shape {got.shape} for input {shape}; PyTorch gives {expected.shape}")
        error = abs(got - expected)
        differences[shape] = float(error.max())
        if not (error <= atol + rtol * abs(expected)).all():
            raise ExportError(f"{path} differs from PyTorch on input {shape}: max |difference| {differences[shape]:.3g} "
                              f"(tolerance {atol:g} + {rtol:g} × |value|)",
                              hint="the generator's forward may branch on the input size; export it at that size or fix the branch")
    return differences


def metadata_json(value: object) -> str:
    """Lists and dicts as compact JSON, the form metadata_props values take."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
