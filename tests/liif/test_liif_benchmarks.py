"""The paper's benchmark protocol with the authors' weights, against the official code's numbers.

Set5 at x2-x4 with the official LR_bicubic images, scored through ``inrkit.liif.evaluate``
(Y channel, shave = scale): the official ``test.py`` gives 37.9919 / 34.4039 / 32.2394 dB on
the same files (see ``benchmarks/liif_benchmarks.md``). Weights and data live in the shared
folder beside the project (``../shared``); without it the test skips and says why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inrkit.liif import load
from inrkit.liif.eval_config import open_eval_set
from inrkit.liif.evaluate import evaluate_images

SHARED = Path(__file__).resolve().parents[3] / "shared"
WEIGHTS = SHARED / "weights" / "liif" / "edsr-baseline-liif.pth"
LOAD = SHARED / "data" / "load"
# The official test.py (github.com/yinboc/liif, unmodified, CPU) on the same files.
OFFICIAL_SET5 = {2: 37.9919, 3: 34.4039, 4: 32.2394}


@pytest.mark.skipif(
    not (WEIGHTS.is_file() and (LOAD / "benchmark" / "Set5" / "HR").is_dir()),
    reason=f"the authors' weights and Set5 live in {SHARED}, which is not beside this checkout",
)
def test_set5_with_the_authors_weights_equals_the_official_code():
    scales = list(OFFICIAL_SET5)
    opened = open_eval_set("set5", LOAD, scales)
    assert sorted(opened.paired) == scales  # the official LR images, not LR made here
    result = evaluate_images(load(WEIGHTS), None, scales, opened.protocol, paired=opened.paired)
    assert result["protocol"] == "benchmark" and result["images"] == 5
    for scale, want in OFFICIAL_SET5.items():
        got = result["results"]["model"][f"x{scale}"]["psnr"]
        assert got == pytest.approx(want, abs=5e-4), f"x{scale}"


@pytest.mark.skipif(
    not (WEIGHTS.is_file() and (LOAD / "benchmark" / "Set5" / "HR").is_dir()),
    reason=f"the authors' weights and Set5 live in {SHARED}, which is not beside this checkout",
)
def test_a_set_scored_in_parts_merges_to_the_whole_sets_number(tmp_path: Path) -> None:
    # Set5 x4 in two part roots (2 + 3 images), each run by the benchmark script, then merged:
    # the mean over all five images, i.e. the official code's 32.2394 dB.
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "liif_benchmarks.py"
    names = sorted(p.stem for p in (LOAD / "benchmark" / "Set5" / "HR").glob("*.png"))
    outs = []
    for k, part in enumerate((names[:2], names[2:])):
        root = tmp_path / f"part{k}"
        hr, lr = (
            root / "benchmark" / "Set5" / "HR",
            root / "benchmark" / "Set5" / "LR_bicubic" / "X4",
        )
        hr.mkdir(parents=True)
        lr.mkdir(parents=True)
        for name in part:
            (hr / f"{name}.png").symlink_to(LOAD / "benchmark" / "Set5" / "HR" / f"{name}.png")
            src = LOAD / "benchmark" / "Set5" / "LR_bicubic" / "X4" / f"{name}x4.png"
            (lr / f"{name}x4.png").symlink_to(src)
        out = tmp_path / f"part{k}.json"
        cmd = [sys.executable, str(script), "--model", str(WEIGHTS), "--root", str(root)]
        cmd += ["--sets", "set5", "--scales", "4", "--out", str(out), "--md", str(out) + ".md"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        assert res.returncode == 0, res.stderr[-3000:]
        outs.append(out)
    official = []
    for k, psnr in enumerate((40.0, 20.0)):  # made-up official part results: 2 and 3 images
        official.append(tmp_path / f"official{k}.jsonl")
        rec = {"config": "test-set5-4.yaml", "psnr": psnr, "seconds": 1.0, "images": 2 + k}
        official[-1].write_text(__import__("json").dumps(rec) + "\n")
    merged = tmp_path / "merged.json"
    cmd = [sys.executable, str(script), "--parts", ",".join(map(str, outs)), "--out", str(merged)]
    cmd += ["--official-parts", ",".join(map(str, official)), "--md", str(tmp_path / "m.md")]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    row = __import__("json").loads(merged.read_text())["rows"]["set5-x4"]
    assert row["images"] == 5 and row["parts"] == 2
    assert row["inrkit"] == pytest.approx(OFFICIAL_SET5[4], abs=5e-4)
    assert row["official"] == pytest.approx((2 * 40.0 + 3 * 20.0) / 5)
    assert row["official_seconds"] == 2.0


def test_parts_merge_only_rows_that_every_part_has(tmp_path: Path) -> None:
    import json

    from liif_benchmarks import merge_parts

    base = {"dataset": "urban100", "protocol": "benchmark", "inrkit_ssim": 0.9, "bicubic": 20.0}
    one = {"urban100-x4": dict(base, scale=4, images=25, inrkit=26.0, inrkit_seconds=10.0)}
    two = {
        "urban100-x4": dict(base, scale=4, images=75, inrkit=28.0, inrkit_seconds=30.0),
        "urban100-x2": dict(base, scale=2, images=75, inrkit=30.0, inrkit_seconds=30.0),
    }
    paths = []
    for k, rows in enumerate((one, two)):
        paths.append(tmp_path / f"p{k}.json")
        paths[-1].write_text(json.dumps({"rows": rows}))
    rows = {"urban100-x4": {"official": 27.5}}
    assert merge_parts(paths, rows) == ["urban100-x4"]
    assert rows["urban100-x4"]["inrkit"] == pytest.approx((25 * 26.0 + 75 * 28.0) / 100)
    assert rows["urban100-x4"]["inrkit_seconds"] == 40.0
    assert rows["urban100-x4"]["official"] == 27.5  # an official number already there is kept
