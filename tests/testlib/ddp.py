"""Two-process DDP runs for the trainers' tests: torchrun on the CPU, rendezvous on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago, for the rendezvous."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def two_rank_digests(worker: str, *args: str | Path, folder: Path) -> list[str]:
    """Run ``worker`` on two ranks under torchrun; the digests the ranks printed, in order.

    Each rank trains and prints ``DIGEST <weights_sha256>``; ``--tee 3`` passes both ranks'
    stdout through. Fails the test (with the end of stderr) when torchrun does not exit 0.

    Args:
        worker: Source of the script each rank runs; ``args`` become its ``sys.argv[1:]``.
        folder: Where the script is written, as ``worker.py``.
    """
    script = folder / "worker.py"
    script.write_text(worker)
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(free_port()),
        "--tee",
        "3",
        str(script),
        *map(str, args),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # two ranks, one thread each
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    return [line.split("DIGEST ")[1].strip() for line in lines if "DIGEST " in line]
