"""GIRAFFE checkpoints: official structure round trip, safe loading, one-line errors."""

from __future__ import annotations

import io
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from testlib.giraffe import TINY, fixture_checkpoint, tiny_network

import inrkit.giraffe as giraffe
from inrkit.errors import InrkitError
from inrkit.giraffe import checkpoint
from inrkit.giraffe.checkpoint import fitting_presets, resolve
from inrkit.giraffe.model import GiraffeModel

OFFICIAL_KEYS = {"model", "optimizer", "optimizer_d", "epoch_it", "it", "loss_val_best"}


def assert_same_weights(a: GiraffeModel, b: GiraffeModel) -> None:
    sa, sb = a.network.state_dict(), b.network.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


def test_save_writes_the_official_structure_and_loads_back(tiny_giraffe, tmp_path: Path) -> None:
    model = tiny_giraffe
    path = giraffe.save(model, tmp_path / "model.pt", epoch_it=3, it=120)
    ckpt = torch.load(path, weights_only=True)
    assert OFFICIAL_KEYS <= set(ckpt) and set(ckpt) - OFFICIAL_KEYS == {"inrkit"}
    assert {k.split(".")[0] for k in ckpt["model"]} == {
        "generator",
        "generator_test",
        "discriminator",
    }
    assert ckpt["optimizer"]["param_groups"][0]["lr"] == TINY.learning_rate  # fresh RMSprop state
    assert (ckpt["epoch_it"], ckpt["it"], ckpt["loss_val_best"]) == (3, 120, math.inf)
    again = giraffe.load(path)  # the stored config rebuilds the model alone
    assert again.config == TINY
    assert_same_weights(model, again)
    assert again.extras["it"] == 120 and not list(tmp_path.glob(".*part"))


def test_official_checkpoint_round_trip_keeps_everything(tmp_path: Path) -> None:
    src = fixture_checkpoint()
    model = giraffe.load(src, config="cars_64")
    out = giraffe.save(model, tmp_path / "copy.pt")
    a, b = torch.load(src, weights_only=True), torch.load(out, weights_only=True)
    assert set(a) <= set(b)
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    assert b["optimizer"]["param_groups"] == a["optimizer"]["param_groups"]
    assert (b["epoch_it"], b["it"], b["loss_val_best"]) == (
        a["epoch_it"],
        a["it"],
        a["loss_val_best"],
    )
    assert giraffe.load(out).config == giraffe.PRESETS["cars_64"]


def test_official_checkpoint_without_config_names_the_presets_that_fit() -> None:
    with pytest.raises(InrkitError) as info:
        giraffe.load(fixture_checkpoint())
    message = str(info.value)
    assert "without a config" in message
    assert "cars_64, cats_64, celeba_64, chairs_64, church_64" in message


def test_checkpoint_that_does_not_fit_the_preset_says_what_differs() -> None:
    with pytest.raises(InrkitError) as info:
        giraffe.load(fixture_checkpoint(), config="cars_256")
    message = str(info.value)
    assert "weights do not fit preset cars_256" in message
    assert "'generator.decoder.feat_out.weight' (128, 128) vs (256, 128)" in message
    assert "presets that fit: cars_64, cats_64" in message and "\n" not in message


def test_tiny_weights_fit_no_preset(tmp_path: Path) -> None:
    state = tiny_network().state_dict()
    assert fitting_presets(state) == []
    path = tmp_path / "bare.pt"
    torch.save({"model": state}, path)
    with pytest.raises(InrkitError, match="no preset fits"):
        giraffe.load(path, config="cars_64")
    assert giraffe.load(path, config=TINY).config == TINY


def test_bare_state_dict_without_average_and_dataparallel_names(tmp_path: Path) -> None:
    cfg_state = tiny_network().state_dict()
    state = {
        k.replace("generator.", "generator.module.", 1): v
        for k, v in cfg_state.items()
        if not k.startswith("generator_test.")
    }
    path = tmp_path / "bare.pt"
    torch.save(state, path)
    model = giraffe.load(path, config=TINY)
    assert model.network.generator_test is None and model.generator is model.generator_train


