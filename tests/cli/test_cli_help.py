"""``--help`` stays fast: the command line builds every parser without importing torch.

The package ``__init__``s are lazy (PEP 562), so the CLI reads the constants it shows (presets,
eval sets, precisions, tile sizes) from the torch-free modules that define them.
"""

from __future__ import annotations

import pytest

HEAVY = ("torch", "fastapi", "uvicorn")


@pytest.mark.parametrize(
    "command",
    [
        (),
        ("upscale",),
        ("liif", "eval"),
        ("liif", "study"),
        ("giraffe", "render"),
        ("giraffe", "eval"),
        ("data", "scenes"),
        ("models",),
        ("serve",),
    ],
    ids=lambda command: " ".join(command) or "inrkit",
)
def test_help_imports_no_torch(run_inrkit, command: tuple[str, ...]) -> None:
    result = run_inrkit(*command, "--help", python=("-X", "importtime"), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage: inrkit" in result.stdout
    # -X importtime writes one "import time: self | cumulative | name" line per module.
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "inrkit.cli" in imported
    heavy = sorted(m for m in imported if m.split(".")[0] in HEAVY)
    assert not heavy, f"--help imported {heavy[:5]}"
