"""srzoo-metrics: evaluation metrics that carry their protocol. Entry module: registers lazily, no torch.

Every metric states what it measured (``protocol()``): the space (rgb / y / per channel), the
border cropped, the fixed data range and the implementation. Nothing is ever read from the batch:
a PSNR over z-scored tensors with a range taken from the data is not comparable across runs.

``psnr``/``ssim`` score images in ``[0, data_range]``; ``rmse``/``mae``/``bias``/``corr`` score
fields in physical units (de-normalise first) and are always reported per channel (variable).
"""

from srzoo_core import hookimpl

_IMAGE = "srzoo_metrics.image"
_FIELDS = "srzoo_metrics.fields"


@hookimpl
def srzoo_register_metrics(register):
    register(
        "psnr", f"{_IMAGE}:psnr",
        description="PSNR in dB against a fixed data_range (never the batch's); space rgb (all channels), "
                    "y (BT.601 luma as MATLAB rgb2ycbcr, scored on 0-255) or channel; crop border; skimage-exact",
    )
    register(
        "ssim", f"{_IMAGE}:ssim",
        description="SSIM (Wang et al. 2004: Gaussian 11x11 window, sigma 1.5, K1 0.01, K2 0.03) matching "
                    "skimage structural_similarity; space rgb (channel mean), y or channel; crop; fixed data_range",
    )
    register(
        "rmse", f"{_FIELDS}:rmse",
        description="Root-mean-square error per channel, in the data's physical units (de-normalise first); lower is better",
    )
    register(
        "mae", f"{_FIELDS}:mae",
        description="Mean absolute error per channel, in physical units (de-normalise first); lower is better",
    )
    register(
        "bias", f"{_FIELDS}:bias",
        description="Mean error (sr - hr) per channel, in physical units (de-normalise first); best at zero "
                    "(best_at_zero: compare |bias|)",
    )
    register(
        "corr", f"{_FIELDS}:corr",
        description="Pearson correlation of sr and hr per sample and channel (over pixels); higher is better",
    )
