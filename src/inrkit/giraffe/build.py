"""The one place that turns GIRAFFE's config blocks into modules.

The modules (:mod:`~inrkit.giraffe.fields`, :mod:`~inrkit.giraffe.boxes`,
:mod:`~inrkit.giraffe.neural_renderer`, :mod:`~inrkit.giraffe.discriminator`) take plain keyword
arguments, named as the fields of their frozen dataclass in :mod:`inrkit.giraffe.config` (the
official YAML keywords); each builder here passes a block's fields to its module, so a module
can be made and tested without a config, and a config reaches the modules only through here
(:class:`~inrkit.giraffe.generator.Generator` and :class:`~inrkit.giraffe.model.Giraffe` call
these). State-dict keys do not depend on how a module was built.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from inrkit.giraffe.boxes import BoundingBoxGenerator
from inrkit.giraffe.config import BoxConfig, DiscriminatorConfig, FieldConfig, NeuralRendererConfig
from inrkit.giraffe.discriminator import DCDiscriminator
from inrkit.giraffe.fields import FeatureField
from inrkit.giraffe.neural_renderer import NeuralRenderer


def _kwargs(cfg: Any, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """A config block's fields as keyword arguments (shallow: tuples stay tuples)."""
    return {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg) if f.name not in drop}


def feature_field(cfg: FieldConfig, z_dim: int) -> FeatureField:
    """An object or background field (Sec. 3.1); ``n_blocks_view`` is always 1 officially."""
    return FeatureField(z_dim, **_kwargs(cfg, drop=("n_blocks_view",)))


def box_generator(cfg: BoxConfig) -> BoundingBoxGenerator:
    """The object poses (Sec. 3.2); ``prior_npz_file`` is read by training, not here."""
    return BoundingBoxGenerator(**_kwargs(cfg, drop=("prior_npz_file",)))


def neural_renderer(cfg: NeuralRendererConfig, img_size: int) -> NeuralRenderer:
    """The 2D neural renderer to ``img_size`` pixels (Sec. 3.4)."""
    return NeuralRenderer(img_size, **_kwargs(cfg))


def discriminator(cfg: DiscriminatorConfig, img_size: int) -> DCDiscriminator:
    """The DCGAN discriminator of ``img_size`` images (Sec. 3.5)."""
    return DCDiscriminator(img_size, **_kwargs(cfg))
