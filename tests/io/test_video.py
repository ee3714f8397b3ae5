"""``inrkit.io.video_read``, ``video_write`` and ``ffmpeg``: probing, decoding, encoding and
joining with the bundled ffmpeg."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from testlib.video import ffmpeg, make_clip, packets

import inrkit.io.video_read as video
from inrkit.errors import InrkitError
from inrkit.io import video_write
from inrkit.io.ffmpeg import ffmpeg_executable, require_ffmpeg


def test_the_binary_is_the_one_imageio_ffmpeg_ships(monkeypatch) -> None:
    import imageio_ffmpeg

    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE", raising=False)
    assert ffmpeg_executable() == imageio_ffmpeg.get_ffmpeg_exe()
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", "/nonexistent/ffmpeg")
    assert ffmpeg_executable() is None
    with pytest.raises(InrkitError, match="pip install imageio-ffmpeg"):
        require_ffmpeg()


def test_probe_reads_size_rate_aspect_and_audio(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "a.mp4", size=(24, 32), frames=5, fps="30000/1001", audio=True)
    info = video.probe(clip)
    assert (info.height, info.width, info.fps, info.sar) == (24, 32, Fraction(30000, 1001), 1)
    assert info.audio == ("aac",) and info.duration == pytest.approx(5 * 1001 / 30000, abs=0.02)
    wide = video.probe(make_clip(tmp_path / "b.mkv", frames=2, sar="4/3", fps="25"))
    assert (wide.sar, wide.fps, wide.audio) == (Fraction(4, 3), 25, ())
    assert video.count_frames(clip) == 5 and video.count_frames(clip, stop=3) == 3


@pytest.mark.parametrize(
    ("text", "rate"),
    [("10", 10), ("29.97", Fraction(30000, 1001)), ("23.98", Fraction(24000, 1001))]
    + [("59.94", Fraction(60000, 1001)), ("12.50", Fraction(25, 2)), ("29.50", Fraction(59, 2))],
)
def test_printed_rates_become_exact(text: str, rate: Fraction) -> None:
    assert video.exact_rate(text) == rate


def test_rotated_video_is_probed_upright(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "a.mp4", size=(24, 32), frames=2)
    ffmpeg("-display_rotation", "90", "-i", clip, "-c", "copy", tmp_path / "r.mp4")
    info = video.probe(tmp_path / "r.mp4")
    assert (info.height, info.width) == (32, 24)
    frames = video.read_frames(tmp_path / "r.mp4")
    assert frames[0].shape == (32, 24, 3) and len(frames) == 2


def test_write_then_read_keeps_order_and_colours(tmp_path: Path) -> None:
    """Flat frames of distinct colours come back in order within 3 levels of 255 (no edges
    for the halved colour planes to blur); odd sizes are padded to even by write_mp4."""
    colours = [(200, 50, 30), (20, 180, 90), (40, 60, 220), (250, 250, 250), (0, 0, 0)]
    frames = [np.full((12, 16, 3), c, np.uint8) for c in colours]
    path = video_write.write_mp4(tmp_path / "sub" / "flat.mp4", frames, fps=Fraction(25, 2))
    back = video.read_frames(path)
    assert len(back) == 5 and video.probe(path).fps == Fraction(25, 2)
    for got, colour in zip(back, colours, strict=True):
        assert np.abs(got.astype(int) - colour).max() <= 3
    assert [p.name for p in path.parent.iterdir()] == ["flat.mp4"]  # no temporary left
    odd = video_write.write_mp4(tmp_path / "odd.mp4", [f[:11, :15] for f in frames], fps=10)
    assert video.read_frames(odd)[0].shape == (12, 16, 3)


def test_frame_reader_reads_a_range(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "a.mp4", frames=6)
    every = video.read_frames(clip)
    with video.FrameReader(clip, (24, 32), 2, 5) as reader:
        part = list(reader)
    assert len(part) == 3 and all(
        np.array_equal(a, b) for a, b in zip(part, every[2:5], strict=True)
    )
    with pytest.raises(InrkitError, match="could not decode frame 6"):
        with video.FrameReader(clip, (24, 32), 4, 8) as reader:
            list(reader)


def test_mp4_writer_refuses_wrong_frames(tmp_path: Path) -> None:
    with pytest.raises(InrkitError, match="even frame sides"):
        video_write.Mp4Writer(tmp_path / "x.mp4", (11, 16), 10)
    with pytest.raises(InrkitError, match="frames must be 12x16x3 uint8"):
        with video_write.Mp4Writer(tmp_path / "x.mp4", (12, 16), 10) as out:
            out.write(np.zeros((12, 16, 4), np.uint8))


def test_segments_join_with_even_timestamps_and_audio_copied(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "src.mp4", frames=7, audio=True)
    frames = video.read_frames(src)
    parts = []
    for k, (a, b) in enumerate([(0, 3), (3, 6), (6, 7)]):  # a short last part, as in real runs
        parts.append(tmp_path / f"seg_{k}.mp4")
        with video_write.Mp4Writer(parts[-1], (24, 32), 10, b_frames=False) as out:
            for frame in frames[a:b]:
                out.write(frame)
    video_write.copy_audio(src, tmp_path / "audio.mp4")
    video_write.concat_mp4(parts, tmp_path / "out.mp4", tmp_path / "audio.mp4")
    info = video.probe(tmp_path / "out.mp4")
    assert (info.fps, info.audio, video.count_frames(tmp_path / "out.mp4")) == (10, ("aac",), 7)
    pts = [int(line.split(",")[2]) for line in packets(tmp_path / "out.mp4", "v")]
    step = pts[1] - pts[0]
    assert pts == [i * step for i in range(7)]  # one frame duration throughout
    assert packets(tmp_path / "out.mp4", "a") == packets(src, "a")  # bit-identical audio


# ----- bad files -----------------------------------------------------------------------------
def test_probe_refuses_what_is_not_a_video(tmp_path: Path) -> None:
    (tmp_path / "text.mp4").write_text("hello, not a video\n")
    (tmp_path / "empty.mp4").write_bytes(b"")
    Image.new("RGB", (8, 8)).save(tmp_path / "image.mp4", format="PNG")
    (tmp_path / "folder.mp4").mkdir()
    ffmpeg("-f", "lavfi", "-i", "sine=duration=0.2", "-c:a", "aac", tmp_path / "sound.mp4")
    cases = {
        "text.mp4": "not a video, or a damaged one",
        "empty.mp4": "empty file",
        "image.mp4": "reads it as an image",
        "folder.mp4": "is a directory",
        "missing.mp4": "no such file",
        "sound.mp4": "no video stream",
    }
    for name, message in cases.items():
        with pytest.raises(InrkitError, match=message) as caught:
            video.probe(tmp_path / name)
        assert str(tmp_path / name) in str(caught.value)


def test_corrupt_and_truncated_streams_fail_when_counted(tmp_path: Path) -> None:
    clip = make_clip(
        tmp_path / "a.mp4", size=(48, 64), frames=30, extra=("-movflags", "+faststart")
    )
    data = clip.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) * 2 // 3])  # the index survives
    rng = np.random.default_rng(0)
    noisy = bytearray(data)
    for i in rng.integers(len(data) // 3, len(data), 200):
        noisy[i] = int(rng.integers(256))
    (tmp_path / "noisy.mp4").write_bytes(bytes(noisy))
    for name in ("cut.mp4", "noisy.mp4"):
        video.probe(tmp_path / name)  # the header is fine...
        with pytest.raises(InrkitError, match="corrupt or truncated video"):
            video.count_frames(tmp_path / name)  # ...the frames are not
    whole = make_clip(tmp_path / "b.mp4").read_bytes()
    (tmp_path / "head.mp4").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InrkitError, match="not a video, or a damaged one"):
        video.probe(tmp_path / "head.mp4")  # moov at the end, cut off
