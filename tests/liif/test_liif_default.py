"""The bundled default model: it loads by name and beats bicubic on photos it never saw."""

from __future__ import annotations

import pytest

from inrkit.data.photos import HELD_OUT, TRAIN, VAL, Photos
from inrkit.liif import load
from inrkit.liif.checkpoint import DEFAULT_MODEL_PATH
from inrkit.liif.evaluate import evaluate_images


def test_default_model_is_bundled_and_small() -> None:
    assert DEFAULT_MODEL_PATH.is_file()
    assert DEFAULT_MODEL_PATH.stat().st_size <= 25 * 2**20
    model = load("default")
    assert model.spec["name"] == "liif"
    assert model.spec["args"]["encoder_spec"]["name"] == "edsr-baseline"


def test_held_out_photos_were_never_trained_on() -> None:
    assert not set(HELD_OUT) & (set(TRAIN) | set(VAL))


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_default_beats_bicubic_on_held_out_crops(scale: int) -> None:
    model = load("default")
    photos = Photos("held_out")
    # A 120x120 crop from the middle of each held-out photo: divisible by 2, 3 and 4.
    crops = []
    for i in range(len(photos)):
        img = photos[i]
        top, left = (img.shape[1] - 120) // 2, (img.shape[2] - 120) // 2
        crops.append(img[:, top : top + 120, left : left + 120])
    result = evaluate_images(model, crops, [scale])["results"]
    key = f"x{scale}"
    assert result["model"][key]["psnr"] > result["bicubic"][key]["psnr"]
    assert result["model"][key]["ssim"] > result["bicubic"][key]["ssim"]
