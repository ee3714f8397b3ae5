"""Checkpoints: official fixtures load exactly, round trips, bad files, downloads over HTTP."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import os
import shutil
import stat
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

from inrkit.errors import InrkitError
from inrkit.io.cache import cache_dir
from inrkit.liif import checkpoint
from inrkit.liif.checkpoint import OFFICIAL_MODELS, load, resolve, save
from inrkit.weights import CATALOGUE
from inrkit.weights.fetch import file_digest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "liif"
PTH_FIXTURES = sorted(FIXTURES.glob("*.pth"))
EDSR = FIXTURES / "edsr-small.pth"


def _outputs(model: torch.nn.Module, variant: str) -> tuple[torch.Tensor, np.ndarray]:
    """(our output, official out_0) for a fixture variant."""
    ref = np.load(FIXTURES / f"{variant}.npz")
    inp, coord, cell = (torch.from_numpy(ref[k]) for k in ("inp", "coord_0", "cell_0"))
    with torch.no_grad():
        return model(inp, coord, cell), ref["out_0"]


def _official(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def _error(path_or_name: object) -> str:
    """Load, expect an InrkitError, check it is one line naming the file; return the message."""
    with pytest.raises(InrkitError) as info:
        load(path_or_name)
    message = str(info.value)
    assert "\n" not in message
    assert Path(str(path_or_name)).name in message
    return message


# ----- official fixtures and round trips ------------------------------------------------------
def test_fixtures_exist():
    assert len(PTH_FIXTURES) >= 6


@pytest.mark.parametrize("path", PTH_FIXTURES, ids=lambda p: p.stem)
def test_fixture_loads_and_matches_official_output(path):
    model = load(path)
    assert not model.training
    ours, official = _outputs(model, path.stem)
    np.testing.assert_allclose(ours.numpy(), official, atol=1e-5, rtol=0)
    assert model.spec["name"] == _official(path)["model"]["name"]


def test_official_round_trip_keeps_structure_and_tensors(tmp_path):
    model = load(EDSR)
    out = save(model, tmp_path / "copy.pth")
    assert out == tmp_path / "copy.pth"
    saved, original = _official(out), _official(EDSR)
    assert set(saved) == {"model", "epoch"} and saved["epoch"] is None
    assert list(saved["model"]) == ["name", "args", "sd"]
    assert saved["model"]["name"] == original["model"]["name"]
    assert saved["model"]["args"] == original["model"]["args"]
    assert list(saved["model"]["sd"]) == list(original["model"]["sd"])
    for key, value in original["model"]["sd"].items():
        assert torch.equal(saved["model"]["sd"][key], value), key
    ours, _ = _outputs(model, "edsr-small")
    again, _ = _outputs(load(out), "edsr-small")
    assert torch.equal(ours, again)


def test_legacy_pickle_format_loads(tmp_path):
    # torch.save before 1.6 wrote a plain pickle stream rather than a zip archive.
    torch.save(_official(EDSR), tmp_path / "legacy.pth", _use_new_zipfile_serialization=False)
    ours, official = _outputs(load(tmp_path / "legacy.pth"), "edsr-small")
    np.testing.assert_allclose(ours.numpy(), official, atol=1e-5, rtol=0)


def test_optimizer_and_epoch_are_saved_like_the_official_trainer(tmp_path):
    model = load(EDSR)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
    coord, cell = torch.zeros(1, 4, 2), torch.full((1, 4, 2), 0.25)
    model(torch.zeros(1, 3, 8, 8), coord, cell).sum().backward()
    optimizer.step()
    saved = _official(save(model, tmp_path / "epoch-7.pth", optimizer=optimizer, epoch=7))
    assert set(saved) == set(_official(EDSR)) == {"model", "optimizer", "epoch"}
    assert saved["epoch"] == 7
    assert saved["optimizer"]["name"] == "adam"
    assert saved["optimizer"]["args"] == {"lr": 2e-4}
    fresh = torch.optim.Adam(load(EDSR).parameters(), lr=1.0)
    fresh.load_state_dict(saved["optimizer"]["sd"])  # the official resume path
    assert fresh.param_groups[0]["lr"] == 2e-4
    assert len(fresh.state) == len(optimizer.state) > 0


def test_safetensors_round_trip(tmp_path):
    model = load(FIXTURES / "edsr-small-noens.pth")
    path = save(model, tmp_path / "model.safetensors", epoch=3)
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    assert meta["inrkit.format"] == "liif-v1" and meta["inrkit.epoch"] == "3"
    again = load(path)
    assert again.spec == model.spec
    ours, official = _outputs(again, "edsr-small-noens")
    assert torch.equal(ours, _outputs(model, "edsr-small-noens")[0])
    np.testing.assert_allclose(ours.numpy(), official, atol=1e-5, rtol=0)


def test_save_refuses_models_without_spec_and_existing_files(tmp_path):
    with pytest.raises(ValueError, match="spec"):
        save(torch.nn.Linear(2, 2), tmp_path / "x.pth")
    model = load(EDSR)
    path = save(model, tmp_path / "x.pth")
    with pytest.raises(InrkitError, match="already exists"):
        save(model, path, overwrite=False)
    with pytest.raises(ValueError, match="optimizer"):
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        save(model, tmp_path / "x.safetensors", optimizer=opt)


def test_failed_save_leaves_the_old_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "model.pth"
    path.write_bytes(b"old")

    def broken_save(obj, f):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save(load(EDSR), path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.pth"]  # no temp file left behind


# ----- bad files ------------------------------------------------------------------------------
def test_truncated_and_empty_files(tmp_path):
    data = EDSR.read_bytes()
    (tmp_path / "half.pth").write_bytes(data[: len(data) // 2])
    (tmp_path / "empty.pth").write_bytes(b"")
    (tmp_path / "junk.pth").write_bytes(b"certainly not a checkpoint")
    save(load(EDSR), tmp_path / "ok.safetensors")
    st = (tmp_path / "ok.safetensors").read_bytes()
    (tmp_path / "half.safetensors").write_bytes(st[: len(st) // 2])
    for name in ("half.pth", "empty.pth", "junk.pth", "half.safetensors"):
        assert "truncated or corrupt checkpoint" in _error(tmp_path / name)


def test_other_checkpoints_are_not_liif(tmp_path):
    sd = _official(EDSR)["model"]["sd"]
    giraffe = {"model": {"name": "giraffe", "args": {}, "sd": sd}, "epoch": 1}
    torch.save(giraffe, tmp_path / "giraffe.pth")
    torch.save(sd, tmp_path / "bare.pth")
    torch.save([1, 2, 3], tmp_path / "list.pth")
    torch.save({"generator": sd}, tmp_path / "other.pth")
    assert "model.name is 'giraffe'" in _error(tmp_path / "giraffe.pth")
    assert "bare state dict" in _error(tmp_path / "bare.pth")
    for name in ("giraffe.pth", "bare.pth", "list.pth", "other.pth"):
        assert "not a LIIF checkpoint" in _error(tmp_path / name)


def test_mismatched_shapes_are_reported(tmp_path):
    ckpt = _official(EDSR)
    ckpt["model"]["args"]["encoder_spec"]["args"]["n_feats"] = 8
    torch.save(ckpt, tmp_path / "edsr-8.pth")
    message = _error(tmp_path / "edsr-8.pth")
    assert "weights do not match the model spec" in message
    assert "0 missing, 0 unexpected" in message
    assert "'encoder.head.0.weight' (16, 3, 3, 3) vs (8, 3, 3, 3)" in message

    del ckpt["model"]["sd"]["imnet.layers.0.bias"]
    ckpt["model"]["args"]["encoder_spec"]["args"]["n_feats"] = 16
    ckpt["model"]["sd"]["extra"] = torch.zeros(1)
    torch.save(ckpt, tmp_path / "keys.pth")
    message = _error(tmp_path / "keys.pth")
    assert "1 missing, 1 unexpected, 0 with other shapes" in message


def test_bad_spec_is_reported_with_the_key(tmp_path):
    ckpt = _official(EDSR)
    ckpt["model"]["args"]["encoder_spec"]["name"] = "vgg"
    torch.save(ckpt, tmp_path / "vgg.pth")
    assert "encoder_spec.name" in _error(tmp_path / "vgg.pth")


def test_non_finite_weights_are_refused(tmp_path):
    ckpt = _official(EDSR)
    ckpt["model"]["sd"]["encoder.head.0.weight"][0, 0, 0, 0] = float("nan")
    torch.save(ckpt, tmp_path / "nan.pth")
    assert "NaN or infinite" in _error(tmp_path / "nan.pth")


class _Exploit:
    """Unpickling this would run code that creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def test_pickled_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    ckpt = _official(EDSR)
    ckpt["epoch"] = _Exploit(marker)
    torch.save(ckpt, tmp_path / "evil.pth")
    message = _error(tmp_path / "evil.pth")
    assert "refusing to load" in message and "pickled Python objects" in message
    assert not marker.exists()


