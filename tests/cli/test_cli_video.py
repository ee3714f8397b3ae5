"""``inrkit upscale clip.mp4`` as a real subprocess on tiny clips made with the bundled ffmpeg:
sizes, rate, aspect, audio, frames against per-image LIIF, kills and --resume, and the
one-line errors.

The model is the tiny edsr-small fixture started as bilinear interpolation
(``inrkit.liif.init``): fast, and its output follows its input closely, so a wrong or shifted
frame shows (the random edsr-small alone gives nearly the same output for any frame)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from testlib.video import make_clip, packets

import inrkit.io.video_read as video
import inrkit.liif
from inrkit.io.video_job import work_folder
from inrkit.io.video_write import Mp4Writer
from inrkit.liif.init import interpolating_init

EDSR_SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "liif" / "edsr-small.pth"
ENV = {**os.environ, "INRKIT_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
MODEL = Path()  # set by the fixture below, once per module


@pytest.fixture(scope="module", autouse=True)
def interpolating_model(tmp_path_factory) -> Path:
    global MODEL
    model = inrkit.liif.load(EDSR_SMALL)
    interpolating_init(model)
    MODEL = inrkit.liif.save(model, tmp_path_factory.mktemp("model") / "bilinear-small.pth")
    return MODEL


def upscale(*args: str | Path) -> list[str]:
    """The arguments of ``inrkit upscale ARGS --model bilinear-small.pth``; run them with
    ``run_inrkit(*upscale(...), environ=ENV)`` (one thread, offline)."""
    return ["upscale", *map(str, args), "--model", str(MODEL)]


def assert_user_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("inrkit: error: ") and "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def names(folder: Path) -> list[str]:
    """Every name in ``folder``, hidden work folders and temporaries included."""
    return sorted(p.name for p in folder.iterdir())


# ----- what comes out ------------------------------------------------------------------------
def _mean_error(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return float(np.abs(np.stack(a).astype(float) - np.stack(b)).mean())


def test_x2_keeps_rate_audio_and_matches_per_image_liif(run_inrkit, tmp_path: Path) -> None:
    """Every frame is inrkit.liif.upscale of the decoded input frame, up to what H.264 itself
    does to those frames. On this saturated 64x48 pattern yuv420p's halved colour planes cost
    a lot: the expected frames encoded alone (CRF 18, in one piece) decode back with a mean
    error of 5.2 levels of 255 (CRF 0: 4.7); the command's output (5.35 here) must be within
    0.5 of that, and each frame nearest its own expected frame (neighbours are ~10 away).
    The audio packets are the input's, bit for bit."""
    clip = make_clip(tmp_path / "clip.mp4", size=(24, 32), frames=7, fps="10", audio=True)
    result = run_inrkit(*upscale("clip.mp4", "--scale", "2", "--segment-frames", "3"), environ=ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "wrote clip_x2.mp4 (48x64, 7 frames at 10 fps, audio copied)\n"
    out = tmp_path / "clip_x2.mp4"
    assert names(tmp_path) == ["clip.mp4", "clip_x2.mp4"]  # the work folder is gone
    info = video.probe(out)
    assert (info.height, info.width, info.fps, info.sar, info.audio) == (48, 64, 10, 1, ("aac",))
    assert packets(out, "a") == packets(clip, "a")
    model = inrkit.liif.load(MODEL)
    expected = [inrkit.liif.upscale(model, f, size=(48, 64)) for f in video.read_frames(clip)]
    with Mp4Writer(tmp_path / "alone.mp4", (48, 64), 10, b_frames=False) as alone:
        for frame in expected:
            alone.write(frame)
    encoded = video.read_frames(tmp_path / "alone.mp4")
    got = video.read_frames(out)
    assert len(got) == 7
    assert _mean_error(got, expected) < _mean_error(encoded, expected) + 0.5
    for i, frame in enumerate(got):  # each frame is nearest its own expected frame
        errors = [_mean_error([frame], [e]) for e in expected]
        assert np.argmin(errors) == i, errors


@pytest.mark.parametrize(
    ("flags", "name", "size"),
    [
        (["--size", "30x50"], "clip_30x50.mp4", (30, 50)),
        (["--width", "45"], "clip_w45.mp4", (34, 44)),  # 33.75 -> 34 x 45 -> 44 (even)
        (["--height", "37"], "clip_h37.mp4", (36, 48)),  # 37 x 49.33 -> 36 x 48
        (["--scale", "1.5,2"], "clip_x1.5x2.mp4", (36, 64)),
    ],
)
def test_size_flags_round_odd_sides_down(
    run_inrkit, tmp_path: Path, flags: list[str], name: str, size: tuple[int, int]
) -> None:
    make_clip(tmp_path / "clip.mp4", size=(24, 32), frames=2)
    result = run_inrkit(*upscale("clip.mp4", *flags, "-q"), environ=ENV)
    assert result.returncode == 0 and result.stdout == "", result.stderr
    info = video.probe(tmp_path / name)
    assert (info.height, info.width) == size


def test_frame_range_rate_aspect_and_no_audio(run_inrkit, tmp_path: Path) -> None:
    make_clip(
        tmp_path / "clip.mkv", size=(24, 32), frames=9, fps="30000/1001", sar="4/3", audio=True
    )
    out = tmp_path / "up" / "part.mp4"
    (tmp_path / "up").mkdir()
    result = run_inrkit(
        *upscale("clip.mkv", "--scale", "2", "--frames", "2:7", "-o", out), environ=ENV
    )
    assert result.returncode == 0, result.stderr
    info = video.probe(out)
    assert (info.fps, info.sar, video.count_frames(out)) == (
        Fraction(30000, 1001),
        Fraction(4, 3),
        5,
    )
    assert info.audio == ("aac",) and info.duration == pytest.approx(5 * 1001 / 30000, abs=0.07)
    full = video.read_frames(tmp_path / "clip.mkv")
    model = inrkit.liif.load(MODEL)
    first = video.read_frames(out)[0]
    errors = [_mean_error([first], [inrkit.liif.upscale(model, f, size=(48, 64))]) for f in full]
    assert np.argmin(errors) == 2, errors  # the range starts at frame 2
    result = run_inrkit(
        *upscale("clip.mkv", "--scale", "2", "--no-audio", "--crf", "30", "-q"), environ=ENV
    )
    assert result.returncode == 0, result.stderr
    assert video.probe(tmp_path / "clip_x2.mp4").audio == ()


# ----- interruptions -------------------------------------------------------------------------
def _default_sigint() -> None:
    """Ctrl+C as a terminal sends it: a test run in the background of a script inherits SIGINT
    ignored (POSIX shells do that to background jobs), and Python then never raises
    KeyboardInterrupt, so the job would run to the end."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _kill_after_segments(cwd: Path, args: list[str], segments: int, sig: int) -> tuple[int, str]:
    """Start the command and send ``sig`` once ``segments`` segments are finished."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "inrkit", *upscale(*args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        preexec_fn=_default_sigint,
    )
    work = work_folder(cwd / "clip_x2.mp4")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if work.is_dir() and len(list(work.glob("seg_*.mp4"))) >= segments:
            proc.send_signal(sig)
            break
        time.sleep(0.005)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_interrupted_run_resumes_to_the_same_file(run_inrkit, tmp_path: Path, sig: int) -> None:
    """A kill (or Ctrl+C) mid-way leaves no output and its finished segments; --resume makes
    the same bytes as a run that was never stopped."""
    make_clip(tmp_path / "clip.mp4", size=(24, 32), frames=40, audio=True)
    args = ["clip.mp4", "--scale", "2", "--segment-frames", "4"]
    code, err = _kill_after_segments(tmp_path, args, 2, sig)
    assert code == (-signal.SIGKILL if sig == signal.SIGKILL else 130), err
    if sig == signal.SIGINT:
        assert "rerun with --resume" in err and "Traceback" not in err
    assert not (tmp_path / "clip_x2.mp4").exists()
    work = work_folder(tmp_path / "clip_x2.mp4")
    kept = sorted(p.name for p in work.glob("seg_*.mp4"))
    assert 2 <= len(kept) < 10, kept

    again = run_inrkit(*upscale(*args), environ=ENV)  # without --resume: refused, nothing touched
    assert_user_error(again, "interrupted run", "--resume")
    assert sorted(p.name for p in work.glob("seg_*.mp4")) == kept
    assert_user_error(
        run_inrkit(*upscale(*args, "--resume", "--crf", "20"), environ=ENV), "crf was 18, now 20"
    )

    resumed = run_inrkit(*upscale(*args, "--resume"), environ=ENV)
    assert resumed.returncode == 0, resumed.stderr
    assert names(tmp_path) == ["clip.mp4", "clip_x2.mp4"]
    os.replace(tmp_path / "clip_x2.mp4", tmp_path / "resumed.mp4")
    assert run_inrkit(*upscale(*args), environ=ENV).returncode == 0
    assert (tmp_path / "clip_x2.mp4").read_bytes() == (tmp_path / "resumed.mp4").read_bytes()


