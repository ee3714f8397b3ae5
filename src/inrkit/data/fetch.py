"""Download the public data of the LIIF experiments into the official layout under ROOT.

One literal table of archives. Each is downloaded resumably (``DEST.part`` survives a broken
transfer; the next run asks for the rest), checked against its size and checksum where these
are published, unpacked safely (:mod:`inrkit.io.archives`) beside its final place, and then
removed unless ``keep_archives``. An archive already in place (from an earlier run, or put
there by hand) is checked and used, not downloaded again; data already unpacked is skipped.

``$INRKIT_DOWNLOAD_MIRROR`` replaces every URL by ``MIRROR/<file name>`` (tests use a local
server this way); ``$INRKIT_OFFLINE`` forbids downloading. CelebAHQ has no stable direct
download: only its split file is fetched, and the error says where the originals are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from inrkit.data.root import BENCHMARKS, CELEBAHQ_SIZES, Root, data_root
from inrkit.errors import InrkitError, file_error
from inrkit.io.archives import extract_archive
from inrkit.io.download import DownloadError, download, mirror_url, offline


@dataclass(frozen=True)
class Archive:
    """One public file and where its contents go."""

    url: str
    folder: str  # relative to ROOT: the file is saved and unpacked here
    provides: tuple[str, ...]  # relative to ROOT: all present = nothing to do
    size: int | None = None  # bytes, where published
    sha256: str | None = None
    md5: str | None = None
    unpack: bool = True

    @property
    def filename(self) -> str:
        return urlsplit(self.url).path.rsplit("/", 1)[-1]


_DIV2K = "https://data.vision.ee.ethz.ch/cvl/DIV2K/"
# Sizes and sha256 of DIV2K: tensorflow/datasets, tensorflow_datasets/url_checksums/div2k.txt.
# benchmark.tar (linked from the LIIF README, made by EDSR-PyTorch): MD5 from Coloquinte/torchSR.
# split.json: the official CelebAHQ split linked from the LIIF README (no published checksum).
ARCHIVES: dict[str, tuple[Archive, ...]] = {
    "div2k": (
        Archive(
            _DIV2K + "DIV2K_train_HR.zip",
            "div2k",
            ("div2k/DIV2K_train_HR",),
            size=3530603713,
            sha256="9d0b9c463f6e35b6c62cc6a930ee2224f670b34c1df841a57670f9acf0f6c335",
        ),
        Archive(
            _DIV2K + "DIV2K_valid_HR.zip",
            "div2k",
            ("div2k/DIV2K_valid_HR",),
            size=448993893,
            sha256="20dd31fd84d777bc1cf5d6b7654a3f569c0aec74458ae094122ad1d0489900fc",
        ),
        Archive(
            _DIV2K + "DIV2K_valid_LR_bicubic_X2.zip",
            "div2k",
            ("div2k/DIV2K_valid_LR_bicubic/X2",),
            size=117763600,
            sha256="60eed9875c697df51204aa579e2a699e1d5215095788a097ff54dd17e2664d57",
        ),
        Archive(
            _DIV2K + "DIV2K_valid_LR_bicubic_X3.zip",
            "div2k",
            ("div2k/DIV2K_valid_LR_bicubic/X3",),
            size=54513392,
            sha256="04b9a2ed3b4a0715d3924d3ae8514830c3328fac8d30512ce716d6f419e052a3",
        ),
        Archive(
            _DIV2K + "DIV2K_valid_LR_bicubic_X4.zip",
            "div2k",
            ("div2k/DIV2K_valid_LR_bicubic/X4",),
            size=31505881,
            sha256="a50a5d1c4b88de4e8d300d8fb2b904c52fe93b2b298a4899697760d7cbb6d553",
        ),
    ),
    "benchmark": (
        Archive(
            "https://cv.snu.ac.kr/research/EDSR/benchmark.tar",
            ".",
            tuple(f"benchmark/{n}/{d}" for n in BENCHMARKS for d in ("HR", "LR_bicubic")),
            md5="4ace41d33c2384b97e6b320cd0afd6ba",
        ),
    ),
    "celebahq": (
        Archive(
            "https://www.dropbox.com/s/2qeijojdjzvp3b9/split.json?dl=1",
            "celebAHQ",
            ("celebAHQ/split.json",),
            unpack=False,
        ),
    ),
}
# data1024x1024.zip as the LIIF README points to it (a Google Drive folder: no direct link).
CELEBAHQ_ORIGINALS = "https://drive.google.com/drive/folders/11Vz0fqHS2rXDb5pprgTjpD7S2BAJhi1P"
CELEBAHQ_ORIGINALS_FROM = "https://github.com/suvojit-0x55aa/celebA-HQ-dataset-download"


def archive_url(archive: Archive) -> str:
    """The URL to fetch: the archive's own, or ``$INRKIT_DOWNLOAD_MIRROR/<file name>``."""
    return mirror_url(archive.url, archive.filename)


