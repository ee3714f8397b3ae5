"""Small test images made in memory, and the one-line error check of ``inrkit.io``'s readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inrkit.errors import InrkitError

RNG = np.random.default_rng(0)


def assert_one_line_error(excinfo: pytest.ExceptionInfo[InrkitError], path: Path) -> str:
    """The house style: one line that names the file."""
    message = str(excinfo.value)
    assert "\n" not in message
    assert path.name in message
    return message


def random_image(mode: str, size: tuple[int, int] = (7, 5)) -> Image.Image:
    """A small image with random pixels in ``mode`` (size is (W, H))."""
    width, height = size
    if mode == "I;16":
        return Image.fromarray(RNG.integers(0, 65536, (height, width), dtype=np.uint16))
    bands = len(Image.new(mode, (1, 1)).getbands())
    data = RNG.integers(0, 256, (height, width, bands), dtype=np.uint8)
    return Image.fromarray(data[..., 0] if bands == 1 else data).convert(mode)
