"""A pinhole camera in NumPy with the GIRAFFE conventions (GIRAFFE Sec. 3.2, Sec. 4).

The same conventions as :mod:`inrkit.giraffe.camera`, so that the poses written beside the
rendered scenes are directly comparable with a GIRAFFE generator's: world z is up, the camera
sits at ``radius * sphere_point(u, v)`` (theta = 2 pi u, phi = arccos(1 - 2 v)) and looks at the
origin down its own -z axis, and the image plane spans [-1, 1] from the centre of the first
pixel to the centre of the last one, so the field of view is measured between those centres.

Pixel coordinates: x to the right, y down, integers at pixel centres (OpenCV's convention), so
the pixel that holds a point at (x, y) is ``(round(y), round(x))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UP = np.array([0.0, 0.0, 1.0])


def sphere_point(u: float, v: float) -> np.ndarray:
    """The unit vector for slider values u (azimuth) and v (polar), as GIRAFFE's, (3,)."""
    theta, phi = 2 * np.pi * u, np.arccos(1 - 2 * v)
    return np.array([np.sin(phi) * np.cos(theta), np.sin(phi) * np.sin(theta), np.cos(phi)])


@dataclass(frozen=True)
class Camera:
    """A camera looking at the origin from ``position`` with world z up."""

    position: tuple[float, float, float]
    """Camera centre in world coordinates."""
    fov: float
    """Field of view in degrees, between the centres of the first and last pixel."""

    @classmethod
    def on_sphere(cls, u: float, v: float, radius: float, fov: float) -> Camera:
        """The camera GIRAFFE places for slider values u, v at distance ``radius``."""
        x, y, z = radius * sphere_point(u, v)
        return cls((float(x), float(y), float(z)), float(fov))

    @property
    def focal(self) -> float:
        """Focal length in image-plane units ([-1, 1] across the pixel centres)."""
        return float(1.0 / np.tan(0.5 * np.radians(self.fov)))

    def rotation(self) -> np.ndarray:
        """Camera-to-world rotation (3, 3): columns are the camera x, y, z axes.

        z points from the origin to the camera, x = up x z (to the right in the image), y = z x x.
        """
        z = np.asarray(self.position, dtype=np.float64)
        z = z / np.linalg.norm(z)
        x = np.cross(UP, z)
        x = x / np.linalg.norm(x)
        return np.stack([x, np.cross(z, x), z], axis=-1)

    def world_matrix(self) -> np.ndarray:
        """Camera-to-world matrix (4, 4), GIRAFFE's ``world_mat``."""
        mat = np.eye(4)
        mat[:3, :3] = self.rotation()
        mat[:3, 3] = self.position
        return mat

    def ray_directions(self, size: int, supersample: int = 1) -> np.ndarray:
        """Unit ray directions in world space, (size * k, size * k, 3) for k = ``supersample``.

        Sample (i, j) of the fine grid lies in pixel (i // k, j // k), on a regular k x k grid
        inside that pixel's square around its centre; with k = 1 it is the pixel centre.
        """
        fine = np.arange(size * supersample, dtype=np.float64)
        # Pixel coordinate of each fine sample: pixel index + offset in (-0.5, 0.5).
        coords = (fine + 0.5) / supersample - 0.5
        plane = 2.0 * coords / (size - 1) - 1.0  # pixel centres 0 .. size-1 -> [-1, 1]
        ys, xs = np.meshgrid(-plane, plane, indexing="ij")  # row 0 at the top (y = +1)
        cam = np.stack([xs / self.focal, ys / self.focal, -np.ones_like(xs)], axis=-1)
        dirs = cam @ self.rotation().T
        return dirs / np.linalg.norm(dirs, axis=-1, keepdims=True)

    def project(self, points: np.ndarray, size: int) -> np.ndarray:
        """Pixel coordinates (..., 2) as (x, y) of world points (..., 3) in a size x size image."""
        cam = (np.asarray(points, dtype=np.float64) - self.position) @ self.rotation()
        depth = -cam[..., 2]  # the camera looks down its -z axis
        plane_x = self.focal * cam[..., 0] / depth
        plane_y = self.focal * cam[..., 1] / depth
        scale = 0.5 * (size - 1)
        return np.stack([(plane_x + 1) * scale, (1 - plane_y) * scale], axis=-1)
