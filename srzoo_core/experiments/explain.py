"""``srzoo explain``: what a spec builds, without data or training — each component with its plugin
and every parameter value (defaults included), the slots filled, parameters and FLOPs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from srzoo_core.errors import UsageError
from srzoo_core.interfaces import DISCRIMINATOR_SLOTS
from srzoo_core.spec.printer import format_value
from srzoo_core.spec.resolve import ResolvedSpec, ResolvedTerm, resolve


@dataclass
class Explanation:
    spec: ResolvedSpec
    channels: int
    scale: int
    size: int
    components: list[dict[str, Any]] = field(default_factory=list)
    slots: list[dict[str, str]] = field(default_factory=list)
    costs: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def canonical(self) -> str:
        return self.spec.canonical()

    def as_dict(self) -> dict[str, Any]:
        return {"spec": self.canonical, "channels": self.channels, "scale": self.scale, "lr_size": self.size,
                "hr_size": self.size * self.scale, "components": self.components, "slots": self.slots,
                "costs": self.costs, "notes": self.notes}


def component_row(role: str, term: ResolvedTerm) -> dict[str, Any]:
    info = term.info
    written = set(term.params)
    params = [{"name": p.name, "type": p.type_name, "value": format_value(term.all_params().get(p.name)) if not p.required
               else format_value(term.params.get(p.name)), "source": "spec" if p.name in written else "default"}
              for p in info.params]
    return {"role": role, "name": term.name, "kind": info.kind, "weight": term.weight if role == "loss" else None,
            "plugin": info.provider.plugin, "dist": info.provider.dist, "version": info.provider.version,
            "slot": info.slot, "params": params, "requires": list(info.requires)}


def explain(text: str, channels: int = 3, scale: int = 4, size: int = 24, host: Any = None, costs: bool = True) -> Explanation:
    for name, value, low in (("--channels", channels, 1), ("--scale", scale, 1), ("--size", size, 1)):
        if value < low:
            raise UsageError(f"{name} must be at least {low}, not {value}")
    resolved = resolve(text, host)
    out = Explanation(resolved, channels, scale, size)
    out.components = [component_row(role, term) for role, term in resolved.terms()]
    if resolved.gen is not None:
        filled = {b.info.slot: b.name for b in resolved.gen_blocks}
        out.slots += [{"role": "gen", "slot": s, "filled_by": filled.get(s, f"({resolved.gen.name}'s default)")} for s in resolved.gen.info.slots]
        scales = resolved.gen.info.scales
        if scales and scale not in scales:
            raise UsageError(f"generator {resolved.gen.name!r} supports scale {', '.join(map(str, scales))}, not {scale}",
                             hint=f"use --scale {scales[0]}")
    if resolved.disc is not None:
        filled = {b.info.slot: b.name for b in resolved.disc_blocks}
        out.slots += [{"role": "disc", "slot": s, "filled_by": filled.get(s, "(none)")} for s in (*resolved.disc.info.slots, *DISCRIMINATOR_SLOTS)]
    if not resolved.losses:
        out.notes.append("no loss= given: 'srzoo train' adds loss=l1")
    if not resolved.metrics:
        out.notes.append("no metric= given: 'srzoo train' scores photos with psnr+ssim on Y (crop = scale) and grids with "
                         "per-channel psnr, ssim, rmse, mae, bias and corr")
    if resolved.disc is not None or resolved.adversarial:
        from srzoo_core.training.config import TrainConfig

        default = TrainConfig()
        share = default.pretrain_fraction()
        part = f"{share:.0%} of the budget" if isinstance(share, float) else f"{share} steps"
        out.notes.append(f"adversarial spec: 'srzoo train' pretrains with the pixel losses for {part} (--pretrain {default.pretrain}), "
                         "then trains the GAN")
    if costs:
        from srzoo_core.experiments.costs import component_costs

        out.costs = component_costs(resolved, channels, scale, size)
        if any(t.info.kind == "loss" for _, t in resolved.terms()):
            out.notes.append("losses and metrics are described, not built (a perceptual loss would load its weights)")
    return out
