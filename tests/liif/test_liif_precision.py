"""``precision=`` in LIIF upscaling: fp32 unchanged bit for bit, bf16 within a stated
tolerance of fp32, the no-bf16 fallback, and the per-chunk callbacks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from fixtures.precision import record  # the recorder of the fp32 outputs, models and inputs

import inrkit.liif as liif
from inrkit.errors import InrkitError
from inrkit.liif.fast_mlp import MLPTail, blend
from inrkit.liif.inference import UpscaleStopped, upscale_tensor
from inrkit.nn import precision

# bf16 against fp32, RGB in [0, 1]: the tiny reference models stay within 2e-3 everywhere
# (measured: at most 8e-4; MetaSR, whose encoder alone runs in bf16, 6.5e-3); the default
# model within 0.02 (measured 8.0e-3, 2 levels of 255), 1/255 in RMS (measured 0.31/255).
TINY_MAX, METASR_MAX, DEFAULT_MAX, RMS_MAX = 2e-3, 0.015, 0.02, 1 / 255


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the bf16 code on any CPU (where it is not native it is emulated: slow, not wrong)."""
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)


@pytest.mark.parametrize("variant", record.TINY_VARIANTS)
def test_fp32_is_unchanged_bit_for_bit(variant: str) -> None:
    model, image = record.tiny_liif(variant), record.tiny_input()
    out = liif.upscale(model, image, scale=3.5, precision="fp32")
    record.assert_unchanged(f"liif/{variant}/x3.5", out.numpy())
    out = liif.upscale(model, image, size=(50, 37), tile=5, chunk=97)
    record.assert_unchanged(f"liif/{variant}/50x37", out.numpy())


def test_fp32_default_model_is_unchanged_bit_for_bit() -> None:
    model, image = record.recorded_default(), record.default_input()
    record.assert_unchanged("liif/default/x3", liif.upscale(model, image, scale=3).numpy())
    out = liif.upscale(model, image, scale=2.7, tile=16, chunk=300)
    record.assert_unchanged("liif/default/x2.7-tiles", out.numpy())
    out = liif.upscale(model, image, scale=2, reference=True)
    record.assert_unchanged("liif/default/x2-reference", out.numpy())


@pytest.mark.parametrize("variant", record.TINY_VARIANTS)
def test_bf16_is_close_to_fp32_on_tiny_models(variant: str, native_bf16: None) -> None:
    model, image = record.tiny_liif(variant), record.tiny_input()
    fp32 = liif.upscale(model, image, scale=3.5)
    bf16 = liif.upscale(model, image, scale=3.5, precision="bf16")
    assert bf16.dtype == torch.float32 and bf16.shape == fp32.shape
    diff = (bf16 - fp32).abs()
    assert 0 < diff.max() <= (METASR_MAX if variant == "metasr-small" else TINY_MAX)
    assert diff.pow(2).mean().sqrt() <= RMS_MAX


def test_bf16_is_close_to_fp32_on_the_default_model(native_bf16: None) -> None:
    model, image = liif.load("default"), record.default_input()
    fp32 = liif.upscale(model, image, scale=3)
    bf16 = liif.upscale(model, image, scale=3, precision="bf16")
    diff = (bf16 - fp32).abs()
    assert 0 < diff.max() <= DEFAULT_MAX and diff.pow(2).mean().sqrt() <= RMS_MAX
    # Tiles and chunks are memory knobs in bf16 too.
    tiled = liif.upscale(model, image, scale=3, precision="bf16", tile=16, chunk=300)
    assert (tiled - bf16).abs().max() <= 2e-3


def test_bf16_reads_the_same_codes_as_fp32(native_bf16: None) -> None:
    # A model without decoder returns the code each query reads: bf16 must not move the
    # nearest-code lookups (the encoder's rounding may change the codes' values only).
    spec = {
        "name": "liif",
        "args": {
            "encoder_spec": {"name": "edsr-baseline", "args": {"n_resblocks": 1, "n_feats": 3}},
            "imnet_spec": None,
        },
    }
    spec["args"]["encoder_spec"]["args"]["no_upsampling"] = True
    model = liif.make_model(spec).eval()
    image = torch.rand(3, 7, 9, generator=torch.Generator().manual_seed(0))
    fp32 = liif.upscale(model, image, size=(23, 31))
    bf16 = liif.upscale(model, image, size=(23, 31), precision="bf16")
    assert (bf16 - fp32).abs().max() <= 0.02


def test_no_bf16_falls_back_to_fp32_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    model, image = record.tiny_liif("edsr-small"), record.tiny_input()
    with pytest.warns(precision.PrecisionWarning, match="running in fp32"):
        out = liif.upscale(model, image, scale=3.5, precision="bf16")
    record.assert_unchanged("liif/edsr-small/x3.5", out.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        liif.upscale(model, image, scale=2, precision="fp32")  # fp32 never warns


@pytest.mark.parametrize("bad", ["fp16", "bfloat16", ""])
def test_bad_precision_is_one_line(bad: str) -> None:
    with pytest.raises(InrkitError) as info:
        liif.upscale(record.tiny_liif("edsr-small"), record.tiny_input(), 2, precision=bad)
    assert "\n" not in str(info.value) and repr(bad) in str(info.value)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@torch.no_grad()
def test_mlp_tail_is_the_mlp_and_the_blend(dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    mlp = liif.make_model(record.tiny_liif("edsr-small").spec).imnet
    linears = [m for m in mlp.layers if isinstance(m, torch.nn.Linear)]
    shifts, bs, n = 4, 2, 37
    tail = MLPTail(linears, shifts * bs * n, dtype)
    x = tail.layer1(shifts, bs * n)
    x.copy_(torch.randn(shifts, bs * n, linears[0].out_features).relu())
    areas = [torch.rand(bs, n) + 0.1 for _ in range(shifts)]
    plain = x.clone().view(shifts, bs, n, -1)
    for layer in linears[1:-1]:
        plain = layer(plain).relu()
    expected = blend(list(linears[-1](plain).unbind(0)), areas)
    got = tail(x, areas)
    if dtype == torch.float32:
        assert torch.equal(got, expected)  # the very same operations
    else:
        torch.testing.assert_close(got, expected, rtol=0, atol=0.05)


def test_on_progress_counts_every_pixel_and_stop_is_asked_per_chunk() -> None:
    model = record.tiny_liif("edsr-small")
    image = torch.rand(1, 3, 16, 16)
    seen: list[int] = []
    upscale_tensor(
        model, image, (40, 40), tile=8, chunk=64, on_progress=lambda d, t: seen.append(d)
    )
    done = [b - a for a, b in zip(seen, seen[1:], strict=False)]  # pixels per chunk
    assert sum(done) == 40 * 40 and len(done) > 4  # several chunks per tile
    asked: list[int] = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) == 3

    with pytest.raises(UpscaleStopped):
        upscale_tensor(model, image, (40, 40), tile=64, chunk=64, should_stop=should_stop)
    assert len(asked) == 3  # within the one tile


def test_bf16_in_the_reference_path_runs_the_encoder_only(native_bf16: None) -> None:
    model, image = record.tiny_liif("edsr-small"), record.tiny_input()[None]
    fp32 = upscale_tensor(model, image, (30, 30), reference=True)
    bf16 = upscale_tensor(model, image, (30, 30), reference=True, precision="bf16")
    assert bf16.dtype == torch.float32
    assert 0 < (bf16 - fp32).abs().max() <= TINY_MAX
    assert np.isfinite(bf16.numpy()).all()
