"""What to evaluate LIIF on: official test configs and named evaluation sets (LIIF, Sec. 4).

* :func:`load_test_config` reads an official ``configs/test/test-*.yaml`` unchanged (safe YAML,
  ``inherit_from`` allowed) into a :class:`LiifTestConfig`, checked at the edge.
* :data:`EVAL_SETS` names the standard sets and the PSNR protocol of each;
  :func:`open_eval_set` finds their HR images (and the official LR_bicubic images at x2-x4)
  in the ``load/`` layout of :mod:`inrkit.data.layouts` (the CelebA-HQ tasks of Table 4 as
  their LR/HR pairs), or takes a folder of your HR images, and returns what
  :func:`~inrkit.liif.evaluate.evaluate_images` takes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from inrkit.errors import InrkitError
from inrkit.io.yaml_files import read_inherited
from inrkit.liif.config_types import DataNorm, DataSpec, EvalProtocol

# Official configs point at ./load/...; ``--root DIR`` moves that folder.
_LOAD_PREFIX = re.compile(r"^(\./)?load(/|$)")


@dataclass(frozen=True)
class LiifTestConfig:
    """An official LIIF test config (``configs/test/test-*.yaml``).

    An official dict given to the constructor (or ``dataclasses.replace``) for
    ``test_dataset`` or ``data_norm`` is parsed into its typed block.
    """

    test_dataset: DataSpec
    """``{'dataset': {name, args}, 'wrapper': {name, args}, 'batch_size'}``."""
    data_norm: DataNorm | None = None
    """Input / output normalisation ``(x - sub) / div``; None: none (official default)."""
    eval_type: str | None = None
    """PSNR protocol: None (plain RGB), ``div2k-N`` or ``benchmark-N``."""
    eval_bsize: int | None = None
    """Queries per decoder batch (None: all at once)."""

    def __post_init__(self) -> None:
        if isinstance(self.test_dataset, Mapping):
            spec = DataSpec.parse(self.test_dataset, "LiifTestConfig.test_dataset")
            object.__setattr__(self, "test_dataset", spec)
        if isinstance(self.data_norm, Mapping):
            norm = DataNorm.parse(self.data_norm, "LiifTestConfig.data_norm")
            object.__setattr__(self, "data_norm", norm)

    @property
    def eval_protocol(self) -> EvalProtocol:
        """How PSNR is computed (``eval_type``, ``eval_bsize``)."""
        return EvalProtocol(self.eval_type, self.eval_bsize)

    def to_official(self) -> dict[str, Any]:
        """The config in the official structure, as plain data."""
        norm = None if self.data_norm is None else self.data_norm.to_official()
        return {
            "test_dataset": self.test_dataset.to_official(),
            "data_norm": norm,
            **self.eval_protocol.to_official(),
        }


def parse_test_config(data: dict[str, Any], source: str = "config") -> LiifTestConfig:
    """Validate plain data into a :class:`LiifTestConfig`; errors name ``source`` and the key."""
    unknown = sorted(set(data) - set(LiifTestConfig.__dataclass_fields__))
    if unknown:
        keys = ", ".join(map(str, unknown))
        raise InrkitError(
            f"{source}: unknown key(s) {keys} (a test config has "
            "test_dataset, data_norm, eval_type, eval_bsize)"
        )
    spec = data.get("test_dataset")
    if not isinstance(spec, dict) or not isinstance(spec.get("dataset"), dict):
        raise InrkitError(
            f"{source}: 'test_dataset' must be a mapping with 'dataset' and 'wrapper'"
        )
    test_dataset = DataSpec.parse(spec, f"{source}: test_dataset")
    from inrkit.data.specs import check_dataset_spec  # imports torch: not at module level

    check_dataset_spec(test_dataset.to_official(), f"{source}: test_dataset")
    protocol = EvalProtocol.parse(data, source)
    norm = data.get("data_norm")
    return LiifTestConfig(
        test_dataset,
        None if norm is None else DataNorm.parse(norm, f"{source}: data_norm"),
        protocol.eval_type,
        protocol.eval_bsize,
    )


def rebase_load_paths(spec: DataSpec | dict[str, Any], root: str | Path) -> Any:
    """A copy of a dataset spec whose ``./load/...`` path arguments point under ``root``.

    Returns a :class:`DataSpec` for a :class:`DataSpec`, the official dict for a dict.
    """
    typed = spec if isinstance(spec, DataSpec) else DataSpec.parse(spec, "test_dataset")
    if typed.dataset is None:
        return copy.deepcopy(spec)
    args = {
        key: str(Path(root) / _LOAD_PREFIX.sub("", value))
        if isinstance(value, str) and _LOAD_PREFIX.match(value)
        else value
        for key, value in typed.dataset.args.items()
    }
    moved = replace(typed, dataset=replace(typed.dataset, args=args))
    return moved if isinstance(spec, DataSpec) else moved.to_official()


def load_test_config(path: str | Path, root: str | Path | None = None) -> LiifTestConfig:
    """Read an official test config; with ``root``, its ``./load/`` paths move there."""
    path = Path(path)
    if not path.exists():  # named as given (read_inherited sees the resolved path)
        raise InrkitError(f"{path}: no such config file")
    config = parse_test_config(read_inherited(path.resolve()), str(path))
    if root is None:
        return config
    return replace(config, test_dataset=rebase_load_paths(config.test_dataset, root))


# ----- named evaluation sets ----------------------------------------------------------------
# Name -> PSNR protocol. The folders are those of ``inrkit.data.layouts`` under the root.
EVAL_SETS: dict[str, str] = {
    "div2k": "div2k",  # DIV2K_valid_HR, LR from DIV2K_valid_LR_bicubic/X2-X4
    "set5": "benchmark",  # benchmark/Set5/HR, LR from benchmark/Set5/LR_bicubic/X2-X4
    "set14": "benchmark",
    "b100": "benchmark",
    "urban100": "benchmark",
    "celebahq": "plain",  # celebAHQ/256, the 'val' split of split.json when there is one
    # The paper's Table 4 tasks: celebAHQ/64 -> 128 and 32 -> 256, 'val' split, plain RGB
    # (the official test-celebAHQ-64-128.yaml and test-celebAHQ-32-256.yaml).
    "celebahq-64-128": "plain",
    "celebahq-32-256": "plain",
    "photos": "plain",  # the bundled held-out photos (no root needed)
}
BENCHMARK_FOLDERS = {"set5": "Set5", "set14": "Set14", "b100": "B100", "urban100": "Urban100"}
OFFICIAL_LR_SCALES = (2, 3, 4)
# Sets of fixed (LR, HR) pairs: name -> (LR size, HR size); their one scale is HR / LR.
CELEBAHQ_TASKS = {"celebahq-64-128": (64, 128), "celebahq-32-256": (32, 256)}


def fixed_scales(name: str) -> list[float] | None:
    """The only scale a set of fixed pairs has (``celebahq-64-128``: [2]); None for others."""
    if name not in CELEBAHQ_TASKS:
        return None
    lr, hr = CELEBAHQ_TASKS[name]
    return [hr / lr]


@dataclass
class OpenedEvalSet:
    """An evaluation set ready for :func:`~inrkit.liif.evaluate.evaluate_images`."""

    hr_images: Any
    """A data set of (3, H, W) HR images; None for the fixed CelebA-HQ tasks (pairs only)."""
    paired: dict[float, Any]
    """``{scale: data set of (LR, HR)}`` for the scales with official LR folders."""
    protocol: str
    """The set's PSNR protocol."""
    notes: list[str]
    """What the user should know (e.g. an LR folder that was not found)."""


