"""Sizing a model before it exists. Built on PyTorch's ``meta`` device (shapes, no memory), a
generator or discriminator gives its parameter count, and one forward pass on a tiny input gives
its output shape and the size of its activations, so a spec that cannot fit is refused before
anything is allocated (``gen=srresnet(features=100000)`` asks for 360 GB).

An absurd integer (``blocks=100000000``) would take hours even on ``meta``, where Python still
makes every module object: a meta build that outlasts :data:`QUICK_SECONDS` has its integer
options above :data:`LARGE_OPTION` extrapolated from builds with that option small (exact for a
count of blocks, a lower bound for a width, whose parameters grow faster than linearly), and
every meta build runs under a deadline.
"""

from __future__ import annotations

import math
import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import torch
from torch.overrides import TorchFunctionMode

from srzoo_core.contracts import ComponentError
from srzoo_core.errors import SpecError, UsageError
from srzoo_core.interfaces import KIND_NOUNS

LARGE_OPTION = 1024  # integer options above this are extrapolated before the model is built
META_SECONDS = 30.0  # a meta build or probe that takes longer is refused (a real model takes well under 1 s)
QUICK_SECONDS = 1.0  # a meta build that takes longer has its large integer options extrapolated first
TRAINING_BYTES_PER_PARAMETER = 16  # fp32 weight, its gradient and Adam's two moments
FLOAT_BYTES = 4


class OverDeadline(BaseException):
    """A meta build ran past its deadline. A BaseException, so a plugin's ``except Exception`` cannot hide it."""


class _Deadline(TorchFunctionMode):
    """Checks the clock on every torch call: a factory that loops over millions of modules stops."""

    def __init__(self, seconds: float):
        super().__init__()
        self.deadline = time.monotonic() + seconds

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        if time.monotonic() > self.deadline:
            raise OverDeadline
        return func(*args, **(kwargs or {}))


@contextmanager
def on_meta(seconds: float | None = None) -> Iterator[None]:
    """Tensors made inside are shapes only; raises :class:`OverDeadline` after ``seconds``
    (default :data:`META_SECONDS`)."""
    grad = torch.is_grad_enabled()
    try:
        with torch.device("meta"), _Deadline(META_SECONDS if seconds is None else seconds):
            yield
    finally:
        # the deadline may fire inside a factory's ``with torch.no_grad():`` exit, before it restores
        # the grad mode: restore it here, or every later forward pass would build no graph
        torch.set_grad_enabled(grad)


@dataclass
class Estimate:
    """What a model needs, found on the meta device."""

    parameters: int
    buffer_bytes: int
    activation_bytes: int | None = None  # outputs of every leaf module for the probe input (batch 1)
    probe_shape: tuple[int, ...] | None = None  # that input's shape
    output: Any = None  # the probe's output (meta tensors), None when the probe could not run
    extrapolated: tuple[str, int] | None = None  # (option, value) the count was projected for

    @property
    def probe_pixels(self) -> int:
        return self.probe_shape[-2] * self.probe_shape[-1] if self.probe_shape else 1

    @property
    def weight_bytes(self) -> int:
        """Weights, gradients and Adam state, plus buffers."""
        return self.parameters * TRAINING_BYTES_PER_PARAMETER + self.buffer_bytes

    def activations(self, batch: int, pixels: int) -> int | None:
        if self.activation_bytes is None:
            return None
        return math.ceil(self.activation_bytes * batch * pixels / self.probe_pixels)

    def minimum_bytes(self) -> int:
        """The least a training step needs: all the weight state and one sample's activations."""
        return self.weight_bytes + (self.activation_bytes or 0)


def count(module: Any) -> tuple[int, int]:
    """(parameters, buffer bytes) of a module, meta or not."""
    parameters = sum(p.numel() for p in module.parameters())
    buffers = sum(b.numel() * b.element_size() for b in module.buffers())
    return parameters, buffers


