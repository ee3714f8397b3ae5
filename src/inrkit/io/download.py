"""Download a file over HTTP(S) safely: size and checksum checks, atomic rename, resuming.

A download is written to a temporary file beside its destination and renamed over it only once
it is complete and verified, so an interrupted or failed download never leaves a partial file
under the final name (the next run would otherwise mistake it for a good one).

With ``resume=True`` (large data archives) the temporary file is ``DEST.part`` and is kept when
a transfer breaks off; the next call asks the server for the rest with an HTTP ``Range``
header (RFC 9110, Sec. 14) and appends it when the answer is ``206 Partial Content``. A server
that ignores ranges answers ``200`` with the whole file, and the download restarts cleanly.

Callers honour two settings: ``$INRKIT_DOWNLOAD_MIRROR`` (:func:`mirror_url`, which tests point
at a local server) and ``$INRKIT_OFFLINE`` (:func:`offline`).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tqdm import tqdm

from inrkit.errors import InrkitError
from inrkit.io.files import temp_path_beside

_CHUNK = 1 << 20
_TIMEOUT_S = 60
_USER_AGENT = "inrkit/0.1 (python-urllib)"
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(?:(\d+)-\d+|\*)\s*/\s*(\d+|\*)\s*$")


class DownloadError(InrkitError):
    """A download that failed; the message starts with the URL."""


class _BadContent(DownloadError):
    """The bytes themselves are wrong (size or checksum): a kept ``.part`` would be useless."""


def part_path(dest: str | Path) -> Path:
    """Where a resumable download of ``dest`` keeps its bytes until it is complete."""
    dest = Path(dest)
    return dest.with_name(dest.name + ".part")


def offline() -> bool:
    """Whether ``$INRKIT_OFFLINE`` forbids downloading (``1``, ``true``, ``yes`` or ``on``)."""
    return os.environ.get("INRKIT_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def mirror_url(url: str, filename: str) -> str:
    """``url``, or ``MIRROR/<filename>`` when ``$INRKIT_DOWNLOAD_MIRROR`` names a mirror."""
    mirror = os.environ.get("INRKIT_DOWNLOAD_MIRROR")
    return mirror.rstrip("/") + "/" + filename if mirror else url


def _content_length(response: Any) -> int | None:
    value = getattr(response, "headers", {}).get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """``bytes 100-199/1000`` -> (100, 1000); ``bytes */1000`` -> (None, 1000)."""
    match = _CONTENT_RANGE.match(value or "")
    if not match:
        return None, None
    first, total = match.groups()
    return (int(first) if first else None), (None if total in (None, "*") else int(total))


def _hashers(with_md5: bool) -> dict[str, Any]:
    # sha256 always, as before resuming existed: callers may compare it with a known digest.
    hashers: dict[str, Any] = {"sha256": hashlib.sha256()}
    if with_md5:
        hashers["md5"] = hashlib.md5(usedforsecurity=False)
    return hashers


def _hash_file_into(path: Path, hashers: dict[str, Any]) -> int:
    """Feed ``path``'s bytes to every hasher; returns its size."""
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            for h in hashers.values():
                h.update(chunk)
            size += len(chunk)
    return size


