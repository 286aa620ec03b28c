"""`srzoo bench` figures against BasicSR's test protocol on whole images.

The pinned figures were computed outside the repository with BasicSR's own code on the folders of
``conftest.make_folders``: images read by ``cv2.imread(IMREAD_COLOR)`` (basicsr.utils.imfrombytes),
HR cropped to a multiple of the scale, LR = ``basicsr.utils.matlab_functions.imresize(hr, 1/s)``
rounded to 8 bits, bicubic = ``imresize(lr, s)``, outputs rounded as ``tensor2img``, then
``calculate_psnr`` / ``calculate_ssim(img, img2, crop_border=s, test_y_channel=True)``. Models:
BasicSR's ``RRDBNet`` with the values of ``tests/weights_files.py`` (and its ``test_selfensemble``).
srzoo must agree within 0.005 dB and 1e-4 SSIM (it agrees within 2e-4 dB and 3e-6 here: BasicSR
resizes in float32, srzoo in float64, which moves a rare LR pixel across a rounding boundary)."""

from __future__ import annotations

import csv
import json

import pytest

PSNR_TOLERANCE, SSIM_TOLERANCE = 0.005, 1e-4

BICUBIC_X4 = {  # per image: (PSNR, SSIM)
    ("set_a", "astronaut.png"): (30.03277220940995, 0.8734774202249178),
    ("set_a", "camera.png"): (27.439708516561762, 0.8818094839470881),
    ("set_b", "chelsea.png"): (28.425900573434703, 0.7261090587174711),
    ("set_b", "coffee.png"): (30.6191922864021, 0.8745061350284627),
    ("odd", "grey16.png"): (23.067096909206448, 0.5495670689641845),
    ("odd", "grey_rgb.png"): (27.439708516561762, 0.8818094839470881),
    ("odd", "rgba.png"): (24.48686172980608, 0.7319441719567708),
}
BICUBIC_MEANS = {  # scale: folder: (mean PSNR, mean SSIM)
    2: {"set_a": (33.849516, 0.953762), "set_b": (34.041517, 0.914298), "odd": (29.834263, 0.871793)},
    3: {"set_a": (30.655501, 0.913660), "set_b": (31.449068, 0.854851), "odd": (26.870565, 0.789331)},
    4: {"set_a": (28.736240, 0.877643), "set_b": (29.522546, 0.800308), "odd": (24.997889, 0.721107)},
}
MODEL_X4 = {  # tiny RRDBNet: (PSNR, SSIM) plain and with BasicSR's ×8 self-ensemble
    "astronaut.png": ((14.27088443625631, 0.6103214754793773), (14.27669223008344, 0.61101639533725)),
    "camera.png": ((10.18072090428406, 0.47753435567270747), (10.183047926935698, 0.4778113167706036)),
    "chelsea.png": ((15.987234453184985, 0.32457601822522164), (15.992222207005746, 0.3250977616137204)),
    "coffee.png": ((15.072118707386245, 0.691346804411279), (15.076797407089868, 0.6919402088083828)),
}


def close(row, psnr, ssim, psnr_tol=PSNR_TOLERANCE, ssim_tol=SSIM_TOLERANCE):
    return abs(row["psnr"] - psnr) <= psnr_tol and abs(row["ssim"] - ssim) <= ssim_tol


