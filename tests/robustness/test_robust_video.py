"""Bad and awkward videos against ``inrkit upscale``: one line naming the file, exit 2, nothing
written (no output, no work folder, no temporary), and odd but valid files upscaled.

Made with the ffmpeg that imageio-ffmpeg ships: text, empty, PNG and audio-only files named
.mp4, an MP4 cut before its index, one cut inside its frames, one with bytes overwritten, a
folder, a missing file, an audio codec MP4 cannot hold, limits, no ffmpeg, and a full disk.
"""

from __future__ import annotations

import resource
import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from testlib.robustness import LIIF_MODEL, OFFLINE, assert_one_error, run_main
from testlib.video import ffmpeg, make_clip

import inrkit.io.video_read as video
from inrkit.errors import InrkitError


def _cut(folder: Path, name: str, keep: float, faststart: bool) -> Path:
    extra = ("-movflags", "+faststart") if faststart else ()
    whole = make_clip(folder / f"whole-{name}", size=(48, 64), frames=30, extra=extra)
    data = whole.read_bytes()
    whole.unlink()
    (folder / name).write_bytes(data[: int(len(data) * keep)])
    return folder / name


def _noisy(folder: Path, name: str) -> Path:
    whole = make_clip(folder / f"whole-{name}", size=(48, 64), frames=30)
    data = bytearray(whole.read_bytes())
    whole.unlink()
    rng = np.random.default_rng(0)
    for i in rng.integers(len(data) // 3, len(data) - 2000, 200):  # the frames, not the index
        data[i] = int(rng.integers(256))
    (folder / name).write_bytes(bytes(data))
    return folder / name


def _bytes(data: bytes):
    def make(folder: Path, name: str) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    return make


def _folder(folder: Path, name: str) -> Path:
    (folder / name).mkdir()
    return folder / name


def _png(folder: Path, name: str) -> Path:
    Image.new("RGB", (8, 8), "red").save(folder / name, format="PNG")
    return folder / name


def _sound(folder: Path, name: str) -> Path:
    ffmpeg("-f", "lavfi", "-i", "sine=duration=0.3", "-c:a", "aac", folder / name)
    return folder / name


BAD_VIDEOS = {
    "text.mp4": (_bytes(b"not a video\n"), "not a video"),
    "empty.mov": (_bytes(b""), "empty file"),
    "image.mp4": (_png, "reads it as an image"),
    "sound.mp4": (_sound, "no video stream"),
    "no-index.mp4": (lambda f, n: _cut(f, n, 0.5, faststart=False), "not a video, or a damaged"),
    "cut.mp4": (lambda f, n: _cut(f, n, 0.6, faststart=True), "corrupt or truncated video"),
    "noisy.mp4": (_noisy, "corrupt or truncated video"),
    "missing.mp4": (lambda f, n: f / n, "no such file"),
    "folder.mkv": (_folder, "no image files in this folder"),
}


def _nothing_new(folder: Path, before: set[str]) -> None:
    assert {p.name for p in folder.iterdir()} == before


@pytest.mark.parametrize("name", list(BAD_VIDEOS))
def test_bad_video_is_one_line_and_leaves_nothing(name: str, tmp_path: Path, capsys) -> None:
    make, reason = BAD_VIDEOS[name]
    path = make(tmp_path, name)
    before = {p.name for p in tmp_path.iterdir()}
    rc, err = run_main(capsys, "upscale", path, "--scale", "2", "--model", LIIF_MODEL)
    assert_one_error(rc, err, path)
    assert reason in err, err
    _nothing_new(tmp_path, before)


def test_audio_mp4_cannot_hold_is_refused_before_any_work(tmp_path: Path, capsys) -> None:
    clip = make_clip(tmp_path / "pcm.mkv", frames=3, audio=True, audio_codec=("-c:a", "pcm_alaw"))
    before = {p.name for p in tmp_path.iterdir()}
    rc, err = run_main(capsys, "upscale", clip, "--scale", "2", "--model", LIIF_MODEL)
    assert_one_error(rc, err, clip)
    assert "--no-audio" in err
    _nothing_new(tmp_path, before)
    rc, err = run_main(capsys, "upscale", clip, "--scale", "2", "--model", LIIF_MODEL, "--no-audio")
    assert rc == 0, err
    assert video.probe(tmp_path / "pcm_x2.mp4").audio == ()


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        (["--max-frames", "5"], "over the limit"),
        (["--frames", "3:"], "starts at frame 3, but the video has 3 frames"),
        (["--max-input-pixels", "100"], "--max-input-pixels"),
        (["--max-pixels", "1000"], "--max-pixels"),
    ],
)
def test_limits(flags: list[str], reason: str, tmp_path: Path, capsys) -> None:
    clip = make_clip(tmp_path / "clip.mp4", frames=3)
    before = {p.name for p in tmp_path.iterdir()}
    rc, err = run_main(capsys, "upscale", clip, "--scale", "2", "--model", LIIF_MODEL, *flags)
    if flags[0] == "--max-frames":  # 3 frames pass a limit of 5; a lower one does not
        assert rc == 0, err
        (tmp_path / "clip_x2.mp4").unlink()
        rc, err = run_main(capsys, "upscale", clip, "--scale", "2", "--model", LIIF_MODEL,
                           "--max-frames", "2")  # fmt: skip
    assert_one_error(rc, err, clip)
    assert reason in err, err
    _nothing_new(tmp_path, before)


