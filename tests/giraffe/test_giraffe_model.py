"""The GIRAFFE model on tiny seeded configs: sparse = dense, known answers, gradients, and the
cases where the official code crashes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from testlib.giraffe import TINY, tiny_config, tiny_network

from inrkit.giraffe import rendering
from inrkit.giraffe.fields import positional_encoding

TOL = 1e-4


def scene_inputs(gen, batch: int = 2, n_boxes: int | None = None, seed: int = 1) -> tuple:
    """Codes, a middle camera, random poses and background rotation for ``batch`` scenes."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    codes = list(gen.get_latent_codes(batch))
    s, t, R = gen.get_random_transformations(batch)
    if n_boxes is not None and n_boxes != gen.get_n_boxes():
        codes[0], codes[1] = (torch.randn(batch, n_boxes, gen.z_dim) for _ in range(2))
        s, t, R = gen.get_transformations(
            [[0.5] * 3] * n_boxes,
            [[i / n_boxes, 0.5, 0.0] for i in range(n_boxes)],
            [0.3] * n_boxes,
            batch,
        )
    return (
        tuple(codes),
        gen.get_camera(batch_size=batch),
        (s, t, R),
        gen.get_bg_rotation(0.0, batch),
    )


def both_paths(gen, inputs, **kw) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        return tuple(gen.volume_render_image(*inputs, sparse=s, **kw) for s in (True, False))


@pytest.mark.parametrize(
    "switch",
    [{}, {"not_render_background": True}, {"only_render_background": True}],
    ids=["all", "no-background", "only-background"],
)
@pytest.mark.parametrize("use_max", [False, True], ids=["sum", "max"])
def test_sparse_equals_dense(switch: dict, use_max: bool) -> None:
    gen = tiny_network(tiny_config(use_max_composition=use_max)).generator_test
    inputs = scene_inputs(gen, n_boxes=3)
    sparse, dense = both_paths(gen, inputs, mode="val", **switch)
    assert sparse.shape == (2, 8, 16, 16)
    assert sparse.abs().max() > 0.01  # not trivially zero
    assert (sparse - dense).abs().max() < TOL


def test_sparse_equals_dense_alpha_maps() -> None:
    gen = tiny_network().generator_test
    inputs = scene_inputs(gen, n_boxes=2)
    (f1, a1), (f2, a2) = both_paths(gen, inputs, mode="val", return_alpha_map=True)
    assert a1.shape == (2, 2, 16, 16)
    assert (a1 - a2).abs().max() < TOL and (f1 - f2).abs().max() < TOL
    assert a1.max() > 0.9 and a1.min() >= 0


def test_sparse_equals_dense_in_training_mode_with_the_same_random_draws() -> None:
    gen = tiny_network().generator
    inputs = scene_inputs(gen)
    outs = []
    for sparse in (True, False):
        torch.manual_seed(7)  # jitter and density noise come from the same stream in both
        with torch.no_grad():
            outs.append(gen.volume_render_image(*inputs, mode="training", sparse=sparse))
    assert (outs[0] - outs[1]).abs().max() < TOL
    with torch.no_grad():
        val = gen.volume_render_image(*inputs, mode="val")
    assert (outs[0] - val).abs().max() > 1e-3  # training mode really is noisy


