"""Validation during GIRAFFE training: the model-selection metric (Sec. 4.1's FID, or KID or
SWD) of the averaged generator against fixed real images.

It samples and measures with :mod:`inrkit.giraffe.evaluate` (``inrkit giraffe eval``'s
functions), so a validation number and an evaluation number on the same images mean the same.
"""

from __future__ import annotations

import copy
import math

import torch

from inrkit.errors import InrkitError
from inrkit.giraffe.data import ImagesDataset
from inrkit.giraffe.evaluate import evaluate, sample_images
from inrkit.giraffe.generator import Generator
from inrkit.giraffe.train_config import GiraffeTrainConfig
from inrkit.train.state import rng_state, seed_everything, set_rng_state

_MEASURED = {"swd": ("SWD", "FID"), "kid": ("KID",), "fid_score": ("FID",)}
"""What each ``model_selection_metric`` measures; with SWD, FID beside it when the weights are
there (:func:`evaluate` measures KID and FID only with an Inception)."""


class Validator:
    """The model-selection metric of the averaged generator against fixed real images.

    ``training.model_selection_metric`` picks it: ``fid_score`` (the official default) or
    ``kid`` need the FID Inception weights (``training.inception_weights``, else the cache,
    fetched there once), ``swd`` needs none. With ``swd``, FID is measured beside it on the
    same fakes whenever the weights are already cached (nothing is downloaded for it), so the
    history and ``metric.png`` show an FID curve too; the model is still selected by SWD.
    """

    def __init__(self, config: GiraffeTrainConfig, dataset: ImagesDataset) -> None:
        from inrkit.metrics.inception import inception_features
        from inrkit.metrics.inception_weights import inception_weights_path, load_inception

        s = config.settings
        self.metric = s.model_selection_metric
        self.sign = -1.0 if s.model_selection_mode == "minimize" else 1.0
        self.n, self.batch = s.n_eval_images, s.eval_batch_size
        self.extractor = None
        if self.metric in ("fid_score", "kid"):
            self.extractor = load_inception(inception_weights_path(s.inception_weights))
        else:
            try:  # FID beside SWD, when the weights are here already
                weights = inception_weights_path(s.inception_weights, download=False)
            except InrkitError:
                if s.inception_weights is not None:  # a file named in the config must exist
                    raise
                weights = None
            if weights is not None:
                self.extractor = load_inception(weights)
        self.ref_stats = None
        if self.extractor is not None and s.fid_file:
            from inrkit.metrics.frechet import load_stats

            self.ref_stats = load_stats(s.fid_file, dim=2048)
        # Reals: evenly spread over the (sorted) files, unflipped, in [0, 1]; a random crop
        # draws from its own seed, so building them leaves the training's RNG untouched.
        plain = copy.copy(dataset)
        plain.flip = False
        step = max(1, len(dataset) // self.n)
        saved = rng_state()
        seed_everything(s.seed + 2)
        picks = [plain[i]["image"] for i in range(0, len(dataset), step)][: self.n]
        set_rng_state(saved)
        reals = torch.stack(picks)
        self.reals = (reals + 1) / 2 if dataset.use_tanh_range else reals
        self.n = self.reals.shape[0]  # SWD compares sets of equal size
        self.real_features = None
        if self.extractor is not None and (self.ref_stats is None or self.metric == "kid"):
            self.real_features = inception_features(
                self.extractor, self.reals, batch_size=self.batch
            ).numpy()

    def __call__(self, gen: Generator) -> dict[str, float]:
        """{metric: value}: the selection metric, and ``fid_score`` beside SWD when measured.

        The fakes are drawn as ``inrkit giraffe eval`` draws them (:func:`sample_images`, but
        from the training's random streams, as the official validation) and measured by the
        same :func:`evaluate`, without the mean-image baseline.
        """
        gen.eval()
        fakes = sample_images(gen, self.n, seed=None, batch_size=self.batch)
        report = evaluate(
            fakes,
            self.reals,
            inception=self.extractor,
            real_features=self.real_features,
            fid_stats=self.ref_stats,
            metrics=_MEASURED[self.metric],
            baseline=False,
            feature_batch_size=self.batch,
        )
        values = {}
        if "SWD" in report.metrics:
            values["swd"] = report.metrics["SWD"]["model"]
        if "KID" in report.metrics:
            values["kid"] = float(report.metrics["KID"]["model"]["mean"])
        if "FID" in report.metrics:
            values["fid_score"] = float(report.metrics["FID"]["model"])
        return values

    def better(self, value: float, best: float) -> bool:
        """Whether ``value`` is finite and beats ``best`` in the configured direction."""
        return math.isfinite(value) and (not math.isfinite(best) or self.sign * (value - best) > 0)
