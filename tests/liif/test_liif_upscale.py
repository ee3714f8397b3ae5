"""Whole-image upscaling: equals the official batched_predict, independent of tiles and chunks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from testlib.liif import liif_fixture

from inrkit.errors import InrkitError
from inrkit.liif import load, make_model, output_size, upscale
from inrkit.liif.inference import upscale_tensor


def _model(variant: str = "edsr-small") -> torch.nn.Module:
    ckpt = torch.load(liif_fixture(variant, ".pth"), map_location="cpu", weights_only=True)
    model = make_model(ckpt["model"])
    model.load_state_dict(ckpt["model"]["sd"])
    return model.eval()


@pytest.mark.parametrize(
    "variant", ["edsr-small", "edsr-small-noens", "rdn-a-g8", "rcan-small", "metasr-small"]
)
@pytest.mark.parametrize("k", [0, 1])
def test_upscale_equals_official_batched_predict(variant: str, k: int) -> None:
    ref = np.load(liif_fixture(variant, ".npz"))
    model = _model(variant)
    image = torch.from_numpy(ref["inp"][0]) * 0.5 + 0.5  # 3xHxW in [0, 1]
    h, w = (int(x) for x in ref[f"size_{k}"])
    expected = (torch.from_numpy(ref[f"batched97_{k}"][0]) * 0.5 + 0.5).clamp(0, 1)
    expected = expected.view(h, w, 3).permute(2, 0, 1)
    by_scale = upscale(model, image, scale=float(ref[f"scale_{k}"]))
    by_size = upscale(model, image, size=(h, w), tile=5, chunk=97)
    assert by_scale.shape == (3, h, w)
    torch.testing.assert_close(by_scale, expected, rtol=0, atol=1e-4)
    torch.testing.assert_close(by_size, expected, rtol=0, atol=1e-4)


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    h=st.integers(1, 12),
    w=st.integers(1, 12),
    big_h=st.integers(1, 40),
    big_w=st.integers(1, 40),
    tile=st.integers(1, 9),
    chunk=st.integers(1, 64),
    variant=st.sampled_from(["edsr-small", "edsr-small-noens", "edsr-small-plain"]),
)
def test_tiled_chunked_fast_equals_untiled_reference(
    h: int, w: int, big_h: int, big_w: int, tile: int, chunk: int, variant: str
) -> None:
    model = _MODELS.setdefault(variant, _model(variant))
    image = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(h * 100 + w))
    plain = upscale_tensor(model, image, (big_h, big_w), reference=True)
    untiled = upscale_tensor(model, image, (big_h, big_w), tile=10**6, chunk=10**6)
    tiled = upscale_tensor(model, image, (big_h, big_w), tile=tile, chunk=chunk)
    torch.testing.assert_close(untiled, plain, rtol=0, atol=1e-5)
    torch.testing.assert_close(tiled, untiled, rtol=0, atol=1e-6)


_MODELS: dict[str, torch.nn.Module] = {}


@settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    h=st.integers(1, 10),
    w=st.integers(1, 10),
    big_h=st.integers(1, 48),
    big_w=st.integers(1, 48),
    chunk=st.integers(1, 80),
    batch=st.integers(1, 2),
)
def test_chunked_equals_unchunked_on_both_paths(
    h: int, w: int, big_h: int, big_w: int, chunk: int, batch: int
) -> None:
    # Chunks alone (one tile), on the fast path and on the official one, which chunks too;
    # and each image of a batch comes out as it would alone.
    model = _MODELS.setdefault("edsr-small", _model("edsr-small"))
    image = torch.rand(batch, 3, h, w, generator=torch.Generator().manual_seed(h * 100 + w))
    for reference in (False, True):
        whole = upscale_tensor(model, image, (big_h, big_w), chunk=10**6, reference=reference)
        chunked = upscale_tensor(model, image, (big_h, big_w), chunk=chunk, reference=reference)
        assert whole.shape == (batch, 3, big_h, big_w)
        torch.testing.assert_close(chunked, whole, rtol=0, atol=1e-6)
        alone = upscale_tensor(model, image[-1:], (big_h, big_w), chunk=chunk, reference=reference)
        torch.testing.assert_close(alone, whole[-1:], rtol=0, atol=1e-6)


def test_image_kinds_come_back_as_the_same_kind(edsr_small_path) -> None:
    model = load(edsr_small_path)
    rng = np.random.default_rng(0)
    array = rng.integers(0, 256, (9, 7, 3), dtype=np.uint8)
    tensor = torch.from_numpy(array).permute(2, 0, 1).float() / 255
    out_t = upscale(model, tensor, scale=2)
    out_a = upscale(model, array, scale=2)
    out_p = upscale(model, Image.fromarray(array), scale=2)
    assert out_t.shape == (3, 18, 14) and out_t.dtype == torch.float32
    assert out_a.shape == (18, 14, 3) and out_a.dtype == np.uint8
    assert isinstance(out_p, Image.Image) and out_p.size == (14, 18) and out_p.mode == "RGB"
    expected = (out_t.permute(1, 2, 0) * 255).round().byte().numpy()
    np.testing.assert_array_equal(out_a, expected)
    np.testing.assert_array_equal(np.asarray(out_p), expected)
    batch = upscale(model, torch.stack([tensor, tensor]), scale=2)
    torch.testing.assert_close(batch[1], out_t)


def test_modes_alpha_gray_and_16_bit(edsr_small_path) -> None:
    model = load(edsr_small_path)
    rgba = Image.new("RGBA", (6, 5), (200, 30, 60, 128))
    rgba.putpixel((0, 0), (0, 0, 0, 0))
    out = upscale(model, rgba, scale=3)
    assert out.mode == "RGBA" and out.size == (18, 15)
    alpha = np.asarray(out)[..., 3]
    assert alpha.min() < 128 and alpha[7:, 7:].min() == 128  # resized, not dropped
    gray = upscale(model, Image.new("L", (6, 5), 90), scale=2)
    assert gray.mode == "L" and gray.size == (12, 10)
    deep = Image.fromarray(np.full((5, 6), 40000, dtype=np.uint16))
    out16 = upscale(model, deep, scale=2)
    assert out16.mode.startswith("I") and np.asarray(out16).max() > 255


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"scale": 4}, (40, 28)),
        ({"scale": 3.5}, (35, 25)),  # 24.5 rounds half up
        ({"scale": (2, 3)}, (20, 21)),
        ({"size": (33, 1)}, (33, 1)),
        ({"width": 14}, (20, 14)),
        ({"height": 5}, (5, 4)),  # 3.5 rounds half up
        ({"scale": 0.05}, (1, 0)),
    ],
)
def test_output_size(kwargs: dict, expected: tuple[int, int]) -> None:
    if expected[1] == 0:
        with pytest.raises(InrkitError, match="at least 1x1"):
            output_size((10, 7), **kwargs)
    else:
        assert output_size((10, 7), **kwargs) == expected


@pytest.mark.parametrize("scale", [0, -2, math.nan, math.inf, -math.inf])
def test_bad_scales_are_refused(scale: float) -> None:
    with pytest.raises(InrkitError, match="scale must be a finite number > 0"):
        output_size((10, 7), scale=scale)


def test_pixel_limit_and_argument_errors() -> None:
    with pytest.raises(InrkitError, match="more than the limit of 100"):
        output_size((10, 10), scale=2, max_pixels=100)
    with pytest.raises(InrkitError, match="exactly one"):
        output_size((10, 10), scale=2, width=3)
    with pytest.raises(InrkitError, match="exactly one"):
        output_size((10, 10))
    with pytest.raises(InrkitError, match="HxWx3 uint8"):
        upscale(_model(), np.zeros((4, 4), np.uint8), scale=2)


def test_should_stop_ends_the_work_between_chunks(edsr_small_path) -> None:
    from inrkit.liif.inference import UpscaleStopped

    model = load(edsr_small_path)
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) == 2

    with pytest.raises(UpscaleStopped):
        upscale(model, torch.rand(3, 16, 16), 2, tile=4, should_stop=should_stop)
    assert len(asked) == 2  # asked after each chunk (here one per tile of 4x4 codes)
    out = upscale(model, torch.rand(3, 16, 16), 2, tile=4, should_stop=lambda: False)
    assert out.shape == (3, 32, 32)


@pytest.mark.parametrize(
    ("variant", "in_hw", "out_hw", "tile"),
    [
        ("rcan-small", (16, 16), (40, 36), 4),  # channel attention: cannot be tiled
        ("edsr-small", (16, 16), (7, 5), 4),  # a downscale: fewer output pixels than tiles
        ("edsr-small", (16, 12), (40, 30), 5),
        ("metasr-small", (8, 8), (20, 20), 4),  # the reference path
    ],
)
def test_on_progress_total_is_the_real_total(
    variant: str, in_hw: tuple[int, int], out_hw: tuple[int, int], tile: int
) -> None:
    """``on_progress(done, total)``: total is every output pixel, however the work is cut,
    and the last call has done == total."""
    calls: list[tuple[int, int]] = []
    image = torch.rand(2, 3, *in_hw, generator=torch.Generator().manual_seed(0))
    upscale(
        _model(variant),
        image,
        size=out_hw,
        tile=tile,
        chunk=16,
        on_progress=lambda d, t: calls.append((d, t)),
    )
    total = 2 * out_hw[0] * out_hw[1]
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    assert all(t == total for _, t in calls)
    assert all(a <= b for (a, _), (b, _) in zip(calls, calls[1:], strict=False))
