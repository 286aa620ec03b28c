"""The project's conformance kit over srzoo-losses, as installed (entry point ``losses``)."""

from __future__ import annotations


def test_conformance():
    from srzoo_core.testing import check_plugin

    check_plugin("losses")