def test_overwrite_starts_interrupted_work_over(run_inrkit, tmp_path: Path) -> None:
    make_clip(tmp_path / "clip.mp4", frames=12)
    args = ["clip.mp4", "--scale", "2", "--segment-frames", "2"]
    _kill_after_segments(tmp_path, args, 1, signal.SIGKILL)
    result = run_inrkit(*upscale(*args, "--crf", "25", "--overwrite"), environ=ENV)
    assert result.returncode == 0, result.stderr
    assert names(tmp_path) == ["clip.mp4", "clip_x2.mp4"]


# ----- refusals ------------------------------------------------------------------------------
def test_refusals_are_one_line_and_leave_nothing(run_inrkit, tmp_path: Path) -> None:
    make_clip(tmp_path / "clip.mp4", frames=3)
    (tmp_path / "photo.png").write_bytes(b"")
    (tmp_path / "clip_x2.mp4").write_bytes(b"mine")
    cases = [
        (["clip.mp4", "--scale", "2"], ["clip_x2.mp4", "already exists"]),
        (["clip.mp4", "photo.png", "--scale", "2"], ["clip.mp4", "on its own"]),
        (["clip.mp4", "--scale", "2", "-o", "out.mkv"], ["out.mkv", "NAME.mp4"]),
        (["clip.mp4", "--scale", "2", "-o", "clip.mp4"], ["would overwrite the input"]),
        (["photo.png", "--scale", "2", "--crf", "20"], ["--crf applies to video inputs only"]),
        (["clip.mp4", "--scale", "2", "-o", "o.mp4", "--frames", "1:9"], ["has 3 frames"]),
        (["clip.mp4", "--scale", "2", "-o", "o.mp4", "--max-frames", "2"], ["--max-frames"]),
        (["clip.mp4", "--scale", "2", "-o", "o.mp4", "--max-pixels", "100"], ["more than the"]),
        (["clip.mp4", "--scale", "2", "-o", "o.mp4", "--max-input-pixels", "10"], ["24 = 768"]),
        (["clip.mp4", "--scale", "0.03", "-o", "o.mp4"], ["too small for H.264"]),
        (["clip.mp4", "--scale", "2", "--frames", "5:2"], ["END must be after START"]),
        (["clip.mp4", "--scale", "2", "--crf", "52"], ["0 (lossless) to 51"]),
    ]
    for args, needles in cases:
        assert_user_error(run_inrkit(*upscale(*args), environ=ENV), *needles)
    assert names(tmp_path) == ["clip.mp4", "clip_x2.mp4", "photo.png"]
    assert (tmp_path / "clip_x2.mp4").read_bytes() == b"mine"
    result = run_inrkit(*upscale("clip.mp4", "--scale", "2", "--overwrite", "-q"), environ=ENV)
    assert result.returncode == 0 and video.count_frames(tmp_path / "clip_x2.mp4") == 3


def test_help_says_how_odd_sizes_round(run_inrkit) -> None:
    out = run_inrkit("upscale", "--help").stdout
    assert "rounded down" in " ".join(out.split()) and "--resume" in out
