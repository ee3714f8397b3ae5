"""``inrkit upscale`` run as a real subprocess on real files, with the tiny edsr-small model.

Every bad input must end as one line ``inrkit: error: ...`` naming the file or flag, exit code
2, no traceback, and nothing new in the folder.
"""

from __future__ import annotations

import math
import os
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import inrkit.liif
from inrkit.cli import flags, main
from inrkit.cli import upscale as upscale_cli
from inrkit.io import read_image

MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "liif" / "edsr-small.pth"
RNG = np.random.default_rng(0)


WITH_MODEL = ("--model", str(MODEL))  # appended to the command lines that upscale
OFFLINE = {"INRKIT_OFFLINE": "1"}  # added to the environment of every command run here


def listing(folder: Path) -> list[str]:
    """Every name under ``folder``, hidden temporary files included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def assert_user_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2 and exactly one stderr line in the house style that mentions every needle."""
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("inrkit: error: "), lines[0]
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def rgb_png(path: Path, size: tuple[int, int] = (12, 10)) -> Path:
    """Random RGB noise of ``size`` = (W, H) saved at ``path``."""
    w, h = size
    Image.fromarray(RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
    return path


def half_up(x: float) -> int:
    return math.floor(x + 0.5)


# ----- success -------------------------------------------------------------------------------
def test_scale_2_matches_the_library(run_inrkit, tmp_path: Path) -> None:
    src = rgb_png(tmp_path / "img.png")
    result = run_inrkit("upscale", "img.png", "--scale", "2", *WITH_MODEL, env=OFFLINE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "wrote img_x2.png (20x24)\n"
    assert result.stderr == ""
    out = Image.open(tmp_path / "img_x2.png")
    assert (out.format, out.mode, out.size) == ("PNG", "RGB", (24, 20))
    expected = inrkit.liif.upscale(inrkit.liif.load(MODEL), read_image(src), 2)
    diff = np.abs(np.asarray(out, np.int16) - np.asarray(expected, np.int16))
    assert diff.max() <= 1


@pytest.mark.parametrize(
    ("flags", "in_size", "name", "out_size"),
    [
        (["--size", "7x9"], (12, 10), "img_7x9.png", (9, 7)),  # height first
        (["--width", "3"], (12, 10), "img_w3.png", (3, 3)),  # 10 * 3 / 12 = 2.5 -> 3
        (["--height", "5"], (12, 10), "img_h5.png", (6, 5)),
        (["--scale", "2,3"], (12, 10), "img_x2x3.png", (36, 20)),  # rows x2, columns x3
        (["--scale", "1.5"], (13, 11), "img_x1.5.png", (half_up(13 * 1.5), half_up(11 * 1.5))),
    ],
)
def test_size_options(
    run_inrkit,
    tmp_path: Path,
    flags: list[str],
    in_size: tuple[int, int],
    name: str,
    out_size: tuple[int, int],
) -> None:
    rgb_png(tmp_path / "img.png", in_size)
    result = run_inrkit("upscale", "img.png", *flags, *WITH_MODEL, env=OFFLINE)
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / name).size == out_size
    assert result.stdout == f"wrote {name} ({out_size[1]}x{out_size[0]})\n"


def test_folder_to_out_dir_keeps_formats(run_inrkit, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    rgb_png(folder / "a.png")
    Image.fromarray(RNG.integers(0, 256, (10, 12, 3), dtype=np.uint8)).save(folder / "b.jpg")
    Image.new("RGB", (12, 10)).save(folder / "c.bmp")
    (folder / "notes.txt").write_text("not an image")  # skipped: not an image extension
    result = run_inrkit(
        "upscale", "photos", "--scale", "2", "--out-dir", "out/x2", *WITH_MODEL, env=OFFLINE
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
    expected = {"a_x2.png": "PNG", "b_x2.jpg": "JPEG", "c_x2.bmp": "BMP"}
    assert sorted(os.listdir(tmp_path / "out" / "x2")) == sorted(expected)
    for name, fmt in expected.items():
        out = Image.open(tmp_path / "out" / "x2" / name)
        assert (out.format, out.size) == (fmt, (24, 20))


def test_modes_alpha_gray_palette_16bit_and_exif(run_inrkit, tmp_path: Path) -> None:
    h, w = 10, 12
    half = np.zeros((h, w), np.uint8)
    half[:, w // 2 :] = 255  # left half transparent
    rgba = np.dstack([RNG.integers(0, 256, (h, w, 3), dtype=np.uint8), half])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    Image.fromarray(RNG.integers(0, 256, (h, w), dtype=np.uint8), "L").save(tmp_path / "gray.png")
    pal = Image.fromarray((half // 255).astype(np.uint8), "P")
    pal.putpalette([0, 0, 0, 200, 30, 30])
    pal.save(tmp_path / "pal.png", transparency=0)  # index 0 (left half) is transparent
    Image.fromarray(RNG.integers(0, 65536, (h, w), dtype=np.uint16)).save(tmp_path / "deep.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
    Image.new("RGB", (w, h), (200, 40, 40)).save(tmp_path / "rot.jpg", exif=exif.tobytes())
    names = ["rgba.png", "gray.png", "pal.png", "deep.png", "rot.jpg"]
    result = run_inrkit(
        "upscale", *names, "--scale", "2", "--out-dir", "out", *WITH_MODEL, env=OFFLINE
    )
    assert result.returncode == 0, result.stderr

    def out(name: str) -> Image.Image:
        return Image.open(tmp_path / "out" / name)

    for name in ("rgba_x2.png", "pal_x2.png"):
        alpha = np.asarray(out(name).getchannel("A"))
        assert out(name).mode == "RGBA"
        assert alpha[:, :4].max() == 0 and alpha[:, -4:].min() == 255
    assert out("gray_x2.png").mode == "L"
    assert Image.open(tmp_path / "deep.png").mode == "I;16"
    assert out("deep_x2.png").mode == "I;16" and np.asarray(out("deep_x2.png")).max() > 255
    assert out("rot_x2.jpg").size == (2 * h, 2 * w)  # (W, H) of the upright image, doubled
    assert all(out(f"{Path(n).stem}_x2{Path(n).suffix}").size[0] > 0 for n in names)


def test_version_and_help(run_inrkit, tmp_path: Path) -> None:
    version = run_inrkit("--version", env=OFFLINE)
    assert (version.returncode, version.stdout.strip()) == (0, f"inrkit {inrkit.__version__}")
    helped = run_inrkit("upscale", "--help", env=OFFLINE)
    assert helped.returncode == 0
    assert "HxW" in helped.stdout and "--max-input-pixels" in helped.stdout


def test_several_inputs_one_bad_the_others_are_written(run_inrkit, tmp_path: Path) -> None:
    rgb_png(tmp_path / "a.png")
    (tmp_path / "b.png").write_text("hello")
    rgb_png(tmp_path / "c.png")
    result = run_inrkit(
        "upscale", "a.png", "b.png", "c.png", "--width", "6", "-q", *WITH_MODEL, env=OFFLINE
    )
    assert result.returncode == 2
    assert result.stdout == ""  # --quiet
    errors = result.stderr.splitlines()
    assert len(errors) == 2 and "b.png" in errors[0] and "1 of 3" in errors[1]
    assert all(line.startswith("inrkit: error: ") for line in errors)
    assert sorted(os.listdir(tmp_path)) == ["a.png", "a_w6.png", "b.png", "c.png", "c_w6.png"]


# ----- refusals ------------------------------------------------------------------------------
def bomb_png() -> bytes:
    """A PNG header declaring 100000 x 100000 pixels, with no pixel data at all."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


class WritesMarker:
    """Unpickling this would create a file: proof that a checkpoint ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.marker), "w")


def truncated_png(path: Path) -> None:
    rgb_png(path, (40, 30))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (None, "missing.png"),
        (lambda p: p.write_text("just some text"), "img.png"),
        (truncated_png, "img.png"),
        (lambda p: p.write_bytes(bomb_png()), "img.png"),
    ],
    ids=["missing", "not-an-image", "truncated", "decompression-bomb"],
)
def test_bad_input_files(run_inrkit, tmp_path: Path, make: object, needle: str) -> None:
    name = "missing.png"
    if make is not None:
        name = "img.png"
        make(tmp_path / name)  # type: ignore[operator]
    before = listing(tmp_path)
    result = run_inrkit("upscale", name, "--scale", "2", *WITH_MODEL, env=OFFLINE)
    assert_user_error(result, needle)
    assert listing(tmp_path) == before


@pytest.mark.parametrize("value", ["0", "-2", "nan", "inf", "abc", "2,3,4"])
def test_bad_scale(run_inrkit, tmp_path: Path, value: str) -> None:
    rgb_png(tmp_path / "img.png")
    result = run_inrkit("upscale", "img.png", "--scale", value, *WITH_MODEL, env=OFFLINE)
    assert_user_error(result, "--scale")
    assert listing(tmp_path) == ["img.png"]


@pytest.mark.parametrize(
    ("flags", "needles"),
    [
        ([], ["--scale", "required"]),
        (["--scale", "2", "--size", "4x4"], ["--size", "--scale"]),
        (["--size", "10"], ["--size", "HxW"]),
        (["img2.png", "--scale", "2", "-o", "x.png"], ["-o", "2"]),
        (["--scale", "2", "-o", "img.png", "--overwrite"], ["img.png", "overwrite the input"]),
        (["--width", "0"], ["--width"]),
    ],
    ids=["no-size", "two-sizes", "bad-size", "o-with-two", "o-is-input", "zero-width"],
)
def test_bad_command_lines(
    run_inrkit, tmp_path: Path, flags: list[str], needles: list[str]
) -> None:
    rgb_png(tmp_path / "img.png")
    rgb_png(tmp_path / "img2.png")
    result = run_inrkit("upscale", "img.png", *flags, *WITH_MODEL, env=OFFLINE)
    assert_user_error(result, *needles)
    assert listing(tmp_path) == ["img.png", "img2.png"]


def test_two_inputs_one_output_name(run_inrkit, tmp_path: Path) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        rgb_png(tmp_path / sub / "img.png")
    result = run_inrkit(
        "upscale", "a/img.png", "b", "--scale", "2", "--out-dir", "out", *WITH_MODEL, env=OFFLINE
    )
    assert_user_error(result, "img_x2.png")
    assert not (tmp_path / "out").exists()


def test_output_over_max_pixels(run_inrkit, tmp_path: Path) -> None:
    rgb_png(tmp_path / "img.png")
    result = run_inrkit(
        "upscale", "img.png", "--scale", "2", "--max-pixels", "100", *WITH_MODEL, env=OFFLINE
    )
    assert_user_error(result, "img.png", "--max-pixels")
    assert listing(tmp_path) == ["img.png"]


def test_existing_output_needs_overwrite(run_inrkit, tmp_path: Path) -> None:
    rgb_png(tmp_path / "img.png")
    (tmp_path / "img_x2.png").write_bytes(b"precious")
    result = run_inrkit("upscale", "img.png", "--scale", "2", *WITH_MODEL, env=OFFLINE)
    assert_user_error(result, "img_x2.png", "--overwrite")
    assert (tmp_path / "img_x2.png").read_bytes() == b"precious"
    assert listing(tmp_path) == ["img.png", "img_x2.png"]

    result = run_inrkit(
        "upscale", "img.png", "--scale", "2", "--overwrite", *WITH_MODEL, env=OFFLINE
    )
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / "img_x2.png").size == (24, 20)
    assert listing(tmp_path) == ["img.png", "img_x2.png"]


def not_liif(path: Path) -> None:
    torch.save({"foo": 1}, path)


def truncated_checkpoint(path: Path) -> None:
    data = MODEL.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def pickled_code(path: Path) -> None:
    torch.save({"model": WritesMarker(path.parent / "marker")}, path)


@pytest.mark.parametrize("make", [not_liif, truncated_checkpoint, pickled_code])
def test_bad_checkpoints(run_inrkit, tmp_path: Path, make: object) -> None:
    rgb_png(tmp_path / "img.png")
    make(tmp_path / "model.pth")  # type: ignore[operator]
    result = run_inrkit("upscale", "img.png", "--scale", "2", "--model", "model.pth", env=OFFLINE)
    assert_user_error(result, "model.pth")
    assert listing(tmp_path) == ["img.png", "model.pth"]  # no marker, no output


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_device_cuda_without_cuda(run_inrkit, tmp_path: Path) -> None:
    rgb_png(tmp_path / "img.png")
    result = run_inrkit(
        "upscale", "img.png", "--scale", "2", "--device", "cuda", *WITH_MODEL, env=OFFLINE
    )
    assert_user_error(result, "--device cuda")
    assert listing(tmp_path) == ["img.png"]


# ----- in-process: fast checks of the same code ---------------------------------------------
def test_main_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rgb_png(tmp_path / "img.png")
    out = tmp_path / "big.webp"
    code = main(
        [
            "upscale",
            str(tmp_path / "img.png"),
            "--size",
            "15x16",
            "-o",
            str(out),
            "--model",
            str(MODEL),
            "--tile",
            "4",
            "--chunk",
            "7",
        ]
    )
    assert code == 0
    assert Image.open(out).size == (16, 15)
    assert capsys.readouterr().out == f"wrote {out} (15x16)\n"

    assert main(["upscale", str(tmp_path / "nope.png"), "--scale", "2"]) == 2
    assert capsys.readouterr().err == f"inrkit: error: {tmp_path / 'nope.png'}: no such file\n"
    assert main([]) == 2
    assert "upscale" in capsys.readouterr().err


def test_parsers() -> None:
    assert flags.parse_scale("4") == 4.0
    assert flags.parse_scale("2,3") == (2.0, 3.0)
    assert flags.parse_scale("2.5,2.5") == 2.5
    assert flags.parse_size("1080x1920") == (1080, 1920)


@pytest.mark.parametrize(
    ("exc", "code", "message"),
    [
        (KeyboardInterrupt, 130, "inrkit: interrupted\n"),
        (MemoryError, 2, "inrkit: error: out of memory (try a smaller --tile or --chunk)\n"),
    ],
)
def test_main_interrupt_and_out_of_memory(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    exc: type[BaseException],
    code: int,
    message: str,
) -> None:
    def fail(args: object) -> None:
        raise exc

    monkeypatch.setattr(upscale_cli, "plan", fail)
    assert main(["upscale", "x.png", "--scale", "2"]) == code
    assert capsys.readouterr().err == message
