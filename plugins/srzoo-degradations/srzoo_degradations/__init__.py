"""srzoo-degradations: Real-ESRGAN's degradation pipeline as composable, seed-reproducible terms.

Entry module: registers lazily ("module:attr" strings) and never imports torch, so ``srzoo list``
stays fast. The contract every term honours is in :mod:`srzoo_degradations.base` and the README.
"""

from srzoo_core import hookimpl

DEGRADATIONS: tuple[tuple[str, str, str], ...] = (
    ("blur", "blur:Blur", "random blur kernel (iso/aniso/generalized/plateau Gaussians, or sinc) as Real-ESRGAN; photos"),
    ("sinc", "blur:Sinc", "sinc (circular low-pass) filter of random size and cut-off: ringing and overshoot; photos"),
    ("resize", "resize:Resize", "random up/down/keep resize with area|bilinear|bicubic, or final=true to H/scale×W/scale; photos"),
    ("noise", "noise:Noise", "Gaussian noise (sigma in the data's units; grids too) or Poisson shot noise, colour or grey"),
    ("jpeg", "jpeg:Jpeg", "real JPEG encode/decode (Pillow/libjpeg, 4:2:0) at a random quality; photos"),
    ("realesrgan", "realesrgan:RealESRGAN", "Real-ESRGAN's second-order degradation with its published x4plus parameters; photos"),
    ("bicubic", "resize:Bicubic", "MATLAB imresize bicubic (antialiased) by 1/scale: srzoo's default; photos and grids"),
    ("smooth", "smooth:Smooth", "Gaussian smoothing with sigma in grid cells (reflect/circular/replicate); grids and photos"),
    ("coarsen", "resize:Coarsen", "block mean over scale×scale cells (area, conserves the mean); grids and photos"),
)


@hookimpl
def srzoo_register_degradations(register):
    for name, target, description in DEGRADATIONS:
        register(name, f"srzoo_degradations.{target}", description=description)
