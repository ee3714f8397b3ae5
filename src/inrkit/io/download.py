"""Download a file over HTTP(S) safely: temp file, size and checksum checks, atomic rename.

A download is written to a hidden temporary file beside its destination and renamed over it
only once it is complete and verified, so an interrupted or failed download never leaves a
partial file under the final name (the next run would otherwise mistake it for a good one).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from inrkit.errors import InrkitError

_CHUNK = 1 << 20
_TIMEOUT_S = 60
_USER_AGENT = "inrkit/0.1 (python-urllib)"


class DownloadError(InrkitError):
    """A download that failed; the message starts with the URL."""


def temp_path_beside(dest: Path) -> Path:
    """A fresh hidden name in ``dest``'s folder (same file system, so ``os.replace`` is atomic)."""
    return dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")


def _content_length(response: object) -> int | None:
    value = getattr(response, "headers", {}).get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def download(
    url: str, dest: str | Path, *, sha256: str | None = None, expected_size: int | None = None
) -> Path:
    """Fetch ``url`` into ``dest`` and return ``dest``.

    Args:
        url: http(s) (or file) URL.
        dest: Final path; its folder is created if needed. Written only on success.
        sha256: Expected hex digest, checked when given.
        expected_size: Expected size in bytes, checked when given (as is Content-Length).

    Raises:
        DownloadError: HTTP or network error, a short transfer, a web page instead of a file,
            or a checksum mismatch. No file is left at ``dest`` or beside it.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_beside(dest)
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        digest, size, declared = _fetch(request, tmp, dest)
        if declared is not None and size != declared:
            raise DownloadError(f"{url}: download cut short: got {size} of {declared} bytes")
        if expected_size is not None and size != expected_size:
            raise DownloadError(f"{url}: got {size} bytes, expected {expected_size}")
        if sha256 is not None and digest != sha256.lower():
            raise DownloadError(f"{url}: sha256 mismatch: got {digest}, expected {sha256}")
        os.replace(tmp, dest)
    except urllib.error.HTTPError as e:
        raise DownloadError(f"{url}: HTTP error {e.code} ({e.reason})") from None
    except urllib.error.URLError as e:
        raise DownloadError(f"{url}: network error ({e.reason})") from None
    except (OSError, ValueError) as e:  # timeouts, resets, http.client errors, bad URLs
        raise DownloadError(f"{url}: download failed ({type(e).__name__}: {e})") from None
    finally:
        # Covers KeyboardInterrupt too: never leave a half-written file behind.
        tmp.unlink(missing_ok=True)
    return dest


def _fetch(request: urllib.request.Request, tmp: Path, dest: Path) -> tuple[str, int, int | None]:
    """Stream the response into ``tmp``; returns (sha256 hex, bytes written, Content-Length)."""
    hasher = hashlib.sha256()
    size = 0
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
        declared = _content_length(response)
        # Dropbox/Google Drive answer with an HTML page when a link is wrong or needs a click.
        content_type = response.headers.get("Content-Type", "")
        if content_type.startswith("text/html") and dest.suffix not in (".html", ".htm"):
            raise DownloadError(f"{request.full_url}: the server sent a web page, not the file")
        with open(tmp, "xb") as f, tqdm(
            total=declared, unit="B", unit_scale=True, unit_divisor=1024, desc=dest.name,
            disable=None, leave=False,
        ) as bar:  # fmt: skip
            # http.client returns a short read, not an error, when the peer closes early; the
            # caller compares ``size`` with ``declared``.
            while chunk := response.read(_CHUNK):
                f.write(chunk)
                hasher.update(chunk)
                size += len(chunk)
                bar.update(len(chunk))
            f.flush()
            os.fsync(f.fileno())
    return hasher.hexdigest(), size, declared
