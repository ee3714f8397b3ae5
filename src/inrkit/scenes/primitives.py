"""Analytic ray intersections with boxes, spheres, finite cylinders and planes, in NumPy.

Every solid is convex, so a ray meets it in one interval [t_in, t_out] of distances along the
(unit) ray: the slab method for boxes (Kay & Kajiya 1986), the quadratic for spheres, and for
cylinders the interval of the infinite cylinder cut by the slab between the caps. The entry
distance gives what the camera sees; a non-empty interval ahead of a point says it is in shadow.
Only rays through a solid's bounding sphere are tested, and normals are computed only at the
points the camera sees.

Shapes: N rays with origins (N, 3) and unit directions (N, 3); a solid has its own frame
(centre and local-to-world rotation), and rays are moved into it before intersecting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = 1e-6  # distances below this count as the ray's own start point


@dataclass(frozen=True)
class Solid:
    """A box, sphere or cylinder with its material, belonging to one object."""

    kind: str
    """``"box"``, ``"sphere"`` or ``"cylinder"`` (axis along the local z)."""
    centre: np.ndarray
    """(3,) world position of the solid's centre."""
    rotation: np.ndarray
    """(3, 3) local-to-world rotation."""
    size: np.ndarray
    """(3,) half-extents; a sphere's radius is size[0], a cylinder's radius size[0] and half
    height size[2]."""
    albedo: np.ndarray
    """(3,) linear RGB reflectance."""
    specular: float = 0.0
    """Strength of the Blinn-Phong highlight."""
    shininess: float = 1.0
    """Blinn-Phong exponent."""
    object_id: int = 0
    """1-based index of the object this solid belongs to."""


@dataclass(frozen=True)
class Plane:
    """An infinite plane ``normal . p = offset``, seen from the side ``normal`` points to."""

    normal: np.ndarray
    offset: float
    albedo: np.ndarray
    shading_normal: np.ndarray | None = None
    """Light the plane as if it faced this way (a backdrop lit like the ground shows no seam)."""


