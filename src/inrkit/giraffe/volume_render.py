"""Volume rendering that calls the fields: a scene's feature image from its object and
background fields evaluated on the rays (the network-free math: :mod:`inrkit.giraffe.rendering`).

GIRAFFE Sec. 3.3 (Eq. 4-6). This module makes the ``nn.Module`` calls and applies the pure
functions of :mod:`~inrkit.giraffe.rendering` (composition, integration weights, points in box
coordinates) to their output. Two paths give the same result:

* :func:`render_dense` is the official algorithm step by step: every object field is evaluated
  at every sample of every ray, densities outside the object's padded box are then zeroed, and
  all fields' densities and features are stacked, composed and integrated. It is the reference.
* :func:`render_sparse` (the default) evaluates an object field only at samples inside its
  padded box. Outside, the official code sets the density to zero, so such a sample has no
  share of the composed feature and adds nothing to the integral: skipping it changes nothing.
  All objects of all scenes go through one batched field call, view-direction terms are
  computed once per ray instead of once per sample, and the fields' last (affine) layer is
  applied once per ray to the weighted sum of hidden states instead of once per sample (it
  commutes with the sum); nothing is stacked into dense per-field tensors.

Shapes: B scenes, K objects, N rays, S samples per ray, C feature channels, F = K (+1) fields.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from inrkit.giraffe.fields import FeatureField
from inrkit.giraffe.rendering import (
    composite,
    field_shares,
    in_box,
    ray_points,
    to_box,
    volume_weights,
)

BACKGROUND_CHUNK = 16384
"""Background samples per field call in inference (a scene of 16x16 rays x 64 samples)."""


@dataclass(frozen=True)
class RenderInputs:
    """What the fields are evaluated on for a batch of scenes, all on one device.

    Attributes:
        codes: (z_shape_obj (B, K, Z), z_app_obj (B, K, Z), z_shape_bg (B, Zb), z_app_bg (B, Zb)).
        camera_world: Camera centres (B, N, 3).
        pixels_world: Image-plane points (B, N, 3).
        di: Sample depths (B, N, S).
        transformations: Box scales, translations (B, K, 3) and rotations (B, K, 3, 3).
        bg_rotation: Background rotation (B, 3, 3).
        n_objects: Objects to render (0 renders the background alone).
        background: Whether to render the background.
    """

    codes: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
    camera_world: torch.Tensor
    pixels_world: torch.Tensor
    di: torch.Tensor
    transformations: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
    bg_rotation: torch.Tensor
    n_objects: int
    background: bool


def _rotate(R: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """(B, 3, 3) applied to points (B, N, 3)."""
    return (R @ x.permute(0, 2, 1)).permute(0, 2, 1)


def _noise(
    sigma_shape: tuple[int, ...], training: bool, device: torch.device
) -> torch.Tensor | None:
    """Density noise N(0, 1) during training, as in NeRF; drawn per field in the official order."""
    return torch.randn(sigma_shape, device=device) if training else None


def _mask_existence(
    sigma: torch.Tensor, existence: torch.Tensor | None, scene: RenderInputs
) -> torch.Tensor:
    """Zero the densities of objects that do not exist in a scene; (F, B, N, S)."""
    if existence is None or scene.n_objects == 0:
        return sigma
    keep = existence.T.to(sigma.device)  # (K, B)
    if scene.background:
        keep = torch.cat([keep, torch.ones_like(keep[:1])])
    return sigma * keep[..., None, None].to(sigma.dtype)


def render_dense(
    decoder: FeatureField,
    background: FeatureField,
    scene: RenderInputs,
    *,
    training: bool,
    use_max: bool,
    existence: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The official volume rendering (reference path).

    Returns:
        Feature per ray (B, N, C) and the fields' densities (F, B, N, S) after ReLU.
    """
    z_shape_obj, z_app_obj, z_shape_bg, z_app_bg = scene.codes
    cam, pix, di = scene.camera_world, scene.pixels_world, scene.di
    batch, n_rays, n_steps = di.shape
    s, t, R = scene.transformations
    feats, sigmas = [], []
    for i in range(scene.n_objects):
        cam_i = to_box(cam, s[:, i : i + 1], t[:, i : i + 1], R[:, i : i + 1])[:, 0]
        pix_i = to_box(pix, s[:, i : i + 1], t[:, i : i + 1], R[:, i : i + 1])[:, 0]
        p_i = ray_points(cam_i, pix_i, di)  # (B, N, S, 3)
        r_i = (pix_i - cam_i).unsqueeze(-2).expand_as(p_i)
        feat_i, sigma_i = decoder(
            p_i.reshape(batch, -1, 3),
            r_i.reshape(batch, -1, 3),
            z_shape_obj[:, i],
            z_app_obj[:, i],
            dtype=dtype,
        )
        noise = _noise(sigma_i.shape, training, sigma_i.device)
        if noise is not None:
            sigma_i = sigma_i + noise
        sigma_i = torch.where(in_box(p_i).reshape(batch, -1), sigma_i, torch.zeros_like(sigma_i))
        sigmas.append(sigma_i.reshape(batch, n_rays, n_steps))
        feats.append(feat_i.reshape(batch, n_rays, n_steps, -1))
    if scene.background:
        cam_bg, pix_bg = _rotate(scene.bg_rotation, cam), _rotate(scene.bg_rotation, pix)
        p_bg = ray_points(cam_bg, pix_bg, di)
        r_bg = (pix_bg - cam_bg).unsqueeze(-2).expand_as(p_bg)
        feat_bg, sigma_bg = background(
            p_bg.reshape(batch, -1, 3),
            r_bg.reshape(batch, -1, 3),
            z_shape_bg,
            z_app_bg,
            dtype=dtype,
        )
        noise = _noise(sigma_bg.shape, training, sigma_bg.device)
        if noise is not None:
            sigma_bg = sigma_bg + noise
        sigmas.append(sigma_bg.reshape(batch, n_rays, n_steps))
        feats.append(feat_bg.reshape(batch, n_rays, n_steps, -1))
    sigma = _mask_existence(torch.relu(torch.stack(sigmas)), existence, scene)
    sigma_sum, feat_weighted = composite(sigma, torch.stack(feats), use_max)
    weights = volume_weights(di, pix - cam, sigma_sum)
    return torch.sum(weights.unsqueeze(-1) * feat_weighted, dim=-2), sigma


