"""Render programs: slider paths to frames, the paper's controllable animations (Sec. 4.2).

Each program fixes latent codes, camera and object poses for a batch of N samples and moves
some sliders over T frames; :func:`render` runs it and returns frames (T, N, 3, H, W). The
names and slider paths are the official ones (``im2scene/giraffe/rendering.py``), with the
official sample temperature 0.65 and the official random draws in the official order, so seed
0 reproduces the official renderer's frames. Where the official programs crash (more than two
objects in the translation programs, more than one in the interpolations) the other objects
keep a random pose; Clevr2345's random object removal is off while rendering, so that objects
do not flicker from frame to frame. The add-object programs (:mod:`inrkit.giraffe.add_programs`)
take their object counts from an object-existence prior when one is given or configured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from tqdm import tqdm

from inrkit.errors import InrkitError
from inrkit.giraffe.add_programs import (
    ADD_PROGRAMS,
    check_prior,
    plan_render_add_cars,
    plan_render_add_clevr6,
    plan_render_add_clevr10,
)
from inrkit.giraffe.defaults import (
    ALIASES,
    DEFAULT_N_SAMPLES,
    DEFAULT_SEED,
    DEFAULT_STEPS,
    MAX_SAMPLES,
    MAX_STEPS,
    PROGRAM_NAMES,
)
from inrkit.giraffe.generator import Generator
from inrkit.giraffe.plan import SAMPLE_TMP, Plan
from inrkit.nn.precision import check_precision, compute_dtype

N_KEYS = 6
"""Codes an interpolation passes through before looping (official ``n_samples`` there)."""


def slerp(z1: torch.Tensor, z2: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation of codes along the last axis (official ``interpolate_sphere``)."""
    p = (z1 * z2).sum(dim=-1, keepdim=True)
    p = p / z1.pow(2).sum(dim=-1, keepdim=True).sqrt() / z2.pow(2).sum(dim=-1, keepdim=True).sqrt()
    omega = torch.acos(p.clamp(-1.0, 1.0))  # rounding can push |p| past 1 (NaN officially)
    return (torch.sin((1 - t) * omega) * z1 + torch.sin(t * omega) * z2) / torch.sin(omega)


def _fractions(steps: int) -> list[float]:
    return [step * 1.0 / (steps - 1) for step in range(steps)]


def _moving_last(
    gen: Generator, b: int, k: int, fixed: list[list[float]], t_of: Callable, steps: int
) -> list[tuple[torch.Tensor, ...]]:
    """Poses per step where the last box follows ``t_of(i)``; with more boxes than the official
    program places (``fixed``), the others keep one random pose."""
    s, r = [[0.0, 0.0, 0.0]] * k, [0.5] * k
    if k - 1 <= len(fixed):
        return [
            gen.get_transformations(s, fixed[: k - 1] + [t_of(i)], r, b) for i in _fractions(steps)
        ]
    s_rand, t_rand, r_rand = gen.get_random_transformations(b)
    out = []
    for i in _fractions(steps):
        s_i, t_i, r_i = gen.get_transformations(s, [t_of(i)] * k, r, b)
        out.append(
            (
                torch.cat([s_rand[:, :-1], s_i[:, -1:]], 1),
                torch.cat([t_rand[:, :-1], t_i[:, -1:]], 1),
                torch.cat([r_rand[:, :-1], r_i[:, -1:]], 1),
            )
        )
    return out


def _centred_or_random(gen: Generator, b: int, k: int) -> tuple[torch.Tensor, ...]:
    """The interpolations' pose: centred for one object (official), random poses for more."""
    if k == 1:
        return gen.get_transformations([[0.0, 0.0, 0.0]], [[0.5, 0.5, 0.5]], [0.5], b)
    return gen.get_random_transformations(b)


def plan_object_rotation(gen: Generator, b: int, steps: int) -> Plan:
    """The objects turn about the up axis: a full turn (2x the steps) when the preset's range
    is full, else from 10% to 90% of the range and back."""
    k = gen.get_n_boxes()
    rot = gen.bounding_box_generator.rotation_range
    full = rot[0] == 0 and rot[1] == 1
    steps = steps * 2 if full else steps
    lo, hi = (0.0, 1.0) if full else (0.1, 0.9)
    codes = gen.get_latent_codes(b, tmp=SAMPLE_TMP)
    bg = gen.get_random_bg_rotation(b)
    camera = gen.get_camera(batch_size=b)
    s, t, _ = gen.get_transformations([[0, 0, 0]] * k, [[0.5, 0.5, 0.5]] * k, [0.0] * k, b)
    inputs = [
        (codes, camera, (s, t, gen.get_rotation([lo + i * (hi - lo)] * k, b)), bg)
        for i in _fractions(steps)
    ]
    return Plan("object_rotation", inputs, list(range(steps)), add_reverse=not full, loops=full)