def test_bicubic_on_a_grey_folder_and_odd_sizes_matches_basicsr(cli, folders, tmp_path):
    set_a, set_b, _ = folders
    code, out, err = cli("bench", "bicubic", str(set_a), str(set_b), "--out", str(tmp_path))
    assert code == 0, err
    assert "set_a PSNR" in out and "set_b SSIM" in out and "bicubic" in out and "28.74" in out and "29.52" in out
    result = json.loads((tmp_path / "bench.json").read_text())
    for folder in ("set_a", "set_b"):
        psnr, ssim = BICUBIC_MEANS[4][folder]
        assert abs(result["results"]["bicubic"][folder]["psnr"] - psnr) < PSNR_TOLERANCE
        assert abs(result["results"]["bicubic"][folder]["ssim"] - ssim) < SSIM_TOLERANCE
    rows = list(csv.DictReader((tmp_path / "per_image.csv").open()))
    assert len(rows) == 4
    for row in rows:
        psnr, ssim = BICUBIC_X4[(row["folder"], row["image"])]
        assert close({"psnr": float(row["psnr"]), "ssim": float(row["ssim"])}, psnr, ssim), row
    sizes = {r["image"]: (int(r["width"]), int(r["height"])) for r in rows}
    assert sizes["chelsea.png"] == (120, 100) and sizes["coffee.png"] == (116, 100)  # 123×101, 118×103 mod-cropped
    assert {r["image"]: r["kind"] for r in rows}["camera.png"] == "grey"
    protocol = result["protocol"]
    assert protocol["scale"] == 4 and "modcrop" in protocol["hr"] and protocol["metrics"]["psnr"]["space"] == "y"
    assert protocol["metrics"]["psnr"]["crop"] == 4 and "rounded to 8 bits" in protocol["outputs"]
    assert "replicated" in protocol["images"]["grey"] and "dropped" in protocol["images"]["alpha"]
    assert "BasicSR" in protocol["reference"]
    assert (tmp_path / "table.md").read_text().startswith("| method | set_a PSNR | set_a SSIM | set_b PSNR |")


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_every_scale_matches_basicsr(cli, folders, tmp_path, scale):
    code, out, err = cli("bench", *map(str, folders), "--scale", str(scale), "--out", str(tmp_path), "--json")
    assert code == 0, err
    results = json.loads(out)["results"]["bicubic"]
    for folder, (psnr, ssim) in BICUBIC_MEANS[scale].items():
        assert close(results[folder], psnr, ssim), (folder, results[folder])


def test_rgba_16_bit_and_grey_as_rgb_are_read_as_basicsr_reads_them(cli, folders, tmp_path):
    code, _, err = cli("bench", str(folders[2]), "--out", str(tmp_path))
    assert code == 0, err
    rows = {r["image"]: r for r in json.loads((tmp_path / "bench.json").read_text())["per_image"]}
    for image in ("grey16.png", "rgba.png", "grey_rgb.png"):
        assert close(rows[image], *BICUBIC_X4[("odd", image)]), image
    assert rows["grey16.png"]["kind"] == "grey, 16-bit" and rows["rgba.png"]["kind"] == "rgba"
    assert rows["grey_rgb.png"]["kind"] == "grey-as-rgb"
    # a grey image and the same image stored as RGB score the same
    assert rows["grey_rgb.png"]["psnr"] == pytest.approx(BICUBIC_X4[("set_a", "camera.png")][0], abs=1e-6)


@pytest.mark.parametrize("ensemble", [False, True])
def test_a_checkpoint_row_matches_basicsr(cli, folders, tiny_model, tmp_path, ensemble):
    args = ["bench", str(tiny_model), str(folders[0]), str(folders[1]), "--out", str(tmp_path), "--device", "cpu"]
    code, out, err = cli(*args, *(["--self-ensemble"] if ensemble else []))
    assert code == 0, err
    assert "bicubic" in out and "tiny_x4" in out
    result = json.loads((tmp_path / "bench.json").read_text())
    assert [m["name"] for m in result["methods"]] == ["bicubic", "tiny_x4"]
    model_rows = [r for r in result["per_image"] if r["method"] == "tiny_x4"]
    assert len(model_rows) == 4
    for row in model_rows:  # the same float32 network as BasicSR's: far closer than the protocol's tolerance
        assert close(row, *MODEL_X4[row["image"]][int(ensemble)], psnr_tol=1e-4, ssim_tol=1e-5), row
    bicubic = [r for r in result["per_image"] if r["method"] == "bicubic"]
    assert all(close(r, *BICUBIC_X4[(r["folder"], r["image"])]) for r in bicubic)
    assert bool(result["protocol"]["inference"]["self_ensemble"]) is ensemble


def test_builtin_names_the_held_out_photos_whole(cli, tmp_path):
    """The built-in data's held-out photos (skimage astronaut 512×512, coffee 400×600), whole, ×4."""
    code, out, err = cli("bench", "bicubic", "builtin", "--out", str(tmp_path))
    assert code == 0, err
    assert "builtin-val PSNR" in out and "27.07" in out
    rows = {r["image"]: r for r in json.loads((tmp_path / "bench.json").read_text())["per_image"]}
    assert close(rows["astronaut.png"], 26.843903874271167, 0.8429363205393835)
    assert close(rows["coffee.png"], 27.29211171048405, 0.7649356667578543)
    assert (rows["coffee.png"]["width"], rows["coffee.png"]["height"]) == (600, 400)
