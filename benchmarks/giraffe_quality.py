"""Did a GIRAFFE model learn something real and controllable? Side by side with baselines.

    python benchmarks/giraffe_quality.py [--model default] [--data data/cars32-heldout]
    python benchmarks/giraffe_quality.py --model runs/giraffe-cars64/model_best.pt \\
        --preset cars64 --data data/cars64-heldout --json out/cars64_quality.json

Prints, against held-out rendered scenes: SWD (x1e3, lower is better) and, when the FID
Inception weights are cached (``inrkit models fetch inception-fid``), FID and KID, for the
model, the same architecture untrained (seeded) and the mean held-out image repeated (the
trivial baseline); the program-based controllability measurements of
:mod:`inrkit.giraffe.controllability` for the trained and the untrained model, with the ground truth
for rotation (the held-out scenes' own cars turned through the same 16 frames by the renderer);
and the page's sliders on 8 held-out seeds, scene by scene (:func:`slider_report`): horizontal
and depth monotonicity, the RGB change off the object while it turns (mean and worst pixel) and
its silhouette width variation, against the same held-out cars turned by the renderer.
The held-out scenes are rendered first when missing (``inrkit data scenes --preset PRESET
--seed 1``: never seen in training, which used seed 0).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

import inrkit.giraffe as giraffe
from inrkit.errors import InrkitError
from inrkit.giraffe.controllability import (
    STILL,
    rotation_report,
    slider_report,
    translation_report,
    truth_turntables,
    turntable_report,
)
from inrkit.giraffe.evaluate import evaluate, read_real_images, real_image_files, sample_images
from inrkit.giraffe.model import Giraffe, GiraffeModel
from inrkit.scenes import sample_scene, scene_rng


def _inception() -> Any:
    """The FID Inception from the cache, or None (nothing is downloaded here)."""
    from inrkit.metrics.inception_weights import inception_weights_path, load_inception

    try:
        return load_inception(inception_weights_path(None, download=False))
    except InrkitError as e:
        print(f"FID and KID not measured: {e}")
        return None


def sample_quality(
    models: dict[str, GiraffeModel], real: torch.Tensor, fid: bool
) -> dict[str, dict[str, float]]:
    """SWD (and FID/KID) of each model's samples and of the mean real image."""
    inception = _inception() if fid else None
    real_features = None
    if inception is not None:
        from inrkit.metrics.inception import inception_features

        real_features = inception_features(inception, real).numpy()  # once for every model
    out: dict[str, dict[str, float]] = {}
    for name, m in models.items():
        fake = sample_images(m.generator, real.shape[0], batch_size=32, seed=0)
        report = evaluate(fake, real, inception=inception, real_features=real_features)
        for row, column in ((name, "model"), ("mean image", "mean_image")):
            out.setdefault(row, {})["swd"] = report.metrics["SWD"][column]
            if "FID" in report.metrics:
                out[row]["fid"] = report.metrics["FID"][column]
                out[row]["kid"] = report.metrics["KID"][column]["mean"]
    return out


def print_sliders(r: dict[str, Any]) -> None:
    """The page's sliders, scene by scene, against the aims of issue 13."""
    n = r["n_scenes"]
    truth = r["truth"]
    print("sliders on held-out seeds (others at 0.5), scene by scene:")
    print(f"  horizontal: moves one way in {r['horizontal_ok']} of {n}")
    areas = " | ".join(f"{a[0]:.3f}->{a[-1]:.3f}" for a in r["depth_area"])
    print(
        f"  depth: alpha area grows one way as the object comes nearer in {r['depth_ok']} of "
        f"{n} (one way at all: {r['depth_one_way']}); area share first->last: {areas}"
    )
    worst = ", ".join(f"{w:.3f}" for w in r["off_worst"])
    print(
        f"  rotation, off the object: worst pixel < {STILL} in {r['still_ok']} of {n} "
        f"(worst: {worst}; mean {np.mean(r['off_mean']):.4f})"
    )
    tight = ", ".join(f"{w:.3f}" for w in r["off_worst_tight"])
    print(f"    the object's region not grown: < {STILL} in {r['still_ok_tight']} of {n} ({tight})")
    truth_still = sum(w < STILL for w in truth["off_worst"])
    print(
        f"    ground truth (held-out cars turned, off the car): worst < {STILL} in "
        f"{truth_still} of {n} (worst up to {max(truth['off_worst']):.3f})"
    )
    print(
        f"  rotation, silhouette width variation: {np.nanmean(r['width_cv']):.3f} against the "
        f"ground truth's {np.mean(truth['width_cv']):.3f} ({100 * r['width_ratio']:.0f}%)"
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--data", type=Path, default=Path("data/cars32-heldout"))
    p.add_argument("--preset", default="cars", help="scene preset of the held-out data")
    p.add_argument("--n", type=int, default=512, help="images per set")
    p.add_argument("--no-fid", action="store_true", help="SWD only, even with cached weights")
    p.add_argument("--json", type=Path, help="also write the numbers here")
    args = p.parse_args()
    model = giraffe.load(args.model)
    size = model.config.img_size
    if not args.data.exists():
        cmd = [sys.executable, "-m", "inrkit", "data", "scenes", "--preset", args.preset]
        cmd += ["--n", str(args.n), "--size", str(size), "--seed", "1", "--out", str(args.data)]
        subprocess.run([*cmd, "-q"], check=True)
    torch.manual_seed(0)
    untrained = GiraffeModel(network=Giraffe(model.config), config=model.config).eval()
    real = read_real_images(real_image_files(str(args.data), args.n), size)
    results: dict[str, Any] = sample_quality(
        {"trained": model, "untrained": untrained}, real, fid=not args.no_fid
    )
    for name, m in (("trained", model), ("untrained", untrained)):
        results[name].update(translation_report(m))
        results[name].update(rotation_report(m))
    held_out_cars = [sample_scene(args.preset, scene_rng(1, i)) for i in range(8)]  # seed 1
    results["rendered cars turned"] = turntable_report(held_out_cars, size=size)
    truth = truth_turntables(8, size=size, preset=args.preset)
    results["sliders"] = slider_report(model, truth=truth)

    metrics = [k for k in ("swd", "fid", "kid") if k in results["trained"]]
    n = real.shape[0]
    print(f"against {n} held-out scenes ({size}x{size} px), lower is better: {', '.join(metrics)}")
    for name in ("trained", "untrained", "mean image"):
        cells = "  ".join(f"{k} {results[name][k]:8.4g}" for k in metrics if k in results[name])
        print(f"  {name:<10} {cells}")
    keys = [k for k in results["trained"] if k not in metrics]  # the reports' measures
    print("controls (object_translation_horizontal, object_rotation):")
    print("  " + " ".join(f"{k:>17}" for k in ("model", *keys)))
    for name in ("trained", "untrained"):
        row = " ".join(f"{results[name][k]:>17.3f}" for k in keys)
        print(f"  {name:>17} {row}")
    rendered = results["rendered cars turned"]
    print(
        f"  ground truth (held-out cars turned by the renderer): silhouette_iou "
        f"{rendered['silhouette_iou']:.3f}, width_cv {rendered['width_cv']:.3f}, "
        f"colour_drift {rendered['colour_drift']:.3f}"
    )
    print_sliders(results["sliders"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
