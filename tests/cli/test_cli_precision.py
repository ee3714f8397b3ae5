"""``--precision`` on the command line: ``inrkit upscale`` (images and videos), ``inrkit giraffe
render`` and ``inrkit serve``; bad values are one line, and where bf16 is not native the
command says so in one line and runs fp32.

The bf16 capability is set by a small wrapper around ``inrkit.cli.main`` (the check returning
True runs the bf16 code on any CPU; False simulates a CPU without bf16)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import inrkit.liif
from inrkit.cli import main, upscale_video
from inrkit.io import read_image
from inrkit.nn import precision

TESTS = Path(__file__).resolve().parents[1]
MODEL = TESTS / "fixtures" / "liif" / "edsr-small.pth"
ENV = {**os.environ, "INRKIT_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
WRAPPER = (
    "import sys; import inrkit.nn.precision as p; p.cpu_has_bf16 = lambda: {native}; "
    "from inrkit.cli import main; sys.exit(main(sys.argv[1:]))"
)


def run_declaring_bf16(cwd: Path, *args: str, native: bool) -> subprocess.CompletedProcess:
    """``inrkit ARGS`` through the wrapper, with bf16 declared ``native``."""
    return subprocess.run(
        [sys.executable, "-c", WRAPPER.format(native=native), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
    )


def noise_png(path: Path, hw: tuple[int, int] = (10, 12)) -> Path:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (*hw, 3), dtype=np.uint8)).save(path)
    return path


def one_line(stderr: str, prefix: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix) and "Traceback" not in stderr, stderr
    return lines[0]


def library(src: Path, native: bool, monkeypatch: pytest.MonkeyPatch, **kw) -> np.ndarray:
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: native)
    out = inrkit.liif.upscale(inrkit.liif.load(MODEL), read_image(src), 2, **kw)
    return np.asarray(out)


def test_upscale_bf16_is_the_library_in_bf16(tmp_path: Path, monkeypatch) -> None:
    src = noise_png(tmp_path / "img.png")
    args = ["upscale", "img.png", "--scale", "2", "--model", str(MODEL), "--precision", "bf16"]
    result = run_declaring_bf16(tmp_path, *args, native=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    written = np.asarray(Image.open(tmp_path / "img_x2.png"))
    assert np.array_equal(written, library(src, True, monkeypatch, precision="bf16"))
    fp32 = library(src, True, monkeypatch)
    assert np.abs(written.astype(int) - fp32).max() <= 2  # levels of 255


def test_upscale_without_bf16_warns_in_one_line_and_runs_fp32(tmp_path: Path, monkeypatch) -> None:
    src = noise_png(tmp_path / "img.png")
    args = ["upscale", "img.png", "--scale", "2", "--model", str(MODEL), "--precision", "bf16"]
    result = run_declaring_bf16(tmp_path, *args, native=False)
    assert result.returncode == 0, result.stderr
    line = one_line(result.stderr, "inrkit: warning: ")
    assert "no native bfloat16" in line and "running in fp32" in line
    written = np.asarray(Image.open(tmp_path / "img_x2.png"))
    assert np.array_equal(written, library(src, False, monkeypatch))


@pytest.mark.parametrize(
    "command",
    [
        ["upscale", "img.png", "--scale", "2"],
        ["giraffe", "render", "--out-dir", "out"],
        ["serve", "--liif-model", "none", "--giraffe-model", "none"],
    ],
    ids=["upscale", "giraffe", "serve"],
)
@pytest.mark.parametrize("bad", ["fp16", "BF16", ""])
def test_bad_precision_is_one_line(
    run_inrkit, tmp_path: Path, command: list[str], bad: str
) -> None:
    noise_png(tmp_path / "img.png")
    result = run_inrkit(*command, "--precision", bad, environ=ENV)
    assert result.returncode == 2
    line = one_line(result.stderr, "inrkit: error: ")
    assert "--precision" in line and "fp32" in line and "bf16" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img.png"]


def test_video_passes_the_precision_to_every_frame(tmp_path: Path, monkeypatch) -> None:
    from testlib.video import make_clip

    make_clip(tmp_path / "clip.mp4", size=(16, 16), frames=3)
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    seen = []
    real = inrkit.liif.upscale

    def spy(*args, **kwargs):
        seen.append(kwargs["precision"])
        return real(*args, **kwargs)

    monkeypatch.setattr(inrkit.liif, "upscale", spy)
    torch.set_num_threads(1)
    argv = ["upscale", str(tmp_path / "clip.mp4"), "--scale", "2", "--model", str(MODEL)]
    assert main([*argv, "--precision", "bf16", "-q"]) == 0
    assert seen == ["bf16"] * 3 and (tmp_path / "clip_x2.mp4").is_file()


def test_video_resume_tells_the_precisions_apart() -> None:
    # A run in bf16 is not resumed in fp32 (or back): the precision is part of the recipe,
    # and only when it is not fp32, so that fp32 work from before the flag still resumes.
    fp32 = upscale_video._model_recipe(str(MODEL), "fp32")
    bf16 = upscale_video._model_recipe(str(MODEL), "bf16")
    assert "precision" not in fp32 and bf16 == {**fp32, "precision": "bf16"}


def test_giraffe_render_in_bf16(tmp_path: Path) -> None:
    args = ["giraffe", "render", "--program", "object_rotation", "--n-samples", "1"]
    args += ["--steps", "2", "--out-dir", "out", "--format", "png", "--precision", "bf16", "-q"]
    result = run_declaring_bf16(tmp_path, *args, native=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert (tmp_path / "out" / "object_rotation" / "object_rotation_0000.png").is_file()
    result = run_declaring_bf16(tmp_path, *args, "--overwrite", native=False)
    assert result.returncode == 0
    assert "running in fp32" in one_line(result.stderr, "inrkit: warning: ")
