"""Experiments layer: ablation grids (arms × seeds on the ordinary trainer), result tables with
seed statistics, plots, and dry-run explanations of a spec. Imports point down only (training,
build, spec); the CLI in ``srzoo_core.cli.experiments`` is the only caller above."""

from srzoo_core.experiments.ablation import Ablation, Outcome, PlannedRun, plan, run_all
from srzoo_core.experiments.changes import Arm, Change, expand, parse_add, parse_swap

__all__ = ["Ablation", "Arm", "Change", "Outcome", "PlannedRun", "expand", "parse_add", "parse_swap", "plan", "run_all"]
