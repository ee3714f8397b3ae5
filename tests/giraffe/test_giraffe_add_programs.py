"""The add-object programs take their object counts from an object-existence prior (official
giraffe issue #33): the ``object_existence_prior`` argument, else the model config's, else
the official counts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from testlib.giraffe import TINY, tiny_network

from inrkit.errors import InrkitError
from inrkit.giraffe import render
from inrkit.giraffe.config import default_existence_prior
from inrkit.giraffe.generator import Generator
from inrkit.giraffe.programs import make_plan

ADD = ("render_add_cars", "render_add_clevr10", "render_add_clevr6")
OFFICIAL = {
    "render_add_cars": [1, 2, 3, 4, 5, 6],
    "render_add_clevr10": [2, 4, 6, 8, 10, 12],
    "render_add_clevr6": [1, 2, 3, 4, 5, 6],
}


def generator(n_boxes: int = 1, prior: tuple[float, ...] | None = None) -> Generator:
    cfg = replace(
        TINY,
        boxes=replace(TINY.boxes, n_boxes=n_boxes),
        generator=replace(TINY.generator, object_existence_prior=prior),
    )
    return tiny_network(cfg).generator_test


def exactly(k: int, n: int | None = None) -> tuple[float, ...]:
    """The prior of exactly ``k`` objects, over 0..n (n defaults to k)."""
    return tuple(1.0 if c == k else 0.0 for c in range((k if n is None else n) + 1))


def counts(plan) -> list[int]:
    return [codes[0].shape[1] for codes, *_ in plan.inputs]


@pytest.mark.parametrize("n_boxes", [1, 5])
def test_no_prior_or_the_default_one_keeps_the_official_counts_and_frames(n_boxes: int) -> None:
    unset, default = generator(n_boxes), generator(n_boxes, default_existence_prior(n_boxes))
    for program in ADD:
        assert counts(make_plan(unset, program, 1, 6)) == OFFICIAL[program]
        assert counts(make_plan(default, program, 1, 6)) == OFFICIAL[program]
    frames = render(unset, "render_add_clevr6", n_samples=2, steps=3, seed=2)
    assert torch.equal(frames, render(default, "render_add_clevr6", n_samples=2, steps=3, seed=2))


@pytest.mark.parametrize("k", [1, 3, 6])
def test_a_prior_of_exactly_k_objects_renders_k_objects(k: int) -> None:
    """Every frame holds k objects (one alpha map each), and they are the objects of the
    official program's stage of k: the codes and poses are drawn as officially."""
    gen = generator()
    alpha = render(gen, "render_add_clevr6", n_samples=2, steps=3, return_alpha_map=True,
                   object_existence_prior=exactly(k))  # fmt: skip
    assert alpha.shape == (4 * 3, 2, k, 16, 16)
    assert (alpha.flatten(3).amax(-1) > 0).all()  # every object shows in every frame
    frames = render(
        gen, "render_add_clevr6", n_samples=2, steps=3, object_existence_prior=exactly(k)
    )
    official = render(gen, "render_add_clevr6", n_samples=2, steps=3)
    plan = make_plan(gen, "render_add_clevr6", 2, 3)
    assert torch.equal(frames[0], official[plan.order.index(k - 1)])
    assert (frames == frames[0]).all()  # one stage, held