def _slab(o: np.ndarray, inv_d: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """Entry and exit distances (N,) through the slab |o + t d| <= half along one axis."""
    t1, t2 = (-half - o) * inv_d, (half - o) * inv_d
    return np.minimum(t1, t2), np.maximum(t1, t2)


def _inverse(d: np.ndarray) -> np.ndarray:
    # Rays parallel to a slab get +-huge distances instead of nan.
    return 1.0 / np.where(np.abs(d) < 1e-12, 1e-12, d)


def _box(o: np.ndarray, d: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inv_d = _inverse(d)
    t_in, t_out = _slab(o[:, 0], inv_d[:, 0], half[0])
    for axis in (1, 2):
        lo, hi = _slab(o[:, axis], inv_d[:, axis], half[axis])
        t_in, t_out = np.maximum(t_in, lo), np.minimum(t_out, hi)
    return t_in, t_out


def _sphere(o: np.ndarray, d: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    b = np.einsum("nc,nc->n", o, d)
    disc = b * b - (np.einsum("nc,nc->n", o, o) - radius * radius)
    root = np.sqrt(np.maximum(disc, 0.0))
    return np.where(disc >= 0, -b - root, np.inf), np.where(disc >= 0, -b + root, -np.inf)


def _cylinder(
    o: np.ndarray, d: np.ndarray, radius: float, half: float
) -> tuple[np.ndarray, np.ndarray]:
    # The infinite cylinder x^2 + y^2 <= r^2 is a t^2 + 2 b t + c <= 0, cut by the caps' slab.
    a = d[:, 0] ** 2 + d[:, 1] ** 2
    b = o[:, 0] * d[:, 0] + o[:, 1] * d[:, 1]
    c = o[:, 0] ** 2 + o[:, 1] ** 2 - radius * radius
    disc = b * b - a * c
    parallel = a < 1e-12  # along the axis: inside for all t, or never
    root = np.sqrt(np.maximum(disc, 0.0))
    safe_a = np.where(parallel, 1.0, a)
    side_in = np.where(disc >= 0, (-b - root) / safe_a, np.inf)
    side_out = np.where(disc >= 0, (-b + root) / safe_a, -np.inf)
    side_in = np.where(parallel, np.where(c <= 0, -np.inf, np.inf), side_in)
    side_out = np.where(parallel, np.where(c <= 0, np.inf, -np.inf), side_out)
    cap_in, cap_out = _slab(o[:, 2], _inverse(d[:, 2]), half)
    return np.maximum(side_in, cap_in), np.minimum(side_out, cap_out)


_INTERVALS = {"box": _box, "sphere": _sphere, "cylinder": _cylinder}


def interval(solid: Solid, origins: np.ndarray, dirs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entry and exit distances (N,) of rays through a solid; a ray misses when t_in > t_out."""
    # Into the solid's frame: R^T (p - c), written row-wise as (p - c) @ R.
    o = (origins - solid.centre) @ solid.rotation
    d = dirs @ solid.rotation
    if solid.kind == "box":
        return _box(o, d, solid.size)
    if solid.kind == "sphere":
        return _sphere(o, d, float(solid.size[0]))
    if solid.kind == "cylinder":
        return _cylinder(o, d, float(solid.size[0]), float(solid.size[2]))
    raise ValueError(f"unknown solid kind {solid.kind!r}")


def normal_at(solid: Solid, points: np.ndarray) -> np.ndarray:
    """World normals (N, 3) of a solid at points (N, 3) on its surface."""
    p = (points - solid.centre) @ solid.rotation  # local coordinates
    if solid.kind == "sphere":
        local = p / solid.size[0]
    elif solid.kind == "box":
        # The face is the axis where the point is relatively furthest out.
        axis = np.argmax(np.abs(p) / solid.size, axis=-1)
        local = np.zeros_like(p)
        rows = np.arange(len(p))
        local[rows, axis] = np.sign(p[rows, axis])
    else:  # cylinder: a cap where |z| / h beats the radial distance / r
        radial = np.hypot(p[:, 0], p[:, 1])
        on_cap = np.abs(p[:, 2]) / solid.size[2] >= radial / solid.size[0]
        side = (
            np.stack([p[:, 0], p[:, 1], np.zeros(len(p))], axis=-1)
            / np.maximum(radial, 1e-12)[:, None]
        )
        cap = np.zeros_like(p)
        cap[:, 2] = np.where(p[:, 2] >= 0, 1.0, -1.0)
        local = np.where(on_cap[:, None], cap, side)
    return local @ solid.rotation.T


def bounding_radius(solid: Solid) -> float:
    """Radius of a sphere around ``solid.centre`` that holds the solid."""
    if solid.kind == "sphere":
        return float(solid.size[0])
    if solid.kind == "cylinder":
        return float(np.hypot(solid.size[0], solid.size[2]))
    return float(np.linalg.norm(solid.size))


def _through_sphere(
    centre: np.ndarray, radius: float, origins: np.ndarray, dirs: np.ndarray
) -> np.ndarray:
    """(N,) whether rays pass through a sphere ahead of their origin (or start inside it)."""
    oc = origins - centre
    b = np.einsum("nc,nc->n", oc, dirs)
    disc = b * b - np.einsum("nc,nc->n", oc, oc) + radius * radius
    return (disc >= 0) & (-b + np.sqrt(np.maximum(disc, 0.0)) > EPS)


def _culled(solids: list[Solid], origins: np.ndarray, dirs: np.ndarray):
    """Yield (index, solid, rays, origins, dirs) with the rays that may meet each solid.

    Most rays miss most objects: only the rays through a bounding sphere of each object (the
    solids with one ``object_id``) get the exact tests; ``rays`` are their indices.
    """
    by_object: dict[int, list[int]] = {}
    for i, solid in enumerate(solids):
        by_object.setdefault(solid.object_id, []).append(i)
    for members in by_object.values():
        centres = np.stack([solids[i].centre for i in members])
        radii = np.array([bounding_radius(solids[i]) for i in members])
        centre = 0.5 * (centres.min(axis=0) + centres.max(axis=0))
        radius = float(np.max(np.linalg.norm(centres - centre, axis=1) + radii))
        rays = np.flatnonzero(_through_sphere(centre, radius, origins, dirs))
        o, d = origins[rays], dirs[rays]
        for i in members:
            yield i, solids[i], rays, o, d


def first_hit(
    solids: list[Solid], origins: np.ndarray, dirs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The nearest solid in front of each ray: distances (N,) (inf where nothing is hit) and
    indices into ``solids`` (N,) (-1 where nothing is hit)."""
    n = len(origins)
    best_t, best_i = np.full(n, np.inf), np.full(n, -1)
    for i, solid, rays, o, d in _culled(solids, origins, dirs):
        t_in, t_out = interval(solid, o, d)
        nearer = (t_in <= t_out) & (t_in > EPS) & (t_in < best_t[rays])
        best_t[rays[nearer]] = t_in[nearer]
        best_i[rays[nearer]] = i
    return best_t, best_i


def hit_normals(solids: list[Solid], index: np.ndarray, points: np.ndarray) -> np.ndarray:
    """World normals (N, 3) at points (N, 3) on the solids ``index`` (N,) (zero where -1)."""
    normals = np.zeros_like(points)
    for i, solid in enumerate(solids):
        rows = np.flatnonzero(index == i)
        normals[rows] = normal_at(solid, points[rows])
    return normals


def blocked(solids: list[Solid], origins: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """(N,) whether any solid lies ahead of each ray (also when the ray starts inside one)."""
    hit = np.zeros(len(origins), dtype=bool)
    for _, solid, rays, o, d in _culled(solids, origins, dirs):
        t_in, t_out = interval(solid, o, d)
        hit[rays[(t_in <= t_out) & (t_out > EPS)]] = True
    return hit


def plane_hit(plane: Plane, origins: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Distances (N,) to a plane along rays that face it; inf for the others."""
    facing = dirs @ plane.normal
    safe = np.where(facing < -1e-12, facing, -1.0)
    t = (plane.offset - origins @ plane.normal) / safe
    return np.where((facing < -1e-12) & (t > EPS), t, np.inf)
