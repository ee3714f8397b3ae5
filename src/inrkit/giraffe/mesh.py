"""Object meshes: an object's density field, sampled in its box, as a triangle mesh.

GIRAFFE's object fields (Sec. 3.1) give a density at any point of the object's box
coordinates, where the box is [-1, 1]^3 (x: depth, y: sideways, z: up; the renderer evaluates
the field up to 1.1, :data:`~inrkit.giraffe.rendering.BOX_PADDING`). :func:`object_mesh`
samples object K's density on a regular grid over that padded box, chunk by chunk, and extracts
the surface where the density equals a threshold by marching cubes (scikit-image's Lewiner
variant); :func:`write_mesh` saves it with trimesh as PLY, OBJ or GLB. The mesh is in the box's
coordinates: the pose sliders (scale, position, rotation) are not applied.

The threshold is a density. By default it is the density at which one of the renderer's sample
intervals is half opaque, ln 2 / ((far - near) / (n_ray_samples - 1)) (Eq. 6's alpha = 0.5;
the image plane is at distance 1, so the depths are world units): 2.9 for the bundled default
model, 7.9 for the official 64-sample configs. Outside the padded box the renderer zeroes the
density, and so does the grid's one-voxel border here, so every mesh is closed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from inrkit.errors import InrkitError, file_error
from inrkit.giraffe.defaults import (
    DEFAULT_RESOLUTION,
    MAX_RESOLUTION,
    MAX_SEED,
    MESH_FORMATS,
    MIN_RESOLUTION,
)
from inrkit.giraffe.programs import generator_of
from inrkit.giraffe.rendering import BOX_PADDING
from inrkit.giraffe.sliders import seed_codes
from inrkit.io.files import atomic_write

CHUNK = 1 << 16
"""Grid points per field call: memory beyond the grid itself stays at a few MB."""


@dataclass(frozen=True)
class ObjectMesh:
    """A mesh and how it was made."""

    mesh: Any
    """A ``trimesh.Trimesh`` in the object's box coordinates."""
    threshold: float
    """The density of the surface."""
    resolution: int
    """Grid points per axis over the padded box."""


def require_mesh_libraries() -> tuple[Any, Any]:
    """(skimage.measure, trimesh), or a one-line error saying how to install them."""
    try:
        import trimesh
        from skimage import measure
    except ImportError:
        raise InrkitError(
            "object meshes need scikit-image and trimesh: pip install 'inrkit[mesh]'"
        ) from None
    return measure, trimesh


def default_threshold(model: object) -> float:
    """ln 2 over the renderer's sample spacing: where one sample interval is half opaque."""
    gen = generator_of(model)
    near, far = gen.depth_range
    return math.log(2.0) / ((far - near) / (gen.n_ray_samples - 1))


