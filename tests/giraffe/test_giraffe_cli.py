"""``inrkit giraffe render``: in-process through the module's add_parser/run, and as a real
subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest
from testlib.giraffe import TINY, run_cli

import inrkit.cli
import inrkit.io.ffmpeg
import inrkit.io.video_read


def test_render_writes_gif_and_strips_and_respects_overwrite(
    giraffe_ckpt: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "out"
    argv = [
        "giraffe",
        "render",
        "--model",
        str(giraffe_ckpt),
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


def test_config_programs_are_the_default(giraffe_ckpt: Path, tmp_path: Path) -> None:
    assert run_cli(
        "giraffe",
        "render",
        "--model",
        str(giraffe_ckpt),
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
    giraffe_ckpt: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    code, error = run_cli(
        "giraffe", "render", "--model", str(giraffe_ckpt), "--out-dir", str(tmp_path / "o"), *extra
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


def test_mp4_without_ffmpeg(giraffe_ckpt: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(inrkit.io.ffmpeg, "ffmpeg_executable", lambda: None)
    argv = ["giraffe", "render", "--model", str(giraffe_ckpt), "--out-dir", str(tmp_path)]
    code, error = run_cli(*argv, "--format", "mp4")
    assert code == 2 and "MP4 output needs ffmpeg" in error
    assert "imageio-ffmpeg" in error and not any(tmp_path.iterdir())


def test_render_mp4(giraffe_ckpt: Path, tmp_path: Path) -> None:
    """--format mp4 with the ffmpeg that imageio-ffmpeg ships: every frame, the grid's size."""
    argv = ["giraffe", "render", "--model", str(giraffe_ckpt), "--out-dir", str(tmp_path)]
    flags = ["--program", "object_rotation", "--n-samples", "1", "--steps", "3"]
    assert run_cli(*argv, *flags, "--format", "mp4") == (0, "")
    video = tmp_path / "object_rotation" / "object_rotation.mp4"
    info = inrkit.io.video_read.probe(video)
    assert (info.height, info.width, info.fps) == (36, 36, 30)
    assert inrkit.io.video_read.count_frames(video) == 6  # a full turn of 2 x 3 steps


def test_group_without_command_prints_help(capsys) -> None:
    assert run_cli("giraffe") == (2, "")
    assert "render" in capsys.readouterr().err


def test_subprocess_end_to_end(run_inrkit, giraffe_ckpt: Path, tmp_path: Path) -> None:
    env = {"INRKIT_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    done = run_inrkit(
        "giraffe",
        "render",
        "--model",
        str(giraffe_ckpt),
        "--out-dir",
        str(tmp_path),
        "--program",
        "render_add_clevr6",
        "--n-samples",
        "2",
        "--steps",
        "3",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "render_add_clevr6" / "render_add_clevr6.gif").is_file()
    argv = ["--model", str(giraffe_ckpt), "--out-dir", str(tmp_path / "x"), "--config", "cars_64"]
    bad = run_inrkit("giraffe", "render", *argv, env=env)
    assert bad.returncode == 2 and bad.stdout == "" and "Traceback" not in bad.stderr
    assert bad.stderr.startswith(
        f"inrkit: error: {giraffe_ckpt}: weights do not fit preset cars_64"
    )
    assert bad.stderr.count("\n") == 1, bad.stderr
