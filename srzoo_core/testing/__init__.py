"""Test helpers for plugin authors: the conformance kit (``check_plugin``, ``check_component``)
and fake installed distributions for plugin-host tests."""
