"""The fast LIIF path in fp32 and in bf16 against the official code, side by side.

All paths use the same full-size EDSR-baseline-LIIF weights (``--weights``: the authors'
checkpoint; without it, seeded random weights, since speed does not depend on training) and
the same input. Paths:

* ``official``: the official repository's own ``models.make`` and ``test.batched_predict``
  (chunks of 30000 queries), run unmodified from ``--official DIR`` (a checkout of
  github.com/yinboc/liif; ``$LIIF_OFFICIAL``). Its ``utils`` imports tensorboardX and
  ``test`` imports the torchvision-based ``datasets``; neither is used on this path, so they
  are stood in by empty modules when not installed; without CUDA its ``.cuda()`` calls are
  made the identity in that process.
* ``reference``: inrkit's copy of that formulation (``upscale(..., reference=True)``).
* ``fast`` and ``fast-bf16``: inrkit's default path, in fp32 and in bf16.
* ``floor-fp32`` and ``floor-bf16``: only the decoder's three 256x256 hidden layers, on as
  many rows as the upscale has (4 shifts x output pixels), in the fast path's chunks and with
  its kernels (``addmm`` + ReLU into buffers; oneDNN's fused linear-ReLU in bf16), on random
  activations. No upscale can do these products faster, so official / floor is the most any
  implementation of this formulation reaches on this machine, with everything else free.

Each run is its own subprocess, so that its peak resident memory is its own; runs alternate
(official, reference, fp32, bf16, official, ...) so that all see the same machine load, and
the best time of each is kept. Ratios are against the official code (or, without it, against
the reference formulation).

    python benchmarks/liif_speed.py [--official DIR] [--weights edsr-baseline-liif.pth]
        [--size 128] [--scale 4] [--repeats 3] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

PATHS = ("official", "reference", "fast", "fast-bf16", "floor-fp32", "floor-bf16")
FLOORS = ("floor-fp32", "floor-bf16")
PRECISION = {"fast": "fp32", "fast-bf16": "bf16"}
SPEC = {
    "name": "liif",
    "args": {
        "encoder_spec": {"name": "edsr-baseline", "args": {"no_upsampling": True}},
        "imnet_spec": {"name": "mlp", "args": {"out_dim": 3, "hidden_list": [256, 256, 256, 256]}},
    },
}


def _official(args: argparse.Namespace, image: torch.Tensor, out_hw: tuple[int, int]) -> tuple:
    """The official code's prediction for ``image``: (seconds, (1, 3, H, W) in [0, 1])."""
    import types

    # Not our layout: the unmodified official checkout imports its own modules top-level.
    sys.path.insert(0, args.official)
    for name in ("tensorboardX", "datasets"):  # imported at the top, unused on this path
        try:
            __import__(name)
        except ImportError:
            stub = types.ModuleType(name)
            stub.SummaryWriter = None  # type: ignore[attr-defined]
            sys.modules[name] = stub
    # The official query hard-codes .cuda(); on a CPU machine it is the identity here.
    if not torch.cuda.is_available():
        torch.Tensor.cuda = lambda self, *a, **k: self  # type: ignore[method-assign]
    import models  # the official package
    import utils
    from test import batched_predict

    ckpt = torch.load(args.weights, map_location="cpu", weights_only=False)
    model = models.make(ckpt["model"], load_sd=True).eval()
    start = time.perf_counter()
    # As the official demo.py: normalise, all coordinates and cells, batched_predict(30000).
    coord = utils.make_coord(out_hw)
    cell = torch.ones_like(coord)
    cell[:, 0] *= 2 / out_hw[0]
    cell[:, 1] *= 2 / out_hw[1]
    pred = batched_predict(
        model, (image - 0.5) / 0.5, coord.unsqueeze(0), cell.unsqueeze(0), bsize=30000
    )[0]
    pred = (pred * 0.5 + 0.5).clamp(0, 1).view(*out_hw, 3).permute(2, 0, 1)
    return time.perf_counter() - start, pred[None]


def _child(args: argparse.Namespace) -> None:
    """Run one path once; print a JSON line with seconds and peak RSS; save the output."""
    from inrkit.liif import load
    from inrkit.liif.inference import upscale_tensor

    image = torch.rand(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(1))
    out_hw = (round(args.size * args.scale), round(args.size * args.scale))
    if args.path == "official":
        seconds, out = _official(args, image, out_hw)
        np.save(args.save, out.numpy())
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"seconds": seconds, "peak_rss_mib": rss_mib}))
        return
    model = load(args.weights)
    if args.path in FLOORS:
        print(json.dumps(_floor(model, out_hw, args.path == "floor-bf16")))
        return
    start = time.perf_counter()
    if args.path == "reference":  # the official batched_predict: bsize 30000, plain query
        out = upscale_tensor(model, image, out_hw, reference=True, chunk=30000)
    else:
        out = upscale_tensor(model, image, out_hw, precision=PRECISION[args.path])
    seconds = time.perf_counter() - start
    np.save(args.save, out.numpy())
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mib": rss_mib}))