@pytest.mark.parametrize("name", ["-dash.mp4", "concat:a|b.mp4", "it's 'quoted'.mp4", b"\xff.mp4"])
def test_odd_names_are_plain_files(name: str | bytes, tmp_path: Path, capsys) -> None:
    """Names ffmpeg could read as options, protocols or quoting; a non-UTF-8 name."""
    path = tmp_path / (name if isinstance(name, str) else name.decode(errors="surrogateescape"))
    make_clip(path, frames=2, audio=True)
    rc, err = run_main(capsys, "upscale", path, "--scale", "2", "--model", LIIF_MODEL, "-q")
    assert rc == 0, err
    out = path.with_name(path.stem + "_x2.mp4")
    assert video.count_frames(out) == 2 and video.probe(out).audio == ("aac",)


def test_without_ffmpeg(tmp_path: Path, capsys, monkeypatch) -> None:
    clip = make_clip(tmp_path / "clip.mp4", frames=2)
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(tmp_path / "no-ffmpeg"))
    rc, err = run_main(capsys, "upscale", clip, "--scale", "2", "--model", LIIF_MODEL)
    assert rc == 2 and err.count("\n") == 1 and "pip install imageio-ffmpeg" in err, err
    assert {p.name for p in tmp_path.iterdir()} == {"clip.mp4"}


def test_full_disk_is_one_line_and_leaves_nothing(run_inrkit, tmp_path: Path) -> None:
    """RLIMIT_FSIZE holds for ffmpeg too (it inherits it): the first segment cannot be written."""
    clip = make_clip(tmp_path / "clip.mp4", size=(48, 64), frames=8)
    limit = 1500  # bytes: above job.json, below a segment of 8 frames of 96x128

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = run_inrkit(
        "upscale", clip, "--scale", "2", "--model", LIIF_MODEL, timeout=180, preexec_fn=small_files
    )
    assert_one_error(done.returncode, done.stderr, tmp_path / "clip_x2.mp4")
    assert "File too large" in done.stderr, done.stderr
    assert {p.name for p in tmp_path.iterdir()} == {"clip.mp4"}


def test_subprocess_error_is_one_line(run_inrkit, tmp_path: Path) -> None:
    """The same, as users run it: a real process, no traceback."""
    (tmp_path / "notes.mp4").write_text("a shopping list")
    done = run_inrkit(
        "upscale", tmp_path / "notes.mp4", "--scale", "2", "--model", LIIF_MODEL, env=OFFLINE
    )
    assert_one_error(done.returncode, done.stderr, tmp_path / "notes.mp4")


# ----- the Python API: inrkit.liif.video.upscale_video ----------------------------------------
API_REASONS = {"folder.mkv": "is a directory"}  # the command reads a folder as images


@pytest.mark.parametrize("name", list(BAD_VIDEOS))
def test_api_refuses_bad_video_and_leaves_nothing(name: str, tmp_path: Path, edsr_small) -> None:
    from inrkit.liif.video import upscale_video

    make, reason = BAD_VIDEOS[name]
    path = make(tmp_path, name)
    before = {p.name for p in tmp_path.iterdir()}
    with pytest.raises(InrkitError) as err:
        upscale_video(edsr_small, path, tmp_path / "out.mp4", scale=2)
    text = str(err.value)
    assert text.startswith(f"{path}: ") and "\n" not in text, text
    assert API_REASONS.get(name, reason) in text, text
    _nothing_new(tmp_path, before)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"max_frames": 2}, "over the limit"),
        ({"frames": (3, None)}, "starts at frame 3, but the video has 3 frames"),
        ({"frames": (0, 9)}, "ends at frame 9, but the video has 3 frames"),
        ({"frames": (-1, 2)}, "expected START:END frame numbers"),
        ({"max_input_pixels": 100}, "max-input-pixels"),
        ({"max_pixels": 1000}, "more than the"),
        ({"scale": 0.03}, "too small for H.264"),
        ({"scale": None}, "give exactly one of scale, size, width or height"),
        ({"crf": 52}, "crf must be a whole number, 0 to 51"),
        ({"max_frames": 0}, "max_frames must be a whole number"),
        ({"precision": "fp8"}, "precision must be one of"),
    ],
)
def test_api_limits_and_arguments(kwargs: dict, reason: str, tmp_path: Path, edsr_small) -> None:
    from inrkit.liif.video import upscale_video

    clip = make_clip(tmp_path / "clip.mp4", frames=3)
    before = {p.name for p in tmp_path.iterdir()}
    with pytest.raises(InrkitError) as err:
        upscale_video(edsr_small, clip, tmp_path / "out.mp4", **{"scale": 2, **kwargs})
    assert reason in str(err.value) and "\n" not in str(err.value), err.value
    _nothing_new(tmp_path, before)


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        ("out.mkv", "name the output NAME.mp4"),
        ("no-folder/out.mp4", "folder does not exist"),
        ("clip.mp4", "would overwrite the input"),
        ("taken.mp4", "already exists"),
        ("dir.mp4", "is a directory"),
    ],
)
def test_api_refuses_bad_outputs(out: str, reason: str, tmp_path: Path, edsr_small) -> None:
    from inrkit.liif.video import upscale_video

    clip = make_clip(tmp_path / "clip.mp4", frames=2)
    (tmp_path / "taken.mp4").write_bytes(b"mine")
    (tmp_path / "dir.mp4").mkdir()
    before = {p.name for p in tmp_path.iterdir()}
    with pytest.raises(InrkitError, match=reason):
        upscale_video(edsr_small, clip, tmp_path / out, scale=2)
    _nothing_new(tmp_path, before)
    assert (tmp_path / "taken.mp4").read_bytes() == b"mine"
