"""``precision=`` in GIRAFFE rendering: fp32 unchanged bit for bit, bf16 within a stated
tolerance of fp32, the no-bf16 fallback, and the chunked background (same values)."""

from __future__ import annotations

import pytest
import torch
from fixtures.precision import record  # the recorder of the fp32 outputs, models and inputs

import inrkit.giraffe as giraffe
from inrkit.errors import InrkitError
from inrkit.giraffe import volume_render
from inrkit.giraffe.path import render_path
from inrkit.giraffe.sliders import render_sliders, uniform_frame
from inrkit.nn import precision

# bf16 against fp32, RGB in [0, 1]: the 32 px default model within 0.03 (measured 0.011, 2.8 levels
# of 255) and 1/255 in RMS (measured 0.22/255); cars 64 with random weights within 2e-3
# (measured 2.7e-4).
DEFAULT_MAX, CARS_MAX, RMS_MAX = 0.03, 2e-3, 1 / 255
PATH = {
    "keyframes": [
        {"time": 0, "rotation": 0.1, "shape_seed": 3},
        {"time": 1, "rotation": 0.6, "shape_seed": 3, "elevation": 0.8},
    ]
}


@pytest.fixture
def native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the bf16 code on any CPU (where it is not native it is emulated: slow, not wrong)."""
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)


@pytest.fixture(scope="module")
def default() -> giraffe.GiraffeModel:
    return giraffe.load("default32")


def _sliders(model: giraffe.GiraffeModel) -> list:
    n = model.generator.get_n_boxes()
    return [uniform_frame(n, rotation=r, shape_seed=4) for r in (0.1, 0.7)]


def test_fp32_renders_are_unchanged_bit_for_bit(default: giraffe.GiraffeModel) -> None:
    frames = giraffe.render(default, "object_rotation", n_samples=2, steps=3, precision="fp32")
    record.assert_unchanged("giraffe/default/object_rotation", frames.numpy())
    rendered = torch.stack(list(render_sliders(default, _sliders(default))))
    record.assert_unchanged("giraffe/default/sliders", rendered.numpy())
    gen = record.cars64_generator()
    with torch.no_grad():
        rgb = gen(*record.cars64_inputs(gen), mode="val")
    record.assert_unchanged("giraffe/cars64/object_rotation", rgb.numpy())


def test_bf16_is_close_to_fp32(default: giraffe.GiraffeModel, native_bf16: None) -> None:
    fp32 = giraffe.render(default, "object_rotation", n_samples=3, steps=3)
    bf16 = giraffe.render(default, "object_rotation", n_samples=3, steps=3, precision="bf16")
    diff = (bf16 - fp32).abs()
    assert bf16.dtype == torch.float32 and 0 < diff.max() <= DEFAULT_MAX
    assert diff.pow(2).mean().sqrt() <= RMS_MAX
    gen = record.cars64_generator()
    inputs = record.cars64_inputs(gen)
    with torch.no_grad():
        diff = (gen(*inputs, mode="val", dtype=torch.bfloat16) - gen(*inputs, mode="val")).abs()
    assert 0 < diff.max() <= CARS_MAX


def test_bf16_sliders_and_paths(default: giraffe.GiraffeModel, native_bf16: None) -> None:
    frames = _sliders(default)
    fp32 = torch.stack(list(render_sliders(default, frames)))
    bf16 = torch.stack(list(render_sliders(default, frames, precision="bf16")))
    assert 0 < (bf16 - fp32).abs().max() <= DEFAULT_MAX
    path_fp32 = render_path(default, PATH, frames=3)
    path_bf16 = render_path(default, PATH, frames=3, precision="bf16")
    assert path_bf16.shape == path_fp32.shape
    assert 0 < (path_bf16 - path_fp32).abs().max() <= DEFAULT_MAX


def test_no_bf16_falls_back_to_fp32(
    default: giraffe.GiraffeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    with pytest.warns(precision.PrecisionWarning, match="running in fp32"):
        frames = giraffe.render(default, "object_rotation", n_samples=2, steps=3, precision="bf16")
    record.assert_unchanged("giraffe/default/object_rotation", frames.numpy())


@pytest.mark.parametrize("bad", ["fp16", "float32"])
def test_bad_precision_is_one_line(default: giraffe.GiraffeModel, bad: str) -> None:
    for call in (
        lambda: giraffe.render(default, "object_rotation", n_samples=1, steps=2, precision=bad),
        lambda: render_path(default, PATH, frames=2, precision=bad),
        lambda: list(render_sliders(default, _sliders(default), precision=bad)),
    ):
        with pytest.raises(InrkitError) as info:
            call()
        assert "\n" not in str(info.value) and repr(bad) in str(info.value)


def test_chunked_background_gives_the_batched_values(
    default: giraffe.GiraffeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Inference evaluates the background in chunks (their activations stay in cache); with
    # gradients on, it is one batched call. Both must give the very same numbers.
    monkeypatch.setattr(volume_render, "BACKGROUND_CHUNK", 1000)  # not a divisor: a short tail
    gen = default.generator
    torch.manual_seed(5)
    b = 5
    inputs = (
        b,
        gen.get_latent_codes(b, tmp=0.65),
        gen.get_random_camera(b),
        gen.get_random_transformations(b),
        gen.get_random_bg_rotation(b),
    )
    with torch.no_grad():
        chunked = gen.volume_render_image(*inputs[1:], mode="val")
    with torch.enable_grad():
        batched = gen.volume_render_image(*inputs[1:], mode="val").detach()
    assert torch.equal(chunked, batched)
