"""``inrkit giraffe render``: in-process through the module's add_parser/run, and as a real
subprocess once the command group is registered in ``inrkit.cli``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from testlib.giraffe import TINY, tiny_network

import inrkit.cli
import inrkit.giraffe as giraffe
import inrkit.io.video
from inrkit.cli import giraffe as giraffe_cli
from inrkit.cli.flags import ArgumentParser
from inrkit.errors import InrkitError
from inrkit.giraffe import programs
from inrkit.giraffe.model import GiraffeModel


def run_cli(*argv: str) -> tuple[int, str]:
    """Parse and run like ``inrkit.cli.main`` with only our group; (exit code, error line)."""
    parser = ArgumentParser(prog="inrkit")
    giraffe_cli.add_parser(parser.add_subparsers(dest="command"))
    try:
        args = parser.parse_args(list(argv))
        return args.run(args), ""
    except InrkitError as e:
        return e.exit_code, f"inrkit: error: {e}"


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    return giraffe.save(GiraffeModel(network=tiny_network(), config=TINY), path)


def test_cli_names_match_the_library() -> None:
    assert giraffe_cli.PROGRAMS == tuple(programs.PROGRAMS)
    assert giraffe_cli.ALIASES == programs.ALIASES
    assert (giraffe_cli.MAX_SAMPLES, giraffe_cli.MAX_STEPS) == (
        programs.MAX_SAMPLES,
        programs.MAX_STEPS,
    )


def test_render_writes_gif_and_strips_and_respects_overwrite(
    tiny_ckpt: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "out"
    argv = [
        "giraffe",
        "render",
        "--model",
        str(tiny_ckpt),
        "--out-dir",
        str(out),
        "--program",
        "object_rotation",
        "--program",
        "object_translation_depth",
        "--n-samples",
        "2",
        "--steps",
        "2",
    ]
    assert run_cli(*argv) == (0, "")
    for name in ("object_rotation", "object_translation_vertical"):
        assert (out / name / f"{name}.gif").is_file()
        assert sorted(p.name for p in (out / name).glob("*.png")) == [
            f"{name}_0000.png",
            f"{name}_0001.png",
        ]
    assert "wrote" in capsys.readouterr().out
    code, error = run_cli(*argv)
    assert code == 2 and "already exists (use --overwrite)" in error
    assert run_cli(*argv, "--overwrite", "-q", "--format", "png") == (0, "")


def test_config_programs_are_the_default(tiny_ckpt: Path, tmp_path: Path) -> None:
    assert run_cli(
        "giraffe",
        "render",
        "--model",
        str(tiny_ckpt),
        "--out-dir",
        str(tmp_path),
        "--n-samples",
        "1",
        "--steps",
        "2",
        "-q",
        "--format",
        "png",
    ) == (0, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(TINY.render_program)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--program", "spin"], "argument --program: unknown render program 'spin'"),
        (["--config", "cars_99"], "unknown GIRAFFE preset 'cars_99'"),
        (["--config", "cars_64"], "weights do not fit preset cars_64"),
        (["--n-samples", "-3"], "argument --n-samples: samples must be from 1 to 256"),
        (["--n-samples", "100000"], "argument --n-samples: samples must be from 1 to 256"),
        (["--steps", "1"], "argument --steps: steps must be from 2 to 1000"),
        (["--steps", "many"], "argument --steps: not a whole number"),
        (["--seed", "-1"], "argument --seed"),
        (["--n-samples", "256", "--steps", "1000", "--program", "interpolate_shape"], "GiB"),
    ],
)
def test_bad_inputs_are_one_line_errors(
    tiny_ckpt: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    code, error = run_cli(
        "giraffe", "render", "--model", str(tiny_ckpt), "--out-dir", str(tmp_path / "o"), *extra
    )
    assert code == 2 and message in error and "\n" not in error
    assert not (tmp_path / "o").exists()


def test_corrupt_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    code, error = run_cli(
        "giraffe",
        "render",
        "--model",
        str(bad),
        "--config",
        "cars_64",
        "--out-dir",
        str(tmp_path / "o"),
    )
    assert code == 2 and "truncated or corrupt checkpoint" in error
    code, error = run_cli(
        "giraffe", "render", "--model", str(tmp_path / "none.pt"), "--out-dir", str(tmp_path / "o")
    )
    assert code == 2 and "not an official model name" in error


def test_mp4_without_ffmpeg(tiny_ckpt: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(inrkit.io.video, "ffmpeg_executable", lambda: None)
    argv = ["giraffe", "render", "--model", str(tiny_ckpt), "--out-dir", str(tmp_path)]
    code, error = run_cli(*argv, "--format", "mp4")
    assert code == 2 and "MP4 output needs ffmpeg" in error
    assert "imageio-ffmpeg" in error and not any(tmp_path.iterdir())


def test_render_mp4(tiny_ckpt: Path, tmp_path: Path) -> None:
    """--format mp4 with the ffmpeg that imageio-ffmpeg ships: every frame, the grid's size."""
    argv = ["giraffe", "render", "--model", str(tiny_ckpt), "--out-dir", str(tmp_path)]
    flags = ["--program", "object_rotation", "--n-samples", "1", "--steps", "3"]
    assert run_cli(*argv, *flags, "--format", "mp4") == (0, "")
    video = tmp_path / "object_rotation" / "object_rotation.mp4"
    info = inrkit.io.video.probe(video)
    assert (info.height, info.width, info.fps) == (36, 36, 30)
    assert inrkit.io.video.count_frames(video) == 6  # a full turn of 2 x 3 steps


def test_group_without_command_prints_help(capsys) -> None:
    assert run_cli("giraffe") == (2, "")
    assert "render" in capsys.readouterr().err


registered = any(
    getattr(m, "add_parser", None) is giraffe_cli.add_parser for m in inrkit.cli.COMMANDS
)
# Until ``inrkit.cli`` lists the giraffe group, run its main() with the group appended.
SHIM = (
    "import sys, inrkit.cli as c; from inrkit.cli import giraffe; c.COMMANDS.append(giraffe); "
    "sys.exit(c.main(sys.argv[1:]))"
)


def test_subprocess_end_to_end(tiny_ckpt: Path, tmp_path: Path) -> None:
    launcher = ["-m", "inrkit"] if registered else ["-c", SHIM]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "INRKIT_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
        return subprocess.run(
            [sys.executable, *launcher, "giraffe", "render", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    done = cli(
        "--model",
        str(tiny_ckpt),
        "--out-dir",
        str(tmp_path),
        "--program",
        "render_add_clevr6",
        "--n-samples",
        "2",
        "--steps",
        "3",
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "render_add_clevr6" / "render_add_clevr6.gif").is_file()
    bad = cli("--model", str(tiny_ckpt), "--out-dir", str(tmp_path / "x"), "--config", "cars_64")
    assert bad.returncode == 2 and bad.stdout == "" and "Traceback" not in bad.stderr
    assert bad.stderr.startswith(f"inrkit: error: {tiny_ckpt}: weights do not fit preset cars_64")
    assert bad.stderr.count("\n") == 1, bad.stderr
