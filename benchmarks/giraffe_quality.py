"""Did the default GIRAFFE learn something real and controllable? Side by side with baselines.

    python benchmarks/giraffe_quality.py [--model default] [--data data/cars32-heldout]

Prints SWD (x1e3, lower is better) against held-out rendered scenes for: the trained model,
the same architecture untrained (seeded), and the mean held-out image repeated (the trivial
baseline); then the controllability measurements of :mod:`inrkit.giraffe.controls` for the
trained and the untrained model, and for rotation the ground truth: the held-out scenes' own
cars turned through the same 16 frames by the renderer (:mod:`inrkit.scenes.turntable`).
The held-out scenes are rendered first when missing
(``inrkit data scenes --preset cars --seed 1``: never seen in training, which used seed 0).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import torch

import inrkit.giraffe as giraffe
from inrkit.giraffe.controls import rotation_report, translation_report, turntable_report
from inrkit.giraffe.evaluate import read_real_images, real_image_files, sample_images
from inrkit.giraffe.model import Giraffe, GiraffeModel
from inrkit.metrics.swd import sliced_wasserstein_distance
from inrkit.scenes import sample_scene, scene_rng


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--data", type=Path, default=Path("data/cars32-heldout"))
    p.add_argument("--n", type=int, default=512, help="images per set")
    p.add_argument("--json", type=Path, help="also write the numbers here")
    args = p.parse_args()
    model = giraffe.load(args.model)
    size = model.config.img_size
    if not args.data.exists():
        cmd = [sys.executable, "-m", "inrkit", "data", "scenes", "--preset", "cars"]
        cmd += ["--n", str(args.n), "--size", str(size), "--seed", "1", "--out", str(args.data)]
        subprocess.run([*cmd, "-q"], check=True)
    torch.manual_seed(0)
    untrained = GiraffeModel(network=Giraffe(model.config), config=model.config).eval()
    real = read_real_images(real_image_files(str(args.data), args.n), size)
    n = real.shape[0]
    mean_image = real.mean(dim=0, keepdim=True).expand_as(real).contiguous()
    results: dict[str, dict[str, float]] = {}
    for name, m in (("trained", model), ("untrained", untrained)):
        fake = sample_images(m.generator, n, batch_size=32, seed=0)
        results[name] = {"swd": sliced_wasserstein_distance(fake, real).mean}
        results[name].update(translation_report(m))
        results[name].update(rotation_report(m))
    results["mean image"] = {"swd": sliced_wasserstein_distance(mean_image, real).mean}
    held_out_cars = [sample_scene("cars", scene_rng(1, i)) for i in range(8)]  # seed 1, as above
    results["rendered cars turned"] = turntable_report(held_out_cars, size=size)
    print(f"SWD x1e3 against {n} held-out scenes ({size}x{size} px), lower is better:")
    for name in ("trained", "untrained", "mean image"):
        print(f"  {name:<10} {results[name]['swd']:8.2f}")
    keys = [k for k in results["trained"] if k != "swd"]  # the reports' measures, in order
    print("controls (object_translation_horizontal, object_rotation):")
    print("  " + " ".join(f"{k:>17}" for k in ("model", *keys)))
    for name in ("trained", "untrained"):
        row = " ".join(f"{results[name][k]:>17.3f}" for k in keys)
        print(f"  {name:>17} {row}")
    truth = results["rendered cars turned"]
    print(
        f"  ground truth (held-out cars turned by the renderer): silhouette_iou "
        f"{truth['silhouette_iou']:.3f}, width_cv {truth['width_cv']:.3f}, "
        f"colour_drift {truth['colour_drift']:.3f}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