def render_sparse(
    decoder: FeatureField,
    background: FeatureField,
    scene: RenderInputs,
    *,
    training: bool,
    use_max: bool,
    existence: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Same result as :func:`render_dense`, evaluating objects only inside their boxes."""
    z_shape_obj, z_app_obj, z_shape_bg, z_app_bg = scene.codes
    cam, pix, di = scene.camera_world, scene.pixels_world, scene.di
    batch, n_rays, n_steps = di.shape
    k = scene.n_objects
    sigmas: list[torch.Tensor] = []
    objects = None
    if k > 0:
        objects = _objects_in_boxes(decoder, scene, training, dtype)
        sigmas.append(objects[0])
    if scene.background:
        cam_bg = _rotate(scene.bg_rotation, cam[:, :1])  # every ray starts at the camera centre
        pix_bg = _rotate(scene.bg_rotation, pix)
        ray_bg = pix_bg - cam_bg
        p_bg = ray_points(cam_bg.expand_as(pix_bg), pix_bg, di)  # (B, N, S, 3)
        view = background.view_term(ray_bg).unsqueeze(-2) if background.use_viewdirs else None
        # The hidden state before the (affine) feature head, which is applied once per ray.
        hidden_bg, sigma_bg = _query_background(background, p_bg, z_shape_bg, z_app_bg, view, dtype)
        noise = _noise((batch, n_rays * n_steps), training, sigma_bg.device)
        if noise is not None:
            sigma_bg = sigma_bg + noise.reshape(sigma_bg.shape)
        sigmas.append(sigma_bg.unsqueeze(0))
    sigma = _mask_existence(torch.relu(torch.cat(sigmas)), existence, scene)
    sigma_sum = torch.max(sigma, dim=0).values if use_max else sigma.sum(dim=0)
    weights = volume_weights(di, pix - cam, sigma_sum if sigma.shape[0] > 1 else sigma[0])
    # Each field's part of the integral: its share of the composed feature times the weight.
    coef = field_shares(sigma, use_max) * weights  # (F, B, N, S)
    feat_map = torch.zeros(batch, n_rays, decoder.rgb_out_dim, device=di.device, dtype=di.dtype)
    if scene.background:
        summed = torch.einsum("bns,bnsh->bnh", coef[-1], hidden_bg)
        if background.linear_output:
            summed = background.integrated_output(summed, coef[-1].sum(-1))
        feat_map += summed
    if objects is not None:
        _, hidden_obj, sel = objects
        per_point = coef[:k].permute(1, 0, 2, 3).reshape(-1)[sel]  # (M,)
        # Flat sample index ((b K + k) N + n) S + s -> ray index b N + n in the image.
        ray = (sel // (k * n_rays * n_steps)) * n_rays + (sel // n_steps) % n_rays
        summed = hidden_obj.new_zeros(batch * n_rays, hidden_obj.shape[-1])
        summed = summed.index_add(0, ray, hidden_obj * per_point[:, None])
        summed = summed.reshape(batch, n_rays, -1)
        if decoder.linear_output:
            summed = decoder.integrated_output(summed, coef[:k].sum(dim=(0, 3)))
        feat_map += summed
    return feat_map, sigma


def _query_background(
    background: FeatureField,
    p_bg: torch.Tensor,
    z_shape_bg: torch.Tensor,
    z_app_bg: torch.Tensor,
    view: torch.Tensor | None,
    dtype: torch.dtype,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The background field at every sample (B, N, S, 3) -> hidden states (or features)
    (B, N, S, H) and densities (B, N, S).

    In inference, :data:`BACKGROUND_CHUNK` samples at a time: a batch's activations (eight
    scenes: 131072 samples x hidden) would not stay in cache, a chunk's do. Each chunk is a
    contiguous run of samples naming its scene by index, and the per-scene code terms are
    still computed for the whole batch, so every value is that of the batched call.
    """
    hidden_only = background.linear_output
    batch, n_rays, n_steps, _ = p_bg.shape
    if torch.is_grad_enabled() or batch * n_rays * n_steps <= BACKGROUND_CHUNK:
        return background.query(
            p_bg, z_shape_bg, z_app_bg, view, hidden_only=hidden_only, dtype=dtype
        )
    flat = p_bg.reshape(-1, 3)
    hidden, sigma = [], []
    for start in range(0, flat.shape[0], BACKGROUND_CHUNK):
        point = torch.arange(start, min(start + BACKGROUND_CHUNK, flat.shape[0]))
        ray = point // n_steps  # b N + n
        h, s = background.query(
            flat[point[0] : point[-1] + 1],
            z_shape_bg,
            z_app_bg,
            None if view is None else view.reshape(batch * n_rays, -1)[ray],
            index=ray // n_rays,
            hidden_only=hidden_only,
            dtype=dtype,
        )
        hidden.append(h)
        sigma.append(s)
    out_shape = (batch, n_rays, n_steps)
    return torch.cat(hidden).reshape(*out_shape, -1), torch.cat(sigma).reshape(out_shape)


def _objects_in_boxes(
    decoder: FeatureField, scene: RenderInputs, training: bool, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """All object fields at the samples inside their padded boxes, in one call.

    Returns:
        Object densities (K, B, N, S) before ReLU (zero outside the boxes), the M samples
        inside: hidden states before the feature head (M, hidden) when the head is affine,
        else features (M, C), and their flat indices into (B, K, N, S).
    """
    z_shape_obj, z_app_obj, _, _ = scene.codes
    cam, pix, di = scene.camera_world, scene.pixels_world, scene.di
    batch, n_rays, n_steps = di.shape
    k = scene.n_objects
    s, t, R = (x[:, :k] for x in scene.transformations)
    cam_box = to_box(cam[:, :1], s, t, R)  # (B, K, 1, 3): the centre is shared by all rays
    pix_box = to_box(pix, s, t, R)  # (B, K, N, 3)
    ray_box = pix_box - cam_box
    p = ray_points(cam_box.expand_as(pix_box), pix_box, di.unsqueeze(1))  # (B, K, N, S, 3)
    sel = in_box(p).reshape(-1).nonzero().squeeze(1)  # (M,) flat indices into (B, K, N, S)
    group = sel // (n_rays * n_steps)  # b K + k: the row of the codes
    view = None
    if decoder.use_viewdirs:
        view = decoder.view_term(ray_box.reshape(-1, 3))[sel // n_steps]  # once per ray
    hidden, sigma_in = decoder.query(
        p.reshape(-1, 3)[sel],
        z_shape_obj[:, :k].reshape(batch * k, -1),
        z_app_obj[:, :k].reshape(batch * k, -1),
        view,
        index=group,
        hidden_only=decoder.linear_output,
        dtype=dtype,
    )
    if training:
        # One draw per object over all its samples, in the official order, then kept inside.
        noise = torch.stack(
            [torch.randn(batch, n_rays * n_steps, device=di.device) for _ in range(k)]
        )
        sigma_in = sigma_in + noise.permute(1, 0, 2).reshape(-1)[sel]
    sigma = torch.zeros(batch * k * n_rays * n_steps, device=di.device, dtype=sigma_in.dtype)
    sigma = sigma.index_copy(0, sel, sigma_in).reshape(batch, k, n_rays, n_steps)
    return sigma.permute(1, 0, 2, 3), hidden, sel