def _floor(model: torch.nn.Module, out_hw: tuple[int, int], bf16: bool) -> dict:
    """Seconds of the hidden 256x256 GEMMs alone over all rows of the upscale (see above)."""
    from inrkit.liif.defaults import DEFAULT_CHUNK
    from inrkit.liif.fast_mlp import fused_linear_relu

    linears = [m for m in model.imnet.layers if isinstance(m, torch.nn.Linear)]
    dtype = torch.bfloat16 if bf16 else torch.float32
    hidden = [(lin.bias.detach().to(dtype), lin.weight.detach().to(dtype)) for lin in linears[1:-1]]
    rows, chunk = 4 * out_hw[0] * out_hw[1], 4 * DEFAULT_CHUNK
    x = torch.randn(chunk, hidden[0][1].shape[1]).to(dtype)
    bufs = [torch.empty(chunk, w.shape[0], dtype=dtype) for _, w in hidden]
    fused = fused_linear_relu(dtype, x.device) if bf16 else None
    with torch.inference_mode():
        start = time.perf_counter()
        for _ in range(0, rows, chunk):
            y = x
            for (bias, weight), buf in zip(hidden, bufs, strict=True):
                if fused is not None:
                    y = fused(y, weight, bias, "relu", [], "")
                else:
                    y = torch.addmm(bias, y, weight.t(), out=buf).relu_()
        seconds = time.perf_counter() - start
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_rss_mib": rss_mib}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="input side in pixels")
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--official",
        default=os.environ.get("LIIF_OFFICIAL"),
        help="a checkout of the official LIIF repository (default: $LIIF_OFFICIAL)",
    )
    parser.add_argument(
        "--weights", help="an official-format LIIF checkpoint (default: seeded random weights)"
    )
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--path", choices=PATHS, help=argparse.SUPPRESS)
    parser.add_argument("--save", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.path:
        return _child(args)

    from inrkit.nn.precision import bf16_native

    paths = [p for p in PATHS if (p != "official" or args.official)]
    if not bf16_native("cpu"):
        paths.remove("fast-bf16")
        paths.remove("floor-bf16")
    base = "official" if args.official else "reference"
    results: dict[str, list[dict]] = {path: [] for path in paths}
    with tempfile.TemporaryDirectory() as tmp:
        if args.weights is None:  # seeded weights, saved in the official format for all paths
            from inrkit.liif import make_model

            torch.manual_seed(0)
            state = make_model(SPEC).state_dict()
            args.weights = str(Path(tmp) / "seeded.pth")
            torch.save({"model": {**SPEC, "sd": state}}, args.weights)
        outputs = {}
        for _ in range(args.repeats):
            for path in paths:
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
                    "--weights",
                    args.weights,
                    *(["--official", args.official] if args.official else []),
                ]
                line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                results[path].append(json.loads(line.strip().splitlines()[-1]))
                if path not in FLOORS:
                    outputs[path] = np.load(save)
        diff = float(np.abs(outputs[base] - outputs["fast"]).max())
        low = outputs.get("fast-bf16")
        if low is not None:
            low_diff = np.abs(low - outputs["fast"])
            low_max, low_rms = float(low_diff.max()), float(np.sqrt((low_diff**2).mean()))
    best = {p: min(r["seconds"] for r in runs) for p, runs in results.items()}
    rss = {p: max(r["peak_rss_mib"] for r in runs) for p, runs in results.items()}
    side = round(args.size * args.scale)
    print(
        f"EDSR-baseline-LIIF, {args.size}x{args.size} -> x{args.scale:g} ({side}x{side}), "
        f"{args.threads} threads, best of {args.repeats}, ratios against {base}"
    )
    for path in paths:
        times = ", ".join(f"{r['seconds']:.2f}" for r in results[path])
        ratio = best[base] / best[path]
        print(
            f"  {path:10s}  {best[path]:7.2f} s  {ratio:5.2f}x  (runs: {times})  "
            f"peak RSS {rss[path]:5.0f} MiB"
        )
    if "fast-bf16" not in paths:
        print("  fast-bf16: skipped, this CPU has no native bfloat16")
    print(f"  max |fast - {base}|: {diff:.2e}  ({'OK' if diff <= 1e-4 else 'MISMATCH'} at 1e-4)")
    if low is not None:
        print(f"  |fast-bf16 - fast| (RGB in [0, 1]): max {low_max:.2e}, rms {low_rms:.2e}")
    if diff > 1e-4:
        sys.exit(1)


if __name__ == "__main__":
    main()
