"""What the robustness tests share: the tiny LIIF file, the command's environment, the CLI run
in-process, the one-line check (the subprocess runs use the ``run_inrkit`` fixture)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
LIIF_MODEL = TESTS / "fixtures" / "liif" / "edsr-small.pth"

OFFLINE = {"INRKIT_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
"""The environment ``run_inrkit`` adds for the command as users run it: offline, one thread."""


def run_main(capsys, *args: str | Path) -> tuple[int, str]:
    """``inrkit ARGS`` in-process (the same code as the command, minus the interpreter start):
    (exit code, stderr). An exception that escapes ``main`` is the traceback a user would see,
    and fails the test."""
    from inrkit.cli import main

    capsys.readouterr()
    rc = main([str(a) for a in args])
    return rc, capsys.readouterr().err


def assert_one_error(rc: int, stderr: str, names: str | Path) -> None:
    """Exit code 2 and exactly one ``inrkit: error:`` line that names the file."""
    lines = stderr.strip().splitlines()
    assert rc == 2, stderr
    assert "Traceback" not in stderr
    assert len(lines) == 1 and lines[0].startswith("inrkit: error:"), stderr
    assert str(names) in lines[0], (names, lines[0])
