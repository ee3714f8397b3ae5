"""GIRAFFE speed: the default (box-sparse) path against the dense reference path.

Same weights and inputs in one run: the cars 64 preset (random weights, the object density
raised so objects are solid, as in the test fixtures), batch 8, eval mode, 64 x 64 RGB output.
Prints images per second of both paths, the ratio and the largest difference of their outputs.

    python benchmarks/giraffe_speed.py [--batch 8] [--repeats 5] [--threads N]
"""

from __future__ import annotations

import argparse
import time

import torch

from inrkit.giraffe import Giraffe
from inrkit.giraffe.presets import CARS_64


def time_paths(gen: torch.nn.Module, inputs: tuple, repeats: int) -> dict[bool, float]:
    """Best wall time of each path (True: sparse), alternating runs so that both see the same
    machine load."""
    best = {True: float("inf"), False: float("inf")}
    with torch.no_grad():
        for sparse in (True, False):  # warm-up
            gen.volume_render_image(*inputs[1:], mode="val", sparse=sparse)
        for _ in range(repeats):
            for sparse in (True, False):
                gen.sparse = sparse
                start = time.perf_counter()
                gen(*inputs, mode="val")
                best[sparse] = min(best[sparse], time.perf_counter() - start)
    gen.sparse = True
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    gen = Giraffe(CARS_64).generator_test.eval()
    with torch.no_grad():
        gen.decoder.sigma_out.bias += 8.0  # solid objects, as in the official-output fixtures
    b = args.batch
    # A typical rendering: the official object_rotation inputs (centred car, middle camera).
    inputs = (
        b,
        gen.get_latent_codes(b, tmp=0.65),
        gen.get_camera(batch_size=b),
        gen.get_transformations([[0.0, 0.0, 0.0]], [[0.5, 0.5, 0.5]], [0.25], b),
        gen.get_bg_rotation(0.0, b),
    )
    best = time_paths(gen, inputs, args.repeats)
    t_sparse, t_dense = best[True], best[False]
    with torch.no_grad():
        feat = [gen.volume_render_image(*inputs[1:], mode="val", sparse=s) for s in (True, False)]
        gen.sparse = False
        rgb_dense = gen(*inputs, mode="val")
        gen.sparse = True
        rgb_sparse = gen(*inputs, mode="val")
    diff = (rgb_sparse - rgb_dense).abs().max().item()
    diff_feat = (feat[0] - feat[1]).abs().max().item()
    print(f"cars_64, batch {b}, {torch.get_num_threads()} threads, best of {args.repeats}")
    print(f"dense reference path: {b / t_dense:8.2f} images/s")
    print(f"default sparse path:  {b / t_sparse:8.2f} images/s")
    print(f"ratio: {t_dense / t_sparse:.2f}x")
    print(f"max |sparse - dense|: feature image {diff_feat:.1e}, RGB {diff:.1e}")


if __name__ == "__main__":
    main()
