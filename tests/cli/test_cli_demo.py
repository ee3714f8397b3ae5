"""``inrkit demo`` end to end in a subprocess, with small models in place of the defaults."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "giraffe"))
from giraffe_testlib import TINY, tiny_network  # noqa: E402

from inrkit.data.photos import photo_dir  # noqa: E402
from inrkit.giraffe import save  # noqa: E402
from inrkit.giraffe.model import GiraffeModel  # noqa: E402


def _demo(out: Path, giraffe: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "inrkit", "demo", "--out-dir", str(out), "--scale", "1.5"]
    cmd += ["--model", str(TESTS / "fixtures" / "liif" / "edsr-small.pth")]
    cmd += ["--giraffe-model", str(giraffe), *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


def test_demo_writes_the_pictures_and_gifs_and_never_clobbers(tmp_path: Path) -> None:
    giraffe = save(GiraffeModel(network=tiny_network(), config=TINY), tmp_path / "g.pt")
    out = tmp_path / "demo"
    done = _demo(out, giraffe)
    assert done.returncode == 0, done.stderr
    lr = Image.open(photo_dir() / "chelsea.png")
    with Image.open(out / "liif.png") as sr:
        assert sr.size == (math.floor(lr.width * 1.5 + 0.5), math.floor(lr.height * 1.5 + 0.5))
    for name in ("bicubic.png", "side_by_side.png", "zoom.png"):
        assert (out / name).is_file(), name
    for program in ("object_rotation", "object_translation_horizontal"):
        gif = out / "giraffe" / program / f"{program}.gif"
        with Image.open(gif) as anim:  # (the tiny model's frames may all be alike)
            assert anim.format == "GIF" and anim.size[0] > 32 * 4
        assert str(gif) in done.stdout
    again = _demo(out, giraffe)
    assert again.returncode == 2 and "already exists (use --overwrite)" in again.stderr
    assert _demo(out, giraffe, "--overwrite").returncode == 0
    missing = _demo(tmp_path / "other", tmp_path / "nope.pt")
    assert missing.returncode == 2 and "nope.pt" in missing.stderr
    assert "Traceback" not in missing.stderr and not (tmp_path / "other").exists()