def download(
    url: str,
    dest: str | Path,
    *,
    sha256: str | None = None,
    expected_size: int | None = None,
    md5: str | None = None,
    resume: bool = False,
) -> Path:
    """Fetch ``url`` into ``dest`` and return ``dest``.

    Args:
        url: http(s) (or file) URL.
        dest: Final path; its folder is created if needed. Written only on success.
        sha256: Expected hex digest, checked when given.
        expected_size: Expected size in bytes, checked when given (as is Content-Length).
        md5: Expected hex MD5, checked when given (some data sets publish only MD5).
        resume: Keep ``DEST.part`` when a transfer breaks off and continue from it next time.

    Raises:
        DownloadError: HTTP or network error, a short transfer, a web page instead of a file,
            or a checksum mismatch. No file is left at ``dest``; beside it, only a resumable
            ``DEST.part`` after a broken transfer (never after a size or checksum mismatch).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = part_path(dest) if resume else temp_path_beside(dest)
    keep = resume
    try:
        digests, size, total = _transfer(url, tmp, dest, resume, md5 is not None)
        _check(
            url,
            digests,
            size,
            total,
            sha256=sha256,
            md5=md5,
            expected_size=expected_size,
            resumable_part=tmp if resume else None,
        )
        os.replace(tmp, dest)
    except _BadContent:
        keep = False
        raise
    except urllib.error.HTTPError as e:
        raise DownloadError(f"{url}: HTTP error {e.code} ({e.reason})") from None
    except urllib.error.URLError as e:
        raise DownloadError(f"{url}: network error ({e.reason})") from None
    except DownloadError:
        raise
    except (OSError, ValueError, http.client.HTTPException) as e:  # timeouts, resets, bad URLs
        raise DownloadError(f"{url}: download failed ({type(e).__name__}: {e})") from None
    finally:
        # Covers KeyboardInterrupt too: a resumable part is kept, anything else removed.
        if not keep:
            tmp.unlink(missing_ok=True)
    return dest


def _check(
    url: str,
    digests: dict[str, str],
    size: int,
    total: int | None,
    *,
    sha256: str | None,
    md5: str | None,
    expected_size: int | None,
    resumable_part: Path | None,
) -> None:
    """Raise unless the finished transfer is whole and matches what was expected."""
    wanted = expected_size if total is None else total
    if wanted is not None and size < wanted:
        hint = f" (rerun to resume from {resumable_part})" if resumable_part else ""
        raise DownloadError(f"{url}: download cut short: got {size} of {wanted} bytes{hint}")
    if total is not None and size != total:
        raise _BadContent(f"{url}: got {size} bytes, the server announced {total}")
    if expected_size is not None and size != expected_size:
        raise _BadContent(f"{url}: got {size} bytes, expected {expected_size}")
    for name, want in (("sha256", sha256), ("md5", md5)):
        if want is not None and digests[name] != want.lower():
            raise _BadContent(f"{url}: {name} mismatch: got {digests[name]}, expected {want}")


def _transfer(
    url: str, tmp: Path, dest: Path, resume: bool, with_md5: bool
) -> tuple[dict[str, str], int, int | None]:
    """Write (or, resuming, append) the body of ``url`` to ``tmp``.

    Returns:
        (hex digests of the whole file, its size, its total size as announced by the server).
    """
    start = tmp.stat().st_size if resume and tmp.is_file() else 0
    headers = {"User-Agent": _USER_AGENT}
    if start:
        headers["Range"] = f"bytes={start}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=_TIMEOUT_S)
    except urllib.error.HTTPError as e:
        if e.code != 416 or not start:
            raise
        # 416 Range Not Satisfiable: the part may already hold every byte (killed after the
        # last one); otherwise it belongs to another file version, so start over.
        if _content_range(e.headers.get("Content-Range"))[1] == start:
            hashers = _hashers(with_md5)
            size = _hash_file_into(tmp, hashers)
            return {k: h.hexdigest() for k, h in hashers.items()}, size, start
        tmp.unlink()
        return _transfer(url, tmp, dest, resume, with_md5)
    with response:
        total = _content_length(response)
        if response.status == 206:
            first, total = _content_range(response.headers.get("Content-Range"))
            if first != start:  # not the range we asked for: do not splice it in
                if not start:
                    raise DownloadError(f"{url}: the server sent part of the file unasked")
                response.close()
                tmp.unlink()
                return _transfer(url, tmp, dest, resume, with_md5)
        else:  # 200: the whole file again (the server ignores ranges)
            start = 0
        # Dropbox/Google Drive answer with an HTML page when a link is wrong or needs a click.
        content_type = response.headers.get("Content-Type", "")
        if content_type.startswith("text/html") and dest.suffix not in (".html", ".htm"):
            raise DownloadError(f"{url}: the server sent a web page, not the file")
        hashers = _hashers(with_md5)
        if start:
            _hash_file_into(tmp, hashers)
        size = _stream(response, tmp, hashers, start, total, dest.name, resume)
    return {k: h.hexdigest() for k, h in hashers.items()}, size, total


def _stream(
    response: Any,
    tmp: Path,
    hashers: dict[str, Any],
    start: int,
    total: int | None,
    desc: str,
    resume: bool,
) -> int:
    """Copy the response body into ``tmp`` (appended after ``start`` bytes); returns its size."""
    size = start
    # A fresh temporary name must not exist yet ("xb"); a resumable part restarts ("wb").
    mode = "ab" if start else ("wb" if resume else "xb")
    with (
        open(tmp, mode) as f,
        tqdm(
            total=total,
            initial=start,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=desc,
            disable=None,
            leave=False,
        ) as bar,
    ):
        # http.client returns a short read, not an error, when the peer closes early; the
        # caller compares ``size`` with ``total``.
        try:
            while chunk := response.read(_CHUNK):
                f.write(chunk)
                for h in hashers.values():
                    h.update(chunk)
                size += len(chunk)
                bar.update(len(chunk))
        finally:
            # What arrived is kept durable even when the transfer breaks: resuming trusts it.
            f.flush()
            os.fsync(f.fileno())
    return size
