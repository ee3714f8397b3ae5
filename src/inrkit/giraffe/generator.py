"""The GIRAFFE generator with the official call and helpers (GIRAFFE Sec. 3, Fig. 2).

``generator(batch_size, latent_codes, camera_matrices, transformations, bg_rotation, mode,
it, return_alpha_map, not_render_background, only_render_background)`` and the helpers
(``get_latent_codes``, ``get_camera``, ``get_transformations``, ``get_rotation``,
``get_bg_rotation``, ``get_random_camera``, ``get_random_transformations``, ``get_n_boxes``,
``volume_render_image``, ...) keep the official names, arguments and random streams, so code
written against the official generator runs unchanged. Where the official code crashes (the
background switches with Clevr2345's object sampling, alpha maps without background, random
poses on a CPU, modern NumPy's removed aliases), this one does not.

The math lives in :mod:`~inrkit.giraffe.camera`, :mod:`~inrkit.giraffe.rendering` and
:mod:`~inrkit.giraffe.volume_render`; this class holds the modules and wires the steps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from inrkit.giraffe import build
from inrkit.giraffe import camera as cam
from inrkit.giraffe.config import GiraffeConfig, default_existence_prior
from inrkit.giraffe.rendering import (
    alpha_maps,
    composite,
    depth_samples,
    jitter_depths,
    to_image,
    volume_weights,
)
from inrkit.giraffe.volume_render import RenderInputs, render_dense, render_sparse

Codes = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
Transformations = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


class Generator(nn.Module):
    """Latent codes, camera and object poses -> image (Sec. 3).

    Submodules (official names): ``decoder`` (the object field), ``background_generator``,
    ``bounding_box_generator`` and ``neural_renderer``.

    Args:
        cfg: The model configuration.
    """

    def __init__(self, cfg: GiraffeConfig) -> None:
        super().__init__()
        self.cfg = cfg
        g = cfg.generator
        self.z_dim, self.z_dim_bg = cfg.z_dim, cfg.z_dim_bg
        # Official attribute names (and spellings), read by the official render programs.
        self.range_u, self.range_v, self.range_radius = (
            list(g.range_u),
            list(g.range_v),
            list(g.range_radius),
        )
        self.n_ray_samples, self.depth_range = g.n_ray_samples, list(g.depth_range)
        self.resolution_vol, self.fov = g.resolution_vol, g.fov
        self.backround_rotation_range = list(g.background_rotation_range)
        self.sample_object_existance = g.sample_object_existence
        self.object_existence_prior = g.object_existence_prior or default_existence_prior(
            cfg.boxes.n_boxes
        )
        """P(0 objects), ..., P(n_boxes objects) of :meth:`get_object_existance`."""
        self.use_max_composition = g.use_max_composition
        self.sparse = True
        """Evaluate object fields only inside their boxes (same result as the dense path)."""

        self.decoder = build.feature_field(cfg.decoder, cfg.z_dim)
        self.background_generator = build.feature_field(cfg.background, cfg.z_dim_bg)
        self.bounding_box_generator = build.box_generator(cfg.boxes)
        self.neural_renderer = build.neural_renderer(cfg.neural_renderer, cfg.img_size)

    @property
    def device(self) -> torch.device:
        """Where the weights are."""
        return self.decoder.fc_in.weight.device

    @property
    def camera_matrix(self) -> torch.Tensor:
        """Inverse intrinsics (1, 4, 4)."""
        return cam.camera_matrix(self.fov).to(self.device)

    # ----- the official call ----------------------------------------------------------------
    def forward(
        self,
        batch_size: int = 32,
        latent_codes: Sequence[torch.Tensor] | None = None,
        camera_matrices: Sequence[torch.Tensor] | None = None,
        transformations: Sequence[torch.Tensor] | None = None,
        bg_rotation: torch.Tensor | None = None,
        mode: str = "training",
        it: int = 0,
        return_alpha_map: bool = False,
        not_render_background: bool = False,
        only_render_background: bool = False,
        *,
        sample_existence: bool | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> torch.Tensor:
        """Images (B, 3, img_size, img_size), or alpha maps (B, K, 16, 16) when asked.

        Anything not given is sampled (codes, camera, poses, background rotation); ``mode``
        "training" jitters the samples and adds density noise, any other mode does not.
        ``sample_existence`` overrides ``sample_object_existance`` for this call (renderers
        pass False, so that objects do not flicker), without touching the shared attribute.
        ``dtype`` bfloat16 runs the fields' linear layers and the neural renderer's feature
        convolutions in bf16; rays, encodings, densities, compositing and RGB stay fp32.
        """
        if latent_codes is None:
            latent_codes = self.get_latent_codes(batch_size)
        if camera_matrices is None:
            camera_matrices = self.get_random_camera(batch_size)
        if transformations is None:
            transformations = self.get_random_transformations(batch_size)
        if bg_rotation is None:
            bg_rotation = self.get_random_bg_rotation(batch_size)
        if return_alpha_map:
            _, alpha = self.volume_render_image(
                latent_codes,
                camera_matrices,
                transformations,
                bg_rotation,
                mode=mode,
                return_alpha_map=True,
                not_render_background=not_render_background,
                sample_existence=sample_existence,
                dtype=dtype,
            )
            return alpha
        feat = self.volume_render_image(
            latent_codes,
            camera_matrices,
            transformations,
            bg_rotation,
            mode=mode,
            not_render_background=not_render_background,
            only_render_background=only_render_background,
            sample_existence=sample_existence,
            dtype=dtype,
        )
        return self.neural_renderer(feat, dtype=dtype)

    def volume_render_image(
        self,
        latent_codes: Sequence[torch.Tensor],
        camera_matrices: Sequence[torch.Tensor],
        transformations: Sequence[torch.Tensor],
        bg_rotation: torch.Tensor,
        mode: str = "training",
        it: int = 0,
        return_alpha_map: bool = False,
        not_render_background: bool = False,
        only_render_background: bool = False,
        *,
        sparse: bool | None = None,
        sample_existence: bool | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The feature image (B, C, 16, 16) before the neural renderer (Sec. 3.3).

        With ``return_alpha_map``, also each object's alpha map (B, K, 16, 16). ``sparse``
        picks the path (default: ``self.sparse``); both give the same result.
        ``sample_existence`` (default: ``self.sample_object_existance``) drops objects at
        random with :meth:`get_object_existance`. ``dtype``: as :meth:`forward`.
        """
        if not_render_background and only_render_background:
            raise ValueError("not_render_background and only_render_background exclude each other")
        z_shape_obj, z_app_obj, z_shape_bg, z_app_bg = latent_codes
        scales, translations, rotations = transformations
        batch, n_boxes = z_shape_obj.shape[:2]
        res = self.resolution_vol
        camera_world, pixels_world = cam.pixel_rays(res, camera_matrices[0], camera_matrices[1])
        di = depth_samples(
            self.depth_range, self.n_ray_samples, batch, res * res, camera_world.device
        )
        if mode == "training":
            di = jitter_depths(di)
        scene = RenderInputs(
            codes=(z_shape_obj, z_app_obj, z_shape_bg, z_app_bg),
            camera_world=camera_world,
            pixels_world=pixels_world,
            di=di,
            transformations=(scales, translations, rotations),
            bg_rotation=bg_rotation,
            n_objects=0 if only_render_background else n_boxes,
            background=not not_render_background,
        )
        existence = None
        if sample_existence is None:
            sample_existence = self.sample_object_existance
        if sample_existence and scene.n_objects > 0:
            existence = torch.from_numpy(self.get_object_existance(n_boxes, batch))
        render = render_sparse if (self.sparse if sparse is None else sparse) else render_dense
        feat, sigma = render(
            self.decoder,
            self.background_generator,
            scene,
            training=mode == "training",
            use_max=self.use_max_composition,
            existence=existence,
            dtype=dtype,
        )
        feat_map = to_image(feat, res)
        if not return_alpha_map:
            return feat_map
        alpha = alpha_maps(sigma[: scene.n_objects], di, pixels_world - camera_world)  # (B, K, N)
        return feat_map, to_image(alpha.permute(0, 2, 1), res)

    # ----- sampling helpers (official names and random streams) ------------------------------
    def get_n_boxes(self) -> int:
        """Objects per scene."""
        return self.bounding_box_generator.n_boxes

    def sample_z(
        self, size: Sequence[int], to_device: bool = True, tmp: float = 1.0
    ) -> torch.Tensor:
        """Normal codes of shape ``size`` scaled by the temperature ``tmp``."""
        z = torch.randn(*size) * tmp
        return z.to(self.device) if to_device else z

    def get_latent_codes(self, batch_size: int = 32, tmp: float = 1.0) -> Codes:
        """(z_shape_obj, z_app_obj (B, K, z_dim), z_shape_bg, z_app_bg (B, z_dim_bg))."""
        k = self.get_n_boxes()
        return (
            self.sample_z((batch_size, k, self.z_dim), tmp=tmp),
            self.sample_z((batch_size, k, self.z_dim), tmp=tmp),
            self.sample_z((batch_size, self.z_dim_bg), tmp=tmp),
            self.sample_z((batch_size, self.z_dim_bg), tmp=tmp),
        )

    def get_vis_dict(self, batch_size: int = 32) -> dict[str, object]:
        """Random inputs for a batch, as the official visualisation uses them."""
        return {
            "batch_size": batch_size,
            "latent_codes": self.get_latent_codes(batch_size),
            "camera_matrices": self.get_random_camera(batch_size),
            "transformations": self.get_random_transformations(batch_size),
            "bg_rotation": self.get_random_bg_rotation(batch_size),
        }

    def get_random_camera(
        self, batch_size: int = 32, to_device: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(camera_mat, world_mat), each (B, 4, 4), at random poses in the config's ranges."""
        world = cam.random_pose(self.range_u, self.range_v, self.range_radius, batch_size)
        return self.camera_matrix.repeat(batch_size, 1, 1), world.to(self.device)

    def get_camera(
        self,
        val_u: float = 0.5,
        val_v: float = 0.5,
        val_r: float = 0.5,
        batch_size: int = 32,
        to_device: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(camera_mat, world_mat) for slider values in [0, 1] of azimuth, elevation, radius."""
        world = cam.camera_pose(
            self.range_u,
            self.range_v,
            self.range_radius,
            val_u,
            val_v,
            val_r,
            batch_size=batch_size,
        )
        return self.camera_matrix.repeat(batch_size, 1, 1), world.to(self.device)

    def get_random_bg_rotation(self, batch_size: int, to_device: bool = True) -> torch.Tensor:
        """Background rotation (B, 3, 3): one random angle for the batch, identity if fixed."""
        if self.backround_rotation_range == [0.0, 0.0]:
            return torch.eye(3, device=self.device).repeat(batch_size, 1, 1)
        turns = cam.slider(np.random.rand(), self.backround_rotation_range)
        return cam.rotation_z(turns, batch_size).to(self.device)

    def get_bg_rotation(
        self, val: float, batch_size: int = 32, to_device: bool = True
    ) -> torch.Tensor:
        """Background rotation (B, 3, 3) for a slider value in [0, 1]."""
        if self.backround_rotation_range == [0.0, 0.0]:
            return torch.eye(3, device=self.device).repeat(batch_size, 1, 1)
        return cam.rotation_z(cam.slider(val, self.backround_rotation_range), batch_size).to(
            self.device
        )

    def get_random_transformations(
        self, batch_size: int = 32, to_device: bool = True
    ) -> Transformations:
        """Random box poses (s, t (B, K, 3), R (B, K, 3, 3))."""
        s, t, R = self.bounding_box_generator(batch_size)
        return s.to(self.device), t.to(self.device), R.to(self.device)

    def get_transformations(
        self,
        val_s: Sequence[Sequence[float]] = ((0.5, 0.5, 0.5),),
        val_t: Sequence[Sequence[float]] = ((0.5, 0.5, 0.5),),
        val_r: Sequence[float] = (0.5,),
        batch_size: int = 32,
        to_device: bool = True,
    ) -> Transformations:
        """Box poses from slider values in [0, 1]: one triple (s, t) or value (r) per box."""
        box = self.bounding_box_generator
        s = box.get_scale(batch_size=batch_size, val=val_s)
        t = box.get_translation(batch_size=batch_size, val=val_t)
        R = box.get_rotation(batch_size=batch_size, val=val_r)
        return s.to(self.device), t.to(self.device), R.to(self.device)

    def get_transformations_in_range(
        self,
        range_s: Sequence[float] = (0.0, 1.0),
        range_t: Sequence[float] = (0.0, 1.0),
        range_r: Sequence[float] = (0.0, 1.0),
        n_boxes: int = 1,
        batch_size: int = 32,
        to_device: bool = True,
    ) -> Transformations:
        """Box poses with slider values drawn uniformly from sub-ranges (NumPy stream)."""
        out = []
        for _ in range(batch_size):
            val_s = [
                [cam.slider(np.random.rand(), range_s) for _ in range(3)] for _ in range(n_boxes)
            ]
            val_t = [
                [cam.slider(np.random.rand(), range_t) for _ in range(3)] for _ in range(n_boxes)
            ]
            val_r = [cam.slider(np.random.rand(), range_r) for _ in range(n_boxes)]
            out.append(self.get_transformations(val_s, val_t, val_r, batch_size=1))
        s, t, R = (torch.cat(x) for x in zip(*out, strict=True))
        return s, t, R

    def get_rotation(
        self, val_r: Sequence[float], batch_size: int = 32, to_device: bool = True
    ) -> torch.Tensor:
        """Box rotations (B, K, 3, 3) for one slider value per box."""
        return self.bounding_box_generator.get_rotation(batch_size=batch_size, val=val_r).to(
            self.device
        )

    def get_object_existance(self, n_boxes: int, batch_size: int = 32) -> np.ndarray:
        """Which objects exist in each scene (B, K) bool: a count per scene drawn from
        ``object_existence_prior``, then that many of the K boxes at random.

        The draws are the official ones in the official order (one uniform number per scene,
        then a choice of boxes per scene), so with five boxes and the default prior a seeded
        run matches the official Clevr2345 sampling. Called with another number of boxes than
        the config's (a caller passing its own codes), the default prior for that number is
        used.
        """
        prior = self.object_existence_prior
        if len(prior) != n_boxes + 1:
            prior = default_existence_prior(n_boxes)
        draw = np.random.rand(batch_size)
        n_objects = np.zeros(batch_size, dtype=int)
        p_cum = 0.0
        for count, p in enumerate(prior):
            # Interval [p_cum, p_cum + p) of the unit interval for this count, as officially.
            n_objects[(draw >= p_cum) & (draw < p_cum + p)] = count
            p_cum += p
        exists = np.zeros((batch_size, n_boxes), dtype=bool)
        for b in range(batch_size):
            if n_objects[b] > 0:
                exists[b, np.random.choice(n_boxes, size=(n_objects[b],), replace=False)] = True
        return exists

    # ----- official low-level helpers, kept for code that calls them ------------------------
    def add_noise_to_interval(self, di: torch.Tensor) -> torch.Tensor:
        """Stratified jitter of sample depths."""
        return jitter_depths(di)

    def composite_function(
        self, sigma: torch.Tensor, feat: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The composition operator over stacked fields (F, B, N, S[, C])."""
        return composite(sigma, feat, self.use_max_composition)

    def calc_volume_weights(
        self,
        z_vals: torch.Tensor,
        ray_vector: torch.Tensor,
        sigma: torch.Tensor,
        last_dist: float = 1e10,
    ) -> torch.Tensor:
        """Volume-rendering weights of the samples."""
        return volume_weights(z_vals, ray_vector, sigma, last_dist)
