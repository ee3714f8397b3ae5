"""Starting a 64 px run from a 32 px model: what is copied, what starts at zero, and that the
first 64 px image is the 32 px model's RGB upsampled by the renderer's own RGB path."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
import yaml
from testlib.giraffe import TINY, tiny_network

from inrkit.errors import InrkitError
from inrkit.giraffe import load, save
from inrkit.giraffe.config import FieldConfig
from inrkit.giraffe.model import Giraffe, GiraffeModel
from inrkit.giraffe.official_config import to_official
from inrkit.giraffe.train import train
from inrkit.giraffe.train_config import load_train_config
from inrkit.giraffe.transfer import init_generator

TINY64 = replace(TINY, img_size=64)


def _source() -> Giraffe:
    net = tiny_network(TINY, seed=1)
    with torch.no_grad():  # the average differs from the trained generator: which one is taken?
        for p in net.generator_test.parameters():
            p.add_(0.01)
    return net


def test_fields_copied_new_rgb_zeroed_average_taken() -> None:
    src = _source()
    torch.manual_seed(0)
    net = Giraffe(TINY64)
    done = init_generator(net, src.state_dict(), "small.pt")
    assert done.zeroed == ("neural_renderer.conv_rgb.2.weight", "neural_renderer.conv_rgb.2.bias")
    assert done.new == (
        "neural_renderer.conv_layers.1.weight",
        "neural_renderer.conv_layers.1.bias",
    )
    theirs = src.generator_test.state_dict()
    for gen in (net.generator, net.generator_test):
        mine = gen.state_dict()
        for name in done.copied:
            assert torch.equal(mine[name], theirs[name]), name
        assert not mine["neural_renderer.conv_rgb.2.weight"].any()
    assert any(name.startswith("decoder.") for name in done.copied)
    assert any(name.startswith("background_generator.") for name in done.copied)


def test_first_64px_image_is_the_32px_rgb_upsampled() -> None:
    src = _source()
    torch.manual_seed(0)
    net = Giraffe(TINY64)
    init_generator(net, src.state_dict(), "small.pt")
    small, big = src.generator_test.eval(), net.generator_test.eval()
    torch.manual_seed(4)
    inputs = small.get_vis_dict(2)
    with torch.no_grad():
        scene = {k: v for k, v in inputs.items() if k != "batch_size"}
        feat = small.volume_render_image(**scene, mode="val")
        small.neural_renderer.final_actvn = False  # the 32 px logits, before the sigmoid
        logits = small.neural_renderer(feat)
        expected = torch.sigmoid(big.neural_renderer.upsample_rgb(logits))
        got = big(**inputs, mode="val")
    assert got.shape == (2, 3, 64, 64)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_other_field_sizes_are_refused_in_one_line() -> None:
    wider = replace(TINY64, decoder=replace(TINY.decoder, hidden_size=32))
    with pytest.raises(InrkitError, match=r"small\.pt: decoder\..* in this config"):
        init_generator(Giraffe(wider), _source().state_dict(), "small.pt")
    assert isinstance(TINY.decoder, FieldConfig)
    with pytest.raises(InrkitError, match="no GIRAFFE generator"):
        init_generator(Giraffe(TINY64), {"x": torch.zeros(1)}, "other.pt")


def test_training_starts_from_the_source(tmp_path: Path) -> None:
    src = tmp_path / "small.pt"
    save(GiraffeModel(network=_source(), config=TINY), src)
    images = tmp_path / "images"
    images.mkdir()
    from PIL import Image

    for i in range(4):
        Image.new("RGB", (64, 64), (40 * i, 90, 160)).save(images / f"{i}.png")
    cfg = to_official(TINY64)
    cfg["data"].update({"path": str(images)})
    cfg["training"].update(
        {"batch_size": 2, "validate_every": 0, "visualize_every": 0, "backup_every": 0}
    )
    cfg["training"].update({"n_workers": 0, "max_iters": 1, "checkpoint_every": 1})
    path = tmp_path / "tiny64.yaml"
    path.write_text(yaml.safe_dump(cfg))
    config = load_train_config(path, [])
    train(config, tmp_path / "run", init_from=src, progress=False)
    # After one step the average (EMA 0.999) is still the source's average.
    run = load(tmp_path / "run" / "model.pt").generator.decoder.state_dict()
    theirs = _source().generator_test.decoder.state_dict()
    for name, tensor in theirs.items():
        torch.testing.assert_close(run[name], tensor, atol=1e-4, rtol=0)
    with pytest.raises(InrkitError, match="--init-from starts a new run"):
        train(config, tmp_path / "run", init_from=src, resume=True, progress=False)


def test_the_64px_preset_keeps_cars_64_and_starts_from_the_32px_default() -> None:
    from inrkit.giraffe.checkpoint import read_checkpoint
    from inrkit.giraffe.presets import CARS_64
    from inrkit.scenes.objects import CAR_HALF_EXTENTS

    root = Path(__file__).parents[2]
    cfg = load_train_config(root / "configs" / "giraffe" / "train_cars64_cpu.yaml", []).model
    assert cfg.img_size == 64
    # Official boxes, but as narrow as the toy cars: width / length of the data's cars.
    ratio = CAR_HALF_EXTENTS[1] / CAR_HALF_EXTENTS[0]
    for lo_hi in ("scale_range_min", "scale_range_max"):
        (x, y, z), official = getattr(cfg.boxes, lo_hi), getattr(CARS_64.boxes, lo_hi)
        assert (x, z) == (official[0], official[2]) and y == pytest.approx(ratio * x, abs=1e-3)
    same = ("translation_range_min", "translation_range_max", "rotation_range")
    assert all(getattr(cfg.boxes, k) == getattr(CARS_64.boxes, k) for k in same)
    camera = ("range_u", "range_v", "range_radius", "fov", "background_rotation_range")
    for key in camera:
        assert getattr(cfg.generator, key) == getattr(CARS_64.generator, key), key
    near, far = cfg.generator.depth_range
    spacing = (far - near) / (cfg.generator.n_ray_samples - 1)
    official = (CARS_64.generator.depth_range[1] - CARS_64.generator.depth_range[0]) / 63
    assert spacing < 1.15 * official  # about the official sample spacing where the cars are
    state = read_checkpoint(root / "training" / "giraffe-cars32" / "model.pt")["model"]
    done = init_generator(Giraffe(cfg), state, "cars32")
    assert len(done.zeroed) == 2 and len(done.new) == 2
    assert all(name.startswith("neural_renderer.") for name in done.zeroed + done.new)
