"""What the build layer checks of the components plugins hand it, and the one error a broken one
gives: a factory that raises, calls sys.exit or returns no nn.Module, a generator whose output has
the wrong shape or channels, a discriminator that gives no logits, a metric that cannot score the
run's data. A bug in a plugin is named with its distribution and version (exit code 2); Ctrl-C
always passes. Importing this module does not import torch."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from srzoo_core.errors import SpecError, SrzooError, UsageError
from srzoo_core.interfaces import KIND_NOUNS


class ComponentError(UsageError):
    """A plugin's component broke its contract while being built or probed (it raised, called
    sys.exit, or returned the wrong thing): one message naming the plugin and its version."""


def broken(term: Any, what: str) -> ComponentError:
    """The error for a resolved term whose component ``what`` (``returned str, not …``)."""
    info = term.info
    noun = KIND_NOUNS[info.kind]
    return ComponentError(f"{noun} {info.name!r} from {info.provider} (plugin {info.provider.plugin!r}) {what}",
                          hint=f"this is a bug in {info.provider}: report it to its authors, or choose another {noun} "
                          f"('srzoo list {info.kind}'); 'srzoo plugins' shows every plugin")


def exception_text(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"called sys.exit({'' if exc.code is None else repr(exc.code)})"
    text = " ".join(str(exc).split())
    return f"raised {type(exc).__name__}" + (f": {text}" if text else "")


def real_probe(term: Any, module: Any, probe: Callable[[Any], Any], tolerant: bool = False) -> Any:
    """``probe(module)`` -> (input shape, output) on the real module, in eval mode without gradients
    (no random numbers drawn, no running statistics moved); each submodule's mode is restored after.
    An exception is the plugin's bug; ``tolerant``: None instead (the input may be one it refuses),
    though sys.exit is still a bug."""
    import torch

    from srzoo_core.sizing import Estimate, count

    modes = [(m, m.training) for m in module.modules()]
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=[]):  # a stochastic layer's draws leave no trace
            shape, output = probe(module.eval())
    except (Exception, SystemExit) as exc:
        if tolerant and not isinstance(exc, SystemExit):
            return None
        raise broken(term, f"{exception_text(exc)} on a small test input") from None
    finally:
        for submodule, training in modes:
            submodule.training = training
    return Estimate(*count(module), probe_shape=tuple(shape), output=output)


def check_upscaled(term: Any, output: Any, shape: tuple[int, ...], out_channels: int, scale: int) -> None:
    """A generator's output for an (N, C, H, W) input: (N, out_channels, scale·H, scale·W)."""
    n, _, h, w = shape
    expected = (n, out_channels, h * scale, w * scale)
    got = tuple(getattr(output, "shape", ()))
    if got == expected:
        return
    if len(got) == 4 and got[1] != out_channels:
        what = f"gives {got[1]} output channel(s) where {out_channels} were asked for (input {shape}, output {got})"
    elif got:
        what = f"gives output of shape {got} for an input of shape {shape} at ×{scale}; expected {expected}"
    else:
        what = f"returns a {type(output).__name__} from forward, not a tensor"
    raise broken(term, what)


def check_logits(term: Any, logits: Any, shape: tuple[int, ...]) -> None:
    """A discriminator's output for one image: logits of shape (1, 1) or (1, 1, h, w)."""
    got = tuple(getattr(logits, "shape", ()))
    if len(got) not in (2, 4) or got[:2] != (1, 1):
        what = f"output of shape {got}" if got else f"a {type(logits).__name__}"
        raise broken(term, f"gives {what} for a {tuple(shape)} input; a discriminator gives logits of shape (N, 1) or (N, 1, h, w)")


def check_metric(term: Any, metric: Any) -> Any:
    """A metric is callable, says whether higher is better (a bool) and gives its protocol (a dict)."""
    if not callable(metric):
        raise broken(term, f"returned {type(metric).__name__}, which cannot be called to score")
    if not isinstance(getattr(metric, "higher_is_better", None), bool):
        raise broken(term, "has no bool higher_is_better")
    try:
        protocol = metric.protocol()
    except (Exception, SystemExit) as exc:
        raise broken(term, f"{exception_text(exc)} from protocol()") from None
    if not isinstance(protocol, dict):
        raise broken(term, f"gives a {type(protocol).__name__} from protocol(), not a dict")
    return metric


def probe_metrics(spec: Any, evaluator: Any, dataset: Any) -> None:
    """Score one validation sample with each metric, exactly as validation will, so a metric that
    cannot score this data (``psnr(crop=100000)`` on 64×64 tiles) is refused before the run starts
    rather than at its first validation. ``evaluator`` is the run's (training.evaluate.Evaluator)."""
    if not len(dataset):
        return
    lr, hr = dataset[0]
    for term, metric in zip(spec.metrics, evaluator.metrics):
        single = dataclasses.replace(evaluator, metrics=[metric])
        try:
            single.score(lambda _: hr.flip(-1).unsqueeze(0), [(lr, hr)], 1)
        except SrzooError:
            raise
        except ValueError as exc:
            written = "metric" in spec.spec.roles and any(t is term.term for t in spec.spec.roles["metric"].terms)
            message = f"metric {term.name!r} cannot score this run's validation data (samples of shape {tuple(hr.shape)}): {exc}"
            hint = f"change its options ('srzoo describe {term.name}' lists them) or the data"
            raise SpecError(message, spec.spec.text, term.term.span, hint) if written else UsageError(message, hint=hint) from None
        except (Exception, SystemExit) as exc:
            raise broken(term, f"{exception_text(exc)} scoring a validation sample of shape {tuple(hr.shape)}") from None