def probe_activations(module: Any, run: Callable[[Any], Any]) -> tuple[Any, int]:
    """``run(module)`` on meta with every leaf module's output measured: (what it returns, bytes)."""
    total = 0

    def measure(_module: Any, _inputs: Any, output: Any) -> None:
        nonlocal total
        for tensor in output if isinstance(output, (tuple, list)) else (output,):
            if isinstance(tensor, torch.Tensor):
                total += tensor.numel() * FLOAT_BYTES  # trained in fp32 (autocast halves some of it)

    leaves = [m for m in module.modules() if not any(True for _ in m.children())]
    handles = [m.register_forward_hook(measure) for m in leaves]
    try:
        with on_meta(), torch.no_grad():
            output = run(module.eval())
    finally:
        for handle in handles:
            handle.remove()
    return output, total


def extrapolate(build: Callable[[int], Any], value: int) -> int | None:
    """Parameters at ``value`` of one integer option, projected from meta builds at two small
    values (1 and 2, else 2 and 4, …; a factory may refuse the smallest); None when the option
    does not make the model grow or the small builds fail."""
    for low in (1, 2, 4, 8, 16):
        try:
            with on_meta():
                first = count(build(low))[0]
                second = count(build(2 * low))[0]
        except (Exception, SystemExit, OverDeadline):
            continue
        growth = second - first  # per `low` more of the option; integers, so 10**400 stays exact
        return first + growth * (value - low) // low if growth > 0 else None
    return None


def estimate_model(resolved: Any, terms: list[Any], build: Callable[..., Any], probe: Callable[[Any], Any] | None) -> Estimate | None:
    """Build on the meta device and, with ``probe`` (``probe(module)`` -> (input shape, output)),
    run it once, refusing a model that cannot fit; None when the factory cannot build on meta (the
    real build then reports what is wrong). ``terms``: the resolved head, then its blocks;
    ``build(options)`` builds it with ``options`` (id of a term -> options replacing its own).
    A meta forward pass costs seconds the first time in a process (PyTorch imports its compiler
    for some meta kernels), so building for training skips it and probes the real module."""
    memory = available_memory()
    try:  # a quick try first, so a factory that checks its options says what is wrong with them
        with on_meta(QUICK_SECONDS):
            module = build()
    except OverDeadline:
        module = _slow_build(resolved, terms, build, memory)
    except ComponentError:  # perhaps only on meta (a factory that reads a tensor's values), or a size
        _refuse_extrapolated(resolved, terms, build, memory)  # no tensor can have (features=10**30)
        module = None
    if module is None:
        return None
    weights = Estimate(*count(module))
    if weights.minimum_bytes() > memory[0]:  # refused before a probe, which could take long at this size
        raise too_large(resolved, terms, weights, memory)
    if probe is None:
        return weights
    try:
        (shape, output), activations = probe_activations(module, probe)
    except OverDeadline:
        raise too_slow(resolved, terms, META_SECONDS) from None
    except (Exception, SystemExit):
        (shape, output), activations = (None, None), None
    estimate = Estimate(*count(module), activations, tuple(shape) if shape else None, output)
    if estimate.minimum_bytes() > memory[0]:
        raise too_large(resolved, terms, estimate, memory)
    return estimate


def _slow_build(resolved: Any, terms: list[Any], build: Callable[..., Any], memory: tuple[int, str]) -> Any:
    """A meta build that outlasted the quick try: absurd integers (which would take hours even on
    meta) are extrapolated and refused first, then the build gets the full deadline."""
    _refuse_extrapolated(resolved, terms, build, memory)
    try:
        with on_meta():
            return build()
    except OverDeadline:
        raise too_slow(resolved, terms, META_SECONDS) from None
    except ComponentError:
        return None


def _refuse_extrapolated(resolved: Any, terms: list[Any], build: Callable[..., Any], memory: tuple[int, str]) -> None:
    """Refuse the model if an integer option above LARGE_OPTION, extrapolated, needs more memory than there is."""
    for term in terms:
        for key, value in term.params.items():
            if type(value) is int and value > LARGE_OPTION:
                projected = extrapolate(lambda v, t=term, k=key: build({id(t): {k: v}}), value)
                if projected is not None and projected * TRAINING_BYTES_PER_PARAMETER > memory[0]:
                    raise too_large(resolved, terms, Estimate(projected, 0, extrapolated=(key, value)), memory, (term, key))


