"""Object-existence priors for any number of boxes (official giraffe issue #33).

The official generator hard-codes Clevr2345's object counts for exactly five boxes; here the
probabilities of 0..n_boxes objects are ``generator.object_existence_prior``, checked when the
config is built, used by training's random object removal and by the add-object programs'
counts; the render programs never drop objects at random (they would flicker).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from testlib.giraffe import TINY, tiny_network

from inrkit.errors import InrkitError
from inrkit.giraffe import read_config, render
from inrkit.giraffe.config import (
    CLEVR2345_OBJECT_COUNTS,
    GiraffeConfig,
    default_existence_prior,
)
from inrkit.giraffe.official_config import to_official

BOXES = [1, 3, 5, 7]


def config(n_boxes: int, prior: tuple[float, ...] | None = None) -> GiraffeConfig:
    gen = replace(TINY.generator, sample_object_existence=True, object_existence_prior=prior)
    return replace(TINY, boxes=replace(TINY.boxes, n_boxes=n_boxes), generator=gen)


def some_prior(n_boxes: int) -> tuple[float, ...]:
    """Weights 1, 2, ..., n + 1, normalised: every count has its own probability."""
    w = np.arange(1, n_boxes + 2, dtype=np.float64)
    return tuple(w / w.sum())


def legacy_existence(n_boxes: int, batch: int) -> np.ndarray:
    """The sampling before the prior became a config value (Clevr2345 counts, capped)."""
    draw = np.random.rand(batch)
    n_objects = np.zeros(batch, dtype=int)
    p_cum = 0.0
    for count, p in zip(range(2, 6), CLEVR2345_OBJECT_COUNTS, strict=True):
        n_objects[(draw >= p_cum) & (draw < p_cum + p)] = min(count, n_boxes)
        p_cum += p
    exists = np.zeros((batch, n_boxes), dtype=bool)
    for b in range(batch):
        if n_objects[b] > 0:
            exists[b, np.random.choice(n_boxes, size=(n_objects[b],), replace=False)] = True
    return exists


def test_default_prior_is_the_official_one_for_five_boxes() -> None:
    assert default_existence_prior(5) == (0.0, 0.0, *CLEVR2345_OBJECT_COUNTS)
    assert default_existence_prior(1) == pytest.approx((0.0, 1.0))
    assert default_existence_prior(7)[6:] == (0.0, 0.0)  # the official code never draws 6 or 7
    for n in BOXES:
        assert sum(default_existence_prior(n)) == pytest.approx(1.0)


@pytest.mark.parametrize("n_boxes", BOXES)
def test_default_prior_draws_as_before(n_boxes: int) -> None:
    gen = tiny_network(config(n_boxes)).generator_test
    np.random.seed(3)
    drawn = gen.get_object_existance(n_boxes, 500)
    np.random.seed(3)
    assert np.array_equal(drawn, legacy_existence(n_boxes, 500))


@pytest.mark.parametrize("n_boxes", BOXES)
def test_object_counts_follow_the_prior(n_boxes: int) -> None:
    prior = some_prior(n_boxes)
    gen = tiny_network(config(n_boxes, prior)).generator_test
    np.random.seed(0)
    exists = gen.get_object_existance(n_boxes, 20_000)
    assert exists.shape == (20_000, n_boxes)
    share = np.bincount(exists.sum(axis=1), minlength=n_boxes + 1) / 20_000
    assert np.allclose(share, prior, atol=0.015), (share, prior)
    # Which boxes hold the objects is uniform: each box exists as often as the mean count says.
    mean_count = float(np.dot(np.arange(n_boxes + 1), prior))
    assert np.allclose(exists.mean(axis=0), mean_count / n_boxes, atol=0.02)


@pytest.mark.parametrize("n_boxes", BOXES)
def test_training_removes_objects_with_the_prior(n_boxes: int) -> None:
    """The training call (mode "training") draws existence: with no objects ever, the object
    field gets no gradient; with all of them always, it does."""
    none, every = (1.0,) + (0.0,) * n_boxes, (0.0,) * n_boxes + (1.0,)
    for prior, expect_grad in ((none, False), (every, True)):
        gen = tiny_network(config(n_boxes, prior)).generator.train()
        torch.manual_seed(0)
        np.random.seed(0)
        gen(batch_size=2).sum().backward()
        grad = sum(
            float(p.grad.abs().sum()) for p in gen.decoder.parameters() if p.grad is not None
        )
        assert (grad > 0) == expect_grad, (n_boxes, prior, grad)


@pytest.mark.parametrize("n_boxes", BOXES)
def test_render_add_programs_show_the_prior_counts_and_drop_nothing(n_boxes: int) -> None:
    """An add-object program shows a stage per count the prior allows (tests/giraffe/
    test_giraffe_add_programs.py); nothing is dropped at random, so rendering with the
    training's object removal on is rendering with it off."""
    gen = tiny_network(config(n_boxes, some_prior(n_boxes))).generator_test
    frames = render(gen, "render_add_clevr6", n_samples=2, steps=6)
    stages = min(n_boxes, 6)  # counts 1..n_boxes all have a probability; the grid holds 6
    assert frames.shape == (stages * (4 * 6 // stages), 2, 3, 32, 32)
    gen.sample_object_existance = False
    assert torch.equal(frames, render(gen, "render_add_clevr6", n_samples=2, steps=6))
    if stages > 1:
        assert (frames[-1] - frames[0]).abs().max() > 1e-3  # more objects differ from one


@pytest.mark.parametrize(
    ("prior", "message"),
    [
        ([0.5, 0.5], "must have n_boxes + 1 = 4 probabilities (of 0 to 3 objects), got 2"),
        ([0.5, 0.5, 0.5, -0.5], "must hold probabilities >= 0"),
        ([0.1, 0.1, 0.1, 0.1], "must sum to 1, got 0.4"),
        (["a", 1, 0, 0], "expected a list of probabilities"),
        (0.5, "expected a list of probabilities"),
    ],
)
def test_bad_priors_are_one_line_errors_naming_the_key(
    tmp_path: Path, prior: object, message: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "model:\n  bounding_box_generator_kwargs: {n_boxes: 3}\n"
        f"  generator_kwargs: {{object_existence_prior: {prior!r}}}\n".replace("'", '"')
    )
    with pytest.raises(InrkitError) as err:
        read_config(path)
    text = str(err.value)
    assert text.startswith(f"{path}: ") and "object_existence_prior" in text and message in text


def test_prior_round_trips_through_yaml_and_is_left_out_when_unset(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "model:\n  bounding_box_generator_kwargs: {n_boxes: 3}\n"
        "  generator_kwargs: {sample_object_existance: true, "
        "object_existence_prior: [0, 0.25, 0.25, 0.5]}\n"
    )
    cfg = read_config(path)
    assert cfg.generator.object_existence_prior == (0.0, 0.25, 0.25, 0.5)
    assert to_official(cfg)["model"]["generator_kwargs"]["object_existence_prior"] == [
        0.0,
        0.25,
        0.25,
        0.5,
    ]
    # The official generator takes no such keyword: configs that do not set it stay official.
    assert "object_existence_prior" not in to_official(TINY)["model"]["generator_kwargs"]