def _plan_translation(
    gen: Generator, b: int, steps: int, name: str, fixed: list[list[float]], t_of: Callable
) -> Plan:
    codes = gen.get_latent_codes(b, tmp=SAMPLE_TMP)
    bg = gen.get_random_bg_rotation(b)
    camera = gen.get_camera(batch_size=b)
    poses = _moving_last(gen, b, gen.get_n_boxes(), fixed, t_of, steps)
    return Plan(name, [(codes, camera, p, bg) for p in poses], list(range(steps)), True, False)


def plan_object_translation_horizontal(gen: Generator, b: int, steps: int) -> Plan:
    """An object slides sideways (along world y, the image's horizontal axis) and back."""
    x = 0.5 if gen.get_n_boxes() == 1 else 1.0
    return _plan_translation(
        gen, b, steps, "object_translation_horizontal", [[0.5, 0.5, 0.0]], lambda i: [x, i, 0.0]
    )


def plan_object_translation_vertical(gen: Generator, b: int, steps: int) -> Plan:
    """An object moves in depth (along world x, towards the camera) and back."""
    y = 0.5 if gen.get_n_boxes() == 1 else 0.2
    return _plan_translation(
        gen, b, steps, "object_translation_vertical", [[0.4, 0.8, 0.0]], lambda i: [i, y, 0.0]
    )


def _plan_interpolation(gen: Generator, b: int, steps: int, name: str, slot: int) -> Plan:
    """Codes in ``slot`` (1: object appearance, 0: object shape, 3: background appearance)
    pass through N_KEYS random codes and back to the first."""
    codes = list(gen.get_latent_codes(b, tmp=SAMPLE_TMP))
    keys = [gen.sample_z(codes[slot].shape, tmp=SAMPLE_TMP) for _ in range(N_KEYS)]
    bg = gen.get_random_bg_rotation(b)
    camera = gen.get_camera(batch_size=b)
    poses = _centred_or_random(gen, b, gen.get_n_boxes())
    inputs = []
    for j in range(N_KEYS):
        for w in _fractions(steps):
            frame_codes = list(codes)
            frame_codes[slot] = slerp(keys[j], keys[(j + 1) % N_KEYS], w)
            inputs.append((tuple(frame_codes), camera, poses, bg))
    return Plan(name, inputs, list(range(len(inputs))), add_reverse=False, loops=True)


def plan_interpolate_app(gen: Generator, b: int, steps: int) -> Plan:
    """The objects' appearance changes; shape, pose and background stay."""
    return _plan_interpolation(gen, b, steps, "interpolate_app", 1)


def plan_interpolate_shape(gen: Generator, b: int, steps: int) -> Plan:
    """The objects' shape changes; appearance, pose and background stay."""
    return _plan_interpolation(gen, b, steps, "interpolate_shape", 0)


def plan_interpolate_app_bg(gen: Generator, b: int, steps: int) -> Plan:
    """The background's appearance changes; the objects stay."""
    return _plan_interpolation(gen, b, steps, "interpolate_app_bg", 3)


def plan_object_translation_circle(gen: Generator, b: int, steps: int) -> Plan:
    """The last object drives a full circle on the ground; the others stay."""
    k = gen.get_n_boxes()
    codes = gen.get_latent_codes(b, tmp=SAMPLE_TMP)
    bg = gen.get_random_bg_rotation(b)
    camera = gen.get_camera(batch_size=b)
    s_rand, t_rand, r_rand = gen.get_random_transformations(b)
    inputs = []
    for i in _fractions(steps):
        cos_i = float(np.float32(np.cos(2 * np.pi * i) * 0.5 + 0.5))
        sin_i = float(np.float32(np.sin(2 * np.pi * i) * 0.5 + 0.5))
        if k <= 2:
            t_val = [[0.5, 0.5, 0.0]] * (k - 1) + [[cos_i, sin_i, 0.0]]
            poses = gen.get_transformations([[0, 0, 0]] * k, t_val, [0.0] * k, b)
        else:
            _, t_i, _ = gen.get_transformations(val_t=[[cos_i, sin_i, 0.0]], batch_size=b)
            poses = (s_rand, torch.cat([t_rand[:, :-1], t_i], dim=1), r_rand)
        inputs.append((codes, camera, poses, bg))
    return Plan(
        "object_translation_circle", inputs, list(range(steps)), add_reverse=False, loops=True
    )


