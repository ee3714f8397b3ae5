"""Volume-rendering math with no network in it: depths, boxes, Eq. 4-6 (GIRAFFE Sec. 3.2-3.3).

The split with :mod:`inrkit.giraffe.volume_render`: this module is the math on samples and
rays that needs no network (depths, points in box coordinates, composition Eq. 4-5, the
integration weights Eq. 6, alpha maps); :mod:`~inrkit.giraffe.volume_render` evaluates the
fields on a batch of :class:`~inrkit.giraffe.volume_render.RenderInputs` and calls these.

Shapes: B scenes, N rays (pixels of the feature image), S samples per ray, F fields (objects,
then the background), C feature channels. Depths ``di`` are in units of each ray's vector from
the camera centre to the image plane, so distances are scaled by that vector's length.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

BOX_PADDING = 0.1
"""Object fields are evaluated up to 1 + this in box coordinates; outside, density is zero."""


def depth_samples(
    depth_range: Sequence[float],
    n_steps: int,
    batch: int,
    n_rays: int,
    device: torch.device | None = None,
) -> torch.Tensor:
    """Evenly spaced depths from near to far, (B, N, S)."""
    near, far = depth_range
    di = near + torch.linspace(0.0, 1.0, steps=n_steps, device=device).reshape(1, 1, -1) * (
        far - near
    )
    return di.repeat(batch, n_rays, 1)


def jitter_depths(di: torch.Tensor) -> torch.Tensor:
    """Stratified sampling: one uniform depth in each sample's interval (training only)."""
    mid = 0.5 * (di[..., 1:] + di[..., :-1])
    high = torch.cat([mid, di[..., -1:]], dim=-1)
    low = torch.cat([di[..., :1], mid], dim=-1)
    return low + (high - low) * torch.rand_like(low)


def to_box(p: torch.Tensor, s: torch.Tensor, t: torch.Tensor, R: torch.Tensor) -> torch.Tensor:
    """World points into each object's box coordinates: R (p - t) / s (Eq. 3 inverted).

    Args:
        p: Points (B, N, 3).
        s, t: Box half-extents and centres (B, K, 3).
        R: Box rotations (B, K, 3, 3).

    Returns:
        (B, K, N, 3); the box is [-1, 1]^3 in these coordinates.
    """
    centred = p.unsqueeze(1) - t.unsqueeze(2)  # (B, K, N, 3)
    return (R @ centred.transpose(-1, -2)).transpose(-1, -2) / s.unsqueeze(2)


def ray_points(origin: torch.Tensor, target: torch.Tensor, di: torch.Tensor) -> torch.Tensor:
    """origin + di * (target - origin): (..., 3), (..., 3), (..., S) -> (..., S, 3)."""
    return origin.unsqueeze(-2) + di.unsqueeze(-1) * (target - origin).unsqueeze(-2)


def in_box(p: torch.Tensor, padding: float = BOX_PADDING) -> torch.Tensor:
    """Whether box-coordinate points (..., 3) lie in the padded box [-1-pad, 1+pad]^3."""
    return torch.all(p <= 1.0 + padding, dim=-1) & torch.all(p >= -1.0 - padding, dim=-1)


def composite(
    sigma: torch.Tensor, feat: torch.Tensor, use_max: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """The composition operator C (Eq. 5): densities summed, features density-weighted.

    Args:
        sigma: Non-negative densities (F, B, N, S).
        feat: Features (F, B, N, S, C).
        use_max: Take the densest field's density and features instead.

    Returns:
        Density (B, N, S) and feature (B, N, S, C) of the scene.
    """
    if sigma.shape[0] == 1:
        return sigma[0], feat[0]
    if use_max:
        sigma_max, ind = torch.max(sigma, dim=0)
        return sigma_max, torch.gather(feat, 0, ind[None, ..., None].expand_as(feat[:1]))[0]
    denom = sigma.sum(dim=0, keepdim=True)
    denom = torch.where(denom == 0, torch.full_like(denom, 1e-4), denom)  # official guard
    w = sigma / denom
    return sigma.sum(dim=0), (feat * w.unsqueeze(-1)).sum(dim=0)


def field_shares(sigma: torch.Tensor, use_max: bool = False) -> torch.Tensor:
    """Each field's share of the composed feature at each sample, (F, B, N, S).

    ``composite(sigma, feat)[1] == sum_f shares[f] * feat[f]``; used by the sparse path, which
    never builds the dense feature tensor of the objects.
    """
    if sigma.shape[0] == 1:
        return torch.ones_like(sigma)
    if use_max:
        ind = torch.max(sigma, dim=0).indices
        return F.one_hot(ind, sigma.shape[0]).movedim(-1, 0).to(sigma.dtype)
    denom = sigma.sum(dim=0, keepdim=True)
    denom = torch.where(denom == 0, torch.full_like(denom, 1e-4), denom)
    return sigma / denom


def volume_weights(
    di: torch.Tensor, ray_vector: torch.Tensor, sigma: torch.Tensor, last_dist: float = 1e10
) -> torch.Tensor:
    """Quadrature weights alpha_j prod_{k<j} (1 - alpha_k) of each sample (Eq. 6).

    Args:
        di: Depths (B, N, S) in units of ``ray_vector``.
        ray_vector: Camera centre to image plane (B, N, 3).
        sigma: Densities (B, N, S); negative values count as zero.
        last_dist: Length of the last interval (1e10: the last sample absorbs the rest).

    Returns:
        Weights (B, N, S).
    """
    dists = di[..., 1:] - di[..., :-1]
    dists = torch.cat([dists, torch.ones_like(di[..., :1]) * last_dist], dim=-1)
    dists = dists * torch.norm(ray_vector, dim=-1, keepdim=True)
    alpha = 1.0 - torch.exp(-F.relu(sigma) * dists)
    # The 1e-10 keeps the transmittance from collapsing to exactly zero (official detail).
    transmittance = torch.cumprod(
        torch.cat([torch.ones_like(alpha[..., :1]), 1.0 - alpha + 1e-10], dim=-1), dim=-1
    )
    return alpha * transmittance[..., :-1]


def alpha_maps(
    sigma_objects: torch.Tensor, di: torch.Tensor, ray_vector: torch.Tensor
) -> torch.Tensor:
    """Each object's opacity seen alone, (K, B, N, S) densities -> (B, K, N).

    The last interval has length 0, so the far end of the ray adds nothing (official choice).
    """
    maps = [volume_weights(di, ray_vector, s, last_dist=0.0).sum(-1) for s in sigma_objects]
    return torch.stack(maps, dim=1)


def to_image(values: torch.Tensor, resolution: int) -> torch.Tensor:
    """Per-ray values (B, N, C) in row-major pixel order -> an image (B, C, H, W)."""
    batch, _, channels = values.shape
    return values.permute(0, 2, 1).reshape(batch, channels, resolution, resolution)
