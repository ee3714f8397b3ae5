"""``inrkit demo`` end to end in a subprocess, with small models in place of the defaults."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from PIL import Image

from inrkit.data.photos import photo_dir

TESTS = Path(__file__).resolve().parents[1]

SHARED_EDSR = TESTS.parent.parent / "shared" / "weights" / "liif" / "edsr-baseline-liif.pth"


def _demo(out: Path, giraffe: Path, *extra: str) -> list[str]:
    """The arguments of ``inrkit demo`` with the small models in place of the defaults."""
    cmd = ["demo", "--out-dir", str(out), "--scale", "1.5"]
    cmd += ["--model", str(TESTS / "fixtures" / "liif" / "edsr-small.pth")]
    return [*cmd, "--giraffe-model", str(giraffe), *extra]


def test_demo_writes_the_pictures_and_gifs_and_never_clobbers(
    run_inrkit, giraffe_ckpt: Path, tmp_path: Path
) -> None:
    giraffe, out, cache = giraffe_ckpt, tmp_path / "demo", tmp_path / "cache"
    # Offline with an empty cache: the official model is fetched only if a test put it there.
    env = {"OMP_NUM_THREADS": "1", "INRKIT_OFFLINE": "1", "INRKIT_CACHE_DIR": str(cache)}
    done = run_inrkit(*_demo(out, giraffe), env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    # The official model cannot be fetched offline: one line says so, and the demo goes on.
    assert done.stderr.startswith("inrkit demo: going on without the official model: edsr-b")
    assert len(done.stderr.splitlines()) == 1 and "INRKIT_OFFLINE" in done.stderr
    hr = Image.open(photo_dir() / "chelsea.png")
    with Image.open(out / "input.png") as lr:  # downsampled by 1.5, then upscaled back
        assert lr.size == (round(hr.width / 1.5), round(hr.height / 1.5))
    for name in ("liif.png", "bicubic.png"):
        with Image.open(out / name) as img:
            assert img.size == hr.size
    assert (out / "side_by_side.png").is_file() and (out / "zoom.png").is_file()
    assert not (out / "official.png").exists()
    psnr = [float(v) for v in re.findall(r"(\d+\.\d\d) dB", done.stdout)]
    assert len(psnr) == 2 and psnr[0] > 25  # bicubic; the small test model is untrained
    for program in ("object_rotation", "object_translation_horizontal"):
        gif = out / "giraffe" / program / f"{program}.gif"
        with Image.open(gif) as anim:  # (the tiny model's frames may all be alike)
            assert anim.format == "GIF" and anim.size[0] > 32 * 4
        assert str(gif) in done.stdout
    again = run_inrkit(*_demo(out, giraffe), env=env, timeout=600)
    assert again.returncode == 2 and "already exists (use --overwrite)" in again.stderr
    if SHARED_EDSR.is_file():  # the official model, as a cached file: the third panel
        (cache / "liif").mkdir(parents=True)
        shutil.copy(SHARED_EDSR, cache / "liif" / "edsr-baseline-liif.pth")
    done = run_inrkit(*_demo(out, giraffe, "--overwrite"), env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    if SHARED_EDSR.is_file():
        assert done.stderr == "" and "official edsr-baseline-liif" in done.stdout
        with Image.open(out / "official.png") as img:
            assert img.size == hr.size
        official = float(re.search(r"official edsr-baseline-liif (\d+\.\d\d) dB", done.stdout)[1])
        bicubic = float(re.search(r"bicubic (\d+\.\d\d) dB", done.stdout)[1])
        assert official > bicubic + 0.3  # the trained model beats bicubic on a photo
    missing = run_inrkit(*_demo(tmp_path / "other", tmp_path / "nope.pt"), env=env, timeout=600)
    assert missing.returncode == 2 and "nope.pt" in missing.stderr
    assert "Traceback" not in missing.stderr and not (tmp_path / "other").exists()
