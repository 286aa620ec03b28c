"""SRGAN-style training on photographs, then upscaling a photo and scoring the model against bicubic.

    python examples/natural_images/run.py                     # built-in photos, a few minutes on 2 CPUs
    python examples/natural_images/run.py --iters 20000       # a budget worth looking at
    python examples/natural_images/run.py --data ~/DIV2K/train_HR --val-data ~/DIV2K/valid_HR --photo me.png

Steps, each a plain `srzoo` command you can also type yourself:

1. `srzoo train`: SRResNet + the SRGAN discriminator, pixel-loss pretraining for the first half of
   the budget, then adversarial training (one run, two phases).
2. Write a test photograph: scikit-image's astronaut (held out from the built-in training set) or
   your --photo, downscaled ×4 by MATLAB-style bicubic into an 8-bit PNG.
3. `srzoo upscale` it back ×4, and score the result and plain bicubic against the original.
4. `srzoo eval` the checkpoint on the whole validation split, model and bicubic scored alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

SCALE = 4
VGG_FILE = "vgg19-dcbb9e9d.pth"  # torchvision's ImageNet VGG19, as srzoo-perceptual expects it


def srzoo_command() -> list[str]:
    """`srzoo` on PATH, else the one next to this Python (a checkout's .venv)."""
    found = shutil.which("srzoo") or str(Path(sys.executable).with_name("srzoo"))
    return [found] if Path(found).exists() else [sys.executable, "-m", "srzoo_core.cli"]


def srzoo(*args: str) -> None:
    command = [*srzoo_command(), *args]
    print("$ srzoo " + " ".join(args), flush=True)
    subprocess.run(command, check=True)


def vgg_weights_available() -> bool:
    """SRGAN's content loss needs ImageNet VGG19 weights; offline they must already be on disk."""
    if os.environ.get("SRZOO_VGG19_WEIGHTS"):
        return True
    import torch

    return (Path(torch.hub.get_dir()) / "checkpoints" / VGG_FILE).exists()


def default_spec() -> str:
    spec = "gen=srresnet(blocks=8) disc=vggstyle loss=mse+0.001*gan"
    if vgg_weights_available():  # SRGAN: VGG features after relu5_4, MSE, scaled as 1/12.75^2 ~ 0.006
        return spec.replace("mse+", "mse+0.006*vgg(layer=relu5_4,criterion=mse)+")
    print("note: no VGG19 weights on disk (SRZOO_VGG19_WEIGHTS or the torch hub cache), so no VGG content loss; "
          "see docs/catalogue.md#vgg-loss", flush=True)
    return spec


def write_test_photo(photo: str | None, folder: Path) -> tuple[Path, Path]:
    """(HR png, LR png): the photo cropped to a multiple of the scale, and its ×1/4 bicubic downscale."""
    import numpy as np
    import torch

    from srzoo_core.data import degrade, read_image, write_image

    if photo:
        hr = read_image(photo)
    else:
        import skimage.data

        hr = skimage.data.astronaut().astype(np.float64) / 255.0
    hr = hr[: hr.shape[0] // SCALE * SCALE, : hr.shape[1] // SCALE * SCALE]
    lr = degrade(torch.from_numpy(np.ascontiguousarray(hr.transpose(2, 0, 1))), SCALE, "bicubic")
    hr_path = write_image(folder / "photo_hr.png", hr)
    lr_path = write_image(folder / "photo_lr.png", lr.numpy().transpose(1, 2, 0))
    return hr_path, lr_path


def score(sr_path: Path, hr_path: Path, lr_path: Path) -> None:
    """PSNR and SSIM on Y (BT.601), border of 4 cropped, 8-bit images: the model and bicubic alike."""
    import torch

    import srzoo_core
    from srzoo_core.data import read_image, upsample

    def batch(array) -> torch.Tensor:
        return torch.as_tensor(array).permute(2, 0, 1)[None].double()

    hr, lr = batch(read_image(hr_path)), batch(read_image(lr_path))
    bicubic = torch.round(upsample(lr, SCALE, "bicubic").clamp(0, 1) * 255) / 255
    outputs = {"model": batch(read_image(sr_path)), "bicubic": bicubic}
    for name in ("psnr", "ssim"):
        metric = srzoo_core.create("metric", name, space="y", crop=SCALE)
        values = {who: float(metric(out, hr)) for who, out in outputs.items()}
        print(f"{name} (y, crop {SCALE}): model {values['model']:.4f}, bicubic {values['bicubic']:.4f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", help="model spec (default: SRResNet-8 + vggstyle, MSE [+ VGG] + 0.001*gan)")
    parser.add_argument("--data", default="builtin", help="builtin, or a folder of HR photographs")
    parser.add_argument("--val-data", help="a separate folder of validation photographs")
    parser.add_argument("--photo", help="an HR photograph to downscale and upscale again (default: the astronaut)")
    parser.add_argument("--iters", type=int, default=int(os.environ.get("ITERS", 40)), help="training steps (default 40, or $ITERS)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("runs"), help="folder for the run folder and the photos")
    parser.add_argument("--name", default="natural-images", help="run folder name")
    args = parser.parse_args(argv)

    run = args.out / args.name
    status = json.loads((run / "run.json").read_text()).get("status") if (run / "run.json").exists() else None
    if status == "finished":
        print(f"{run} is already trained; delete it (or pass --name) to train again", flush=True)
    else:
        options = ["--data", args.data, "--iters", str(args.iters), "--batch", str(args.batch), "--pretrain", "50%",
                   "--scale", str(SCALE), "--out", str(args.out), "--name", args.name]
        options += ["--val-data", args.val_data] if args.val_data else []
        options += ["--resume"] if status else []
        srzoo("train", args.spec or default_spec(), *options)

    checkpoint = run / "best.safetensors"
    hr_path, lr_path = write_test_photo(args.photo, run / "photo")
    sr_path = run / "photo" / "photo_x4.png"
    srzoo("upscale", str(checkpoint), str(lr_path), str(sr_path))
    score(sr_path, hr_path, lr_path)
    srzoo("eval", str(checkpoint))
    print(f"photos in {run / 'photo'}: photo_lr.png (input), photo_x4.png (model), photo_hr.png (original)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
