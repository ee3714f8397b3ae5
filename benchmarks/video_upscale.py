"""Frames per second and peak memory of ``inrkit upscale clip.mp4`` (video through LIIF).

Makes a WIDTHxHEIGHT clip with audio (ffmpeg's test pattern and a sine, through the ffmpeg that
imageio-ffmpeg ships), then runs ``inrkit upscale CLIP --scale S`` in a subprocess on the first
SHORT and the first LONG frames, and once on a single frame saved as PNG. Frames per second
come from the difference of the two video runs, so start-up (imports, model load, probing)
cancels out. Memory: the peak RSS of each run, with and without the ffmpeg children, and when
during the run inrkit's own peak was reached; a peak reached early in a long run and equal to
the short run's is memory that does not grow with the frame count.

    python benchmarks/video_upscale.py [--size 640x360] [--scale 2] [--short 2] [--long 6]
        [--model default] [--precision fp32|bf16] [--trace]

``--trace`` adds each frame's own peak in one process: flat values mean no growth.
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

from inrkit.io.ffmpeg import require_ffmpeg
from inrkit.io.video_read import read_frames

POLL_S = 0.1


def _status_kib(pid: int, field: str) -> int | None:
    """``field`` (VmRSS, VmHWM) of a running process in KiB, None once it has gone (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def timed(cmd: list[str]) -> tuple[float, float, float, float]:
    """(seconds, peak RSS of the process tree in MiB, the inrkit process's own peak in MiB,
    the fraction of the run after which that peak no longer rose) of ``cmd``.

    The tree's peak (``wait4``) includes the ffmpeg children; the own peak (``VmHWM``, read every
    0.1 s) is Python's alone. A peak that stops rising early in a long run, while frames keep
    coming, is memory that does not grow with the frame count.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    own, last_rise = 0, 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # reaps it: Popen must not
        if pid:
            break
        hwm = _status_kib(proc.pid, "VmHWM")
        if hwm is not None and hwm > own:
            own, last_rise = hwm, time.perf_counter() - start
        time.sleep(POLL_S)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()}")
    tree = usage.ru_maxrss  # KiB on Linux: the largest of the process and its descendants
    return seconds, tree / 1024, own / 1024, last_rise / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT of the clip")
    parser.add_argument("--scale", default="2")
    parser.add_argument("--short", type=int, default=2, help="frames in the short run")
    parser.add_argument("--long", type=int, default=6, help="frames in the long run")
    parser.add_argument("--model", default="default")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument(
        "--trace", action="store_true",
        help="also upscale the long clip in this process and print each frame's own peak RSS",
    )  # fmt: skip
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
        peaks = trace(clip, folder / "t.mp4", args) if args.trace else []
    fps = (args.long - args.short) / (long[0] - short[0])
    threads = os.environ.get("OMP_NUM_THREADS", "default")
    print(f"clip {args.size}, x{args.scale}, model {args.model!r}, {args.precision}, "
          f"OMP_NUM_THREADS={threads}, "
          f"load average before: {load:.2f}")  # fmt: skip
    for what, run in (("one frame as PNG", image), (f"video {args.short:3d} frames", short),
                      (f"video {args.long:3d} frames", long)):  # fmt: skip
        print(f"{what:17s}: {run[0]:7.1f} s, peak RSS {run[1]:6.1f} MiB (with ffmpeg), "
              f"inrkit alone {run[2]:6.1f} MiB, reached at {run[3]:4.0%} of the run")  # fmt: skip
    print(f"steady state     : {fps:.3f} frames/s ({1 / fps:.1f} s a frame)")
    if peaks:
        print("peak RSS of each frame in one process (MiB): " + " ".join(f"{p:.0f}" for p in peaks))


def trace(clip: Path, out: Path, args: argparse.Namespace) -> list[float]:
    """Each frame's own peak RSS in MiB while ``inrkit.liif.upscale_video`` upscales ``clip``
    in this process: the peak (VmHWM) is reset after every frame (Linux ``clear_refs``)."""
    import inrkit.liif as liif

    model = liif.load(args.model)
    peaks: list[float] = []
    clear = Path("/proc/self/clear_refs")

    def frame_done(done: int, total: int) -> None:
        peaks.append((_status_kib(os.getpid(), "VmHWM") or 0) / 1024)
        clear.write_text("5")  # resets VmHWM to the current RSS

    clear.write_text("5")
    liif.upscale_video(model, clip, out, scale=float(args.scale), precision=args.precision,
                       on_progress=frame_done)  # fmt: skip
    return peaks


if __name__ == "__main__":
    main()