def plan_render_camera_elevation(gen: Generator, b: int, steps: int) -> Plan:
    """The camera rises from 10% to 90% of the preset's elevation range."""
    k = gen.get_n_boxes()
    codes = gen.get_latent_codes(b, tmp=SAMPLE_TMP)
    bg = gen.get_random_bg_rotation(b)
    poses = gen.get_transformations([[0.0, 0.0, 0.0]] * k, [[0.5, 0.5, 0.5]] * k, [0.5] * k, b)
    inputs = [
        (codes, gen.get_camera(val_v=0.1 + v * 0.8, batch_size=b), poses, bg)
        for v in _fractions(steps)
    ]
    return Plan(
        "render_camera_elevation", inputs, list(range(steps)), add_reverse=False, loops=False
    )


# In the order of PROGRAM_NAMES: plan_<name> for each name.
PROGRAMS: dict[str, Callable[..., Plan]] = dict(
    zip(
        PROGRAM_NAMES,
        (
            plan_object_rotation,
            plan_object_translation_horizontal,
            plan_object_translation_vertical,
            plan_interpolate_app,
            plan_interpolate_shape,
            plan_interpolate_app_bg,
            plan_object_translation_circle,
            plan_render_camera_elevation,
            plan_render_add_cars,
            plan_render_add_clevr10,
            plan_render_add_clevr6,
        ),
        strict=True,
    )
)
"""Official program name -> the function that plans its frames."""
MAX_BYTES = 4 * 2**30
"""Largest result (frames in memory) a program may build before it is refused as absurd."""


def check_memory(n_bytes: int, what: str) -> None:
    """InrkitError when ``n_bytes`` of ``what`` would exceed :data:`MAX_BYTES`."""
    if n_bytes > MAX_BYTES:
        raise InrkitError(
            f"{what} would need {n_bytes / 2**30:.1f} GiB of memory (limit "
            f"{MAX_BYTES / 2**30:.0f} GiB); use fewer samples or steps"
        )


def program_name(name: str) -> str:
    """The official name for ``name`` (aliases resolved); InrkitError if unknown."""
    name = ALIASES.get(name, name)
    if name not in PROGRAMS:
        known = ", ".join([*PROGRAMS, *ALIASES])
        raise InrkitError(f"unknown render program {name!r} (known: {known})")
    return name


def check_counts(n_samples: int, steps: int) -> None:
    """Raise InrkitError for counts that are negative, zero or absurdly large."""
    if (
        isinstance(n_samples, bool)
        or not isinstance(n_samples, int)
        or not 1 <= n_samples <= MAX_SAMPLES
    ):
        raise InrkitError(
            f"n_samples must be a whole number from 1 to {MAX_SAMPLES}, got {n_samples!r}"
        )
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= MAX_STEPS:
        raise InrkitError(f"steps must be a whole number from 2 to {MAX_STEPS}, got {steps!r}")


def make_plan(
    gen: Generator,
    program: str,
    n_samples: int = DEFAULT_N_SAMPLES,
    steps: int = DEFAULT_STEPS,
    seed: int = DEFAULT_SEED,
    *,
    object_existence_prior: Sequence[float] | None = None,
) -> Plan:
    """The program's frame inputs, drawn from the torch and NumPy streams seeded with ``seed``.

    The global random states are restored afterwards, so rendering has no side effects.
    ``object_existence_prior``: the probabilities of 0, 1, 2, ... objects that choose the
    stages of a ``render_add_*`` program (None: the model config's); InrkitError for another
    program or a prior that is not a distribution.
    """
    check_counts(n_samples, steps)
    name = program_name(program)
    plan_fn = PROGRAMS[name]
    kwargs = {}
    if object_existence_prior is not None:
        if name not in ADD_PROGRAMS:
            raise InrkitError(
                f"object_existence_prior applies to the render_add_* programs only, not {name}"
            )
        kwargs["object_existence_prior"] = check_prior(object_existence_prior)
    np_state = np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            np.random.seed(seed % 2**32)
            return plan_fn(gen, n_samples, steps, **kwargs)
    finally:
        np.random.set_state(np_state)


