"""inrkit's GIRAFFE against outputs of the official code (tests/fixtures/giraffe, cars64).

The checkpoint has the official structure and names; it must load with strict=True, and the
averaged generator must reproduce the official feature image, RGB and alpha maps within 1e-4
on both rendering paths; the camera and transformation helpers must reproduce the official
matrices for the stored slider values.
"""

from __future__ import annotations

import pytest
import torch
from testlib.giraffe import FIXTURES, fixture_arrays, fixture_checkpoint

import inrkit.giraffe as giraffe
from inrkit.giraffe import Giraffe
from inrkit.giraffe.official_config import read_config
from inrkit.giraffe.presets import CARS_64

TOL = 1e-4


@pytest.fixture(scope="module")
def arrays() -> dict[str, torch.Tensor]:
    return fixture_arrays()


@pytest.fixture(scope="module")
def model() -> giraffe.GiraffeModel:
    return giraffe.load(fixture_checkpoint(), config="cars_64")


def inputs(a: dict[str, torch.Tensor]) -> tuple:
    codes = (a["z_shape_obj"], a["z_app_obj"], a["z_shape_bg"], a["z_app_bg"])
    return codes, (a["camera_mat"], a["world_mat"]), (a["s"], a["t"], a["R"]), a["bg_rotation"]


def test_official_config_file_is_the_cars_64_preset() -> None:
    assert read_config(FIXTURES / "config.yaml") == CARS_64


def test_checkpoint_loads_strictly_with_official_names() -> None:
    ckpt = torch.load(fixture_checkpoint(), map_location="cpu", weights_only=True)
    assert set(ckpt) == {"model", "optimizer", "optimizer_d", "epoch_it", "it", "loss_val_best"}
    net = Giraffe(CARS_64)
    assert set(net.state_dict()) == set(ckpt["model"])
    net.load_state_dict(ckpt["model"], strict=True)  # raises on any difference


def test_load_returns_averaged_generator(model: giraffe.GiraffeModel) -> None:
    assert model.generator is model.network.generator_test
    assert model.generator_train is model.network.generator
    assert model.discriminator is model.network.discriminator
    assert not model.generator.training


@pytest.mark.parametrize("sparse", [True, False], ids=["sparse", "dense"])
def test_feature_image_rgb_and_alpha_match_official(model, arrays, sparse: bool) -> None:
    gen = model.generator
    codes, camera, poses, bg = inputs(arrays)
    with torch.no_grad():
        feat, alpha = gen.volume_render_image(
            codes, camera, poses, bg, mode="val", return_alpha_map=True, sparse=sparse
        )
        rgb = gen.neural_renderer(feat)
    assert feat.shape == (2, 128, 16, 16) and alpha.shape == (2, 1, 16, 16)
    assert (feat - arrays["feature_image"]).abs().max() < TOL
    assert (rgb - arrays["rgb"]).abs().max() < TOL
    assert (alpha - arrays["alpha"]).abs().max() < TOL
    assert alpha.max() > 0.95 and alpha.min() == 0  # a solid object that does not fill the image


def test_official_call_and_background_switches_match_official(model, arrays) -> None:
    gen = model.generator
    codes, camera, poses, bg = inputs(arrays)
    with torch.no_grad():
        alpha = gen(2, codes, camera, poses, bg, "val", 0, True)  # positional, as official code
        no_bg = gen(2, codes, camera, poses, bg, mode="val", not_render_background=True)
        only_bg = gen(2, codes, camera, poses, bg, mode="val", only_render_background=True)
    assert (alpha - arrays["alpha"]).abs().max() < TOL
    assert (no_bg - arrays["rgb_no_background"]).abs().max() < TOL
    assert (only_bg - arrays["rgb_only_background"]).abs().max() < TOL


def test_discriminator_matches_official(model, arrays) -> None:
    with torch.no_grad():
        out = model.discriminator(arrays["disc_input"])
    assert (out - arrays["disc_output"]).abs().max() < TOL


def test_camera_and_transformation_helpers_match_official(model, arrays) -> None:
    gen = model.generator
    camera_mat, world_mat = gen.get_camera(*arrays["camera_val_u_v_r"].tolist(), batch_size=2)
    assert (camera_mat - arrays["camera_mat"]).abs().max() < 1e-6
    assert (world_mat - arrays["world_mat"]).abs().max() < 1e-6
    s, t, R = gen.get_transformations(
        arrays["slider_val_s"].tolist(),
        arrays["slider_val_t"].tolist(),
        arrays["slider_val_r"].tolist(),
        batch_size=2,
    )
    for ours, key in ((s, "s"), (t, "t"), (R, "R")):
        assert ours.shape == arrays[key].shape
        assert (ours - arrays[key]).abs().max() < 1e-6, key
    assert (gen.get_bg_rotation(0.0, batch_size=2) - arrays["bg_rotation"]).abs().max() < 1e-6


@pytest.mark.parametrize("v", ["0.0", "0.25", "0.5", "1.0"])
def test_slider_tables_match_official(model, arrays, v: str) -> None:
    gen, val = model.generator, float(v)
    _, world = gen.get_camera(val, val, val, batch_size=1)
    assert (world - arrays[f"camera_world_mat_at_{v}"]).abs().max() < 1e-6
    s, t, R = gen.get_transformations([[val] * 3], [[val] * 3], [val], batch_size=1)
    assert (s - arrays[f"transform_s_at_{v}"]).abs().max() < 1e-6
    assert (t - arrays[f"transform_t_at_{v}"]).abs().max() < 1e-6
    assert (R - arrays[f"transform_R_at_{v}"]).abs().max() < 1e-6
    assert (
        gen.get_bg_rotation(val, batch_size=1) - arrays[f"bg_rotation_at_{v}"]
    ).abs().max() < 1e-6
    assert (
        gen.get_rotation([val], batch_size=1) - arrays[f"transform_R_at_{v}"]
    ).abs().max() < 1e-6
