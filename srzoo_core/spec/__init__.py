"""Spec layer: the grammar, its parser, the canonical printer and resolution against the registry."""

from srzoo_core.spec.ast import ROLES, Role, Spec, Term, Value
from srzoo_core.spec.parser import parse
from srzoo_core.spec.printer import print_spec

__all__ = ["ROLES", "Role", "Spec", "Term", "Value", "parse", "print_spec"]
