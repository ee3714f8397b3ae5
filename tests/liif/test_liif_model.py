"""LIIF and MetaSR are numerically the official models; the fast query equals the reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from testlib.liif import LIIF_VARIANTS, liif_fixture

from inrkit.liif import LIIF, make_model
from inrkit.liif.encoders import EDSR, RCAN, RDN
from inrkit.liif.spec import SpecError
from inrkit.liif.tiling import receptive_radius


def _official(variant: str) -> tuple[torch.nn.Module, dict[str, np.ndarray]]:
    ckpt = torch.load(liif_fixture(variant, ".pth"), map_location="cpu", weights_only=True)
    model = make_model(ckpt["model"])
    model.load_state_dict(ckpt["model"]["sd"], strict=True)
    return model.eval(), dict(np.load(liif_fixture(variant, ".npz")))


@pytest.mark.parametrize("variant", LIIF_VARIANTS)
def test_state_dict_keys_and_shapes_are_official(variant: str) -> None:
    model, _ = _official(variant)
    lines = liif_fixture(variant, ".keys.txt").read_text().splitlines()
    expected = {k: s for k, s in (line.split("\t") for line in lines)}
    ours = {k: str(tuple(v.shape)) for k, v in model.state_dict().items()}
    assert ours == expected


@pytest.mark.parametrize("variant", LIIF_VARIANTS)
@pytest.mark.parametrize("k", [0, 1])
def test_outputs_match_official(variant: str, k: int) -> None:
    model, ref = _official(variant)
    inp, coord, cell = (torch.from_numpy(ref[n]) for n in ("inp", f"coord_{k}", f"cell_{k}"))
    with torch.no_grad():
        out = model(inp, coord, cell)
        model.gen_feat(inp)
        stateful = model.query_rgb(coord, cell)
    np.testing.assert_allclose(out.numpy(), ref[f"out_{k}"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(stateful.numpy(), ref[f"out_{k}"], rtol=0, atol=1e-5)
    if isinstance(model, LIIF):
        with torch.no_grad():
            plain = model.query_reference(model.encode(inp), coord, cell)
        np.testing.assert_allclose(plain.numpy(), ref[f"out_{k}"], rtol=0, atol=1e-5)


@pytest.mark.parametrize("variant", ["edsr-small", "edsr-small-plain", "edsr-small-noens"])
def test_fast_query_gradients_equal_reference(variant: str) -> None:
    model, ref = _official(variant)
    model.train()
    inp = torch.from_numpy(ref["inp"])
    coord, cell = (
        torch.from_numpy(ref["coord_0"])[:, :400],
        torch.from_numpy(ref["cell_0"])[:, :400],
    )
    grads = []
    for query in (model.query, model.query_reference):
        model.zero_grad()
        query(model.encode(inp), coord, cell).square().mean().backward()
        grads.append({n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None})
    fast, plain = grads
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    # Every trainable parameter receives a gradient (no branch left unused) ...
    assert set(fast) == set(plain) == trainable
    for name in trainable:  # ... and the same one on both paths.
        torch.testing.assert_close(fast[name], plain[name], rtol=1e-4, atol=1e-6)


def test_fast_equals_reference_on_batches_and_odd_grids() -> None:
    model, _ = _official("edsr-small")
    inp = torch.rand(2, 3, 7, 11) * 2 - 1
    coord = torch.rand(2, 333, 2) * 2 - 1
    coord[0, :4] = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0], [-1 / 7, 1 / 11]])
    cell = torch.rand(2, 333, 2) * 0.3
    with torch.no_grad():
        feat = model.encode(inp)
        torch.testing.assert_close(
            model.query(feat, coord, cell),
            model.query_reference(feat, coord, cell),
            rtol=0,
            atol=1e-5,
        )


def test_receptive_radius() -> None:
    assert receptive_radius(EDSR(16, 8, 1.0, no_upsampling=True)) == 34  # head + 2*16 + body
    assert receptive_radius(RDN(G0=8, RDNconfig="A", no_upsampling=True)) == 2 + 20 * 6 + 1
    assert receptive_radius(RCAN(2, 2, 16, 4, no_upsampling=True)) is None  # global pooling


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"name": "nope"}, "unknown model 'nope'"),
        ({"name": "liif", "args": {"encoder_spec": {"name": "vgg"}}}, "unknown encoder 'vgg'"),
        (
            {"name": "liif", "args": {"encoder_spec": {"name": "edsr", "args": {"n_feats": -3}}}},
            "n_feats must be positive",
        ),
        (
            {"name": "liif", "args": {"encoder_spec": {"name": "edsr", "args": {"colour": 1}}}},
            "unknown argument(s) colour",
        ),
        (
            {
                "name": "liif",
                "args": {"encoder_spec": {"name": "edsr-baseline"}, "local_ensemble": "yes"},
            },
            "local_ensemble must be true",
        ),
        (
            {"name": "liif", "args": {"encoder_spec": {"name": "rdn", "args": {"RDNconfig": "C"}}}},
            "RDNconfig must be 'A' or 'B'",
        ),
        (
            {
                "name": "liif",
                "args": {
                    "encoder_spec": {"name": "edsr-baseline"},
                    "imnet_spec": {"name": "mlp", "args": {"hidden_list": "x"}},
                },
            },
            "hidden_list must be a list",
        ),
    ],
)
def test_bad_specs_name_the_key(spec: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_model(spec)


def test_full_size_presets_build_with_paper_shapes() -> None:
    model = make_model(
        {
            "name": "liif",
            "args": {
                "encoder_spec": {"name": "edsr-baseline", "args": {"no_upsampling": True}},
                "imnet_spec": {"name": "mlp", "args": {"out_dim": 3, "hidden_list": [256] * 4}},
            },
        }
    )
    assert model.imnet.layers[0].in_features == 64 * 9 + 4
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert 1_500_000 < n_params < 1_600_000  # EDSR-baseline 1.22M + MLP 0.35M
