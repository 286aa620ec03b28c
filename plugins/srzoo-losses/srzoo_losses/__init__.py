"""srzoo-losses: pixel, structural and adversarial losses. Entry module: registers lazily, no torch.

Every loss is an ``nn.Module`` built as ``factory(**options)``; the weight of a term lives in the
spec (``loss=l1+0.1*ssim+0.01*gan``), never in the loss. Inputs are the trainer's normalised
tensors ``(N, C, H, W)`` with any ``C``; losses compute in float32 even under bf16 autocast.

Structural losses (``ssim``, ``msssim``, ``gdl``) have role ``pixel``: they take part in pixel
pretraining. ``gan`` is adversarial: it works on discriminator logits through
``generator_loss``/``discriminator_loss`` and needs ``disc=…`` in the spec.
"""

from srzoo_core import hookimpl

_PIXEL = "srzoo_losses.pixel"
_STRUCTURAL = "srzoo_losses.structural"
_ADVERSARIAL = "srzoo_losses.adversarial"


@hookimpl
def srzoo_register_losses(register):
    register("l1", f"{_PIXEL}:L1Loss", description="Mean absolute error |sr - hr| (pixel)")
    register("mse", f"{_PIXEL}:MSELoss", description="Mean squared error (sr - hr)^2 (pixel)")
    register(
        "charbonnier", f"{_PIXEL}:CharbonnierLoss",
        description="Charbonnier loss mean(sqrt((sr - hr)^2 + eps^2)), a smooth L1 (pixel)",
    )
    register(
        "ssim", f"{_STRUCTURAL}:SSIMLoss",
        description="1 - SSIM (pytorch-msssim; Gaussian window sigma 1.5, K 0.01/0.03), any channel count, "
                    "channel mean; fixed data_range (default 1.0, never read from the batch); "
                    "needs H, W >= win_size (pixel role)",
    )
    register(
        "msssim", f"{_STRUCTURAL}:MSSSIMLoss",
        description="1 - MS-SSIM (pytorch-msssim SSIM at each scale), any channel count. Scales and window "
                    "follow the image size s = min(H, W) at call time: scales L = the largest L <= 5 with "
                    "s > 6*2^(L-1); window = the largest odd w <= 11 with s > (w-1)*2^(L-1); sigma 1.5; "
                    "weights = the first L of Wang et al.'s (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), "
                    "rescaled to sum 1. Smallest size 25x25 (3 scales, 7-px window); 32 -> 3 scales w7; "
                    "64 -> 4 scales w7; s >= 161 -> the standard 5 scales w11 (pixel role)",
    )
    register(
        "gdl", f"{_STRUCTURAL}:GradientDifferenceLoss",
        description="Gradient difference loss (Mathieu et al. 2016): mean ||dhr| - |dsr||^alpha over "
                    "vertical plus horizontal neighbour differences (pixel role)",
    )
    register(
        "gan", f"{_ADVERSARIAL}:GANLoss",
        requires=("disc",),
        description="Adversarial loss on discriminator logits: vanilla (non-saturating, BCE with logits), "
                    "lsgan (least squares, Mao et al. 2017) or hinge (Lim & Ye 2017 / SAGAN)",
    )
