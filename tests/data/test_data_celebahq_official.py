"""prepare-celebahq gives the official ``scripts/resize.py`` pixels on real CelebA-HQ faces."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inrkit.data.celebahq import SIZES, prepare_celebahq

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "fixtures" / "data"
# The 1024x1024 faces are read from the shared folder beside the project (present in CI).
SHARED_FACES = TESTS.parent.parent / "shared" / "data" / "celebahq-1024"


def test_matches_the_official_resize_script(tmp_path):
    reference = json.loads((FIXTURES / "celebahq-official.json").read_text())["pixels_sha256"]
    if not SHARED_FACES.is_dir():
        pytest.skip(f"the CelebA-HQ faces live in {SHARED_FACES}, not beside this checkout")
    src = tmp_path / "data1024x1024"
    src.mkdir()
    for name in reference:
        jpg = name.replace(".png", ".jpg")
        shutil.copyfile(SHARED_FACES / jpg, src / jpg)
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": [], "val": sorted(reference)}))  # evaluation only
    done = prepare_celebahq(src, tmp_path / "load", split_file=split, progress=False)
    assert (done.written, done.n_train, done.n_val) == (len(reference), 0, len(reference))
    folder = tmp_path / "load" / "celebAHQ"
    for name, digests in reference.items():
        for size in SIZES:
            with Image.open(folder / str(size) / name) as img:
                pixels = np.asarray(img)
                assert (img.mode, pixels.shape) == ("RGB", (size, size, 3))
            assert hashlib.sha256(pixels.tobytes()).hexdigest() == digests[str(size)], (name, size)
    official = np.asarray(Image.open(FIXTURES / "celebahq-official-32-012712.png"))
    assert np.array_equal(np.asarray(Image.open(folder / "32" / "012712.png")), official)
