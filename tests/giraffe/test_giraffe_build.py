"""Modules take keyword arguments; :mod:`inrkit.giraffe.build` turns config blocks into them."""

from __future__ import annotations

import torch
from testlib.giraffe import TINY

from inrkit.giraffe import build
from inrkit.giraffe.boxes import BoundingBoxGenerator
from inrkit.giraffe.discriminator import DCDiscriminator
from inrkit.giraffe.fields import FeatureField
from inrkit.giraffe.neural_renderer import NeuralRenderer


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(sa[k].shape == sb[k].shape for k in sa)


def test_builders_pass_each_block_to_its_module() -> None:
    d, r = TINY.decoder, TINY.neural_renderer
    field = FeatureField(
        TINY.z_dim,
        hidden_size=d.hidden_size,
        n_blocks=d.n_blocks,
        skips=d.skips,
        rgb_out_dim=d.rgb_out_dim,
        downscale_p_by=d.downscale_p_by,
        n_freq_posenc=d.n_freq_posenc,
        n_freq_posenc_views=d.n_freq_posenc_views,
    )
    assert _same(build.feature_field(d, TINY.z_dim), field)
    renderer = NeuralRenderer(
        TINY.img_size, n_feat=r.n_feat, input_dim=r.input_dim, min_feat=r.min_feat
    )
    assert _same(build.neural_renderer(r, TINY.img_size), renderer)
    disc = DCDiscriminator(TINY.img_size, n_feat=TINY.discriminator.n_feat)
    assert _same(build.discriminator(TINY.discriminator, TINY.img_size), disc)
    boxes = build.box_generator(TINY.boxes)
    assert isinstance(boxes, BoundingBoxGenerator)
    assert boxes.rotation_range == list(TINY.boxes.rotation_range)
    assert boxes.n_boxes == TINY.boxes.n_boxes


def test_a_field_needs_no_config() -> None:
    field = FeatureField(8, hidden_size=16, n_blocks=3, skips=(), rgb_out_dim=5)
    assert field.rgb_out_dim == 5 and not hasattr(field, "cfg")
