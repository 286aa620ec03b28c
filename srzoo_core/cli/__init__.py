"""Command-line interface (typer)."""

from srzoo_core.cli.app import app, main

__all__ = ["app", "main"]
