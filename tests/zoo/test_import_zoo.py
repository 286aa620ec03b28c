"""Every architecture's published layout goes through ``srzoo import`` and ``srzoo upscale``.

The weights file is the generator's own state dict saved with ``torch.save``: each plugin's tests
pin that its keys and shapes are exactly the published reference's, so this is a file in the
published layout. ``srzoo import`` must detect the architecture and its options from the keys and
shapes alone and write a checkpoint that upscales; unsupported architectures do not exist here."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from srzoo_core.build import build_generator
from tests.zoo.test_zoo import SMALL

# srresnet and unet are srzoo's own layouts, with no published weights to import
PUBLISHED = sorted(name for name in SMALL if name not in ("srresnet", "unet"))


@pytest.mark.parametrize("arch", PUBLISHED)
def test_a_published_layout_file_imports_and_upscales(arch, cli, plugin_env, tmp_path):
    plugin_env.delenv("SRZOO_PLUGINS", raising=False)  # the whole zoo, not the cli fixture's two plugins
    torch.manual_seed(0)
    generator = build_generator(f"gen={SMALL[arch]}", in_channels=3, scale=4)
    weights = tmp_path / f"{arch}_x4.pth"
    torch.save({"params_ema": generator.state_dict()}, weights)
    checkpoint = tmp_path / f"{arch}.safetensors"
    code, out, err = cli("import", str(weights), "--out", str(checkpoint))
    assert code == 0, err
    weights.unlink()  # the checkpoint holds every tensor
    image = tmp_path / "in.png"
    from srzoo_core.data import write_image

    write_image(image, np.random.default_rng(0).random((13, 11, 3)).astype(np.float32))
    code, out, err = cli("upscale", str(checkpoint), str(image), str(tmp_path / "out.png"), "--device", "cpu")
    assert code == 0, err
    from srzoo_core.data import read_image

    assert read_image(tmp_path / "out.png").shape == (52, 44, 3)
