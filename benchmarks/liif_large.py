"""Peak memory and time of a large upscale through the real CLI (bounded-memory check).

Saves a full-size EDSR-baseline-LIIF (seeded weights: memory and time do not depend on
training) and a SIDE x SIDE RGB photo-like image, then runs
``inrkit upscale IMAGE --scale S`` in a subprocess and reports its peak resident memory.

    python benchmarks/liif_large.py [--side 2048] [--scale 4] [--tile 384] [--chunk 1024]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from inrkit.liif import make_model, save

sys.path.insert(0, str(Path(__file__).resolve().parent))
from liif_speed import SPEC  # noqa: E402


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        model_path = save(make_model(SPEC), Path(tmp) / "edsr-baseline-liif-seeded.pth")
        image_path = Path(tmp) / "photo.png"
        photo_like(args.side).save(image_path)
        out_path = Path(tmp) / "photo_up.png"
        cmd = [
            sys.executable,
            "-m",
            "inrkit",
            "upscale",
            str(image_path),
            "--scale",
            f"{args.scale:g}",
            "--model",
            str(model_path),
            "-o",
            str(out_path),
            "--quiet",
        ]
        for flag in ("tile", "chunk"):
            if getattr(args, flag):
                cmd += [f"--{flag}", str(getattr(args, flag))]
        start = time.perf_counter()
        subprocess.run(cmd, check=True)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
        with Image.open(out_path) as out:
            size = out.size
    print(
        f"{args.side}x{args.side} -> x{args.scale:g} = {size[1]}x{size[0]} "
        f"(EDSR-baseline-LIIF, {torch.get_num_threads()} threads): "
        f"{seconds:.0f} s, peak RSS {peak:.2f} GiB"
    )


if __name__ == "__main__":
    main()
