"""Typed config blocks: parsed once, read as attributes, written back in the official form."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from inrkit.errors import InrkitError
from inrkit.io.yaml_files import read_inherited
from inrkit.liif.config import LRSchedule, StepDecay, TrainConfig, parse_config
from inrkit.liif.config_types import DataNorm, EvalProtocol, NamedSpec
from inrkit.liif.eval_config import parse_test_config

ROOT = Path(__file__).resolve().parents[2]
TRAIN_CONFIGS = sorted(
    [*(ROOT / "configs" / "liif").rglob("train*.yaml"), ROOT / "configs/liif/study_seed.yaml"]
)


def _plain(value: object) -> bool:
    """Only what ``torch.load(weights_only=True)`` and JSON accept."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(map(_plain, value))
    return value is None or isinstance(value, str | int | float | bool)


@pytest.mark.parametrize("path", TRAIN_CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_are_written_back_byte_for_byte(path: Path) -> None:
    data = read_inherited(path)
    written = parse_config(data, str(path)).to_dict()
    assert _plain(written)
    for key, value in data.items():  # the keys of the file come back as they were, in order
        assert json.dumps(written[key], indent=2) == json.dumps(value, indent=2), key


def test_blocks_are_typed() -> None:
    cfg = parse_config(
        read_inherited(ROOT / "configs/liif/train-div2k/train_edsr-baseline-liif.yaml")
    )
    assert (cfg.optimizer.name, cfg.optimizer.lr, cfg.optimizer.args) == ("adam", 1e-4, {})
    assert cfg.train_dataset.batch_size == 16 and cfg.train_dataset.wrapper.args["sample_q"] == 2304
    assert cfg.train_dataset.dataset == NamedSpec(
        "image-folder",
        {"root_path": "./load/div2k/DIV2K_train_HR", "repeat": 20, "cache": "in_memory"},
    )
    assert cfg.model.encoder == NamedSpec("edsr-baseline", {"no_upsampling": True})
    assert cfg.model.imnet.hidden_list == (256, 256, 256, 256) and cfg.model.imnet.out_dim == 3
    assert cfg.data_norm == DataNorm() and cfg.data_norm.gt.div == (0.5,)
    assert cfg.multi_step_lr == StepDecay((200, 400, 600, 800), 0.5)
    assert cfg.lr_schedule == LRSchedule(1e-4, cfg.multi_step_lr, 0)
    assert [cfg.lr_schedule.at(e, 0) for e in (1, 200, 201)] == [1e-4, 1e-4, 5e-5]
    assert cfg.eval_protocol == EvalProtocol(None, None)


def test_official_dicts_still_read_and_construct() -> None:
    data = read_inherited(ROOT / "configs/liif/study_seed.yaml")
    cfg = parse_config(data)
    # Blocks read like their official dicts (code written against the dict fields).
    assert cfg.optimizer["args"]["lr"] == 1e-4 and cfg.train_dataset.get("batch_size") == 16
    assert dict(cfg.model) == data["model"] and {**cfg.data_norm} == data["data_norm"]
    # The constructor and dataclasses.replace take official dicts and parse them.
    assert TrainConfig(**data) == cfg
    sgd = {"name": "sgd", "args": {"lr": 0.1, "momentum": 0.9}}
    changed = dataclasses.replace(cfg, optimizer=sgd)
    assert (changed.optimizer.lr, changed.optimizer.args) == (0.1, {"momentum": 0.9})
    assert changed.to_dict()["optimizer"] == sgd


def test_missing_optional_keys_are_written_with_their_defaults() -> None:
    cfg = parse_config(
        {
            "train_dataset": {"batch_size": 1},
            "model": {"name": "liif"},
            "optimizer": {"name": "sgd"},
            "multi_step_lr": {"milestones": [3]},
        }
    )
    written = cfg.to_dict()
    assert written["optimizer"] == {"name": "sgd", "args": {"lr": 1e-4}}
    assert written["multi_step_lr"] == {"milestones": [3], "gamma": 0.1}
    assert written["model"] == {"name": "liif", "args": {}}
    assert written["train_dataset"] == {"batch_size": 1}


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("optimizer", {"name": "adam", "args": {"lr": 0}}, "x.yaml: optimizer.args.lr must be"),
        ("optimizer", {"name": "adam", "lr": 1}, "x.yaml: optimizer: unknown key(s) lr"),
        ("multi_step_lr", {"milestones": [2], "gamma": -1}, "x.yaml: multi_step_lr.gamma"),
        ("multi_step_lr", {"milestones": ["2"]}, "x.yaml: multi_step_lr.milestones"),
        ("data_norm", {"inp": {"sub": [0], "div": [1]}}, "x.yaml: data_norm.gt.sub"),
        (
            "model",
            {"name": "liif", "args": {"imnet_spec": {"name": "mlp", "args": {"hidden_list": 8}}}},
            "x.yaml: model.args.imnet_spec.args.hidden_list",
        ),
        ("model", {"name": "liif", "args": {"encoder_spec": "edsr"}}, "model.args.encoder_spec"),
        ("val_dataset", {"dataset": {"name": "photos"}, "batch": 2}, "x.yaml: val_dataset: unk"),
        ("val_dataset", {"dataset": {"args": {}}}, "x.yaml: val_dataset.dataset must be"),
        ("eval_type", "set5-4", "x.yaml: eval_type must be div2k-N or benchmark-N"),
    ],
)
def test_errors_name_the_file_and_the_key(key: str, value: object, message: str) -> None:
    data = {"train_dataset": {"batch_size": 2}, "model": {"name": "liif"}, key: value}
    with pytest.raises(InrkitError) as e:
        parse_config(data, "x.yaml")
    assert message in str(e.value)


def test_test_config_blocks() -> None:
    cfg = parse_test_config(
        {
            "test_dataset": {"dataset": {"name": "image-folder"}, "batch_size": 1},
            "eval_type": "div2k-4",
            "eval_bsize": 300,
        }
    )
    assert cfg.test_dataset.batch_size == 1 and cfg.data_norm is None
    assert (cfg.eval_protocol.dataset, cfg.eval_protocol.scale) == ("div2k", 4)
    assert cfg.to_official()["test_dataset"]["dataset"] == {"name": "image-folder", "args": {}}