def test_sparse_path_evaluates_objects_only_inside_their_boxes() -> None:
    gen = tiny_network().generator_test
    inputs = scene_inputs(gen)
    rows: list[int] = []
    hook = gen.decoder.fc_in.register_forward_hook(
        lambda m, i, o: rows.append(i[0].numel() // i[0].shape[-1])
    )
    try:
        both_paths(gen, inputs, mode="val")
    finally:
        hook.remove()
    sparse_rows, dense_rows = rows
    assert dense_rows == 2 * 256 * TINY.generator.n_ray_samples
    assert 0 < sparse_rows < dense_rows / 3


def test_clevr2345_object_sampling_with_background_switches_does_not_crash() -> None:
    # The official code fails here with a shape mismatch (one existence flag too many).
    cfg = replace(tiny_config(sample_object_existence=True), boxes=replace(TINY.boxes, n_boxes=5))
    gen = tiny_network(cfg).generator_test
    inputs = scene_inputs(gen)
    np.random.seed(0)
    with torch.no_grad():
        for kw in ({}, {"not_render_background": True}, {"only_render_background": True}):
            assert gen(2, *inputs, mode="val", **kw).shape == (2, 3, 32, 32)
        alpha = gen(2, *inputs, mode="val", return_alpha_map=True, not_render_background=True)
    assert alpha.shape == (2, 5, 16, 16)
    exists = gen.get_object_existance(5, 1000)
    assert exists.shape == (1000, 5) and set(exists.sum(1)) == {2, 3, 4, 5}


def test_gradient_reaches_every_parameter() -> None:
    net = tiny_network()
    gen, disc = net.generator.train(), net.discriminator
    torch.manual_seed(0)
    np.random.seed(0)
    img = gen(batch_size=2)  # random codes, camera and poses, training noise
    assert img.shape == (2, 3, 32, 32) and torch.isfinite(img).all()
    (disc(img).sum() + img.mean()).backward()
    params = [*gen.named_parameters(), *disc.named_parameters()]
    assert params
    for name, p in params:
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_constant_density_ray_has_the_expected_alpha() -> None:
    # One ray of unit length, 3 samples 0.5 apart, density 2: alpha = 1 - exp(-1) per interval.
    di = torch.tensor([[[0.0, 0.5, 1.0]]])
    sigma = torch.full((1, 1, 3), 2.0)
    w = rendering.volume_weights(di, torch.tensor([[[0.0, 0.0, 1.0]]]), sigma, last_dist=0.0)
    a = 1 - np.exp(-1.0)
    expected = [a, a * (1 - a), 0.0]
    assert torch.allclose(w[0, 0], torch.tensor(expected, dtype=torch.float32), atol=1e-6)


def test_positional_encoding_is_official_order() -> None:
    p = torch.tensor([[0.1, -0.2, 0.3]])
    enc = positional_encoding(p, 2)
    manual = torch.cat(
        [
            torch.sin(np.pi * p),
            torch.cos(np.pi * p),
            torch.sin(2 * np.pi * p),
            torch.cos(2 * np.pi * p),
        ],
        dim=-1,
    )
    assert torch.allclose(enc, manual, atol=1e-6)


def test_random_helpers_shapes_and_ranges() -> None:
    gen = tiny_network().generator_test
    s, t, R = gen.get_random_transformations(4)
    assert s.shape == t.shape == (4, 1, 3) and R.shape == (4, 1, 3, 3)
    lo, hi = torch.tensor(TINY.boxes.scale_range_min), torch.tensor(TINY.boxes.scale_range_max)
    assert ((s >= lo - 1e-6) & (s <= hi + 1e-6)).all()
    assert torch.allclose(R @ R.transpose(-1, -2), torch.eye(3).expand(4, 1, 3, 3), atol=1e-5)
    cam, world = gen.get_random_camera(4)
    assert cam.shape == world.shape == (4, 4, 4)
    radius = world[:, :3, 3].norm(dim=-1)
    assert torch.allclose(radius, torch.full((4,), 2.732), atol=1e-5)
    s2, t2, R2 = gen.get_transformations_in_range(n_boxes=2, batch_size=3)
    assert s2.shape == (3, 2, 3) and R2.shape == (3, 2, 3, 3)


def test_collision_check_separates_boxes() -> None:
    cfg = replace(
        TINY,
        boxes=replace(
            TINY.boxes,
            n_boxes=4,
            check_collision=True,
            translation_range_min=(-1.0, -1.0, 0.0),
            translation_range_max=(1.0, 1.0, 0.0),
        ),
    )
    gen = tiny_network(cfg).generator_test
    s, t, _ = gen.get_random_transformations(8)
    assert gen.bounding_box_generator.check_for_collision(s, t).all()
