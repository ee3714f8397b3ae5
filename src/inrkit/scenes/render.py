"""Rendering a scene to pixels: ray casting, Lambert + Blinn-Phong shading, soft shadows.

One primary ray per sample finds the nearest surface (an object's solid, the ground or the
backdrop wall). It is lit by an ambient term and a sun: diffuse n.l (Lambert) plus a
Blinn-Phong highlight, both gated by a shadow ray towards the sun. Antialiasing renders k x k
samples per pixel and averages them in linear light; each of the k^2 sub-pixel positions uses
the sun from a slightly different direction, so the average also gives shadows a penumbra. An
ambient-occlusion term darkens the ground around each object's footprint, which grounds the
objects even where the sun's shadow falls behind them.

The object mask is cast separately through the pixel centres: 0 for the ground and the
backdrop, k for the k-th object (1-based).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inrkit.scenes.objects import rotation_z
from inrkit.scenes.primitives import Solid, blocked, first_hit, hit_normals, plane_hit
from inrkit.scenes.scene import Scene, scene_planes, scene_solids

AMBIENT = np.array([0.30, 0.32, 0.36])  # a slightly blue sky light
SUN = np.array([1.0, 0.97, 0.92])
SUN_SPREAD = 0.08  # sun directions of the sub-pixel samples, off the centre one (~4.6 degrees)
OCCLUSION = 0.6  # how much ambient light the ground loses right at an object's footprint
SHADOW_BIAS = 1e-4  # shadow rays start this far off the surface so they miss it


@dataclass(frozen=True)
class Rendering:
    """A rendered scene."""

    image: np.ndarray
    """(S, S, 3) uint8 sRGB."""
    mask: np.ndarray
    """(S, S) uint8: 0 ground or backdrop, k the k-th object (1-based)."""


def _sun_directions(light: np.ndarray, supersample: int) -> np.ndarray:
    """(k^2, 3) sun directions on a small circle around ``light`` (just ``light`` for k = 1)."""
    n = supersample * supersample
    if n == 1:
        return light[None]
    e1 = np.cross(light, [0.0, 0.0, 1.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(light, e1)
    angles = 2 * np.pi * (np.arange(n) + 0.5) / n
    dirs = light + SUN_SPREAD * (np.cos(angles)[:, None] * e1 + np.sin(angles)[:, None] * e2)
    return dirs / np.linalg.norm(dirs, axis=1, keepdims=True)


def _ground_occlusion(scene: Scene, points: np.ndarray) -> np.ndarray:
    """(N,) ambient visibility of ground points: darker near each object's footprint."""
    visibility = np.ones(len(points))
    for obj in scene.objects:
        local = (points - np.asarray(obj.centre)) @ rotation_z(obj.azimuth)
        # 1 on the ellipse around the footprint, growing outwards.
        q = np.hypot(local[:, 0] / obj.scale[0], local[:, 1] / obj.scale[1])
        visibility *= 1 - OCCLUSION * np.exp(-((np.maximum(q - 0.6, 0) / 0.45) ** 2))
    return visibility


def _nearest(solids, planes, origins, dirs):
    """Nearest surface: distances (N,), solid index (-1 if none), plane index (N,), and whether
    a solid is nearer than every plane (N,)."""
    t_solid, i_solid = first_hit(solids, origins, dirs)
    t_planes = np.stack([plane_hit(p, origins, dirs) for p in planes])  # (P, N)
    i_plane = np.argmin(t_planes, axis=0)
    t_plane = np.min(t_planes, axis=0)
    on_solid = t_solid < t_plane
    return np.where(on_solid, t_solid, t_plane), i_solid, i_plane, on_solid


@dataclass(frozen=True)
class _Surfaces:
    """What the rays see: per sample (N,) or (N, 3)."""

    points: np.ndarray
    normal: np.ndarray  # the plane's shading normal on planes
    albedo: np.ndarray
    specular: np.ndarray
    shininess: np.ndarray
    hit: np.ndarray  # anything at all
    on_ground: np.ndarray


