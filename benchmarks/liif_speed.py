"""Default (fast) LIIF upscaling path vs the reference formulation, side by side.

Both paths use the same full-size EDSR-baseline-LIIF weights (seeded; speed does not depend
on training) and the same input. Each path runs in its own subprocess so that its peak
resident memory is its own; runs alternate and the best time of each is kept.

    python benchmarks/liif_speed.py [--size 128] [--scale 4] [--repeats 2] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

SPEC = {
    "name": "liif",
    "args": {
        "encoder_spec": {"name": "edsr-baseline", "args": {"no_upsampling": True}},
        "imnet_spec": {"name": "mlp", "args": {"out_dim": 3, "hidden_list": [256, 256, 256, 256]}},
    },
}


def _child(args: argparse.Namespace) -> None:
    """Run one path once; print a JSON line with seconds and peak RSS; save the output."""
    from inrkit.liif import make_model
    from inrkit.liif.inference import upscale_tensor

    torch.manual_seed(0)
    model = make_model(SPEC).eval()
    image = torch.rand(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(1))
    out_hw = (round(args.size * args.scale), round(args.size * args.scale))
    start = time.perf_counter()
    if args.path == "reference":  # the official batched_predict: bsize 30000, plain query
        out = upscale_tensor(model, image, out_hw, reference=True, chunk=30000)
    else:
        out = upscale_tensor(model, image, out_hw)
    seconds = time.perf_counter() - start
    np.save(args.save, out.numpy())
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mib": rss_mib}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="input side in pixels")
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--path", choices=["reference", "fast"], help=argparse.SUPPRESS)
    parser.add_argument("--save", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.path:
        return _child(args)

    results: dict[str, list[dict]] = {"reference": [], "fast": []}
    with tempfile.TemporaryDirectory() as tmp:
        outputs = {}
        for _ in range(args.repeats):
            for path in ("reference", "fast"):
                save = str(Path(tmp) / f"{path}.npy")
                cmd = [
                    sys.executable,
                    __file__,
                    "--path",
                    path,
                    "--save",
                    save,
                    "--size",
                    str(args.size),
                    "--scale",
                    str(args.scale),
                    "--threads",
                    str(args.threads),
                ]
                line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                results[path].append(json.loads(line.strip().splitlines()[-1]))
                outputs[path] = np.load(save)
        diff = float(np.abs(outputs["reference"] - outputs["fast"]).max())
    best = {p: min(r["seconds"] for r in runs) for p, runs in results.items()}
    rss = {p: max(r["peak_rss_mib"] for r in runs) for p, runs in results.items()}
    side = round(args.size * args.scale)
    print(
        f"EDSR-baseline-LIIF, {args.size}x{args.size} -> x{args.scale:g} ({side}x{side}), "
        f"{args.threads} threads, best of {args.repeats}"
    )
    for path in ("reference", "fast"):
        times = ", ".join(f"{r['seconds']:.2f}" for r in results[path])
        print(f"  {path:9s}  {best[path]:7.2f} s  (runs: {times})  peak RSS {rss[path]:7.0f} MiB")
    print(f"  speed-up (reference / fast): {best['reference'] / best['fast']:.2f}x")
    print(f"  max |fast - reference|: {diff:.2e}  ({'OK' if diff <= 1e-4 else 'MISMATCH'} at 1e-4)")
    if diff > 1e-4:
        sys.exit(1)


if __name__ == "__main__":
    main()