def generator_of(model: object) -> Generator:
    """The generator that renders: ``model.render_generator`` (a loaded model's or network's
    averaged one, when it keeps an average), or ``model`` itself."""
    gen = getattr(model, "render_generator", model)
    if not isinstance(gen, Generator):
        raise TypeError(f"expected a GiraffeModel or Generator, got {type(model).__name__}")
    return gen


def iter_frames(
    model: object,
    plan: Plan,
    *,
    return_alpha_map: bool = False,
    progress: bool = False,
    precision: str = "fp32",
) -> Iterator[torch.Tensor]:
    """Each distinct frame of ``plan`` on the CPU: (N, 3, H, W) in [0, 1], or alpha maps.

    Objects are never dropped at random here (``sample_existence=False``, whatever the
    config's ``sample_object_existence``): they would flicker from frame to frame, and the
    add-object programs set their counts in the plan. ``precision``: as :func:`render`.
    """
    gen = generator_of(model)
    dtype = compute_dtype(check_precision(precision), gen.device)
    for codes, camera, poses, bg in tqdm(
        plan.inputs,
        desc=plan.name,
        disable=None if progress else True,
        leave=False,
        unit="frame",
    ):
        with torch.no_grad():
            yield gen(
                codes[0].shape[0],
                codes,
                camera,
                poses,
                bg,
                mode="val",
                return_alpha_map=return_alpha_map,
                sample_existence=False,
                dtype=dtype,
            ).cpu()


def render(
    model: object,
    program: str,
    *,
    n_samples: int = DEFAULT_N_SAMPLES,
    steps: int = DEFAULT_STEPS,
    seed: int = DEFAULT_SEED,
    return_alpha_map: bool = False,
    progress: bool = False,
    precision: str = "fp32",
    object_existence_prior: Sequence[float] | None = None,
) -> torch.Tensor:
    """Run a render program and return its frames.

    Args:
        model: A loaded model (its averaged generator renders) or a :class:`Generator`.
        program: An official program name (see :data:`PROGRAMS`).
        n_samples: Scenes per frame (N).
        steps: Frames per slider sweep (programs derive T from it, e.g. 6 x steps for the
            interpolations, 2 x steps for a full turn).
        seed: Seed of the codes and random poses; the same seed gives the same frames.
        return_alpha_map: Return each object's alpha map (T, N, K, 16, 16) instead (K: the
            most objects of any frame; an object not yet added has alpha 0).
        progress: Show a progress bar.
        precision: ``"fp32"``, or ``"bf16"``: the fields' linear layers and the neural
            renderer's feature convolutions in bfloat16 (faster where the hardware has it;
            rays, densities, compositing and RGB stay fp32); without native bf16 a
            :class:`~inrkit.nn.precision.PrecisionWarning` and fp32.
        object_existence_prior: Probabilities of 0, 1, 2, ... objects; a ``render_add_*``
            program shows each count of one or more that has a probability above zero.
            None: the model config's, where it sets one other than the official default;
            else the official counts.

    Returns:
        Frames (T, N, 3, H, W) in [0, 1].
    """
    gen = generator_of(model)
    check_precision(precision)
    plan = make_plan(
        gen, program, n_samples, steps, seed, object_existence_prior=object_existence_prior
    )
    size = gen.cfg.img_size
    k = max(codes[0].shape[1] for codes, *_ in plan.inputs)  # objects of the fullest frame
    per_frame = n_samples * (k * 256 if return_alpha_map else 3 * size * size)
    check_memory(4 * per_frame * (len(plan.inputs) + plan.n_frames), f"{plan.name} frames")
    frames = list(
        iter_frames(
            model, plan, return_alpha_map=return_alpha_map, progress=progress, precision=precision
        )
    )
    if return_alpha_map:  # the add programs' stages differ in K: absent objects are clear
        frames = [torch.nn.functional.pad(f, (0, 0, 0, 0, 0, k - f.shape[1])) for f in frames]
    return torch.stack(frames)[plan.order]
