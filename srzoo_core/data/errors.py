"""The data layer's one error type."""

from __future__ import annotations

from srzoo_core.errors import UsageError


class DataError(UsageError):
    """Bad data or data options, explained in one message before any training starts (exit code 2)."""
