"""srzoo-perceptual: the VGG19 perceptual loss. Entry module: registers lazily, no torch.

The VGG19 feature extractor is defined in this plugin with torchvision's ``vgg19().features``
layout, so torchvision's ImageNet file ``vgg19-dcbb9e9d.pth`` loads into it without torchvision.
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
