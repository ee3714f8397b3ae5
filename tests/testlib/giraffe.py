"""Shared helpers of the GIRAFFE tests: fixture paths, a tiny configuration, the CLI group
run in-process."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from inrkit.cli import giraffe as giraffe_cli
from inrkit.cli.flags import ArgumentParser
from inrkit.errors import InrkitError
from inrkit.giraffe.config import (
    BoxConfig,
    DiscriminatorConfig,
    FieldConfig,
    GeneratorConfig,
    GiraffeConfig,
    NeuralRendererConfig,
)
from inrkit.giraffe.model import Giraffe

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "fixtures" / "giraffe"
SHARED = TESTS.parent.parent / "shared" / "fixtures" / "giraffe" / "cars64"


def fixture_checkpoint() -> Path:
    """The official-structure cars64 checkpoint; fails in CI when missing, else skips."""
    path = SHARED / "model.pt"
    if path.is_file():
        return path
    if os.environ.get("CI"):
        pytest.fail(f"GIRAFFE reference checkpoint missing: {path}")
    pytest.skip(f"model.pt lives in {SHARED}, which is not beside this checkout")


def fixture_arrays() -> dict[str, torch.Tensor]:
    """Every array of fixtures.npz as a tensor (float64 slider values stay float64)."""
    with np.load(FIXTURES / "fixtures.npz") as data:
        return {k: torch.from_numpy(data[k]) for k in data.files}


TINY = GiraffeConfig(
    img_size=32,
    z_dim=8,
    z_dim_bg=4,
    decoder=FieldConfig(
        hidden_size=16,
        n_blocks=4,
        skips=(2,),
        n_freq_posenc=3,
        n_freq_posenc_views=2,
        rgb_out_dim=8,
    ),
    background=FieldConfig(
        hidden_size=8,
        n_blocks=2,
        skips=(),
        n_freq_posenc=2,
        n_freq_posenc_views=1,
        rgb_out_dim=8,
        downscale_p_by=12.0,
    ),
    boxes=BoxConfig(
        scale_range_min=(0.2, 0.16, 0.16),
        scale_range_max=(0.25, 0.2, 0.2),
        translation_range_min=(-0.22, -0.12, 0.0),
        translation_range_max=(0.22, 0.12, 0.0),
    ),
    generator=GeneratorConfig(range_v=(0.41667, 0.5), fov=10.0, n_ray_samples=12),
    neural_renderer=NeuralRendererConfig(n_feat=8, input_dim=8, min_feat=4),
    discriminator=DiscriminatorConfig(n_feat=16),
)
"""A model of a few thousand weights with the cars camera and boxes; 32 px output."""


def tiny_network(cfg: GiraffeConfig = TINY, seed: int = 0, solid: float = 5.0) -> Giraffe:
    """A seeded tiny model whose objects are dense (density bias raised by ``solid``)."""
    torch.manual_seed(seed)
    net = Giraffe(cfg)
    with torch.no_grad():
        for gen in (net.generator, net.generator_test):
            if gen is not None:
                gen.decoder.sigma_out.bias += solid
    return net.eval()


def tiny_config(**generator: object) -> GiraffeConfig:
    """TINY with generator settings replaced."""
    return replace(TINY, generator=replace(TINY.generator, **generator))


def run_cli(*argv: str) -> tuple[int, str]:
    """Parse and run like ``inrkit.cli.main`` with only our group; (exit code, error line)."""
    parser = ArgumentParser(prog="inrkit")
    giraffe_cli.add_parser(parser.add_subparsers(dest="command"))
    try:
        args = parser.parse_args(list(argv))
        return args.run(args), ""
    except InrkitError as e:
        return e.exit_code, f"inrkit: error: {e}"


def held_out_swd(run_inrkit, model_name: str, preset: str, out: Path, n: int = 96) -> dict:
    """SWD (x1e3) to ``n`` freshly rendered held-out scenes (seed 1; training used seed 0) of the
    bundled model ``model_name``, of the same architecture untrained (seeded) and of the mean
    held-out image: ``{"trained", "untrained", "mean image"}``."""
    import inrkit.giraffe as giraffe
    from inrkit.giraffe.evaluate import read_real_images, real_image_files, sample_images
    from inrkit.giraffe.model import GiraffeModel
    from inrkit.metrics.swd import sliced_wasserstein_distance

    model = giraffe.load(model_name)
    size = model.config.img_size
    cmd = ["data", "scenes", "--preset", preset, "--n", str(n), "--size", str(size)]
    run_inrkit(
        *cmd, "--seed", "1", "--out", str(out), "-q", env={"OMP_NUM_THREADS": "1"}, check=True
    )
    real = read_real_images(real_image_files(str(out), n), size)
    torch.manual_seed(0)
    untrained = GiraffeModel(network=Giraffe(model.config), config=model.config).eval()
    swd = {
        name: sliced_wasserstein_distance(sample_images(m.generator, n), real).mean
        for name, m in (("trained", model), ("untrained", untrained))
    }
    mean = real.mean(dim=0, keepdim=True).expand_as(real).contiguous()
    swd["mean image"] = sliced_wasserstein_distance(mean, real).mean
    return swd
