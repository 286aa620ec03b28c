"""srzoo-perceptual: the VGG19 perceptual loss and the LPIPS and DISTS metrics. Entry module:
registers lazily, no torch.

The feature extractors (VGG19, VGG16, AlexNet) are defined in this plugin with torchvision's
``features`` layouts, so torchvision's ImageNet files load into them without torchvision; the
metrics' learned weights load from the files their authors publish (the lpips package's heads,
DISTS_pytorch's alpha/beta). Every file is found the same way (:mod:`srzoo_perceptual.weights`).
"""

from srzoo_core import hookimpl


@hookimpl
def srzoo_register_losses(register):
    register(
        "vgg",
        "srzoo_perceptual.loss:VGGPerceptualLoss",
        description="VGG19 perceptual loss: L1 (or MSE) between frozen ImageNet VGG19 features of sr and hr; "
                    "layer convX_Y = before activation (ESRGAN default conv5_4), reluX_Y = after (SRGAN). "
                    "Inputs as RGB in [0, 1] with ImageNet mean/std; 1 channel is repeated to RGB, other "
                    "channel counts go one channel at a time as grey images (distances averaged). Weights: "
                    "weights=PATH, $SRZOO_VGG19_WEIGHTS, the torch hub cache, else a hash-checked download; "
                    "weights=random for tests",
    )


@hookimpl
def srzoo_register_metrics(register):
    register(
        "lpips",
        "srzoo_perceptual.lpips:LPIPS",
        description="LPIPS v0.1 (Zhang et al. 2018), lower is better; equals lpips.LPIPS(net, version='0.1')"
                    "(sr, hr, normalize=True): RGB in [0, 1] (grey repeated to RGB, other channel counts refused), "
                    "net=alex (default) or vgg. Weights: backbone=PATH or $SRZOO_ALEXNET_WEIGHTS/$SRZOO_VGG16_WEIGHTS "
                    "(torchvision files); weights=PATH or $SRZOO_LPIPS_ALEX_WEIGHTS/$SRZOO_LPIPS_VGG_WEIGHTS (the "
                    "lpips package's heads); else the torch hub cache, else a hash-checked download; "
                    "weights=random for tests",
    )
    register(
        "dists",
        "srzoo_perceptual.dists:DISTS",
        description="DISTS (Ding et al. 2020), lower is better; equals DISTS_pytorch's DISTS()(sr, hr): RGB in "
                    "[0, 1] (grey repeated to RGB, other channel counts refused), VGG16 with L2 pooling. Weights: "
                    "backbone=PATH or $SRZOO_VGG16_WEIGHTS (torchvision's file); weights=PATH or $SRZOO_DISTS_WEIGHTS "
                    "(DISTS' alpha/beta); else the torch hub cache, else a hash-checked download; "
                    "weights=random for tests",
    )
