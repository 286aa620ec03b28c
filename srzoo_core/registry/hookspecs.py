"""The hooks a plugin may implement. Each ``register`` callback is bound to the calling plugin and
to one component kind, so every component records which distribution provides it.

``register(name, factory, *, description="", slots=(), slot=None, requires=(), aliases=())``
where ``factory`` is a callable or a lazy ``"module:attr"`` string (keep torch out of the entry
module so ``srzoo list`` stays fast).
"""

from __future__ import annotations

import pluggy

PROJECT = "srzoo"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class SrzooHooks:
    @hookspec
    def srzoo_register_generators(self, register):
        """Register generators (kind ``gen``)."""

    @hookspec
    def srzoo_register_discriminators(self, register):
        """Register discriminators (kind ``disc``)."""

    @hookspec
    def srzoo_register_blocks(self, register):
        """Register blocks (kind ``block``); each declares the slot it fills."""

    @hookspec
    def srzoo_register_losses(self, register):
        """Register losses (kind ``loss``)."""

    @hookspec
    def srzoo_register_metrics(self, register):
        """Register metrics (kind ``metric``)."""

    @hookspec
    def srzoo_register_degradations(self, register):
        """Register degradations (kind ``deg``): what makes a training LR from its HR."""

    @hookspec
    def srzoo_register_datasources(self, register):
        """Register data sources (kind ``datasource``): what ``--data`` reads."""

    @hookspec
    def srzoo_register_loggers(self, register):
        """Register loggers (kind ``logger``): where ``--log`` sends a run's progress."""

    @hookspec
    def srzoo_register_commands(self, app):
        """Add sub-commands to the ``srzoo`` typer application."""


# hook name -> component kind it registers
COMPONENT_HOOKS: dict[str, str] = {
    "srzoo_register_generators": "gen",
    "srzoo_register_discriminators": "disc",
    "srzoo_register_blocks": "block",
    "srzoo_register_losses": "loss",
    "srzoo_register_metrics": "metric",
    "srzoo_register_degradations": "deg",
    "srzoo_register_datasources": "datasource",
    "srzoo_register_loggers": "logger",
}
HOOK_NAMES: tuple[str, ...] = (*COMPONENT_HOOKS, "srzoo_register_commands")
# hook name -> the arguments an implementation may take
HOOK_ARGUMENTS: dict[str, tuple[str, ...]] = {**{hook: ("register",) for hook in COMPONENT_HOOKS}, "srzoo_register_commands": ("app",)}
