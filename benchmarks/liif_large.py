"""Peak memory and time of a large upscale through the real CLI (bounded-memory check).

Saves a full-size EDSR-baseline-LIIF (seeded weights: memory and time do not depend on
training) and a SIDE x SIDE RGB photo-like image, then runs
``inrkit upscale IMAGE --scale S --precision P`` in a subprocess for each precision asked,
one after the other, and reports the time and peak resident memory of each.

    python benchmarks/liif_large.py [--side 2048] [--scale 4] [--precision fp32,bf16]
        [--tile N] [--chunk N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from liif_speed import SPEC  # benchmarks/liif_speed.py: run as a script, its folder is on sys.path
from PIL import Image

from inrkit.liif import make_model, save


def photo_like(side: int) -> Image.Image:
    """Smooth colour gradients plus fine noise: a stand-in with a photo's statistics."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:side, 0:side] / side
    base = np.stack([np.sin(6 * x + 2 * y), np.cos(5 * y - 3 * x), np.sin(9 * x * y)], -1)
    img = 127 + 80 * base + rng.normal(0, 12, (side, side, 3))
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=2048)
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--tile", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=None)
    parser.add_argument("--precision", default="bf16", help="fp32, bf16 or both: fp32,bf16")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        model_path = save(make_model(SPEC), Path(tmp) / "edsr-baseline-liif-seeded.pth")
        image_path = Path(tmp) / "photo.png"
        photo_like(args.side).save(image_path)
        for precision in args.precision.split(","):
            run(args, model_path, image_path, Path(tmp) / f"photo_{precision}.png", precision)


def run(
    args: argparse.Namespace, model_path: Path, image_path: Path, out: Path, precision: str
) -> None:
    """One ``inrkit upscale`` in a subprocess: its time and its own peak memory."""
    cmd = [sys.executable, "-m", "inrkit", "upscale", str(image_path), "--scale", f"{args.scale:g}"]
    cmd += ["--model", str(model_path), "--precision", precision, "-o", str(out), "--quiet"]
    for flag in ("tile", "chunk"):
        if getattr(args, flag):
            cmd += [f"--{flag}", str(getattr(args, flag))]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not the largest so far
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"inrkit upscale failed ({proc.returncode})")
    with Image.open(out) as img:
        size = img.size
    print(
        f"{args.side}x{args.side} -> x{args.scale:g} = {size[1]}x{size[0]} "
        f"(EDSR-baseline-LIIF, {precision}, {torch.get_num_threads()} threads): "
        f"{seconds:.0f} s, peak RSS {usage.ru_maxrss / 1024**2:.2f} GiB",
        flush=True,
    )


if __name__ == "__main__":
    main()
