"""The conformance kit: the checks every component of every plugin must pass.

    from srzoo_core.testing import check_plugin
    check_plugin("srgan")                                  # an installed plugin, by entry-point name
    check_plugin(my_module)                                # hook implementations, straight from source
    check_plugin("srgan", srresnet={"blocks": 4})          # options for one component's factory
    check_component("vgg", weights="random")               # one component, options for its factory

Both run every check, collect every failure and raise :class:`ConformanceError`, whose message has
one line per failure, ``[<kind> <name>] <check>: <why>``; on success they return the passed checks.
An exception raised while building or running a component is a failure of the check that hit it.
Mistakes of the caller (an unknown plugin, options for a component or parameter that does not
exist, setting a context parameter) raise :class:`~srzoo_core.errors.UsageError` at once.

What is checked, by kind (sizes in :mod:`~srzoo_core.testing.checks_models` and
:mod:`~srzoo_core.testing.checks_losses`):

generators
    ×scale output for every declared scale (4 when none is declared) with 1–4 channels; an odd
    15×13 input is upscaled or refused with ``ValueError``; every declared slot is a keyword of the
    factory, and a probe block put in it is built and keeps the output size; gradients reach every
    parameter; a state-dict round trip into a second instance (strict) gives the same eval output;
    two builds under the same ``torch.manual_seed`` have identical weights and output; a forward
    under ``torch.autocast("cpu", dtype=torch.bfloat16)`` gives finite output of the right shape.
discriminators
    ``(N, 1)`` or ``(N, 1, h, w)`` finite logits for 32, 64 and 96 pixel inputs with 1–3 channels
    (``disc(x, lr)`` when ``needs_lr``); gradients reach the input; state-dict round trip.
blocks
    by slot contract: attention/fusion/body keep the shape, an upsampler scales ×2 and ×4 (×3 or a
    ``ValueError``), gradients reach input and parameters; a wrapper wraps a tiny inner
    discriminator and passes the discriminator checks.
losses, metrics
    see :mod:`srzoo_core.testing.checks_losses`.
loggers
    see :mod:`srzoo_core.testing.checks_loggers`.

Small by default: generator and discriminator factories that take one of the size parameters in
:data:`SMALL_SIZES` (``blocks``, ``features``, ``num_blocks``, …) with a larger integer default get
the small value instead, unless the caller sets that option. The whole kit runs with the global
torch RNG state saved and restored, with gradients enabled, on one CPU thread.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Callable

import torch

from srzoo_core.errors import PluginError, UsageError
from srzoo_core.interfaces import CONTEXT_PARAMS
from srzoo_core.registry import ComponentInfo, PluginHost, PluginRecord, get_host, normalise
from srzoo_core.registry.host import OK
from srzoo_core.testing import checks_datasources, checks_degradations, checks_loggers, checks_losses, checks_models
from srzoo_core.testing._kit import ConformanceError, Failure, Recorder, describe_exception

# Size options a generator or discriminator factory commonly has -> the value the kit uses.
SMALL_SIZES: dict[str, int] = {
    "blocks": 2, "num_blocks": 2, "num_block": 2, "nb": 2,
    "features": 16, "num_features": 16, "num_feat": 16, "nf": 16,
    "growth": 8, "num_grow_ch": 8, "gc": 8,
    "dense": 32,
}
SHRUNK_KINDS = ("gen", "disc")

CHECKS: dict[str, Callable[[Recorder, ComponentInfo, Callable[..., Any], dict[str, Any]], None]] = {
    "gen": checks_models.generator,
    "disc": checks_models.discriminator,
    "block": checks_models.block,
    "loss": checks_losses.loss,
    "metric": checks_losses.metric,
    "deg": checks_degradations.degradation,
    "datasource": checks_datasources.datasource,
    "logger": checks_loggers.logger,
}


def check_plugin(plugin: Any, **options: Mapping[str, Any]) -> list[str]:
    """Check every component of a plugin: an installed plugin's entry-point (or distribution)
    name, or a module/object with hook implementations, loaded into a fresh ``PluginHost``.
    ``options`` maps a component name (or alias) to keyword options for its factory; a name that
    two kinds of the plugin share gets them for both."""
    host, record = _load(plugin)
    components = [info for info in host.registry if info.provider.plugin == record.name]
    known = {n: info.name for info in components for n in (info.name, *info.aliases)}
    per_name: dict[str, Mapping[str, Any]] = {}
    for key, value in options.items():
        if normalise(key) not in known:
            raise UsageError(f"options name {key!r}, which plugin {record.name!r} does not provide",
                             hint=f"its components: {', '.join(sorted(set(known.values()))) or 'none'}")
        if not isinstance(value, Mapping):
            raise UsageError(f"options for {key!r} must be a dict of factory options, not {type(value).__name__}")
        per_name[known[normalise(key)]] = value
    failures: list[Failure] = []
    passed: list[str] = []
    for info in components:
        rec = run_checks(info, **per_name.get(info.name, {}))
        failures += rec.failures
        passed += rec.passed
    if failures:
        raise ConformanceError(failures)
    return passed


def check_component(info: ComponentInfo | str, host: PluginHost | None = None, **options: Any) -> list[str]:
    """Check one component: a ``ComponentInfo``, or a name looked up in ``host`` (by default the
    installed plugins; for a name two kinds share, pass ``registry.get(name, kind)``). ``options``
    are keyword options for its factory."""
    if isinstance(info, str):
        info = (host or get_host()).registry.get(info)
    rec = run_checks(info, **options)
    if rec.failures:
        raise ConformanceError(rec.failures)
    return rec.passed


def run_checks(info: ComponentInfo, **options: Any) -> Recorder:
    """Every check of one component, without raising: the recorder holds passes and failures."""
    rec = Recorder(info.kind, info.name)
    try:
        factory = info.resolve()
        params = factory_options(info, options)
    except UsageError:  # the caller's mistake, not the component's
        raise
    except (Exception, SystemExit) as exc:  # a module that exits while importing fails its load check
        rec.fail("load", describe_exception(exc))
        return rec
    with torch.random.fork_rng(devices=[]), torch.enable_grad(), _one_thread():
        CHECKS[info.kind](rec, info, factory, params)
    return rec


@contextmanager
def _one_thread() -> Iterator[None]:
    """Tiny tensors run fastest on one thread, and a busy machine makes more threads much slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def factory_options(info: ComponentInfo, options: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's options, checked against the factory, plus the small sizes (see SMALL_SIZES)."""
    context = set(CONTEXT_PARAMS[info.kind]) & set(options)
    if context:
        raise UsageError(f"{', '.join(sorted(context))} of {info.kind} {info.name!r} is set by the conformance kit, not by options")
    signature = info.signature_params()
    names = {p.name for p in signature}
    unknown = sorted(set(options) - names)
    if unknown and not _takes_var_keyword(info.resolve()):
        valid = ", ".join(p.describe() for p in info.params) or "none"
        raise UsageError(f"{info.kind} {info.name!r} has no option {unknown[0]!r}", hint=f"its options: {valid}")
    params = dict(options)
    if info.kind in SHRUNK_KINDS:
        for p in signature:
            small = SMALL_SIZES.get(p.name)
            default = p.default
            if small is not None and p.name not in params and type(default) is int and default > small:
                params[p.name] = small
    return params


def _takes_var_keyword(factory: Callable[..., Any]) -> bool:
    try:
        return any(p.kind == p.VAR_KEYWORD for p in inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return True


def _load(plugin: Any) -> tuple[PluginHost, PluginRecord]:
    if isinstance(plugin, str):
        host = get_host()
        wanted = normalise(plugin)
        record = next((r for r in host.records.values() if wanted in (normalise(r.name), normalise(r.dist))), None)
        if record is None:
            raise UsageError(f"no plugin named {plugin!r} is installed",
                             hint=f"installed plugins: {', '.join(sorted(host.records)) or 'none'}; "
                             "or pass the module itself to check it from source")
    else:
        host = PluginHost()
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        try:
            record = host.add_plugin(plugin, name=name)
        except PluginError as exc:
            why = exc.message.removeprefix(f"plugin {name!r}: ")
            raise ConformanceError([Failure("plugin", name, "load", why)]) from None
    if record.status != OK:
        raise ConformanceError([Failure("plugin", record.name, "load", record.error or f"status {record.status}")])
    return host, record