def test_the_model_config_prior_is_used_and_the_argument_wins() -> None:
    gen = generator(3, (0.0, 0.5, 0.0, 0.5))
    before = gen.object_existence_prior
    assert counts(make_plan(gen, "render_add_cars", 1, 8)) == [1, 3]
    assert make_plan(gen, "render_add_cars", 1, 8).n_frames == 2 * (4 * 8 // 2)
    assert counts(make_plan(gen, "render_add_cars", 1, 8, object_existence_prior=exactly(2))) == [2]
    assert gen.object_existence_prior == before  # read, never written


def test_counts_beyond_the_grid_show_the_full_grid() -> None:
    gen = generator()
    prior = (0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5)  # 2 or 8 objects
    assert counts(make_plan(gen, "render_add_cars", 1, 4, object_existence_prior=prior)) == [2, 6]
    assert counts(make_plan(gen, "render_add_clevr10", 1, 4, object_existence_prior=prior)) == [
        2,
        8,
    ]


def test_official_alpha_maps_stack_with_absent_objects_clear() -> None:
    alpha = render(generator(), "render_add_cars", n_samples=1, steps=3, return_alpha_map=True)
    assert alpha.shape == (6 * 2, 1, 6, 16, 16)
    assert alpha[0, :, 1:].eq(0).all()  # the first stage has one car


@pytest.mark.parametrize(
    ("prior", "words"),
    [
        ([1.0], "must have at least 2 probabilities (of 0 and 1 objects), got 1"),
        ([], "must have at least 2 probabilities"),
        ([0.5, 0.75, -0.25], "must hold probabilities >= 0"),
        ([0.5, float("nan"), 0.5], "must hold probabilities >= 0"),
        ([0.2, 0.2, 0.2], "must sum to 1, got 0.6"),
        ("0.5 0.5", "must be a list of probabilities"),
        ([True, False], "must be a list of probabilities"),
        (0.5, "must be a list of probabilities"),
        ([1.0, 0.0, 0.0], "gives every scene 0 objects: render_add_cars has nothing to add"),
    ],
)
def test_bad_priors_are_one_line_errors(prior: object, words: str) -> None:
    gen = generator()
    state = torch.random.get_rng_state(), np.random.get_state()[1].copy()
    with pytest.raises(InrkitError) as err:
        render(gen, "render_add_cars", n_samples=1, steps=2, object_existence_prior=prior)
    text = str(err.value)
    assert "object_existence_prior" in text and words in text and "\n" not in text, text
    assert torch.equal(state[0], torch.random.get_rng_state())
    assert np.array_equal(state[1], np.random.get_state()[1])


def test_a_configured_prior_of_no_objects_is_refused_by_name() -> None:
    gen = generator(2, (1.0, 0.0, 0.0))
    with pytest.raises(InrkitError, match=r"the model's generator_kwargs\.object_existence_prior"):
        make_plan(gen, "render_add_clevr10", 1, 2)
    assert set(counts(make_plan(gen, "object_rotation", 1, 2))) == {2}  # others unaffected


def test_the_prior_is_for_add_programs_only() -> None:
    with pytest.raises(InrkitError, match="render_add_\\* programs only, not object_rotation"):
        render(generator(), "object_rotation", n_samples=1, steps=2,
               object_existence_prior=exactly(1))  # fmt: skip


def test_readme_example() -> None:
    gen = generator()
    plan = make_plan(gen, "render_add_clevr6", 1, 4, object_existence_prior=[0, 0, 0.5, 0, 0.5])
    assert counts(plan) == [2, 4]  # "2 objects, then 4"


def test_the_cli_flag_sets_the_stages(giraffe_ckpt, tmp_path) -> None:
    """`giraffe render --object-existence-prior 0,0,1` writes what the API writes for that
    prior (one stage of two objects), not the official stages."""

    import inrkit.giraffe as giraffe
    from inrkit.cli import main
    from inrkit.giraffe.animation import save_program

    argv = ["giraffe", "render", "--model", str(giraffe_ckpt), "--program", "render_add_cars"]
    argv += ["--steps", "4", "--n-samples", "1", "-q"]
    assert main([*argv, "--object-existence-prior", "0,0,1", "--out-dir", str(tmp_path / "a")]) == 0
    assert main([*argv, "--out-dir", str(tmp_path / "b")]) == 0
    model = giraffe.load(giraffe_ckpt)
    api = save_program(
        model,
        "render_add_cars",
        tmp_path / "c",
        n_samples=1,
        steps=4,
        object_existence_prior=[0, 0, 1],
    )[0]
    gif = "render_add_cars/render_add_cars.gif"
    assert (tmp_path / "a" / gif).read_bytes() == api.read_bytes()
    assert (tmp_path / "a" / gif).read_bytes() != (tmp_path / "b" / gif).read_bytes()
    assert counts(
        make_plan(model.generator, "render_add_cars", 1, 4, object_existence_prior=[0, 0, 1])
    ) == [2]