def _official_pairs(name: str, root: Path, scales: list[float]) -> tuple[dict, list[str]]:
    """Official LR/HR pairs at the scales 2, 3, 4 whose LR folder exists; notes for the rest."""
    from inrkit.data import layouts

    paired, notes = {}, []
    for s in (s for s in scales if s in OFFICIAL_LR_SCALES):
        try:  # only a missing LR folder falls back; a broken one is an error below
            folder = (
                layouts.div2k_lr(root, int(s))
                if name == "div2k"
                else layouts.benchmark_lr(root, BENCHMARK_FOLDERS[name], int(s))
            )
        except InrkitError:
            notes.append(
                f"no official x{s:g} LR folder under {root}: LR made from HR by PIL bicubic "
                "(not the official LR images, so not comparable with the official test)"
            )
            continue
        if name == "div2k":
            paired[s] = layouts.div2k_paired(root, int(s))
        else:
            paired[s] = layouts.benchmark_paired(root, BENCHMARK_FOLDERS[name], int(s))
        notes.append(f"x{s:g}: official LR images from {folder}")
    return paired, notes


def open_eval_set(name: str, root: str | Path | None, scales: list[float]) -> OpenedEvalSet:
    """Open a named set (see :data:`EVAL_SETS`), or a folder / glob of your HR images.

    ``root`` is the ``load/`` folder (None: ``$INRKIT_DATA_ROOT``, else ``load``); a missing
    folder is a one-line error that names it and the command that fetches it.
    """
    from inrkit.data import layouts

    root = layouts.data_root(root)
    if name not in EVAL_SETS:
        if Path(name).is_dir() or any(c in name for c in "*?["):
            return OpenedEvalSet(layouts.image_glob(name), {}, "plain", [])
        known = ", ".join(EVAL_SETS)
        raise InrkitError(f"unknown dataset {name!r} (known: {known}; or a folder of HR images)")
    if name == "photos":
        from inrkit.data.photos import Photos

        return OpenedEvalSet(Photos("held_out"), {}, "plain", [])
    if name in CELEBAHQ_TASKS:
        return _celebahq_task(name, root, scales)
    if name == "celebahq":
        hr_dir = layouts.celebahq(root, 256)
        if (root / "celebAHQ" / "split.json").is_file():
            files = [hr_dir / n for n in layouts.celebahq_split(root, "val")]
            return OpenedEvalSet(layouts.ImageFiles(files), {}, "plain", [])
        return OpenedEvalSet(layouts.image_glob(str(hr_dir)), {}, "plain", [])
    if name == "div2k":
        hr = layouts.div2k(root, "valid")
    else:
        hr = layouts.benchmark(root, BENCHMARK_FOLDERS[name])
    paired, notes = _official_pairs(name, root, scales)
    made = [s for s in scales if s not in OFFICIAL_LR_SCALES]
    if made:
        listed = ", ".join(f"x{s:g}" for s in made)
        notes.append(
            f"{listed}: LR made from HR as the official sr-implicit-downsampled does (HR cropped "
            "to a multiple of the scale, PIL bicubic of the 8-bit truncated HR)"
        )
    return OpenedEvalSet(hr, paired, EVAL_SETS[name], notes)


def _celebahq_task(name: str, root: Path, scales: list[float]) -> OpenedEvalSet:
    """The 'val' pairs of celebAHQ/{LR}/ and celebAHQ/{HR}/ at their one scale."""
    from inrkit.data import layouts

    lr_size, hr_size = CELEBAHQ_TASKS[name]
    scale = hr_size / lr_size
    wrong = [s for s in scales if s != scale]
    if wrong:
        raise InrkitError(
            f"{name} is a fixed task at x{scale:g} (its LR and HR images are given), "
            f"not x{wrong[0]:g}: leave out --scale or use --scale {scale:g}"
        )
    pairs = layouts.celebahq_paired(root, "val", lr_size, hr_size)
    note = f"{len(pairs)} 'val' pairs of celebAHQ/{lr_size} -> celebAHQ/{hr_size} under {root}"
    return OpenedEvalSet(None, {scale: pairs}, EVAL_SETS[name], [note])
