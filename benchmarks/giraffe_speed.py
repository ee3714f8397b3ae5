"""GIRAFFE speed: the official dense rendering against the default sparse path, in fp32 and in
bf16, side by side; and what bf16 changes in the images.

Same weights and inputs in one run: the cars 64 preset (random weights, the object density
raised so objects are solid, as in the test fixtures), batch 8, eval mode, 64 x 64 RGB output.
The three paths alternate (dense, sparse, sparse bf16, dense, ...) so that all see the same
machine load, and the best time of each is kept. Prints images per second, the ratio to the
dense path, and the largest differences of the outputs.

``--quality`` adds what bf16 costs on many renders: the largest RGB difference from fp32 and
the SWD from the fp32 image set to the bf16 set, beside the SWD from the fp32 set to itself
(the patches are drawn anew for each set: this is the metric's noise floor) and to fp32
renders of other scenes (what a different sample makes), for the cars 64 architecture with
random weights and for the bundled default model.

    python benchmarks/giraffe_speed.py [--batch 8] [--repeats 5] [--threads N] [--quality]
"""

from __future__ import annotations

import argparse
import time

import torch

import inrkit.giraffe as giraffe
from inrkit.giraffe import Giraffe
from inrkit.giraffe.presets import CARS_64
from inrkit.metrics.swd import sliced_wasserstein_distance
from inrkit.nn.precision import bf16_native

# name: (sparse, dtype)
PATHS = {
    "dense (official)": (False, torch.float32),
    "sparse": (True, torch.float32),
    "sparse bf16": (True, torch.bfloat16),
}


def cars64() -> giraffe.Generator:
    """The cars 64 architecture with seeded random weights and solid objects."""
    torch.manual_seed(0)
    gen = Giraffe(CARS_64).generator_test.eval()
    with torch.no_grad():
        gen.decoder.sigma_out.bias += 8.0  # solid objects, as in the official-output fixtures
    return gen


def rotation_inputs(gen: giraffe.Generator, b: int, seed: int = 0) -> tuple:
    """The official object_rotation inputs: centred objects, the middle camera."""
    torch.manual_seed(seed)
    return (
        b,
        gen.get_latent_codes(b, tmp=0.65),
        gen.get_camera(batch_size=b),
        gen.get_transformations([[0.0, 0.0, 0.0]], [[0.5, 0.5, 0.5]], [0.25], b),
        gen.get_bg_rotation(0.0, b),
    )


def render(gen: giraffe.Generator, inputs: tuple, sparse: bool, dtype: torch.dtype):
    gen.sparse = sparse
    try:
        with torch.no_grad():
            return gen(*inputs, mode="val", dtype=dtype)
    finally:
        gen.sparse = True


def time_paths(gen: giraffe.Generator, inputs: tuple, paths: list[str], repeats: int) -> dict:
    """Best wall time of each path, runs interleaved."""
    best = dict.fromkeys(paths, float("inf"))
    for name in paths:  # warm-up
        render(gen, inputs, *PATHS[name])
    for _ in range(repeats):
        for name in paths:
            start = time.perf_counter()
            render(gen, inputs, *PATHS[name])
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def quality(gen: giraffe.Generator, label: str, n: int, batch: int) -> None:
    """Largest RGB difference and SWD of bf16 against fp32 over ``n`` renders."""
    sets: dict[str, list[torch.Tensor]] = {"fp32": [], "bf16": [], "fp32 other scenes": []}
    for start in range(0, n, batch):
        b = min(batch, n - start)
        inputs = rotation_inputs(gen, b, seed=start + 1)
        sets["fp32"].append(render(gen, inputs, True, torch.float32))
        sets["bf16"].append(render(gen, inputs, True, torch.bfloat16))
        other = rotation_inputs(gen, b, seed=10_000 + start)
        sets["fp32 other scenes"].append(render(gen, other, True, torch.float32))
    images = {k: torch.cat(v) for k, v in sets.items()}
    diff = (images["bf16"] - images["fp32"]).abs()
    swd = {
        other: sliced_wasserstein_distance(images["fp32"], images[other]).mean
        for other in ("fp32", "bf16", "fp32 other scenes")
    }
    print(
        f"{label}: {n} renders, bf16 vs fp32: RGB max |diff| {diff.max():.4f} "
        f"({diff.max() * 255:.2f}/255), mean {diff.mean():.2e}"
    )
    print(
        f"  SWD x1e3 to the fp32 set: bf16 {swd['bf16']:.2f}, the fp32 set itself "
        f"{swd['fp32']:.2f} (patch sampling alone), fp32 renders of other scenes "
        f"{swd['fp32 other scenes']:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--quality", action="store_true", help="also measure bf16's image cost")
    parser.add_argument("--quality-n", type=int, default=64, help="renders for --quality")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    gen = cars64()
    inputs = rotation_inputs(gen, args.batch)
    paths = [p for p in PATHS if PATHS[p][1] == torch.float32 or bf16_native("cpu")]
    best = time_paths(gen, inputs, paths, args.repeats)
    outputs = {name: render(gen, inputs, *PATHS[name]) for name in paths}
    feats = [gen.volume_render_image(*inputs[1:], mode="val", sparse=s) for s in (True, False)]
    b = args.batch
    print(f"cars_64, batch {b}, {torch.get_num_threads()} threads, best of {args.repeats}")
    dense = best["dense (official)"]
    for name in paths:
        print(f"  {name:17s} {b / best[name]:8.2f} images/s  {dense / best[name]:5.2f}x")
    if "sparse bf16" not in paths:
        print("  sparse bf16: skipped, this CPU has no native bfloat16")
    ref = outputs["dense (official)"]
    diff_feat = (feats[0] - feats[1]).abs().max().item()
    diff = (outputs["sparse"] - ref).abs().max().item()
    print(f"  max |sparse - dense|: feature image {diff_feat:.1e}, RGB {diff:.1e}")
    if "sparse bf16" in outputs:
        low = (outputs["sparse bf16"] - outputs["sparse"]).abs().max().item()
        print(f"  max |sparse bf16 - sparse| RGB: {low:.1e}")
    if args.quality and "sparse bf16" in paths:
        quality(gen, "cars_64 (random weights)", args.quality_n, args.batch)
        small = giraffe.load("default32").generator
        quality(small, "default32 (32 px)", args.quality_n, args.batch)


if __name__ == "__main__":
    main()
