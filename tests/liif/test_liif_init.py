"""The interpolating start: an untrained LIIF that is exactly bilinear upsampling."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
import yaml
from testlib.liif import tiny_train_config

from inrkit.errors import InrkitError
from inrkit.liif.config import load_config
from inrkit.liif.inference import upscale_tensor
from inrkit.liif.init import interpolating_init
from inrkit.liif.spec import make_model
from inrkit.liif.train import train


def _liif(encoder: str = "edsr-baseline", **args) -> torch.nn.Module:
    enc_args = {"n_resblocks": 2, "n_feats": 16, "no_upsampling": True}
    if encoder != "edsr-baseline":
        enc_args = {"no_upsampling": True}
    spec = {
        "name": "liif",
        "args": {
            "encoder_spec": {"name": encoder, "args": enc_args},
            "imnet_spec": {"name": "mlp", "args": {"out_dim": 3, "hidden_list": [32, 32, 32]}},
            **args,
        },
    }
    torch.manual_seed(0)
    return make_model(spec)


@pytest.mark.parametrize("out_hw", [(40, 52), (23, 31), (20, 27)])
def test_untrained_model_is_bilinear_upsampling(out_hw: tuple[int, int]) -> None:
    model = _liif()
    interpolating_init(model)
    torch.manual_seed(1)
    lr = torch.rand(1, 3, 13, 13)
    ours = upscale_tensor(model, lr, out_hw)
    bilinear = F.interpolate(lr, size=out_hw, mode="bilinear", align_corners=False)
    assert torch.allclose(ours, bilinear.clamp(0, 1), atol=1e-5)


def test_without_ensemble_or_unfold_it_is_nearest_neighbour() -> None:
    model = _liif(local_ensemble=False, feat_unfold=False)
    interpolating_init(model)
    lr = torch.rand(1, 3, 9, 11)
    ours = upscale_tensor(model, lr, (27, 33))
    assert torch.allclose(ours, F.interpolate(lr, size=(27, 33), mode="nearest"), atol=1e-5)


def test_every_parameter_learns_after_the_first_step() -> None:
    model = _liif()
    interpolating_init(model)
    trained = {k: v for k, v in model.named_parameters() if v.requires_grad}
    before = {k: v.detach().clone() for k, v in trained.items()}
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    inp, coord = torch.rand(2, 3, 8, 8) * 2 - 1, torch.rand(2, 20, 2) * 2 - 1
    cell, gt = torch.full((2, 20, 2), 0.1), torch.rand(2, 20, 3) * 2 - 1
    for _ in range(2):  # zeroed output weights pass gradients on from the second step
        opt.zero_grad()
        F.l1_loss(model(inp, coord, cell), gt).backward()
        opt.step()
    unchanged = [k for k, v in trained.items() if torch.equal(v, before[k])]
    assert unchanged == []


def test_refuses_models_it_does_not_fit() -> None:
    with pytest.raises(InrkitError, match="EDSR encoder"):
        interpolating_init(_liif("rdn"))
    with pytest.raises(InrkitError, match="LIIF model"):
        interpolating_init(torch.nn.Linear(2, 2))


def test_config_init_starts_training_from_bilinear(tmp_path: Path) -> None:
    config = load_config(tiny_train_config(tmp_path, init="interpolating", epoch_max=1))
    assert config.init == "interpolating"
    result = train(config, tmp_path / "run", progress=False)
    assert result["best_val"] > 20  # a random start scores far lower on these smooth images
    bad = tiny_train_config(tmp_path, init="magic")
    with pytest.raises(InrkitError, match="init must be one of interpolating"):
        load_config(bad)
    data = yaml.safe_load(bad.read_text())
    data["init"] = "interpolating"
    data["model"]["args"]["encoder_spec"] = {"name": "rdn", "args": {"no_upsampling": True}}
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(InrkitError, match="train_tiny.yaml: init 'interpolating' needs an EDSR"):
        load_config(bad)
