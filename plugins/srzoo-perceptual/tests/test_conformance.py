"""The project's conformance kit over srzoo-perceptual, as installed (entry point ``perceptual``).
Random weights: the kit checks the contract, not ImageNet features, and must not download."""

from __future__ import annotations


def test_conformance(srzoo_conformance):
    srzoo_conformance("perceptual", vgg={"weights": "random"}, lpips={"weights": "random"},
                      dists={"weights": "random"})


def test_conformance_of_lpips_on_vgg16():
    from srzoo_core.testing import check_component

    assert check_component("lpips", net="vgg", weights="random")
