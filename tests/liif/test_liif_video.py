"""``inrkit.liif.video.upscale_video``, the Python side of ``inrkit upscale clip.mp4``, on tiny
clips made with the bundled ffmpeg: size, rate, aspect, audio, frames against per-image LIIF,
an interruption and ``resume=True``. Bad input: tests/robustness/test_robust_video.py."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from testlib.video import make_clip, packets

import inrkit.io.video_read as video
import inrkit.liif
import inrkit.liif.video as liif_video
from inrkit.errors import InrkitError
from inrkit.io.checkpoints import weights_digest as weights_sha256
from inrkit.io.video_job import work_folder
from inrkit.liif.init import interpolating_init
from inrkit.liif.video import upscale_video

EDSR_SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "liif" / "edsr-small.pth"


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    """The tiny edsr-small started as bilinear interpolation: a wrong frame shows."""
    torch.set_num_threads(1)
    model = inrkit.liif.load(EDSR_SMALL)
    interpolating_init(model)
    return model


def _mean_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(float) - b).mean())


def test_x2_keeps_rate_aspect_audio_and_matches_per_image_liif(model, tmp_path: Path) -> None:
    """Each frame is nearest ``liif.upscale`` of its own decoded input frame (H.264 costs ~5
    levels of 255 on this pattern, neighbouring frames differ by ~10); audio bit for bit."""
    clip = make_clip(tmp_path / "clip.mp4", frames=5, fps="30000/1001", sar="4/3", audio=True)
    calls: list[tuple[int, int]] = []
    out = upscale_video(model, clip, tmp_path / "big.mp4", scale=2, segment_frames=2,
                        on_progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    assert calls == [(k, 5) for k in range(1, 6)]
    assert out == tmp_path / "big.mp4"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.mp4", "clip.mp4"]
    info = video.probe(out)
    assert (info.height, info.width, info.fps, info.sar) == (
        48,
        64,
        Fraction(30000, 1001),
        Fraction(4, 3),
    )
    assert info.audio == ("aac",) and packets(out, "a") == packets(clip, "a")
    expected = [inrkit.liif.upscale(model, f, size=(48, 64)) for f in video.read_frames(clip)]
    got = video.read_frames(out)
    assert len(got) == 5
    for i, frame in enumerate(got):
        errors = [_mean_error(frame, e) for e in expected]
        assert np.argmin(errors) == i and errors[i] < 8, errors


def test_size_frames_and_no_audio(model, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", frames=6, audio=True)
    out = upscale_video(model, clip, tmp_path / "w.mp4", width=45, frames=(2, None), audio=False)
    info = video.probe(out)
    assert (info.height, info.width, info.audio) == (34, 44, ())  # 33.75 x 45 -> even 34 x 44
    assert video.count_frames(out) == 4


def test_interrupted_run_resumes_to_the_same_file(model, tmp_path: Path, monkeypatch) -> None:
    """Ctrl+C in the third frame leaves no output and one finished segment of two frames;
    ``resume=True`` then writes the bytes of a run that was never stopped."""
    clip = make_clip(tmp_path / "clip.mp4", frames=6, audio=True)
    dst = tmp_path / "up.mp4"
    calls = []
    real = liif_video.upscale

    def stopping(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(liif_video, "upscale", stopping)
    with pytest.raises(KeyboardInterrupt):
        upscale_video(model, clip, dst, scale=2, segment_frames=2)
    monkeypatch.setattr(liif_video, "upscale", real)
    assert not dst.exists()
    assert sorted(p.name for p in work_folder(dst).glob("seg_*.mp4")) == ["seg_00000.mp4"]
    with pytest.raises(InrkitError, match="interrupted run left 1 finished segments"):
        upscale_video(model, clip, dst, scale=2, segment_frames=2)
    with pytest.raises(InrkitError, match="crf was 18, now 20"):
        upscale_video(model, clip, dst, scale=2, segment_frames=2, crf=20, resume=True)
    other = inrkit.liif.load(EDSR_SMALL)  # the same file, without the bilinear start
    assert weights_sha256(other) != weights_sha256(model)
    with pytest.raises(InrkitError, match="weights sha256 was"):
        upscale_video(other, clip, dst, scale=2, segment_frames=2, resume=True)
    calls: list[tuple[int, int]] = []
    upscale_video(model, clip, dst, scale=2, segment_frames=2, resume=True,
                  on_progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    assert calls == [(k, 6) for k in range(3, 7)]  # the finished segment's 2 frames count
    assert not work_folder(dst).exists()
    whole = upscale_video(model, clip, tmp_path / "whole.mp4", scale=2, segment_frames=2)
    assert dst.read_bytes() == whole.read_bytes()


def test_readme_example(model, tmp_path: Path, monkeypatch) -> None:
    """The README's two calls, the second at a size a test can afford."""
    monkeypatch.chdir(tmp_path)
    make_clip(tmp_path / "clip.mp4", frames=2)
    make_clip(tmp_path / "clip.mov", frames=4)
    inrkit.liif.upscale_video(model, "clip.mp4", "clip_x2.mp4", scale=2)
    inrkit.liif.upscale_video(model, "clip.mov", "big.mp4", size=(30, 50), frames=(0, 3), crf=16,
                              resume=True)  # fmt: skip
    assert video.count_frames(tmp_path / "clip_x2.mp4") == 2
    info = video.probe(tmp_path / "big.mp4")
    assert (info.height, info.width, video.count_frames(tmp_path / "big.mp4")) == (30, 50, 3)
