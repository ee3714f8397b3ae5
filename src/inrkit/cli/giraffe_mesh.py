"""``inrkit giraffe mesh``: one object's surface as a PLY, OBJ or GLB mesh.

The output format (by extension), the flags and that the output does not exist (without
``--overwrite``) are checked before the model is loaded; :mod:`inrkit.giraffe.mesh` does the
work.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from inrkit.cli.flags import number, whole
from inrkit.errors import InrkitError, file_error
from inrkit.giraffe.defaults import (  # torch-free, unlike inrkit.giraffe.mesh
    DEFAULT_RESOLUTION,
    MAX_RESOLUTION,
    MESH_FORMATS,
    MIN_RESOLUTION,
)


def resolution(text: str) -> int:
    """Grid points per axis: MIN_RESOLUTION to MAX_RESOLUTION."""
    return whole(text, MIN_RESOLUTION, MAX_RESOLUTION, "resolution")


def threshold(text: str) -> float:
    """A surface density > 0."""
    value = number(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"threshold must be a density > 0, got {text!r}")
    return value


def add_mesh(commands: argparse._SubParsersAction) -> None:
    """Register ``inrkit giraffe mesh``."""
    p = commands.add_parser(
        "mesh",
        help="extract an object's surface as a mesh (PLY, OBJ, GLB)",
        description="Sample object K's density on a grid over its box (the box is [-1, 1]^3; "
        "the grid covers the renderer's padded box [-1.1, 1.1]^3), extract the surface where "
        "the density equals --threshold by marching cubes, and write it in the box's "
        "coordinates (x: depth, y: sideways, z: up) as PLY, OBJ or GLB by the extension of "
        "--out. Needs scikit-image and trimesh (pip install 'inrkit[mesh]').",
    )
    p.add_argument(
        "--model",
        default="default",
        metavar="CKPT",
        help="checkpoint file or pretrained name (default: %(default)s)",
    )
    p.add_argument("--config", metavar="PRESET", help="preset or YAML, for official checkpoints")
    p.add_argument(
        "--seed",
        type=lambda t: whole(t, 0, 2**63 - 1, "seed"),
        default=0,
        metavar="S",
        help="shape seed, as the page's (default: %(default)s)",
    )
    p.add_argument(
        "--object",
        type=lambda t: whole(t, 0, 10_000, "object"),
        default=0,
        metavar="K",
        help="which object, from 0 (default: %(default)s)",
    )
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="car.ply, .obj, .glb")
    p.add_argument(
        "--resolution",
        type=resolution,
        default=DEFAULT_RESOLUTION,
        metavar="N",
        help=f"grid points per axis, {MIN_RESOLUTION} to {MAX_RESOLUTION} (default: %(default)s)",
    )
    p.add_argument(
        "--threshold",
        type=threshold,
        metavar="T",
        help="surface density (default: ln 2 over the renderer's sample spacing, where one "
        "sample interval is half opaque; 2.9 for the default model)",
    )
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to evaluate")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("-q", "--quiet", action="store_true", help="no 'wrote' line")
    p.set_defaults(run=run_mesh)


def run_mesh(args: argparse.Namespace) -> int:
    """Check the flags, load the model, extract and write the mesh; 0 on success."""
    suffix = args.out.suffix.lower()
    if suffix not in MESH_FORMATS:
        raise file_error(
            args.out,
            f"unknown mesh format {suffix or '(none)'!r} (known: {', '.join(MESH_FORMATS)})",
        )
    if args.out.is_dir():
        raise file_error(args.out, "is a directory")
    if args.out.exists() and not args.overwrite:
        raise file_error(args.out, "already exists (use --overwrite)")

    import torch

    from inrkit.giraffe import load
    from inrkit.giraffe.mesh import object_mesh, require_mesh_libraries, write_mesh
    from inrkit.giraffe.official_config import resolve_config

    require_mesh_libraries()  # a missing library is reported before the model loads
    if args.config is not None:
        resolve_config(args.config)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise InrkitError("--device cuda: no CUDA device is available")
    model = load(args.model, config=args.config, device=args.device)
    start = time.perf_counter()
    result = object_mesh(
        model,
        seed=args.seed,
        object_index=args.object,
        resolution=args.resolution,
        threshold=args.threshold,
    )
    seconds = time.perf_counter() - start
    write_mesh(result.mesh, args.out, overwrite=args.overwrite)
    if not args.quiet:
        mesh = result.mesh
        closed = "watertight" if mesh.is_watertight else "not watertight"
        print(
            f"wrote {args.out}: {len(mesh.vertices)} vertices, {len(mesh.faces)} faces, "
            f"{closed}, threshold {result.threshold:.3g}, resolution {args.resolution} "
            f"({seconds:.1f} s)"
        )
    return 0
