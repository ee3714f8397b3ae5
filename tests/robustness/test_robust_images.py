"""Bad and awkward image files against ``inrkit.io.read_image``, ``inrkit.liif.upscale``,
``inrkit upscale`` (one file, and many in one call) and ``inrkit data prepare-celebahq``.

Bad files (truncated, corrupt, empty, 0 pixels, decompression bombs, not images, folders)
give exit code 2 and one line naming the file; odd but valid ones (1 pixel, CMYK, 16-bit,
palette, LA, I, non-UTF-8 and 250-byte names) are upscaled to the right size.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from testlib import corpus
from testlib.robustness import LIIF_MODEL, OFFLINE, assert_one_error, run_main

import inrkit.liif as liif
from inrkit.errors import InrkitError
from inrkit.io import read_image


def _outputs(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _untouched_except(tmp_path: Path, before: dict[str, int], out: Path) -> None:
    """Nothing but ``out`` changed under ``tmp_path``."""
    after = {k: v for k, v in corpus.listing(tmp_path).items() if not k.startswith(str(out))}
    assert after == {k: v for k, v in before.items() if not k.startswith(str(out))}


@pytest.mark.parametrize("case", corpus.BAD_IMAGE_CASES)
def test_read_image_refuses(case: str, tmp_path: Path) -> None:
    path = corpus.bad_image(tmp_path, case)
    with pytest.raises(InrkitError, match=path.name):
        read_image(path)


@pytest.mark.parametrize("case", corpus.GOOD_IMAGES)
def test_read_image_accepts_odd_modes(case: str, tmp_path: Path) -> None:
    img = read_image(corpus.good_image(tmp_path, case))
    assert img.size[::-1] == corpus.GOOD_IMAGES[case][2]


@pytest.mark.parametrize("case", corpus.BAD_IMAGE_CASES)
def test_upscale_refuses_bad_image(case: str, tmp_path: Path, capsys) -> None:
    path = corpus.bad_image(tmp_path / "in", case)
    out = tmp_path / "out"
    before = corpus.listing(tmp_path)
    rc, err = run_main(
        capsys, "upscale", path, "--scale", "2", "--model", LIIF_MODEL, "--out-dir", out
    )
    assert_one_error(rc, err, path)
    assert not _outputs(out)
    _untouched_except(tmp_path, before, out)


@pytest.mark.parametrize("case", corpus.GOOD_IMAGES)
def test_upscale_handles_odd_modes(case: str, tmp_path: Path, capsys) -> None:
    path = corpus.good_image(tmp_path / "in", case)
    out = tmp_path / "out" / "x.png"
    out.parent.mkdir()
    rc, err = run_main(
        capsys, "upscale", path, "--scale", "2", "--model", LIIF_MODEL, "-o", out, "-q"
    )
    assert rc == 0, err
    h, w = corpus.GOOD_IMAGES[case][2]
    assert Image.open(out).size == (2 * w, 2 * h)


def test_upscale_api_one_and_zero_pixels() -> None:
    model = liif.load(LIIF_MODEL)
    assert liif.upscale(model, Image.new("RGB", (1, 1), "red"), 3).size == (3, 3)
    with pytest.raises(InrkitError):
        liif.upscale(model, Image.new("RGB", (0, 0)), 2)


def test_upscale_many_bad_files_in_one_call(run_inrkit, tmp_path: Path) -> None:
    """One real subprocess: a line per bad file, a summary, the good ones still written."""
    src = tmp_path / "in"
    bad = [corpus.bad_image(src, c) for c in corpus.BAD_IMAGES]
    good = [corpus.good_image(src, c) for c in corpus.GOOD_IMAGES]
    out = tmp_path / "out"
    before = corpus.listing(tmp_path)
    argv = ["upscale", *bad, *good, "--scale", "2", "--model", LIIF_MODEL, "--out-dir", out, "-q"]
    done = run_inrkit(*argv, env=OFFLINE)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert all(line.startswith("inrkit: error:") for line in lines)
    assert len(lines) == len(bad) + 1
    for path, line in zip(bad, lines, strict=False):
        assert str(path) in line
    assert f"{len(bad)} of {len(bad) + len(good)} images failed" in lines[-1]
    assert sorted(p.name for p in _outputs(out)) == sorted(f"{p.stem}_x2{p.suffix}" for p in good)
    _untouched_except(tmp_path, before, out)


@pytest.mark.parametrize("case", ["non-utf8-name", "long-name"])
def test_upscale_odd_file_names(case: str, tmp_path: Path, capsys) -> None:
    path = corpus.odd_name_image(tmp_path / "in", case)
    out = tmp_path / "out"
    rc, err = run_main(
        capsys, "upscale", path, "--scale", "2", "--model", LIIF_MODEL, "--out-dir", out, "-q"
    )
    assert rc == 0, err
    assert [p.name for p in _outputs(out)] == [f"{path.stem}_x2.png"]


def test_upscale_refuses_output_names_over_255_bytes(tmp_path: Path, capsys) -> None:
    path = corpus.odd_name_image(tmp_path / "in", "long-name")  # 250 bytes
    before = corpus.listing(tmp_path)
    rc, err = run_main(capsys, "upscale", path, "--size", "1080x20", "--model", LIIF_MODEL)
    assert_one_error(rc, err, "longer than 255 bytes")
    assert corpus.listing(tmp_path) == before


@pytest.mark.parametrize("case", ["truncated-png", "huge-png", "text-as-png", "zero-bytes-png"])
def test_prepare_celebahq_refuses_bad_image(case: str, tmp_path: Path, capsys) -> None:
    src = tmp_path / "src"
    good = corpus.write(src, "00000.png", corpus.GOOD_IMAGES["one-pixel"][1]())
    bad = corpus.bad_image(src, case)
    root = tmp_path / "root"
    before = corpus.listing(tmp_path)
    rc, err = run_main(capsys, "data", "prepare-celebahq", src, "--root", root, "-q")
    assert_one_error(rc, err, bad.name)
    assert good.exists()
    _untouched_except(tmp_path, before, root)


FOLDER_CASES = ["truncated-png", "huge-png", "text-as-png", "zero-bytes-png", "corrupt-webp"]


@pytest.mark.parametrize("command", ["liif-eval", "liif-test"])
@pytest.mark.parametrize("case", FOLDER_CASES)
def test_liif_evaluation_refuses_bad_image_in_folder(
    case: str, command: str, tmp_path: Path, capsys
) -> None:
    hr = tmp_path / "hr"
    corpus.write(hr, "a.png", corpus._encoded("PNG", corpus._rgb(48, 48)))  # big enough for SSIM
    bad = corpus.bad_image(hr, case)
    if command == "liif-eval":
        argv = ["liif", "eval", "--dataset", hr, "--scale", "2", "--model", LIIF_MODEL]
        argv += ["--json", tmp_path / "out" / "r.json"]
    else:
        cfg = corpus.yaml_dump(tmp_path, "test.yaml", corpus.liif_test_config(hr))
        argv = ["liif", "test", cfg, "--model", LIIF_MODEL]
    before = corpus.listing(tmp_path)
    rc, err = run_main(capsys, *argv)
    assert_one_error(rc, err, bad.name)
    _untouched_except(tmp_path, before, tmp_path / "out")
    assert not _outputs(tmp_path / "out")
