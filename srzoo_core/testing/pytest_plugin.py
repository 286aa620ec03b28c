"""pytest plugin (entry point ``pytest11: srzoo``): fixtures for plugin authors' tests.

    def test_conformance(srzoo_conformance):
        srzoo_conformance("myplugin")     # = srzoo_core.testing.check_plugin

Nothing heavy loads at pytest start-up: torch and the kit are imported when a test asks for the
fixture.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest


@pytest.fixture
def srzoo_conformance() -> Callable[..., Any]:
    """:func:`srzoo_core.testing.check_plugin`: run the conformance kit over a plugin."""
    from srzoo_core.testing.conformance import check_plugin

    return check_plugin