def test_numpy_loss_val_best_from_the_official_trainer_loads(tiny_giraffe, tmp_path: Path) -> None:
    model = tiny_giraffe
    ckpt = {
        "model": model.network.state_dict(),
        "loss_val_best": np.float64(12.5),
        "it": np.int64(9),
    }
    buf = io.BytesIO()
    torch.save(ckpt, buf, _use_new_zipfile_serialization=False)
    # As written by NumPy 1.x (numpy.core), the official trainer's environment.
    path = tmp_path / "official.pt"
    path.write_bytes(buf.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    loaded = giraffe.load(path, config=TINY)
    assert loaded.extras["loss_val_best"] == 12.5 and type(loaded.extras["loss_val_best"]) is float


class Evil:
    def __reduce__(self):  # pragma: no cover - never called when loading safely
        return (print, ("pwned",))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"hello world", "not a PyTorch file"),
        ("truncated", "truncated or corrupt"),
        ("evil", "refusing to load: the file contains pickled Python objects"),
        ("list", "not a GIRAFFE checkpoint (a list"),
        ("nogen", "not a GIRAFFE checkpoint"),
        ("nan", "NaN or infinite"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, content: object, message: str) -> None:
    path = tmp_path / "bad.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "truncated":
        path.write_bytes(fixture_checkpoint().read_bytes()[:5000])
    elif content == "evil":
        torch.save({"model": Evil()}, path)
    elif content == "list":
        torch.save([1, 2], path)
    elif content == "nogen":
        torch.save({"model": {"discriminator.x": torch.ones(1)}}, path)
    else:
        state = tiny_network().state_dict()
        state["generator.decoder.fc_in.bias"][0] = float("nan")
        torch.save({"model": state}, path)
    with pytest.raises(InrkitError) as info:
        giraffe.load(path, config=TINY)
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_pickle_module_is_not_used_for_the_evil_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"model": Evil()}, f, protocol=2)
    with pytest.raises(InrkitError):
        giraffe.load(path, config=TINY)
    assert "pwned" not in capsys.readouterr().out


def test_names_resolve_offline_with_instructions(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("INRKIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("INRKIT_OFFLINE", "1")
    with pytest.raises(InrkitError) as info:
        resolve("cars64")
    message = str(info.value)
    assert "checkpoint_compcars64-e85060a0.pt" in message and "INRKIT_OFFLINE" in message
    assert str(tmp_path / "giraffe" / "checkpoint_compcars64-e85060a0.pt") in message
    cached = tmp_path / "giraffe" / "checkpoint_cats64-ff00b26f.pt"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    assert resolve("cats_64_pretrained") == (cached, "cats_64")
    with pytest.raises(InrkitError, match="not an official model name"):
        resolve("no_such_model")
    assert resolve("default") == (checkpoint.DEFAULT_MODEL_PATH, None)  # bundled
    assert resolve("default32") == (checkpoint.SMALL_MODEL_PATH, None)
    monkeypatch.setattr(checkpoint, "DEFAULT_MODEL_PATH", tmp_path / "missing.pt")
    with pytest.raises(InrkitError, match="no 'default' GIRAFFE model is bundled"):
        resolve("default")
    with pytest.raises(InrkitError, match="is a directory"):
        resolve(tmp_path)


def test_download_uses_the_mirror_and_checks_the_hash_prefix(tmp_path: Path, monkeypatch) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "checkpoint_cats64-ff00b26f.pt").write_bytes(b"not the real file")
    monkeypatch.setenv("INRKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("INRKIT_DOWNLOAD_MIRROR", mirror.as_uri())
    monkeypatch.delenv("INRKIT_OFFLINE", raising=False)
    with pytest.raises(InrkitError, match="does not match the name"):
        resolve("cats_64")
    assert not (tmp_path / "cache" / "giraffe" / "checkpoint_cats64-ff00b26f.pt").exists()


def test_save_refuses_to_overwrite_when_asked(tiny_giraffe, tmp_path: Path) -> None:
    path = tmp_path / "m.pt"
    path.write_bytes(b"keep")
    with pytest.raises(InrkitError, match="already exists"):
        giraffe.save(tiny_giraffe, path, overwrite=False)
    assert path.read_bytes() == b"keep"
