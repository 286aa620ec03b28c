"""Model costs: parameter counts and FLOPs of one forward pass, counted by
``torch.utils.flop_counter.FlopCounterMode`` (convolutions and matrix products; one multiply-add
counts as 2 FLOPs; element-wise ops such as activations and normalisation are not counted)."""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any

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


def generator_cost(resolved: ResolvedSpec, channels: int, scale: int, size: int) -> tuple[int, int]:
    """(parameters, FLOPs for one LR input of ``size``×``size``, i.e. one output image of scale·size)."""
    import torch

    generator = build_generator(resolved, in_channels=channels, out_channels=channels, scale=scale)
    return count_parameters(generator), forward_flops(generator, torch.zeros(1, channels, size, size))


def discriminator_cost(resolved: ResolvedSpec, channels: int, scale: int, size: int) -> tuple[int, int] | None:
    import torch

    disc = build_discriminator(resolved, in_channels=channels)
    if disc is None:
        return None
    hr = torch.zeros(1, channels, size * scale, size * scale)
    inputs = (hr, torch.zeros(1, channels, size, size)) if optional_attribute(disc, "disc", "needs_lr") else (hr,)
    return count_parameters(disc), forward_flops(disc, *inputs)


@lru_cache(maxsize=64)
def generator_cost_of(canonical: str, channels: int, scale: int, size: int) -> tuple[int, int]:
    return generator_cost(resolve(canonical), channels, scale, size)


def component_costs(resolved: ResolvedSpec, channels: int, scale: int, size: int) -> list[dict[str, Any]]:
    """Parameters and FLOPs per component: the bare generator, what each block adds to it, the
    whole generator, and the discriminator (at the HR size)."""
    rows: list[dict[str, Any]] = []
    if resolved.gen is not None:
        bare = dataclasses.replace(resolved, gen_blocks=[])
        params, flops = generator_cost(bare, channels, scale, size)
        rows.append({"role": "gen", "component": resolved.gen.name, "params": params, "flops": flops, "input": f"{channels}×{size}×{size}"})
        for block in resolved.gen_blocks:
            p, f = generator_cost(dataclasses.replace(resolved, gen_blocks=[block]), channels, scale, size)
            rows.append({"role": "gen", "component": f"+{block.name} (slot {block.info.slot})", "params": p - params,
                         "flops": f - flops, "input": "added to the bare generator"})
        if resolved.gen_blocks:
            p, f = generator_cost(resolved, channels, scale, size)
            rows.append({"role": "gen", "component": "generator total", "params": p, "flops": f, "input": f"{channels}×{size}×{size}"})
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