def density_grid(
    density: Callable[[torch.Tensor], torch.Tensor],
    resolution: int,
    bound: float,
    *,
    chunk: int = CHUNK,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """``density`` at the points of a regular grid over [-bound, bound]^3.

    Args:
        density: Points (M, 3) -> densities (M,).
        resolution: Points per axis (R), both ends included.
        bound: Half the side of the cube.
        chunk: Points per call; only one chunk of points exists at a time.

    Returns:
        (R, R, R) float32, indexed [x, y, z].
    """
    axis = torch.linspace(-bound, bound, resolution, device=device)
    grid = np.empty(resolution**3, dtype=np.float32)
    for start in range(0, resolution**3, chunk):
        idx = torch.arange(start, min(start + chunk, resolution**3), device=device)
        ijk = torch.stack(
            [idx // resolution**2, (idx // resolution) % resolution, idx % resolution]
        )
        with torch.no_grad():
            grid[start : start + len(idx)] = density(axis[ijk].T).float().cpu().numpy()
    return grid.reshape(resolution, resolution, resolution)


def mesh_from_grid(grid: np.ndarray, threshold: float, bound: float) -> Any:
    """The closed surface where ``grid`` (R, R, R) over [-bound, bound]^3 equals
    ``threshold`` (inside: above), as a ``trimesh.Trimesh``; None when nothing is above."""
    measure, trimesh = require_mesh_libraries()
    if not float(grid.max()) > threshold:
        return None
    # A border far below the threshold closes the surface where the field is dense up to the
    # edge (the renderer's density is zero beyond the padded box); so far below that the
    # interpolated crossing sits on the box's face (within 1e-6 of a step), not beyond it.
    floor = threshold - 1e6 * max(1.0, float(grid.max()) - threshold)
    padded = np.pad(grid, 1, constant_values=floor)
    step = 2.0 * bound / (grid.shape[0] - 1)
    verts, faces, _, _ = measure.marching_cubes(
        padded, level=threshold, spacing=(step, step, step), gradient_direction="ascent"
    )
    verts -= bound + step  # the first padded voxel sits one step before -bound
    return trimesh.Trimesh(vertices=verts, faces=faces, process=True)


def object_mesh(
    model: object,
    *,
    seed: int = 0,
    object_index: int = 0,
    resolution: int = DEFAULT_RESOLUTION,
    threshold: float | None = None,
    chunk: int = CHUNK,
) -> ObjectMesh:
    """Object ``object_index``'s surface for shape seed ``seed`` (the page's shape seed).

    Args:
        model: A loaded model (its averaged generator) or a :class:`Generator`.
        seed: Shape seed; the object takes its row of the seed's codes, as on the page.
        object_index: Which box, from 0.
        resolution: Grid points per axis over the padded box [-1.1, 1.1]^3 (8 to 512); the
            grid takes 4 R^3 bytes (1 MB at 64, 67 MB at 256).
        threshold: Surface density (default: :func:`default_threshold`).
        chunk: Grid points per field call.

    Raises:
        InrkitError: Bad arguments, or no density above the threshold.
    """
    gen = generator_of(model)
    k = gen.get_n_boxes()
    _check(seed, object_index, resolution, threshold, k)
    threshold = default_threshold(gen) if threshold is None else float(threshold)
    objects, _ = seed_codes(gen, seed)
    z = objects[object_index : object_index + 1].to(gen.device)  # (1, z_dim)

    def density(p: torch.Tensor) -> torch.Tensor:
        index = torch.zeros(len(p), dtype=torch.long, device=p.device)
        _, sigma = gen.decoder.query(p, z, z, None, index=index)  # density ignores appearance
        return torch.relu(sigma)

    bound = 1.0 + BOX_PADDING
    grid = density_grid(density, resolution, bound, chunk=chunk, device=gen.device)
    mesh = mesh_from_grid(grid, threshold, bound)
    if mesh is None:
        raise InrkitError(
            f"object {object_index} of shape seed {seed}: no density above {threshold:g} in "
            f"its box (highest {float(grid.max()):.3g}); lower the threshold"
        )
    return ObjectMesh(mesh, threshold, resolution)


def _check(seed: int, obj: int, resolution: int, threshold: float | None, k: int) -> None:
    def whole(v: object) -> bool:
        return isinstance(v, numbers.Integral) and not isinstance(v, bool)

    if not whole(seed) or not 0 <= seed <= MAX_SEED:
        raise InrkitError(f"seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}")
    if not whole(obj) or not 0 <= obj < k:
        named = "0" if k == 1 else f"0 to {k - 1}"
        raise InrkitError(f"object {obj!r}: the model has {k} object(s), numbered {named}")
    if not whole(resolution) or not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
        raise InrkitError(
            f"resolution must be a whole number from {MIN_RESOLUTION} to {MAX_RESOLUTION}, "
            f"got {resolution!r}"
        )
    if threshold is not None and not (
        isinstance(threshold, numbers.Real)
        and not isinstance(threshold, bool)
        and math.isfinite(threshold)
        and threshold > 0
    ):
        raise InrkitError(f"threshold must be a density > 0, got {threshold!r}")


def check_mesh_path(path: str | Path) -> str:
    """The file type of ``path`` from its extension, or a one-line error."""
    suffix = Path(path).suffix.lower()
    if suffix not in MESH_FORMATS:
        raise file_error(
            path, f"unknown mesh format {suffix or '(none)'!r} (known: {', '.join(MESH_FORMATS)})"
        )
    return suffix[1:]


def write_mesh(mesh: Any, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write ``mesh`` (a ``trimesh.Trimesh``) as PLY (binary), OBJ or GLB, by extension."""
    file_type = check_mesh_path(path)
    require_mesh_libraries()
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # e.g. a file where a folder should be
        raise file_error(path, f"cannot write ({e.strerror or e})") from None
    return atomic_write(
        path,
        lambda tmp: mesh.export(file_obj=str(tmp), file_type=file_type),
        overwrite=overwrite,
        exists_message="already exists (use --overwrite)",
        os_error="cannot write",
    )
