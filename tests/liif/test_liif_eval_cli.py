"""``inrkit liif test`` and ``inrkit liif eval`` on tiny folders with the tiny edsr-small model.

The successful runs are real subprocesses (what users run); the error cases go through
``inrkit.cli.main`` in-process, which is the same code minus the interpreter start.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from testlib.liif import MODEL, ROOT, as_tensor, write_images

from inrkit.cli import main
from inrkit.liif import load
from inrkit.liif.evaluate import bicubic_upsample, downsample_pair
from inrkit.liif.inference import predict_reference, upscale_tensor
from inrkit.metrics import calc_psnr, calc_ssim

CONFIGS = ROOT / "configs" / "liif" / "test"
TEST_CONFIG = """\
test_dataset:
  dataset:
    name: image-folder
    args:
      root_path: ./load/hr
  wrapper:
    name: sr-implicit-downsampled
    args:
      scale_min: 3
  batch_size: 1
eval_type: benchmark-3
eval_bsize: 300

data_norm:
  inp: {sub: [0.5], div: [0.5]}
  gt: {sub: [0.5], div: [0.5]}
"""


OFFLINE = {"INRKIT_OFFLINE": "1"}  # the environment of the subprocess runs


def assert_user_error(capsys, argv: list[str], *needles: str) -> str:
    """Exit 2, one ``inrkit: error:`` line on stderr naming every needle, nothing on stdout."""
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("inrkit: error: ") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err
    return err


# ----- inrkit liif test ----------------------------------------------------------------------
def test_liif_test_prints_the_official_result(run_inrkit, tmp_path):
    paths = write_images(tmp_path / "load" / "hr")
    (tmp_path / "test.yaml").write_text(TEST_CONFIG)
    result = run_inrkit("liif", "test", "test.yaml", "--model", str(MODEL), env=OFFLINE)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"result: \d+\.\d{4}", last), result.stdout

    # The same number straight from the pieces: official LR, reference prediction, Y PSNR.
    model, psnrs = load(MODEL), []
    for path in paths:
        lr, hr = downsample_pair(as_tensor(path), 3)
        out = predict_reference(model, (lr[None] - 0.5) / 0.5, tuple(hr.shape[-2:]), chunk=300)
        sr = (out * 0.5 + 0.5).clamp(0, 1).permute(0, 3, 1, 2)
        psnrs.append(calc_psnr(sr, hr[None], "benchmark", 3).item())
    assert float(last.split()[1]) == pytest.approx(np.mean(psnrs), abs=1.5e-4)


def test_liif_test_root_and_bsize_flags(tmp_path, capsys):
    write_images(tmp_path / "data" / "hr")
    (tmp_path / "test.yaml").write_text(TEST_CONFIG)
    argv = ["liif", "test", str(tmp_path / "test.yaml"), "--model", str(MODEL), "--device", "cpu"]
    assert main([*argv, "--root", str(tmp_path / "data")]) == 0
    first = capsys.readouterr().out.strip().splitlines()[-1]
    assert main([*argv, "--root", str(tmp_path / "data"), "--eval-bsize", "97"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == first
    # without --root, ./load/hr is relative to the working folder (as the official): missing
    assert_user_error(capsys, argv, "load/hr", "data folder does not exist")


def test_shipped_config_runs_with_root(tmp_path, capsys):
    """Our copy of the official test-set5-2.yaml, unchanged, on a tiny Set5 under --root."""
    set5 = tmp_path / "benchmark" / "Set5"
    paths = write_images(set5 / "HR")
    (set5 / "LR_bicubic" / "X2").mkdir(parents=True)
    for path in paths:  # official names: NAMEx2.png beside NAME.png
        img = Image.open(path)
        small = img.resize((img.width // 2, img.height // 2), Image.BICUBIC)
        small.save(set5 / "LR_bicubic" / "X2" / f"{path.stem}x2.png")
    config = CONFIGS / "test-set5-2.yaml"
    assert main(["liif", "test", str(config), "--root", str(tmp_path), "--model", str(MODEL)]) == 0
    assert re.fullmatch(r"result: \d+\.\d{4}", capsys.readouterr().out.strip())


def test_liif_test_bad_configs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = ["liif", "test", "--model", str(MODEL)]
    assert_user_error(capsys, [*base, "missing.yaml"], "missing.yaml", "no such config file")
    evil = tmp_path / "evil.yaml"
    evil.write_text('test_dataset: !!python/object/apply:os.system ["touch PWNED"]\n')
    assert_user_error(capsys, [*base, str(evil)], "evil.yaml", "not valid YAML")
    assert not (tmp_path / "PWNED").exists()
    train = tmp_path / "train.yaml"
    train.write_text("train_dataset: {dataset: {name: image-folder}}\nepoch_max: 3\n")
    assert_user_error(capsys, [*base, str(train)], "train.yaml", "unknown key(s)")
    bad = tmp_path / "bad.yaml"
    bad.write_text(TEST_CONFIG.replace("benchmark-3", "urban-3"))
    assert_user_error(capsys, [*base, str(bad)], "bad.yaml", "eval_type")


# ----- inrkit liif eval ----------------------------------------------------------------------
def test_liif_eval_table_and_json(run_inrkit, tmp_path):
    paths = write_images(tmp_path / "photos")
    result = run_inrkit(
        "liif",
        "eval",
        "--model",
        str(MODEL),
        "--dataset",
        "photos/",
        "--scale",
        "2",
        "--scale",
        "7",
        "--json",
        "out/eval.json",
        env=OFFLINE,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert "3 images, plain protocol" in lines[0]
    assert lines[1].split() == ["method", "x2", "PSNR", "x2", "SSIM", "x7", "PSNR", "x7", "SSIM"]
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in lines[2:]}
    assert set(rows) == {"model", "bicubic"}

    report = json.loads((tmp_path / "out" / "eval.json").read_text())
    assert report["images"] == 3 and report["protocol"] == "plain"
    assert report["lr"] == {"x2": "bicubic from HR", "x7": "bicubic from HR"}
    model = load(MODEL)
    for col, (scale, key) in enumerate(((2, "x2"), (7, "x7"))):
        direct = {"model": [], "bicubic": []}
        for path in paths:
            lr, hr = downsample_pair(as_tensor(path), scale)
            size = tuple(hr.shape[-2:])
            direct["model"].append(upscale_tensor(model, lr[None], size))
            direct["bicubic"].append(bicubic_upsample(lr, size)[None])
            direct.setdefault("hr", []).append(hr[None])
        for method in ("model", "bicubic"):
            got = report["results"][method][key]
            pairs = list(zip(direct[method], direct["hr"], strict=True))
            psnr = np.mean([calc_psnr(sr, hr).item() for sr, hr in pairs])
            ssim = np.mean([calc_ssim(sr, hr).item() for sr, hr in pairs])
            assert got["psnr"] == pytest.approx(psnr, abs=1e-5)
            assert got["ssim"] == pytest.approx(ssim, abs=1e-6)
            assert rows[method][2 * col : 2 * col + 2] == [round(psnr, 4), round(ssim, 4)]


def test_liif_eval_bad_inputs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_images(tmp_path / "hr")
    base = ["liif", "eval", "--model", str(MODEL), "--scale", "2"]
    assert_user_error(capsys, [*base, "--dataset", "imagenet"], "unknown dataset 'imagenet'")
    assert_user_error(
        capsys,
        [*base, "--dataset", "set5", "--root", "nowhere"],
        "nowhere/benchmark/Set5/HR",
        "folder missing",
    )
    for scale in ("0", "-2", "nan", "x"):
        assert_user_error(capsys, ["liif", "eval", "--dataset", "hr", "--scale", scale], "--scale")
    no_model = ["liif", "eval", "--dataset", "hr", "--scale", "2", "--model", "nope.pth"]
    assert_user_error(capsys, no_model, "nope.pth", "no such file")
    torch.save({"generator": {}}, tmp_path / "other.pth")
    wrong = ["liif", "eval", "--dataset", "hr", "--scale", "2", "--model", "other.pth"]
    assert_user_error(capsys, wrong, "other.pth", "not a LIIF checkpoint")
    assert_user_error(capsys, [*base, "--dataset", "hr", "--json", "hr"], "hr", "is a directory")
    assert_user_error(capsys, ["liif"], "liif needs a sub-command")


def test_liif_error_in_a_subprocess_has_no_traceback(run_inrkit, tmp_path):
    result = run_inrkit("liif", "test", "missing.yaml", "--model", str(MODEL), env=OFFLINE)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == "inrkit: error: missing.yaml: no such config file\n"


def test_the_cli_lists_the_eval_sets_without_torch():
    code = "import sys, inrkit.cli.liif; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_liif_eval_celebahq_task_needs_no_scale(tmp_path, capsys):
    celeba = tmp_path / "celebAHQ"
    for size in (32, 256):
        write_images(celeba / str(size), sizes=[(size, size)] * 2)
    (celeba / "split.json").write_text(json.dumps({"train": ["im0.png"], "val": ["im1.png"]}))
    argv = ["liif", "eval", "--model", str(MODEL), "--root", str(tmp_path), "-q"]
    assert main([*argv, "--dataset", "celebahq-32-256", "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "celebahq-32-256: 1 images, plain protocol" in out and "x8 PSNR" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["scales"] == [8.0] and report["lr"] == {"x8": "official LR folder"}
    assert_user_error(capsys, [*argv, "--dataset", "celebahq-32-256", "--scale", "4"], "x8")
    assert_user_error(capsys, [*argv, "--dataset", "set5"], "--scale is required")
