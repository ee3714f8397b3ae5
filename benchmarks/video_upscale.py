"""Frames per second and peak memory of ``inrkit upscale clip.mp4`` (video through LIIF).

Makes a WIDTHxHEIGHT clip with audio (ffmpeg's test pattern and a sine, through the ffmpeg that
imageio-ffmpeg ships), then runs ``inrkit upscale CLIP --scale S`` in a subprocess on the first
SHORT and the first LONG frames, and once on a single frame saved as PNG. Frames per second
come from the difference of the two video runs, so start-up (imports, model load, probing)
cancels out; peak RSS of each run shows that memory does not grow with the frame count and
stays near that of one image.

    python benchmarks/video_upscale.py [--size 640x360] [--scale 2] [--short 2] [--long 6]
        [--model default] [--precision fp32|bf16]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from inrkit.io.video import read_frames, require_ffmpeg

# Runs the command given and prints its peak RSS (largest descendant, KiB on Linux).
MEASURE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)\n"
)


def timed(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of ``cmd``; fails loudly if it fails."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - start
    rss_kib, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr}")
    return seconds, int(rss_kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT of the clip")
    parser.add_argument("--scale", default="2")
    parser.add_argument("--short", type=int, default=2, help="frames in the short run")
    parser.add_argument("--long", type=int, default=6, help="frames in the long run")
    parser.add_argument("--model", default="default")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip = folder / "clip.mp4"
        subprocess.run(
            [
                require_ffmpeg(),
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=size={args.size}:rate=25",
            ]
            + ["-f", "lavfi", "-i", "sine=frequency=440", "-frames:v", str(args.long)]
            + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(clip)],
            check=True,
        )
        Image.fromarray(read_frames(clip)[0]).save(folder / "frame.png")
        base = [sys.executable, "-m", "inrkit", "upscale", "--scale", args.scale, "-q"]
        base += ["--model", args.model, "--precision", args.precision, "--overwrite"]
        image = timed([*base, str(folder / "frame.png")])
        short = timed(
            [*base, str(clip), "--frames", f"0:{args.short}", "-o", str(folder / "s.mp4")]
        )
        long = timed([*base, str(clip), "-o", str(folder / "l.mp4")])
    fps = (args.long - args.short) / (long[0] - short[0])
    threads = os.environ.get("OMP_NUM_THREADS", "default")
    print(f"clip {args.size}, x{args.scale}, model {args.model!r}, {args.precision}, "
          f"OMP_NUM_THREADS={threads}, "
          f"load average before: {load:.2f}")  # fmt: skip
    print(f"one frame as PNG : {image[0]:7.1f} s, peak RSS {image[1]:7.1f} MiB")
    print(f"video {args.short:3d} frames : {short[0]:7.1f} s, peak RSS {short[1]:7.1f} MiB")
    print(f"video {args.long:3d} frames : {long[0]:7.1f} s, peak RSS {long[1]:7.1f} MiB")
    print(f"steady state     : {fps:.3f} frames/s ({1 / fps:.1f} s a frame)")


if __name__ == "__main__":
    main()
