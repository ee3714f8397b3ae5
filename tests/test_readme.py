"""The README's commands and Python examples stay true to the code."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from inrkit.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_commands() -> list[list[str]]:
    """Every ``inrkit ...`` line of the README's bash blocks, as argv after ``inrkit``."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            words = shlex.split(line) if line else []
            if words[:1] == ["inrkit"]:
                commands.append(words[1:])
            elif "-m" in words and words[words.index("-m") + 1 : words.index("-m") + 2] == [
                "inrkit"
            ]:
                commands.append(words[words.index("-m") + 2 :])
    return commands


@pytest.mark.parametrize("argv", _readme_commands(), ids=" ".join)
def test_readme_command_lines_parse(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert callable(args.run)


def test_readme_has_commands() -> None:
    assert len(_readme_commands()) >= 15


def test_readme_python_upscale_example(edsr_small_path) -> None:
    import inrkit.liif as liif

    model = liif.load(edsr_small_path)
    photo = Image.fromarray(np.random.default_rng(0).integers(0, 256, (10, 8, 3), np.uint8))
    out = liif.upscale(model, photo, scale=3.5)
    assert out.size == (28, 35)
    arr = liif.upscale(model, np.asarray(photo), size=(17, 9))
    assert arr.shape == (17, 9, 3)
    t = liif.upscale(model, torch.rand(3, 10, 8), scale=(2, 3))
    assert t.shape == (3, 20, 24)
