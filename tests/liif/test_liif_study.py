"""The cross-dataset study end to end on tiny folders: report, numbers, curves, resume, errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from inrkit.cli import main
from inrkit.liif import load, study
from inrkit.liif.config import load_config, parse_config
from inrkit.liif.eval_config import open_eval_set
from inrkit.liif.evaluate import evaluate_images

ROOT = Path(__file__).resolve().parents[2]
TINY = [
    "model.args.encoder_spec.args.n_resblocks=1",
    "model.args.encoder_spec.args.n_feats=8",
    "model.args.imnet_spec.args.hidden_list=[16]",
    "train_dataset.batch_size=2",
    "train_dataset.dataset.args.repeat=1",
    "train_dataset.wrapper.args.inp_size=8",
    "train_dataset.wrapper.args.sample_q=32",
    "val_dataset.dataset.args.repeat=2",
    "val_dataset.batch_size=2",
    "val_dataset.wrapper.args.inp_size=8",
    "val_dataset.wrapper.args.sample_q=32",
]


def _images(folder: Path, names: list[str], seed: int, size: tuple[int, int] = (40, 48)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : size[0], 0 : size[1]] / 16
    for i, name in enumerate(names):
        img = 128 + 70 * np.stack([np.sin(x + i), np.cos(y * (1 + seed) - i), np.sin(x * y)], -1)
        img += rng.normal(0, 12, img.shape)
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(folder / name)


def _layout(root: Path) -> Path:
    """The official load/ layout with 3-4 tiny images per set."""
    _images(root / "div2k" / "DIV2K_train_HR", ["0001.png", "0002.png", "0003.png"], 0)
    _images(root / "benchmark" / "B100" / "HR", ["3096.png", "8023.png", "12084.png"], 1)
    _images(root / "benchmark" / "Urban100" / "HR", ["img001.png", "img002.png", "img003.png"], 2)
    faces = [f"{i:05d}.png" for i in range(4)]
    _images(root / "celebAHQ" / "256", faces, 3, size=(40, 40))
    (root / "celebAHQ" / "split.json").write_text(
        json.dumps({"train": faces[:2], "val": faces[2:]})
    )
    return root


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _layout(tmp_path_factory.mktemp("load"))


def _argv(root: Path, out: Path, train: str, *extra: str) -> list[str]:
    sets = [item for o in TINY for item in ("--set", o)]
    return [
        "liif",
        "study",
        "--train",
        train,
        "--eval",
        "celebahq",
        "--root",
        str(root),
        "--epochs",
        "1",
        "--out-dir",
        str(out),
        "--scales",
        "2,3",
        "-q",
        *sets,
        *extra,
    ]


def _mtimes(out: Path) -> dict[Path, int]:
    files = [*out.glob("runs/*/epoch-*.pth"), *out.glob("runs/*/eval.json")]
    return {p: p.stat().st_mtime_ns for p in files}


def test_study_reports_true_numbers_and_a_rerun_is_a_noop(
    data_root: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "study"
    assert main(_argv(data_root, out, "div2k,b100,urban100")) == 0
    report = (out / "report.md").read_text()
    assert "| trained on | celebahq x2 | celebahq x3 |" in report
    for row in ("div2k", "b100", "urban100", "bicubic"):
        assert f"\n| {row} | " in report
    assert report.count("**") >= 8  # best PSNR and best SSIM bold in each of 2 columns
    assert "batch 2" in report and "inrkit liif study --train div2k,b100,urban100" in report
    results = json.loads((out / "results.json").read_text())
    opened = open_eval_set("celebahq", data_root, [2.0, 3.0])
    for run in ("div2k", "b100", "urban100"):
        r = results["runs"][run]
        assert r["epochs"] == 1 and r["final_loss"] > 0 and r["best_val_psnr"] > 0
        assert r["config"]["train_dataset"]["batch_size"] == 2
        model = load(out / "runs" / run / "epoch-last.pth")
        direct = evaluate_images(model, opened.hr_images, [2.0, 3.0], "plain")
        for key in ("x2", "x3"):
            assert r["results"]["celebahq"][key] == pytest.approx(direct["results"]["model"][key])
            bicubic = results["bicubic"]["celebahq"][key]
            assert bicubic == pytest.approx(direct["results"]["bicubic"][key])
        for kind in ("loss", "psnr"):
            assert (out / "curves" / f"{run}_{kind}.png").stat().st_size > 0
    assert (out / "curves" / "all_runs.png").stat().st_size > 0
    assert (
        results["eval_sets"]["celebahq"] | {"images": 2, "protocol": "plain"}
        == results["eval_sets"]["celebahq"]
    )

    before = _mtimes(out)  # the rerun trains and evaluates nothing
    assert main(_argv(data_root, out, "div2k,b100,urban100")) == 0
    assert _mtimes(out) == before
    assert json.loads((out / "results.json").read_text())["runs"] == results["runs"]

    argv = _argv(data_root, out, "div2k,b100,urban100")  # a new scale: only it is evaluated
    argv[argv.index("--scales") + 1] = "2,3,4"
    assert main(argv) == 0
    now = json.loads((out / "results.json").read_text())
    assert {k: v for k, v in _mtimes(out).items() if k.suffix == ".pth"} == {
        k: v for k, v in before.items() if k.suffix == ".pth"
    }
    old = results["runs"]["b100"]["results"]["celebahq"]["x3"]
    assert now["runs"]["b100"]["results"]["celebahq"]["x3"] == old
    assert (
        "x4" in now["runs"]["b100"]["results"]["celebahq"]
        and "celebahq x4" in (out / "report.md").read_text()
    )
    before = _mtimes(out)

    capsys.readouterr()  # a changed recipe is refused in one line, then --force retrains it
    assert main(_argv(data_root, out, "b100", "--set", "optimizer.args.lr=0.001")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "b100" in err[0] and "optimizer.args.lr" in err[0]
    assert "--force" in err[0] and _mtimes(out) == before
    assert main(_argv(data_root, out, "b100", "--set", "optimizer.args.lr=0.001", "--force")) == 0
    after = _mtimes(out)
    assert after[out / "runs/b100/epoch-last.pth"] != before[out / "runs/b100/epoch-last.pth"]
    assert after[out / "runs/div2k/epoch-last.pth"] == before[out / "runs/div2k/epoch-last.pth"]


def test_killed_study_resumes_and_completes(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, real_train = tmp_path / "study", study.train

    def killed_in_second_run(config, out_dir, **kwargs):
        if Path(out_dir).name == "urban100":  # one epoch of two, then the kill
            real_train(dataclasses.replace(config, epoch_max=1), out_dir, **kwargs)
            raise KeyboardInterrupt
        return real_train(config, out_dir, **kwargs)

    kwargs = dict(root=data_root, epochs=2, scales=[2.0], overrides=TINY, progress=False)
    monkeypatch.setattr(study, "train", killed_in_second_run)
    with pytest.raises(KeyboardInterrupt):
        study.run_study(["b100", "urban100"], ["celebahq"], out, **kwargs)
    assert (out / "runs/b100/eval.json").is_file() and not (out / "report.md").exists()
    assert torch.load(out / "runs/urban100/epoch-last.pth", weights_only=True)["epoch"] == 1
    monkeypatch.undo()

    before = _mtimes(out)
    results = study.run_study(["b100", "urban100"], ["celebahq"], out, **kwargs)
    after = _mtimes(out)
    assert after[out / "runs/b100/epoch-last.pth"] == before[out / "runs/b100/epoch-last.pth"]
    history = (out / "runs/urban100/history.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in history] == [1, 2]
    assert set(results["runs"]) == {"b100", "urban100"} and (out / "report.md").is_file()
    assert results["runs"]["urban100"]["epochs"] == 2


STUDY = ("liif", "study")
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


@pytest.mark.parametrize(
    "case", ["train-name", "eval-name", "missing-folder", "epochs", "out-file"]
)
def test_bad_inputs_are_one_line_errors(
    run_inrkit, case: str, data_root: Path, tmp_path: Path
) -> None:
    root, out, train, extra = data_root, tmp_path / "out", "b100", []
    expected = {
        "train-name": "unknown training set 'nope'",
        "eval-name": "unknown dataset 'nope'",
        "missing-folder": "inrkit data fetch benchmark",
        "epochs": "--epochs",
        "out-file": "not a folder",
    }[case]
    if case == "train-name":
        train = "b100,nope"
    elif case == "eval-name":
        extra = ["--eval", "nope"]
    elif case == "missing-folder":
        root = tmp_path / "empty"
        _images(root / "benchmark" / "B100" / "HR", ["1.png"], 0)
        train, expected = "b100,urban100", f"{root / 'benchmark/Urban100/HR'}: folder missing"
    elif case == "epochs":
        extra = ["--epochs", "0"]
    else:
        out.write_text("not a folder")
    proc = run_inrkit(
        *STUDY, "--train", train, "--root", root, "--out-dir", out, *extra, cwd=ROOT, env=ONE_THREAD
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("inrkit: error:") and expected in lines[0]
    if case == "missing-folder":
        assert "inrkit data fetch benchmark" in lines[0]


def test_seed_recipe_yaml_names_and_repeat(data_root: Path) -> None:
    shipped = load_config(ROOT / study.SEED_CONFIG_FILE)
    assert shipped.to_dict() == parse_config(study.SEED_RECIPE).to_dict()
    assert shipped.train_dataset["batch_size"] == 16 and shipped.epoch_max == 15
    assert shipped.optimizer["args"]["lr"] == 1e-4
    ts = study.training_set("b100", data_root)  # 3 images: repeat keeps ~16,000 samples/epoch
    assert ts.run == "b100" and ts.dataset["args"]["repeat"] == round(16_000 / 3)
    folder = study.training_set(str(data_root / "benchmark" / "B100" / "HR"), data_root)
    assert folder.run == "HR" and folder.dataset["name"] == "image-folder"


def test_pretrained_row_compare_table_budget_and_warnings(
    data_root: Path, tmp_path: Path, capsys
) -> None:
    out, fixture = tmp_path / "study", ROOT / "tests" / "fixtures" / "liif" / "edsr-small.pth"
    compare = tmp_path / "seed.yaml"
    compare.write_text(
        "title: the seed's table\nrows:\n  div2k: {celebahq: 16.83}\n  b100: {celebahq: 8.78}\n"
        "note: far below bicubic.\n"
    )
    extra = ["--pretrained", f"div2k={fixture}", "--compare", str(compare)]
    assert main(_argv(data_root, out, "b100", "--steps-per-epoch", "1", *extra)) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["runs"]["b100"]["history"][0]["epoch"] == 1
    assert results["runs"]["b100"]["config"]["steps_per_epoch"] == 1
    history = (out / "runs" / "b100" / "history.jsonl").read_text().splitlines()
    assert json.loads(history[0])["step"] == 1  # 3 images x repeat 1 would make 1 batch of 2
    row = results["runs"]["div2k"]  # scored as given, equal to evaluating the file directly
    opened = open_eval_set("celebahq", data_root, [2.0, 3.0])
    direct = evaluate_images(load(fixture), opened.hr_images, [2.0, 3.0], "plain")
    assert row["pretrained"] == str(fixture) and row["epochs"] == 1
    assert row["results"]["celebahq"]["x2"] == pytest.approx(direct["results"]["model"]["x2"])
    report = (out / "report.md").read_text()
    assert "\n| div2k (pretrained) | " in report and "not trained by this study" in report
    assert "## Beside: the seed's table" in report and "| b100 | 8.78 |" in report
    assert "epochs 1, 1 steps each (a CPU budget: --steps-per-epoch)" in report
    # Random weights and one step: far below bicubic, warned on the console and in the report.
    assert results["warnings"] and all("below bicubic" in w for w in results["warnings"])
    assert "## Warnings" in report and "warning: div2k on celebahq x2" in capsys.readouterr().err
    assert not (out / "curves" / "div2k_loss.png").exists()


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--pretrained", "div2k"], "--pretrained: expected ROW=MODEL"),
        (["--pretrained", "b100=x.pth"], "row 'b100' is also a trained run"),
        (["--steps-per-epoch", "0"], "--steps-per-epoch"),
        (["--compare", "missing.yaml"], "missing.yaml: no such file (--compare)"),
    ],
)
def test_study_flag_errors(
    run_inrkit, data_root: Path, tmp_path: Path, extra: list[str], expected: str
):
    argv = ["--train", "b100", "--root", data_root, "--out-dir", tmp_path, *extra]
    proc = run_inrkit(*STUDY, *argv, cwd=ROOT, env=ONE_THREAD)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("inrkit: error:") and expected in lines[0]


def test_study_refuses_small_training_images_before_training(run_inrkit, tmp_path: Path) -> None:
    _images(tmp_path / "small", ["a.png", "b.png", "c.png"], 0, size=(40, 40))
    out = tmp_path / "out"  # the seed recipe's largest HR crop is 48 x 4 = 192 px
    argv = ["--train", tmp_path / "small", "--eval", "photos", "--out-dir", out]
    proc = run_inrkit(*STUDY, *argv, cwd=ROOT, env=ONE_THREAD)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "a.png: image is 40x40, smaller than the largest HR crop 192x192" in lines[0]
    assert not list(out.glob("runs/*/*.pth"))


def test_fixed_tasks_are_scored_at_their_own_scale(data_root: Path, tmp_path: Path) -> None:
    # celebahq-64-128 gives its LR and HR images: x2 only, beside a set scored at x2 and x3.
    val = json.loads((data_root / "celebAHQ" / "split.json").read_text())["val"]
    for size in (64, 128):
        if not (data_root / "celebAHQ" / str(size)).exists():
            _images(data_root / "celebAHQ" / str(size), val, 5, size=(size, size))
    out = tmp_path / "study"
    argv = _argv(data_root, out, "b100", "--steps-per-epoch", "1")
    argv[argv.index("celebahq")] = "celebahq,celebahq-64-128"
    assert main(argv) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["eval_sets"]["celebahq-64-128"]["scales"] == [2.0]
    assert results["eval_sets"]["celebahq"]["scales"] == [2.0, 3.0]
    cells = results["runs"]["b100"]["results"]
    assert set(cells["celebahq-64-128"]) == {"x2"} and set(cells["celebahq"]) == {"x2", "x3"}
    assert set(results["bicubic"]["celebahq-64-128"]) == {"x2"}
    header = (out / "report.md").read_text().split("| trained on |")[1].splitlines()[0]
    assert "celebahq-64-128 x2" in header and "celebahq-64-128 x3" not in header
    assert main(argv) == 0  # a rerun finds every number cached
    assert json.loads((out / "results.json").read_text())["runs"]["b100"]["results"] == cells