def fetch(
    name: str,
    root: Root = None,
    *,
    keep_archives: bool = False,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> Path:
    """Download and unpack data set ``name`` (div2k, benchmark, celebahq) under ``root``.

    Args:
        say: Called with one line per archive (done, or already there).

    Returns:
        The root folder.

    Raises:
        InrkitError: One line saying which URL to fetch by hand and where to save it (offline,
            HTTP or network errors, a bad checksum), an unsafe archive, or, for celebahq,
            where the originals are and how to prepare them.
    """
    if name not in ARCHIVES:
        raise InrkitError(f"unknown data set {name!r} (known: {', '.join(ARCHIVES)})")
    root = data_root(root)
    for archive in ARCHIVES[name]:
        if all((root / p).exists() for p in archive.provides):
            say(f"{root / archive.provides[0]}: already there")
            continue
        path = root / archive.folder / archive.filename
        if path.is_file():
            _verify(path, archive)  # saved by hand, or kept from an earlier run
        else:
            _download(archive, path)
        if archive.unpack:
            extract_archive(path, path.parent, progress=progress)
            missing = [p for p in archive.provides if not (root / p).exists()]
            if missing:
                raise file_error(path, f"holds no {missing[0]}; is it the right archive?")
            if not keep_archives:
                path.unlink()
        say(f"{root / archive.provides[0]}: ready")
    if name == "celebahq" and not all(
        (root / "celebAHQ" / str(s)).is_dir() for s in CELEBAHQ_SIZES
    ):
        raise InrkitError(
            "celebahq: the 1024x1024 originals have no stable direct download; get "
            f"data1024x1024.zip from {CELEBAHQ_ORIGINALS} (see {CELEBAHQ_ORIGINALS_FROM}), "
            f"unzip it and run `inrkit data prepare-celebahq data1024x1024 --root {root}` "
            f"(the official split is in {root / 'celebAHQ' / 'split.json'})"
        )
    return root


def _download(archive: Archive, path: Path) -> None:
    url = archive_url(archive)
    by_hand = f"download {url} by hand and save it as {path}, then rerun"
    if offline():
        raise DownloadError(f"{url}: not downloaded, INRKIT_OFFLINE is set; {by_hand}")
    try:
        download(
            url,
            path,
            sha256=archive.sha256,
            expected_size=archive.size,
            md5=archive.md5,
            resume=True,
        )
    except DownloadError as e:
        raise DownloadError(f"{e}; {by_hand}") from None


def _verify(path: Path, archive: Archive) -> None:
    """Check an archive that is already in place against the published size and checksums."""
    size = path.stat().st_size
    if archive.size is not None and size != archive.size:
        raise file_error(path, f"has {size} bytes, expected {archive.size}; delete it and rerun")
    for algorithm, want in (("sha256", archive.sha256), ("md5", archive.md5)):
        if want is None:
            continue
        digest = hashlib.new(algorithm)
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        if digest.hexdigest() != want:
            raise file_error(
                path,
                f"{algorithm} mismatch (got {digest.hexdigest()}, expected "
                f"{want}); delete it and rerun",
            )