ENV_MEMORY = "SRZOO_MEMORY_LIMIT"  # e.g. "16GB": the memory sizing checks against, instead of this machine's
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def available_memory() -> tuple[int, str]:
    """The most memory one device here offers: (bytes, where from: "of RAM available"). A model
    that needs more fits nowhere. ``SRZOO_MEMORY_LIMIT`` (``16GB``, ``512MiB``) sets it instead."""
    limit = os.environ.get(ENV_MEMORY, "").strip()
    if limit:
        match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)", limit)
        if not match or match[2].upper() not in _UNITS:
            raise UsageError(f"{ENV_MEMORY}={limit!r} is not an amount of memory", hint=f"write e.g. {ENV_MEMORY}=16GB")
        return int(float(match[1]) * _UNITS[match[2].upper()]), f"set by {ENV_MEMORY}"
    best = (_ram_available(), "of RAM available")
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            properties = torch.cuda.get_device_properties(index)
            if properties.total_memory > best[0]:
                best = (properties.total_memory, f"of memory on GPU {index} ({properties.name})")
    return best


def _ram_available() -> int:
    available = None
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
    except OSError:
        pass
    if available is None:
        try:
            available = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return 2**63  # unknown: never refuse for lack of a number
    try:  # a container's memory limit (cgroup v2)
        with open("/sys/fs/cgroup/memory.max") as limit:
            text = limit.read().strip()
        if text.isdigit():
            available = min(available, int(text))
    except OSError:
        pass
    return available


def format_bytes(size: int | float) -> str:
    if size >= 1000**7:  # past exabytes; integers, as 10**400 parameters is no float
        return f"{format_count(int(size))} bytes"
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB", "EB"):
        if size < 1000 or unit == "EB":
            break
        size /= 1000
    return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"


def format_count(number: int) -> str:
    """``1,550,659``; from 10**12 on ``7.42e+12`` (digits, not a float: 10**400 has no float)."""
    if number < 10**12:
        return f"{number:,}"
    digits = str(int(number))
    return f"{digits[0]}.{digits[1:3]}e+{len(digits) - 1}"


def too_large(resolved: Any, terms: list[Any], estimate: Estimate, memory: tuple[int, str], at: tuple[Any, str] | None = None) -> UsageError:
    """The refusal of a model that fits in no memory here, with the estimate; the caret goes under
    ``at`` (term, option), else under the largest integer option written."""
    head, option = terms[0], estimate.extrapolated
    where = f" with {option[0]}={format_count(option[1])} (extrapolated from smaller {option[0]})" if option else ""
    needs = "weights, gradients and Adam state" + (", and one sample's activations" if estimate.activation_bytes else "")
    term, key = at or _largest_option(terms)
    return _spec_error(
        resolved, term, key,
        f"{KIND_NOUNS[head.info.kind]} {head.name!r} is too large for this machine: about {format_count(estimate.parameters)} "
        f"parameters{where}, which need at least {format_bytes(estimate.minimum_bytes())} to train ({needs}), "
        f"more than the {format_bytes(memory[0])} {memory[1]}",
        hint=f"use smaller options; 'srzoo describe {term.name}' lists them")


def too_slow(resolved: Any, terms: list[Any], seconds: float) -> UsageError:
    """The refusal of a model whose meta build ran past the deadline, pointing at its largest integer option."""
    term, key = _largest_option(terms)
    return _spec_error(resolved, term, key, f"{KIND_NOUNS[terms[0].info.kind]} {terms[0].name!r} is too large to build: "
                       f"even on the meta device (which allocates nothing) building it took over {seconds:g} s",
                       hint=f"use smaller options; 'srzoo describe {term.name}' lists them")


def _largest_option(terms: list[Any]) -> tuple[Any, str | None]:
    """The (term, option) whose written integer is largest: the likeliest cause of a huge model."""
    written = [(v.value, i, term, key) for i, term in enumerate(terms) for key, v in term.term.params.items() if type(v.value) is int]
    if not written:
        return terms[0], None
    _, _, term, key = max(written, key=lambda n: (n[0], -n[1]))
    return term, key


def _spec_error(resolved: Any, term: Any, key: str | None, message: str, hint: str) -> UsageError:
    """A SpecError with a caret under the option (or the term) when the spec has text to point into."""
    if not resolved.spec.text:
        return UsageError(message, hint=hint)
    value = term.term.params.get(key) if key else None
    span = (value.key_span[0], value.span[1]) if value is not None and value.key_span[1] <= value.span[0] else term.term.span
    return SpecError(message, resolved.spec.text, span, hint)
