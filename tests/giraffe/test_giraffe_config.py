"""Presets and official YAML configs (with inherit_from) to GiraffeConfig."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from testlib.giraffe import FIXTURES

from inrkit.errors import InrkitError
from inrkit.giraffe.checkpoint import expected_shapes
from inrkit.giraffe.config import GiraffeConfig
from inrkit.giraffe.official_config import from_official, read_config, resolve_config, to_official
from inrkit.giraffe.presets import PRESETS, PRETRAINED, preset


def test_every_official_config_has_a_preset_and_a_pretrained_model() -> None:
    assert (
        set(PRESETS)
        == set(PRETRAINED)
        == {
            "cars_64",
            "cats_64",
            "celeba_64",
            "chairs_64",
            "church_64",
            "cars_256",
            "celebahq_256",
            "church_256",
            "clevr2_256",
            "clevr2345_256",
            "ffhq_256",
        }
    )
    for name, model in PRETRAINED.items():
        assert model.preset == name and model.url.endswith(".pt") and len(model.sha256_prefix) == 8


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_round_trips_through_the_official_layout_and_builds(name: str) -> None:
    cfg = PRESETS[name]
    assert from_official(to_official(cfg)) == cfg
    shapes = expected_shapes(cfg)  # built on the meta device: no memory, no time
    assert shapes["generator.decoder.feat_out.weight"][0] == cfg.decoder.rgb_out_dim
    assert shapes["discriminator.conv_out.weight"] == (1, 512, 4, 4)


def test_preset_facts() -> None:
    assert preset("cars64") is PRESETS["cars_64"] and preset("Cars-64") is PRESETS["cars_64"]
    clevr = PRESETS["clevr2345_256"]
    assert clevr.boxes.n_boxes == 5 and clevr.generator.sample_object_existence
    assert (clevr.z_dim, clevr.z_dim_bg, clevr.decoder.hidden_size) == (64, 32, 64)
    assert PRESETS["church_64"].generator.background_rotation_range == (0.0, 0.25)
    assert PRESETS["celebahq_256"].boxes.rotation_range == (0.375, 0.625)
    assert PRESETS["ffhq_256"].neural_renderer.n_feat == 256
    with pytest.raises(KeyError, match="known: cars_64"):
        preset("cars_99")


def test_inherit_from_a_real_file_chain(tmp_path: Path) -> None:
    (tmp_path / "configs" / "64res").mkdir(parents=True)
    base = yaml.safe_load((FIXTURES / "config.yaml").read_text())
    (tmp_path / "configs" / "64res" / "mine.yaml").write_text(yaml.safe_dump(base))
    child = tmp_path / "configs" / "64res" / "mine_pretrained.yaml"
    child.write_text(
        "inherit_from: configs/64res/mine.yaml\nmodel:\n  generator_kwargs:\n"
        "    fov: 12\ntest:\n  model_file: x.pt\n"
    )
    cfg = read_config(child)
    assert cfg == replace(
        PRESETS["cars_64"], generator=replace(PRESETS["cars_64"].generator, fov=12.0)
    )


def test_inherit_from_an_official_path_falls_back_to_the_preset(tmp_path: Path) -> None:
    child = tmp_path / "ffhq_256_pretrained.yaml"
    child.write_text("inherit_from: configs/256res/ffhq_256.yaml\ntraining:\n  out_dir: out/x\n")
    assert read_config(child) == PRESETS["ffhq_256"]
    assert resolve_config(child) == PRESETS["ffhq_256"]


def test_official_misspelled_keys_are_read(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "model:\n  generator_kwargs:\n    backround_rotation_range: [0., 0.5]\n"
        "    sample_object_existance: true\n"
        "  bounding_box_generator_kwargs:\n    check_collison: true\n"
    )
    cfg = read_config(path)
    assert cfg.generator.background_rotation_range == (0.0, 0.5)
    assert cfg.generator.sample_object_existence and cfg.boxes.check_collision
    assert to_official(cfg)["model"]["generator_kwargs"]["backround_rotation_range"] == [0.0, 0.5]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "model:\n  generator_kwargs:\n    fov: ten\n",
            "model.generator_kwargs.fov: expected a number",
        ),
        (
            "model:\n  decoder_kwargs:\n    hiden_size: 3\n",
            "decoder_kwargs.hiden_size: unknown key",
        ),
        ("model:\n  decoder: fancy\n", "model.decoder: only 'simple'"),
        ("method: gan2d\n", "not a GIRAFFE config (method: gan2d)"),
        ("data:\n  img_size: 100\n", "img_size must be 16 * 2^k"),
        ("model: [1, 2\n", "not valid YAML at line"),
        ("inherit_from: nowhere/else.yaml\n", "inherit_from: nowhere/else.yaml not found"),
        ("model:\n  bounding_box_generator_kwargs:\n    scale_range_min: [1, 2]\n", "a list of 3"),
    ],
)
def test_bad_yaml_is_one_line_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InrkitError) as info:
        read_config(path)
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_inherit_from_itself_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("inherit_from: loop.yaml\n")
    with pytest.raises(InrkitError, match="inherits from itself"):
        read_config(path)


def test_resolve_config_errors_and_identity() -> None:
    cfg = GiraffeConfig()
    assert resolve_config(cfg) is cfg and resolve_config("church64") is PRESETS["church_64"]
    with pytest.raises(InrkitError, match="unknown GIRAFFE preset 'cars_99'"):
        resolve_config("cars_99")
    with pytest.raises(InrkitError, match="no such file"):
        resolve_config("missing.yaml")
