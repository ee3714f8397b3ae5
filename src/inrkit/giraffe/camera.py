"""Cameras and rays: intrinsics, poses on a sphere from slider values, rotations, pixel rays.

GIRAFFE Sec. 3.2 and Sec. 4: the camera sits on a sphere of radius r around the origin and
looks at it, with the world z axis up. Its position comes from two sliders in [0, 1]: u (the
azimuth, theta = 2 pi u) and v (the polar angle, phi = arccos(1 - 2 v), so that v is uniform on
the sphere's area). A config's ``range_u`` / ``range_v`` / ``range_radius`` map a slider value
``val`` to ``lo + val * (hi - lo)``, exactly as the official ``get_camera_pose``.

Matrices follow the official conventions: ``camera_mat`` is the *inverse* intrinsics (pixels
in [-1, 1] to camera space), ``world_mat`` is camera-to-world, and the camera looks down its
-z axis. Angles are computed in float64 and stored as float32, as the official NumPy/SciPy code
does, so the matrices match it to float32 precision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch


def camera_matrix(fov: float) -> torch.Tensor:
    """The inverse intrinsics for a field of view in degrees, (1, 4, 4).

    The image plane spans [-1, 1], so the focal length is 1 / tan(fov / 2).
    """
    focal = np.float32(1.0 / np.tan(0.5 * fov * np.pi / 180.0))
    mat = torch.tensor(
        [[focal, 0, 0, 0], [0, focal, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=torch.float32
    )
    return torch.inverse(mat).reshape(1, 4, 4)


def sphere_point(u: np.ndarray | float, v: np.ndarray | float) -> np.ndarray:
    """Unit vectors for slider values u (azimuth) and v (polar), (..., 3) float64."""
    theta = 2 * np.pi * np.asarray(u, dtype=np.float64)
    phi = np.arccos(1 - 2 * np.asarray(v, dtype=np.float64))
    return np.stack([np.sin(phi) * np.cos(theta), np.sin(phi) * np.sin(theta), np.cos(phi)], -1)


def look_at(eye: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Rotations (B, 3, 3) whose columns are the camera x, y, z axes for eyes (B, 3).

    The camera looks at the origin with world z up; its z axis points from the origin to the
    eye. The official code divides by the largest norm in the batch, not each row's own, which
    only differs for cameras at different elevations; we normalise each row.
    """
    eye64 = eye.double().reshape(-1, 3)
    up = eye64.new_tensor([0.0, 0.0, 1.0]).expand_as(eye64)

    def unit(x: torch.Tensor) -> torch.Tensor:
        return x / x.norm(dim=-1, keepdim=True).clamp_min(eps)

    z_axis = unit(eye64)
    x_axis = unit(torch.cross(up, z_axis, dim=-1))
    y_axis = unit(torch.cross(z_axis, x_axis, dim=-1))
    return torch.stack([x_axis, y_axis, z_axis], dim=-1).float()


def pose_matrix(loc: torch.Tensor) -> torch.Tensor:
    """Camera-to-world matrices (B, 4, 4) for camera positions (B, 3) looking at the origin."""
    rt = torch.eye(4).repeat(loc.shape[0], 1, 1)
    rt[:, :3, :3] = look_at(loc)
    rt[:, :3, 3] = loc
    return rt


def slider(value: float, value_range: Sequence[float]) -> float:
    """``lo + value * (hi - lo)``: the official mapping of a slider in [0, 1] to a range."""
    return value_range[0] + value * (value_range[1] - value_range[0])


def camera_pose(
    range_u: Sequence[float],
    range_v: Sequence[float],
    range_radius: Sequence[float],
    val_u: float = 0.5,
    val_v: float = 0.5,
    val_r: float = 0.5,
    batch_size: int = 32,
) -> torch.Tensor:
    """The camera-to-world matrix for slider values, repeated (B, 4, 4) (official
    ``get_camera_pose``)."""
    u, v, r = slider(val_u, range_u), slider(val_v, range_v), slider(val_r, range_radius)
    loc = torch.from_numpy(sphere_point(np.full(batch_size, u), np.full(batch_size, v))).float()
    loc = loc * (torch.ones(batch_size) * r).unsqueeze(-1)
    return pose_matrix(loc)


def random_pose(
    range_u: Sequence[float],
    range_v: Sequence[float],
    range_radius: Sequence[float],
    batch_size: int = 32,
) -> torch.Tensor:
    """Random camera-to-world matrices (B, 4, 4), drawing from the official random streams
    (NumPy for u and v, torch for the radius) in the official order."""
    u = np.random.uniform(*range_u, size=batch_size)
    v = np.random.uniform(*range_v, size=batch_size)
    loc = torch.from_numpy(sphere_point(u, v)).float()
    radius = range_radius[0] + torch.rand(batch_size) * (range_radius[1] - range_radius[0])
    return pose_matrix(loc * radius.unsqueeze(-1))


def rotation_z(turns: float, batch_size: int = 1) -> torch.Tensor:
    """Rotation about the z axis by ``turns`` full turns, (B, 3, 3) float32.

    Built from the unit quaternion (0, 0, sin(a/2), cos(a/2)) as SciPy's
    ``Rotation.from_euler('z', a)`` does, so it matches the official matrices to the last bit
    that float32 keeps (e.g. cos(pi/2) comes out as 2.2e-16, not 6.1e-17).
    """
    half = 0.5 * turns * 2 * math.pi
    w, z = math.cos(half), math.sin(half)
    norm = math.sqrt(w * w + z * z)
    w, z = w / norm, z / norm
    mat = torch.tensor(
        [
            [w * w - z * z, -2 * z * w, 0.0],
            [2 * z * w, w * w - z * z, 0.0],
            [0.0, 0.0, z * z + w * w],
        ],
        dtype=torch.float64,
    )
    return mat.float().reshape(1, 3, 3).repeat(batch_size, 1, 1)


def image_plane_points(resolution: int, device: torch.device | None = None) -> torch.Tensor:
    """Pixel centres on the image plane in [-1, 1], (N, 2) with N = res * res in row-major
    order (row 0 at the top, y = +1), as the official ``arange_pixels`` with y flipped."""
    idx = torch.arange(resolution, device=device, dtype=torch.float32)
    coords = 2.0 * idx / (resolution - 1) - 1.0  # same float32 steps as the official code
    ys, xs = torch.meshgrid(-coords, coords, indexing="ij")
    return torch.stack([xs, ys], dim=-1).reshape(-1, 2)


def pixel_rays(
    resolution: int, camera_mat: torch.Tensor, world_mat: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Camera centres and image-plane points in world space, each (B, N, 3).

    The image plane sits at depth -1 in camera space (the camera looks down -z); the ray from
    the centre to a pixel's point is the unit of the sample depths.
    """
    batch = camera_mat.shape[0]
    xy = image_plane_points(resolution, camera_mat.device)  # (N, 2)
    n = xy.shape[0]
    ones = torch.ones(n, 1, device=xy.device)
    pixels = torch.cat([xy, -ones, ones], dim=-1).T.expand(batch, 4, n)  # homogeneous (B, 4, N)
    to_world = world_mat @ camera_mat
    pixels_world = (to_world @ pixels)[:, :3].permute(0, 2, 1)
    origin = torch.zeros(batch, 4, 1, device=xy.device)
    origin[:, 3] = 1.0
    camera_world = (to_world @ origin)[:, :3].permute(0, 2, 1).expand(batch, n, 3)
    return camera_world, pixels_world
