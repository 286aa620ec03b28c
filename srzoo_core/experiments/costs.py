"""Model costs: parameter counts and FLOPs of one forward pass, counted by
``torch.utils.flop_counter.FlopCounterMode`` (convolutions and matrix products; one multiply-add
counts as 2 FLOPs; element-wise ops such as activations and normalisation are not counted)."""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any, Callable

from srzoo_core.build import build_discriminator, build_generator, count_parameters
from srzoo_core.interfaces import optional_attribute
from srzoo_core.spec.resolve import ResolvedSpec, resolve

FLOP_RULE = ("FLOPs of one forward pass counted by torch.utils.flop_counter.FlopCounterMode: convolutions and matrix "
             "products, one multiply-add = 2 FLOPs; element-wise operations are not counted")


def forward_flops(module: Any, *inputs: Any) -> int:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    was_training = module.training
    module.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            module(*inputs)
    finally:
        module.train(was_training)
    return int(counter.get_total_flops())


def measured(build: Callable[[], Any], inputs: Callable[[Any], tuple[Any, ...]]) -> tuple[int, int] | None:
    """(parameters, FLOPs) of ``build()`` run on ``inputs(module)``: on PyTorch's meta device first
    (shapes only: nothing is allocated or computed, so the largest presets cost seconds at most), else for real
    (a forward that reads tensor values cannot run on meta). None when ``build()`` returns None."""
    import torch

    try:
        with torch.device("meta"):
            module = build()
            if module is None:
                return None
            module = module.to("meta")  # buffers a factory made on the CPU on purpose
            return count_parameters(module), forward_flops(module, *inputs(module))
    except Exception:  # noqa: BLE001 - whatever failed on meta, the real build below reports it if it is real
        module = build()
        return None if module is None else (count_parameters(module), forward_flops(module, *inputs(module)))


def padded(size: int, module: Any) -> int:
    """``size`` rounded up to the generator's declared ``size_multiple`` (as the tiler pads)."""
    multiple = max(1, int(optional_attribute(module, "gen", "size_multiple") or 1))
    return -(-size // multiple) * multiple


def generator_cost(resolved: ResolvedSpec, channels: int, scale: int, size: int) -> tuple[int, int]:
    """(parameters, FLOPs for one LR input of ``size``×``size``, i.e. one output image of scale·size)."""
    params, flops, _ = generator_cost_at(resolved, channels, scale, size)
    return params, flops


def generator_cost_at(resolved: ResolvedSpec, channels: int, scale: int, size: int) -> tuple[int, int, int]:
    """(parameters, FLOPs, side): a ``size`` that is no multiple of the generator's declared
    ``size_multiple`` is padded up to ``side`` first, as the tiler and the benchmark pad inputs."""
    import torch

    sides = []

    def lr(generator: Any) -> tuple[Any, ...]:
        sides.append(padded(size, generator))
        return (torch.zeros(1, channels, sides[-1], sides[-1]),)

    cost = measured(lambda: build_generator(resolved, in_channels=channels, out_channels=channels, scale=scale), lr)
    assert cost is not None  # the spec has a generator: build_generator raises otherwise
    return (*cost, sides[-1])


def discriminator_cost(resolved: ResolvedSpec, channels: int, scale: int, size: int) -> tuple[int, int] | None:
    import torch

    def images(disc: Any) -> tuple[Any, ...]:
        hr = torch.zeros(1, channels, size * scale, size * scale)
        return (hr, torch.zeros(1, channels, size, size)) if optional_attribute(disc, "disc", "needs_lr") else (hr,)

    return measured(lambda: build_discriminator(resolved, in_channels=channels), images)


DESCRIBE_SIZE = 64  # LR side of the input `srzoo describe` counts FLOPs for (HR 256×256 at ×4)


def default_cost(info: Any, channels: int = 3, size: int = DESCRIBE_SIZE) -> dict[str, Any] | None:
    """Parameters and FLOPs of a generator or discriminator built with its default options (for
    ``srzoo describe``); None for other kinds and for components with required options. Generators
    run at ×4 (or their largest declared scale) on an LR ``size``×``size`` input, discriminators
    on the matching HR image."""
    from srzoo_core.registry.table import qualified

    if info.kind not in ("gen", "disc") or any(p.required for p in info.params):
        return None
    from srzoo_core.registry import get_registry

    scale = 4 if not info.scales or 4 in info.scales else max(info.scales)
    text = f"{info.kind}={qualified(info)}"
    if info.kind == "disc":  # a discriminator resolves only with a loss that uses it
        adversarial = [c for c in get_registry().list("loss") if c.adversarial]
        if not adversarial:
            return None
        text += f" loss={qualified(adversarial[0])}"
    resolved = resolve(text)
    if info.kind == "gen":
        params, flops, side = generator_cost_at(resolved, channels, scale, size)
    else:
        params, flops = discriminator_cost(resolved, channels, scale, size)  # type: ignore[misc]
        side = size
    return {"parameters": params, "flops": flops, "channels": channels, "scale": scale, "lr_size": side,
            "hr_size": side * scale, "flop_rule": FLOP_RULE}


@lru_cache(maxsize=64)
def generator_cost_of(canonical: str, channels: int, scale: int, size: int) -> tuple[int, int]:
    return generator_cost(resolve(canonical), channels, scale, size)


def component_costs(resolved: ResolvedSpec, channels: int, scale: int, size: int) -> list[dict[str, Any]]:
    """Parameters and FLOPs per component: the bare generator, what each block adds to it, the
    whole generator, and the discriminator (at the HR size)."""
    rows: list[dict[str, Any]] = []
    if resolved.gen is not None:
        bare = dataclasses.replace(resolved, gen_blocks=[])
        params, flops, side = generator_cost_at(bare, channels, scale, size)
        shape = f"{channels}×{size}×{size}" + (f" (padded to {side}×{side}: size_multiple)" if side != size else "")
        rows.append({"role": "gen", "component": resolved.gen.name, "params": params, "flops": flops, "input": shape})
        for block in resolved.gen_blocks:
            p, f = generator_cost(dataclasses.replace(resolved, gen_blocks=[block]), channels, scale, size)
            rows.append({"role": "gen", "component": f"+{block.name} (slot {block.info.slot})", "params": p - params,
                         "flops": f - flops, "input": "added to the bare generator"})
        if resolved.gen_blocks:
            p, f = generator_cost(resolved, channels, scale, size)
            rows.append({"role": "gen", "component": "generator total", "params": p, "flops": f, "input": shape})
    disc = discriminator_cost(resolved, channels, scale, size)
    if disc is not None:
        hr = size * scale
        rows.append({"role": "disc", "component": "+".join(t.name for t in [resolved.disc, *resolved.disc_blocks]),
                     "params": disc[0], "flops": disc[1], "input": f"{channels}×{hr}×{hr}"})
    return rows


def format_count(value: int | float | None) -> str:
    if value is None:
        return "—"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.2f}{unit}"
    return f"{value:g}"