def test_directories_and_unknown_names(tmp_path, monkeypatch):
    assert "is a directory" in _error(tmp_path)
    monkeypatch.chdir(tmp_path)
    message = _error("edsr-huge-liif")
    assert "no such file, and not an official model name" in message
    assert "(known: edsr-baseline-liif, rdn-liif)" in message


# ----- official names and downloads -------------------------------------------------------------
def test_official_models_and_cache_dir(tmp_path, monkeypatch):
    assert set(OFFICIAL_MODELS) == {"edsr-baseline-liif", "rdn-liif"}
    for name, entry in OFFICIAL_MODELS.items():
        assert entry.name == name and entry.cache_name == f"liif/{name}.pth"
        assert entry.url.startswith("https://")
    with pytest.raises(dataclasses.FrozenInstanceError):
        OFFICIAL_MODELS["rdn-liif"].url = "x"  # type: ignore[misc]
    monkeypatch.delenv("INRKIT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "inrkit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "inrkit"
    monkeypatch.setenv("INRKIT_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; counts requests; with ``server.cut_short`` sends half of each file."""

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        if not self.server.cut_short:
            return super().do_GET()
        data = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A real HTTP server on 127.0.0.1 serving ``edsr-baseline-liif.pth`` (a small fixture).

    The catalogue entry takes the fixture's size and checksum, and pip (the source tried
    before the link) looks in an empty folder of wheels, so the link is what delivers.
    """
    root = tmp_path / "mirror"
    root.mkdir()
    shutil.copy(EDSR, root / "edsr-baseline-liif.pth")
    size, sha256 = file_digest(EDSR)
    entry = dataclasses.replace(CATALOGUE["edsr-baseline-liif"], size=size, sha256=sha256)
    monkeypatch.setitem(CATALOGUE, "edsr-baseline-liif", entry)
    (tmp_path / "no-wheels").mkdir()
    for var, value in (("PIP_NO_INDEX", "1"), ("PIP_FIND_LINKS", str(tmp_path / "no-wheels"))):
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    handler = functools.partial(_Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests, server.cut_short, server.root = [], False, root
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "INRKIT_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("INRKIT_DOWNLOAD_MIRROR", f"http://127.0.0.1:{server.server_port}/")
    monkeypatch.setenv("INRKIT_CACHE_DIR", str(tmp_path / "cache"))
    yield server
    server.shutdown()
    server.server_close()


def test_download_once_then_use_the_cache(mirror, tmp_path):
    cached = tmp_path / "cache" / "liif" / "edsr-baseline-liif.pth"
    model = load("edsr-baseline-liif")
    assert mirror.requests == ["/edsr-baseline-liif.pth"]
    assert cached.read_bytes() == EDSR.read_bytes()
    assert os.listdir(cached.parent) == [cached.name]
    ours, official = _outputs(model, "edsr-small")
    np.testing.assert_allclose(ours.numpy(), official, atol=1e-5, rtol=0)
    assert resolve("edsr-baseline-liif") == cached
    load("edsr-baseline-liif")
    assert len(mirror.requests) == 1


def test_http_error_says_what_to_fetch_and_where(mirror, tmp_path):
    (mirror.root / "edsr-baseline-liif.pth").unlink()
    message = _error("edsr-baseline-liif")
    url = f"http://127.0.0.1:{mirror.server_port}/edsr-baseline-liif.pth"
    assert url in message and "404" in message
    assert str(tmp_path / "cache" / "liif" / "edsr-baseline-liif.pth") in message
    assert os.listdir(tmp_path / "cache" / "liif") == []


def test_offline_and_no_download_make_no_request(mirror, tmp_path, monkeypatch):
    dest = str(tmp_path / "cache" / "liif" / "edsr-baseline-liif.pth")
    with pytest.raises(InrkitError, match="downloading is off") as info:
        resolve("edsr-baseline-liif", download=False)
    assert dest in str(info.value)
    monkeypatch.setenv("INRKIT_OFFLINE", "1")
    message = _error("edsr-baseline-liif")
    assert "INRKIT_OFFLINE" in message and dest in message and "edsr-baseline-liif.pth" in message
    assert mirror.requests == []


def test_download_cut_short_leaves_no_file(mirror, tmp_path):
    mirror.cut_short = True
    message = _error("edsr-baseline-liif")
    assert "cut short" in message
    assert os.listdir(tmp_path / "cache" / "liif") == []
    assert len(mirror.requests) == 1


def test_checksum_mismatch_leaves_no_file(mirror, tmp_path, monkeypatch):
    entry = dataclasses.replace(CATALOGUE["edsr-baseline-liif"], sha256="0" * 64)
    monkeypatch.setitem(CATALOGUE, "edsr-baseline-liif", entry)
    assert "sha256 mismatch" in _error("edsr-baseline-liif")
    assert os.listdir(tmp_path / "cache" / "liif") == []


def test_cli_export_writes_weights_only(run_inrkit, tmp_path: Path, edsr_small_path: Path) -> None:
    out = tmp_path / "small.safetensors"
    cmd = ["liif", "export", str(edsr_small_path), str(out)]
    done = run_inrkit(*cmd)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    a, b = load(edsr_small_path), load(out)
    assert all(torch.equal(a.state_dict()[k], v) for k, v in b.state_dict().items())
    # Readable as any new file is (umask), not 0600 as safetensors' own writer makes it.
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)
    again = run_inrkit(*cmd)
    assert again.returncode == 2 and "already exists (use --overwrite)" in again.stderr
    bad = run_inrkit(*cmd[:-1], str(tmp_path / "no" / "x.pth"))
    assert bad.returncode == 2 and "no such folder" in bad.stderr