def _surfaces(
    scene: Scene, solids: list[Solid], origins: np.ndarray, dirs: np.ndarray
) -> _Surfaces:
    """The nearest surface along each ray and its material (scenes have at least one solid)."""
    planes = scene_planes(scene)
    t, i_solid, i_plane, on_solid = _nearest(solids, planes, origins, dirs)
    hit = np.isfinite(t)
    points = origins + np.where(hit, t, 0.0)[:, None] * dirs

    def pick(solid_values: list, plane_values: list) -> np.ndarray:
        # The solid's value where a solid is nearest, else the plane's.
        from_solid = np.asarray(solid_values)[np.maximum(i_solid, 0)]
        from_plane = np.asarray(plane_values)[i_plane]
        return np.where(
            on_solid if from_solid.ndim == 1 else on_solid[:, None], from_solid, from_plane
        )

    n_solid = hit_normals(solids, np.where(on_solid, i_solid, -1), points)
    n_planes = [p.normal if p.shading_normal is None else p.shading_normal for p in planes]
    return _Surfaces(
        points=points,
        normal=np.where(on_solid[:, None], n_solid, np.stack(n_planes)[i_plane]),
        albedo=pick([s.albedo for s in solids], [p.albedo for p in planes]),
        specular=pick([s.specular for s in solids], [0.0] * len(planes)),
        shininess=pick([s.shininess for s in solids], [1.0] * len(planes)),
        hit=hit,
        on_ground=~on_solid & (i_plane == 0) & hit,
    )


def shade(scene: Scene, dirs: np.ndarray, suns: np.ndarray) -> np.ndarray:
    """Linear RGB (N, 3) seen along unit rays (N, 3) from the camera, each lit by its sun (N, 3)."""
    solids = scene_solids(scene)
    origins = np.broadcast_to(np.asarray(scene.camera.position, dtype=np.float64), dirs.shape)
    surf = _surfaces(scene, solids, origins, dirs)

    n_dot_l = np.einsum("nc,nc->n", surf.normal, suns)
    lit = (n_dot_l > 0) & surf.hit
    sunlit = np.zeros(len(dirs))  # 1 where the shadow ray reaches the sun
    sunlit[lit] = ~blocked(solids, surf.points[lit] + SHADOW_BIAS * surf.normal[lit], suns[lit])
    ambient = np.ones(len(dirs))
    ambient[surf.on_ground] = _ground_occlusion(scene, surf.points[surf.on_ground])

    half = suns - dirs  # Blinn-Phong half vector between the sun and the viewer
    half /= np.linalg.norm(half, axis=1, keepdims=True)
    n_dot_h = np.maximum(np.einsum("nc,nc->n", surf.normal, half), 0.0)
    direct = np.maximum(n_dot_l, 0.0) * sunlit
    colour = surf.albedo * (ambient[:, None] * AMBIENT + direct[:, None] * SUN)
    highlight = surf.specular * n_dot_h**surf.shininess * sunlit * (n_dot_l > 0)
    return colour + highlight[:, None] * SUN


def object_mask(scene: Scene, size: int) -> np.ndarray:
    """(S, S) uint8 id of what the ray through each pixel centre hits first (0: no object)."""
    solids, planes = scene_solids(scene), scene_planes(scene)
    dirs = scene.camera.ray_directions(size).reshape(-1, 3)
    origins = np.broadcast_to(np.asarray(scene.camera.position, dtype=np.float64), dirs.shape)
    _, i_solid, _, on_solid = _nearest(solids, planes, origins, dirs)
    ids = np.array([s.object_id for s in solids] + [0])[i_solid]  # index -1 -> the trailing 0
    return np.where(on_solid, ids, 0).astype(np.uint8).reshape(size, size)


def render_scene(scene: Scene, size: int, supersample: int = 2) -> Rendering:
    """Render ``scene`` into a size x size image with k x k samples per pixel."""
    k = supersample
    dirs = scene.camera.ray_directions(size, k).reshape(-1, 3)  # (S k * S k, 3) row-major
    # Sub-pixel position (row % k, col % k) -> which of the k^2 sun directions lights it.
    fine = np.arange(size * k) % k
    sub = (fine[:, None] * k + fine[None, :]).reshape(-1)
    suns = _sun_directions(np.asarray(scene.light, dtype=np.float64), k)[sub]
    linear = shade(scene, dirs, suns).reshape(size, k, size, k, 3).mean(axis=(1, 3))
    srgb = np.clip(linear, 0.0, 1.0) ** (1 / 2.2)
    image = np.floor(srgb * 255 + 0.5).astype(np.uint8)
    return Rendering(image, object_mask(scene, size))
