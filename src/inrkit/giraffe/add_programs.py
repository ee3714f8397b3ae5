"""The add-object render programs (GIRAFFE, Sec. 4.2 and Fig. 1): objects appear one stage at a
time on a grid, more of them than the model saw in training.

Officially the counts are fixed whatever the model: ``render_add_cars`` and
``render_add_clevr6`` show 1, 2, ..., 6 objects, ``render_add_clevr10`` 2, 4, ..., 12. Here an
object-existence prior (the probabilities of 0, 1, 2, ... objects in a scene) chooses them:
every count of one or more objects that it gives a probability above zero is a stage, in
increasing order. Counts beyond the program's grid show the full grid, and 0 objects has no
stage (there is nothing to add). The prior is the ``object_existence_prior`` argument, else the
model config's ``generator_kwargs.object_existence_prior``; a config without one, or with the
official default (:func:`~inrkit.giraffe.config.default_existence_prior`), keeps the official
counts frame for frame. Codes are drawn for the whole grid in the official order whatever the
counts, so a stage of k objects shows the objects of the official stage of k.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Sequence

from inrkit.errors import InrkitError
from inrkit.giraffe.config import default_existence_prior
from inrkit.giraffe.generator import Generator
from inrkit.giraffe.plan import SAMPLE_TMP, Plan

KEY = "object_existence_prior"


def check_prior(prior: object) -> tuple[float, ...]:
    """``prior`` as the probabilities of 0, 1, 2, ... objects; InrkitError naming the argument
    unless it is a list of at least two numbers >= 0 that sum to 1 (within 1e-6, as configs)."""
    shown = reprlib.repr(prior)
    try:
        if isinstance(prior, str | bytes | dict):
            raise TypeError
        items = list(prior)  # pyright: ignore[reportArgumentType]  # TypeError is caught below
        if any(isinstance(p, bool) for p in items):
            raise TypeError
        values = tuple(float(p) for p in items)
    except (TypeError, ValueError):
        raise InrkitError(
            f"{KEY} must be a list of probabilities of 0, 1, 2, ... objects, got {shown}"
        ) from None
    if len(values) < 2:
        raise InrkitError(
            f"{KEY} must have at least 2 probabilities (of 0 and 1 objects), got {len(values)}"
        )
    if not all(math.isfinite(p) and p >= 0 for p in values):
        raise InrkitError(f"{KEY} must hold probabilities >= 0, got {shown}")
    if abs(math.fsum(values) - 1.0) > 1e-6:
        raise InrkitError(f"{KEY} must sum to 1, got {math.fsum(values):.6g}")
    return values


def stage_counts(
    gen: Generator,
    prior: Sequence[float] | None,
    slots: int,
    official: list[int],
    program: str,
) -> list[int]:
    """The object count of each stage of ``program``, whose grid has ``slots`` places.

    Args:
        gen: The generator; its config's prior applies when ``prior`` is None.
        prior: Probabilities of 0, 1, 2, ... objects (already checked), or None.
        slots: Objects the program's grid can hold.
        official: The official counts, for no prior or the official default one.
        program: The program's name, for the error message.
    """
    where = KEY
    if prior is None:
        prior = gen.cfg.generator.object_existence_prior
        default = default_existence_prior(gen.get_n_boxes())
        # The default is the official training distribution, which the official programs
        # ignore; keep their counts (and frames) for it.
        if prior is None or (
            len(prior) == len(default)
            and all(abs(p - q) <= 1e-12 for p, q in zip(prior, default, strict=True))
        ):
            return official
        where = f"the model's generator_kwargs.{KEY}"
    counts = sorted({min(count, slots) for count, p in enumerate(prior) if count > 0 and p > 0})
    if not counts:
        raise InrkitError(f"{where} gives every scene 0 objects: {program} has nothing to add")
    return counts


def _plan_add(
    gen: Generator,
    b: int,
    steps: int,
    name: str,
    t_val: list[list[float]],
    s_val: list[list[float]],
    r_val: list[float],
    counts: list[int],
) -> Plan:
    """Objects appear one stage at a time; stage ``i`` shows the first ``counts[i]`` objects."""
    n = len(t_val)
    z_shape, z_app, z_shape_bg, z_app_bg = gen.get_latent_codes(b, tmp=SAMPLE_TMP)
    # Codes for the whole grid whatever the counts: the random draws stay the official ones.
    z_shape = gen.sample_z((b, n, z_shape.shape[-1]), tmp=SAMPLE_TMP)
    z_app = gen.sample_z((b, n, z_app.shape[-1]), tmp=SAMPLE_TMP)
    bg = gen.get_random_bg_rotation(b)
    camera = gen.get_camera(val_v=0.0, batch_size=b)
    inputs = [
        (
            (z_shape[:, :c], z_app[:, :c], z_shape_bg, z_app_bg),
            camera,
            gen.get_transformations(s_val[:c], t_val[:c], r_val[:c], b),
            bg,
        )
        for c in counts
    ]
    # Official: 128 // 6 = 21 frames per stage at 32 steps, i.e. 4 * steps // 6.
    hold = max(1, 4 * steps // len(counts))
    order = [stage for stage in range(len(counts)) for _ in range(hold)]
    return Plan(name, inputs, order, add_reverse=True, loops=False)


def plan_render_add_cars(
    gen: Generator, b: int, steps: int, object_existence_prior: Sequence[float] | None = None
) -> Plan:
    """Cars appear one by one on a 2 x 3 grid (the paper's Fig. 1 trick)."""
    t_val = [
        [-0.7, -0.8, 0.0],
        [-0.7, 0.5, 0.0],
        [-0.7, 1.8, 0.0],
        [1.5, -0.8, 0.0],
        [1.5, 0.5, 0.0],
        [1.5, 1.8, 0.0],
    ]
    name = "render_add_cars"
    counts = stage_counts(gen, object_existence_prior, 6, list(range(1, 7)), name)
    return _plan_add(gen, b, steps, name, t_val, [[-1.0, -1.0, -1.0]] * 6, [0.5] * 6, counts)


def plan_render_add_clevr10(
    gen: Generator, b: int, steps: int, object_existence_prior: Sequence[float] | None = None
) -> Plan:
    """Clevr objects appear on a 3 x 4 grid, officially two at a time up to twelve."""
    t_val = []
    for i in range(6):
        x = (0.0, 0.5, 1.0)[i % 3]
        y = 0.0 if i < 3 else 0.8
        t_val += [[x, y, 0.0], [x, y + 0.4, 0.0]]
    name = "render_add_clevr10"
    counts = stage_counts(gen, object_existence_prior, 12, list(range(2, 13, 2)), name)
    return _plan_add(gen, b, steps, name, t_val, [[0.0, 0.0, 0.0]] * 12, [0.0] * 12, counts)


def plan_render_add_clevr6(
    gen: Generator, b: int, steps: int, object_existence_prior: Sequence[float] | None = None
) -> Plan:
    """Clevr objects appear one by one on a 2 x 3 grid, officially up to six."""
    t_val = [[(0.2, 0.8)[i % 2], (0.0, 0.0, 0.5, 0.5, 1.0, 1.0)[i], 0.0] for i in range(6)]
    name = "render_add_clevr6"
    counts = stage_counts(gen, object_existence_prior, 6, list(range(1, 7)), name)
    return _plan_add(gen, b, steps, name, t_val, [[0.0, 0.0, 0.0]] * 6, [0.0] * 6, counts)


ADD_PROGRAMS = {
    "render_add_cars": plan_render_add_cars,
    "render_add_clevr10": plan_render_add_clevr10,
    "render_add_clevr6": plan_render_add_clevr6,
}
"""The programs that take an ``object_existence_prior``."""
