"""LIIF evaluation in-process: LR making, bicubic baseline, whole-image scores, test configs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from testlib.liif import ROOT, as_tensor, write_images
from torch.utils.data import DataLoader

from inrkit.data.specs import make_dataset
from inrkit.data.sr_wrappers import SRImplicitDownsampled
from inrkit.errors import InrkitError
from inrkit.liif.eval_config import (
    CELEBAHQ_TASKS,
    EVAL_SETS,
    load_test_config,
    open_eval_set,
    parse_test_config,
    rebase_load_paths,
)
from inrkit.liif.evaluate import (
    bicubic_upsample,
    downsample_pair,
    eval_psnr,
    evaluate_images,
    format_table,
)
from inrkit.liif.inference import predict_reference, upscale_tensor
from inrkit.metrics import calc_psnr, calc_ssim


# ----- LR making and the bicubic baseline ---------------------------------------------------
@pytest.mark.parametrize("scale", [2, 3, 7, 2.5])
def test_downsample_pair_is_the_official_wrapper(tmp_path, scale):
    hr = as_tensor(write_images(tmp_path)[1])
    lr, crop = downsample_pair(hr, scale)
    sample = SRImplicitDownsampled([hr], scale_min=scale)[0]
    assert torch.equal(lr, sample["inp"])
    assert torch.equal(crop.reshape(3, -1).T, sample["gt"])


@pytest.mark.parametrize("scale", [2, 3, 7])
def test_bicubic_pipeline_matches_pil(tmp_path, scale):
    """HR -> LR -> HR with our functions equals the same chain done in PIL alone."""
    path = write_images(tmp_path)[1]
    lr, crop = downsample_pair(as_tensor(path), scale)
    ours = (bicubic_upsample(lr, tuple(crop.shape[-2:])) * 255).round().byte()

    img = Image.open(path).convert("RGB")
    h_lr, w_lr = img.height // scale, img.width // scale
    img = img.crop((0, 0, w_lr * scale, h_lr * scale))
    small = img.resize((w_lr, h_lr), Image.BICUBIC)
    ref = np.asarray(small.resize(img.size, Image.BICUBIC))
    assert np.array_equal(ours.permute(1, 2, 0).numpy(), ref)


# ----- whole-image evaluation ---------------------------------------------------------------
def direct_scores(model, lr, hr, dataset, scale):
    """Scores computed straight from the pieces, for comparison."""
    sr = upscale_tensor(model, lr[None], tuple(hr.shape[-2:]))
    bic = bicubic_upsample(lr, tuple(hr.shape[-2:]))[None]
    return {
        name: {
            "psnr": calc_psnr(x, hr[None], dataset, scale).item(),
            "ssim": calc_ssim(x, hr[None], dataset, scale).item(),
        }
        for name, x in (("model", sr), ("bicubic", bic))
    }


@pytest.mark.parametrize(("protocol", "dataset"), [("plain", None), ("benchmark", "benchmark")])
def test_evaluate_images_equals_direct_computation(tmp_path, edsr_small, protocol, dataset):
    images = [as_tensor(p) for p in write_images(tmp_path)]
    result = evaluate_images(edsr_small, images, [2, 3.5], protocol)
    assert result["images"] == 3 and result["scales"] == [2.0, 3.5]
    for scale, key in ((2, "x2"), (3.5, "x3.5")):
        per_image = [
            direct_scores(edsr_small, *downsample_pair(hr, scale), dataset, scale) for hr in images
        ]
        for method in ("model", "bicubic"):
            for metric in ("psnr", "ssim"):
                want = np.mean([d[method][metric] for d in per_image])
                assert result["results"][method][key][metric] == pytest.approx(want, abs=1e-6)
    # An untrained model is worse than bicubic; the table shows both rows with every column.
    assert result["results"]["bicubic"]["x2"]["psnr"] > result["results"]["model"]["x2"]["psnr"]
    table = format_table(result).splitlines()
    assert table[0].split() == [
        "method",
        "x2",
        "PSNR",
        "x2",
        "SSIM",
        "x3.5",
        "PSNR",
        "x3.5",
        "SSIM",
    ]
    assert [row.split()[0] for row in table[1:]] == ["model", "bicubic"]
    assert table[2].split()[1] == f"{result['results']['bicubic']['x2']['psnr']:.4f}"


def test_evaluate_images_uses_given_pairs(tmp_path, edsr_small):
    hr = as_tensor(write_images(tmp_path)[0])
    lr = torch.rand(3, 16, 13)  # an "official" LR image: HR is cropped to 3x its size
    result = evaluate_images(edsr_small, None, [3], "div2k", paired={3: [(lr, hr)]})
    want = direct_scores(edsr_small, lr, hr[:, :48, :39], "div2k", 3)
    assert result["results"]["model"]["x3"]["psnr"] == pytest.approx(want["model"]["psnr"])
    assert result["results"]["bicubic"]["x3"]["ssim"] == pytest.approx(want["bicubic"]["ssim"])


def test_evaluate_images_rejects_what_cannot_be_scored(tmp_path, edsr_small):
    images = [as_tensor(p) for p in write_images(tmp_path)]
    with pytest.raises(InrkitError, match="scale must be a number >= 1"):
        evaluate_images(edsr_small, images, [0], "plain")
    with pytest.raises(InrkitError, match="unknown protocol"):
        evaluate_images(edsr_small, images, [2], "set5")
    with pytest.raises(InrkitError, match="image 1 at scale 12.*SSIM needs 11x11"):
        evaluate_images(edsr_small, images, [12], "div2k")  # 48 - 2 * 18 pixels are too few
    with pytest.raises(InrkitError, match="too small for scale 60"):
        evaluate_images(edsr_small, images, [60], "plain")


def test_evaluate_images_keeps_the_training_mode(tmp_path, edsr_small):
    edsr_small.train()
    evaluate_images(edsr_small, [as_tensor(write_images(tmp_path)[0])], [2])
    assert edsr_small.training
    edsr_small.eval()


# ----- official test configs ----------------------------------------------------------------
def test_shipped_test_configs_parse():
    files = sorted((ROOT / "configs" / "liif" / "test").glob("test-*.yaml"))
    assert len(files) == 8 + 4 * 5 + 2
    for path in files:
        config = load_test_config(path)
        name = config.test_dataset["dataset"]["name"]
        assert name in ("paired-image-folders", "image-folder"), path
        assert config.data_norm["inp"] == {"sub": [0.5], "div": [0.5]}
        if "celebAHQ" not in path.name:
            scale = int(path.stem.rsplit("-", 1)[1])
            assert config.eval_type.endswith(f"-{scale}") and config.eval_bsize == 30000
            wrapper = config.test_dataset["wrapper"]
            assert (wrapper["name"] == "sr-implicit-paired") == (scale <= 4), path
            if scale > 4:
                assert wrapper["args"] == {"scale_min": scale}


def test_test_config_errors_name_the_key(tmp_path):
    good = {"test_dataset": {"dataset": {"name": "image-folder"}, "batch_size": 1}}
    assert parse_test_config(good).eval_type is None
    for bad, needle in (
        ({**good, "epoch_max": 3}, "unknown key(s) epoch_max"),
        ({**good, "eval_type": "set5-4"}, "eval_type must be div2k-N or benchmark-N"),
        ({**good, "eval_bsize": 0}, "eval_bsize must be a positive integer"),
        ({**good, "data_norm": {"inp": {"sub": [0.5], "div": [0]}}}, "data_norm.inp.div"),
        ({"test_dataset": {"batch_size": 1}}, "'test_dataset' must be a mapping"),
    ):
        with pytest.raises(InrkitError, match=needle.replace("(", r"\(").replace(")", r"\)")):
            parse_test_config(bad, "cfg.yaml")


def test_root_moves_the_load_folder(tmp_path):
    args = {
        "root_path_1": "./load/a/X2",
        "root_path_2": "load/b",
        "split_file": "/abs/load/s.json",
        "first_k": 3,
    }
    spec = {"dataset": {"name": "x", "args": args}}
    args = rebase_load_paths(spec, tmp_path)["dataset"]["args"]
    assert args == {
        "root_path_1": str(tmp_path / "a/X2"),
        "root_path_2": str(tmp_path / "b"),
        "split_file": "/abs/load/s.json",
        "first_k": 3,
    }
    assert spec["dataset"]["args"]["root_path_1"] == "./load/a/X2"  # not modified in place


def test_eval_psnr_without_data_norm_is_unnormalised(tmp_path, edsr_small):
    """data_norm None means sub 0, div 1 (official); here it must differ from the 0.5 norm."""
    write_images(tmp_path / "hr")
    spec = {
        "dataset": {"name": "image-folder", "args": {"root_path": str(tmp_path / "hr")}},
        "wrapper": {"name": "sr-implicit-downsampled", "args": {"scale_min": 2}},
    }
    loader = DataLoader(make_dataset(spec), batch_size=1)
    norm = {"inp": {"sub": [0], "div": [1]}, "gt": {"sub": [0], "div": [1]}}
    assert eval_psnr(loader, edsr_small, None) == pytest.approx(eval_psnr(loader, edsr_small, norm))
    # and the official normalised run is the reference prediction, image by image
    half = {"inp": {"sub": [0.5], "div": [0.5]}, "gt": {"sub": [0.5], "div": [0.5]}}
    want = []
    for batch in loader:
        hw = (round(batch["inp"].shape[-2] * 2), round(batch["inp"].shape[-1] * 2))
        out = predict_reference(edsr_small, (batch["inp"] - 0.5) / 0.5, hw, chunk=97)
        pred = (out * 0.5 + 0.5).clamp(0, 1).permute(0, 3, 1, 2)
        gt = batch["gt"].view(1, *hw, 3).permute(0, 3, 1, 2)
        want.append(calc_psnr(pred, gt, "benchmark", 2).item())
    assert eval_psnr(loader, edsr_small, half, "benchmark-2", 50) == pytest.approx(
        np.mean(want), abs=1e-4
    )


# ----- named evaluation sets ----------------------------------------------------------------
def test_open_benchmark_uses_official_lr_where_present(tmp_path):
    set5 = tmp_path / "benchmark" / "Set5"
    write_images(set5 / "HR")
    lr_dir = set5 / "LR_bicubic" / "X2"
    lr_dir.mkdir(parents=True)
    for path in sorted((set5 / "HR").iterdir()):
        img = Image.open(path)
        img.resize((img.width // 2, img.height // 2), Image.BICUBIC).save(
            lr_dir / f"{path.stem}x2.png"
        )
    opened = open_eval_set("set5", tmp_path, [2, 3, 6])
    assert opened.protocol == "benchmark" and len(opened.hr_images) == 3
    assert list(opened.paired) == [2]
    lr, hr = opened.paired[2][0]
    assert lr.shape[-2:] == (24, 20) and hr.shape[-2:] == (48, 40)
    assert any("x3" in note and "LR made from HR" in note for note in opened.notes)
    assert any("x6" in note and "sr-implicit-downsampled" in note for note in opened.notes)


def test_open_eval_set_errors_and_folders(tmp_path):
    with pytest.raises(InrkitError, match=r"Urban100/HR.*folder missing"):
        open_eval_set("urban100", tmp_path, [2])
    with pytest.raises(InrkitError, match="unknown dataset 'imagenet'"):
        open_eval_set("imagenet", tmp_path, [2])
    write_images(tmp_path / "mine")
    opened = open_eval_set(str(tmp_path / "mine"), None, [2])
    assert (opened.protocol, len(opened.hr_images), opened.paired) == ("plain", 3, {})
    assert set(EVAL_SETS) >= {"div2k", "set5", "set14", "b100", "urban100", "celebahq"}


def test_open_celebahq_uses_the_val_split(tmp_path):
    paths = write_images(tmp_path / "celebAHQ" / "256")
    (tmp_path / "celebAHQ" / "split.json").write_text(
        json.dumps({"train": [paths[0].name], "val": [paths[2].name, paths[1].name]})
    )
    opened = open_eval_set("celebahq", tmp_path, [4])
    assert opened.protocol == "plain" and len(opened.hr_images) == 2
    assert torch.equal(opened.hr_images[0], as_tensor(paths[2]))


def test_celebahq_tasks_pair_the_val_split(tmp_path, edsr_small):
    """celebahq-64-128 / -32-256: the official paired configs' 'val' pairs at their one scale."""
    celeba = tmp_path / "celebAHQ"
    names = ["a.png", "b.png", "c.png"]
    for size in (32, 64, 128, 256):
        write_images(celeba / str(size), sizes=[(size, size)] * 3)
        for i, name in enumerate(names):
            (celeba / str(size) / f"im{i}.png").rename(celeba / str(size) / name)
    (celeba / "split.json").write_text(json.dumps({"train": ["a.png"], "val": ["c.png", "b.png"]}))
    for name, (lr_size, hr_size) in CELEBAHQ_TASKS.items():
        scale = hr_size / lr_size
        opened = open_eval_set(name, tmp_path, [scale])
        assert opened.protocol == "plain" and opened.hr_images is None
        lr, hr = opened.paired[scale][0]
        assert torch.equal(lr, as_tensor(celeba / str(lr_size) / "c.png"))
        assert torch.equal(hr, as_tensor(celeba / str(hr_size) / "c.png"))
        result = evaluate_images(edsr_small, None, [scale], "plain", paired=opened.paired)
        assert result["images"] == 2
        with pytest.raises(InrkitError, match=rf"{name} is a fixed task at x{scale:g}"):
            open_eval_set(name, tmp_path, [4.5])
