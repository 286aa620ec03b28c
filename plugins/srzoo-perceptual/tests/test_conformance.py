"""The project's conformance kit over srzoo-perceptual, as installed (entry point ``perceptual``).
Random weights: the kit checks the contract, not ImageNet features, and must not download."""

from __future__ import annotations


def test_conformance():
    from srzoo_core.testing import check_plugin

    check_plugin("perceptual", vgg={"weights": "random"})
