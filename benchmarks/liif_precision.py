"""What bf16 costs in PSNR: every image upscaled in fp32 and in bf16, scored side by side.

Same model, same LR inputs and the same protocol as ``inrkit liif eval`` (the official
``LR_bicubic`` folders at x2-x4, benchmark protocol: Y channel, shave = scale); each image is
upscaled twice in one process, so the difference is paired image by image.

    python benchmarks/liif_precision.py --model /work/shared/weights/liif/edsr-baseline-liif.pth \\
        --dataset set5,set14,b100 --scale 2,3,4 --root /work/data/load [--json out.json]

``--fp32-from benchmarks/liif_benchmarks.json`` takes the fp32 means of the sets listed there
(the same evaluation, fp32, with the same weights) instead of recomputing them: on a CPU
budget only bf16 runs, and the per-image worst drop is not reported for those rows.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

from inrkit.liif import load
from inrkit.liif.eval_config import open_eval_set
from inrkit.liif.evaluate import _pairs_at, score
from inrkit.liif.inference import upscale_tensor
from inrkit.nn.precision import bf16_native

GOAL_DB = 0.02  # the most PSNR bf16 may lose at any scale


def evaluate(
    model: torch.nn.Module, dataset: str, root: str, scale: float, fp32: float | None = None
) -> dict[str, float | None]:
    """Mean PSNR in fp32 and in bf16, the largest per-image drop, and the time of each;
    with ``fp32`` given (a known fp32 mean), only bf16 runs."""
    opened = open_eval_set(dataset, root, [scale])
    precisions = ("fp32", "bf16") if fp32 is None else ("bf16",)
    sums = {"fp32": 0.0, "bf16": 0.0}
    seconds = {"fp32": 0.0, "bf16": 0.0}
    worst, count = 0.0, 0
    for lr, hr in _pairs_at(scale, opened.hr_images, opened.paired):
        out_hw = (hr.shape[-2], hr.shape[-1])
        psnr = {"fp32": math.inf}
        for precision in precisions:
            start = time.perf_counter()
            sr = upscale_tensor(model, lr[None], out_hw, precision=precision)[0]
            seconds[precision] += time.perf_counter() - start
            psnr[precision] = score(sr, hr, opened.protocol, scale)["psnr"]
            sums[precision] += psnr[precision]
        worst = max(worst, psnr["fp32"] - psnr["bf16"])
        count += 1
    return {
        "fp32": sums["fp32"] / count if fp32 is None else fp32,
        "bf16": sums["bf16"] / count,
        "images": count,
        "worst_image_drop": worst if fp32 is None else None,
        "fp32_s": seconds["fp32"],
        "bf16_s": seconds["bf16"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", default="set5,set14,b100")
    parser.add_argument("--scale", default="2,3,4")
    parser.add_argument("--root", default=None)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--fp32-from", type=Path, help="liif_benchmarks.json: fp32 means of the rows it has"
    )
    args = parser.parse_args()
    if not bf16_native("cpu"):
        sys.exit("this CPU has no native bfloat16: bf16 would run as fp32, nothing to compare")
    torch.set_num_threads(args.threads)
    model = load(args.model)
    known = {}
    if args.fp32_from:
        known = {k: r["inrkit"] for k, r in json.loads(args.fp32_from.read_text())["rows"].items()}
    rows = []
    print(f"{args.model}: PSNR (Y, shave = scale), fp32 and bf16 on the same images")
    print("set      scale      fp32      bf16  bf16-fp32  worst img          time")
    for dataset in args.dataset.split(","):
        for scale in (float(s) for s in args.scale.split(",")):
            r = evaluate(model, dataset, args.root, scale, known.get(f"{dataset}-x{scale:g}"))
            r.update(dataset=dataset, scale=scale)
            rows.append(r)
            diff = r["bf16"] - r["fp32"]
            speed = f"{r['fp32_s']:.0f}/{r['bf16_s']:.0f} s"
            worst = (
                "  (fp32 given)"
                if r["worst_image_drop"] is None
                else f"{-r['worst_image_drop']:>+11.4f}"
            )
            print(
                f"{dataset:<8}{scale:>6g}{r['fp32']:>10.4f}{r['bf16']:>10.4f}{diff:>+11.4f}"
                f"{worst}{speed:>14}",
                flush=True,
            )
    worst = max(r["fp32"] - r["bf16"] for r in rows)
    verdict = "within" if worst <= GOAL_DB else "OVER"
    print(f"largest mean drop {worst:.4f} dB: {verdict} the goal of {GOAL_DB} dB")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
