"""Training LIIF: the paper's recipe in one flat loop (LIIF, Sec. 4.1).

L1 loss on normalised colours of randomly sampled HR pixels, Adam, step decay of the
learning rate per epoch (``multi_step_lr``), validation PSNR every ``epoch_val`` epochs,
and checkpoints in the official format: ``epoch-last.pth`` every epoch, ``epoch-best.pth``
on a new best validation PSNR, ``epoch-N.pth`` every ``epoch_save``. Each checkpoint also
carries (under ``inrkit``) the RNG state and the resolved config, so ``--resume`` continues
exactly where the last checkpoint left off. Runs under ``torchrun`` with DDP.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, RandomSampler

from inrkit.data.specs import make_dataset
from inrkit.errors import InrkitError
from inrkit.io.checkpoints import atomic_torch_save, load_trusted, weights_digest
from inrkit.io.files import remove_interrupted_writes
from inrkit.liif.config import OptimizerSpec, TrainConfig
from inrkit.liif.config_types import DataSpec
from inrkit.liif.evaluate import eval_psnr, norm_tensors
from inrkit.liif.init import INITS
from inrkit.liif.spec import SpecError, make_model
from inrkit.train import distributed
from inrkit.train.history import History
from inrkit.train.run_folder import check_run_folder
from inrkit.train.state import rng_state, seed_everything, set_rng_state

OPTIMIZER_CLASSES = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}


def learning_rate(config: TrainConfig, epoch: int, step: int) -> float:
    """lr at 1-based ``epoch`` and global ``step``: multi-step decay times linear warm-up."""
    return config.lr_schedule.at(epoch, step)


def make_optimizer(spec: OptimizerSpec, params: list[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """The torch optimizer of an ``optimizer`` block (Adam or SGD with its arguments)."""
    return OPTIMIZER_CLASSES[spec.name](params, **spec.kwargs())


def _loader(
    dataset: Dataset,
    spec: DataSpec,
    info: distributed.DistInfo,
    config: TrainConfig,
    epoch: int,
    train: bool,
) -> DataLoader:
    if info.enabled:
        sampler = DistributedSampler(
            dataset, info.world_size, info.rank, shuffle=train, seed=config.seed
        )
        sampler.set_epoch(epoch)
    else:
        # A generator per epoch makes the order a function of (seed, epoch): resumable.
        sampler = (
            RandomSampler(
                dataset,  # pyright: ignore[reportArgumentType]  # has __len__: see training_set
                generator=torch.Generator().manual_seed(config.seed * 100_003 + epoch),
            )
            if train
            else None
        )
    batch = spec.batch_size // info.world_size if train else spec.batch_size
    return DataLoader(
        dataset,
        batch_size=max(batch, 1),
        sampler=sampler,
        shuffle=False,
        num_workers=config.num_workers,
        pin_memory=info.device.type == "cuda",
        drop_last=train,
        persistent_workers=False,
    )


def training_set(config: TrainConfig, world_size: int = 1) -> Dataset:
    """The training data set, refused now (one line) if an epoch could not run.

    Two mistakes surface only mid-epoch otherwise: an image smaller than the largest HR crop,
    and fewer samples per rank than one batch (no step would run at all).
    """
    spec = config.train_dataset
    dataset = make_dataset(spec.to_official(), "train_dataset")
    check_sizes = getattr(dataset, "check_sizes", None)
    if check_sizes is not None:
        check_sizes()
    batch = spec.batch_size
    # torch's Dataset declares no __len__ (all of ours have one).
    n = len(dataset)  # pyright: ignore[reportArgumentType]
    if n // world_size < max(batch // world_size, 1):
        images = getattr(getattr(dataset, "dataset", None), "files", None)
        held = f" ({len(images)} images x repeat)" if images else ""
        raise InrkitError(
            f"train_dataset: {n} samples per epoch{held} is fewer than one batch "
            f"of {batch}{f' on each of {world_size} processes' if world_size > 1 else ''}; "
            "raise train_dataset.dataset.args.repeat or lower train_dataset.batch_size"
        )
    return dataset


def _checkpoint(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    config: TrainConfig,
    epoch: int,
    best: float,
    step: int,
) -> dict[str, Any]:
    """The official structure, plus what an exact resume needs under ``inrkit``."""
    spec = config.model.to_official()
    spec["sd"] = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    opt_spec = {**config.optimizer.to_official(), "sd": optimizer.state_dict()}
    extra = {"config": config.to_dict(), "rng": rng_state(), "best_val": best, "step": step}
    return {"model": spec, "optimizer": opt_spec, "epoch": epoch, "inrkit": extra}


def _restore(path: Path) -> dict[str, Any]:
    ckpt = load_trusted(path)
    if not isinstance(ckpt, dict) or "model" not in ckpt or "epoch" not in ckpt:
        raise InrkitError(f"{path}: not a LIIF training checkpoint (no 'model'/'epoch')")
    return ckpt


def train(
    config: TrainConfig,
    out_dir: str | Path,
    *,
    resume: bool = False,
    device: str = "auto",
    progress: bool | None = None,
) -> dict[str, Any]:
    """Train a LIIF model; returns ``{'epoch', 'best_val', 'out_dir'}``.

    Args:
        config: Validated config (see :func:`inrkit.liif.config.load_config`).
        out_dir: Run folder: config.yaml, checkpoints, history, plots, TensorBoard.
        resume: Continue from ``out_dir/epoch-last.pth``.
        device: ``auto``, ``cpu`` or ``cuda``.
        progress: tqdm bars (None: only on a terminal).
    """
    from tqdm.auto import tqdm

    out = Path(out_dir)
    last = out / "epoch-last.pth"
    check_run_folder(last, resume=resume)
    distributed.check_device(device)
    info = distributed.setup(device)
    try:
        return _train(config, out, last if resume else None, info, progress, tqdm)
    finally:
        distributed.teardown(info)


def _train(config, out, resume_from, info, progress, tqdm) -> dict[str, Any]:  # noqa: C901
    seed_everything(config.seed + info.rank)
    ckpt = _restore(resume_from) if resume_from else None
    if ckpt is None and config.resume:  # the official key: start from a given checkpoint
        ckpt = _restore(Path(config.resume))
    try:
        model = make_model(ckpt["model"] if ckpt else config.model.to_official())
    except SpecError as e:
        raise InrkitError(f"model: {e}") from None
    if ckpt:
        model.load_state_dict(ckpt["model"]["sd"])
    elif config.init is not None:
        INITS[config.init](model)
    model.to(info.device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = make_optimizer(config.optimizer, params)
    start, best, step = 1, -math.inf, 0
    if ckpt:
        optimizer.load_state_dict(ckpt["optimizer"]["sd"])
        start = int(ckpt["epoch"]) + 1
        extra = ckpt.get("inrkit") or {}
        best, step = extra.get("best_val", -math.inf), extra.get("step", 0)
        if resume_from and "rng" in extra and not info.enabled:
            set_rng_state(extra["rng"])
    train_data = training_set(config, info.world_size)
    val_data = (
        make_dataset(config.val_dataset.to_official(), "val_dataset")
        if config.val_dataset
        else None
    )
    net = DistributedDataParallel(model) if info.enabled else model
    norm = norm_tensors(config.data_norm, info.device)
    if info.is_main:
        out.mkdir(parents=True, exist_ok=True)
        remove_interrupted_writes(out)  # half checkpoints of a killed run would pile up
        (out / "config.json").write_text(json.dumps(config.to_dict(), indent=2))
    history = History(out, resume_epoch=start - 1) if info.is_main else None
    bar_off = progress is False or not info.is_main
    try:
        for epoch in range(start, config.epoch_max + 1):
            t0 = time.perf_counter()
            loader = _loader(train_data, config.train_dataset, info, config, epoch, True)
            net.train()
            loss_sum, n = 0.0, 0
            lr = learning_rate(config, epoch, step)
            steps = len(loader)
            if config.steps_per_epoch:
                steps = min(steps, config.steps_per_epoch)
            bar = tqdm(
                itertools.islice(loader, steps),
                desc=f"epoch {epoch}/{config.epoch_max}",
                total=steps,
                leave=False,
                disable=True if bar_off else None,
            )
            for batch in bar:
                lr = learning_rate(config, epoch, step)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                batch = {k: v.to(info.device, non_blocking=True) for k, v in batch.items()}
                inp = (batch["inp"] - norm["inp_sub"]) / norm["inp_div"]
                gt = (batch["gt"] - norm["gt_sub"]) / norm["gt_div"]
                loss = F.l1_loss(net(inp, batch["coord"], batch["cell"]), gt)
                if not torch.isfinite(loss):
                    raise InrkitError(
                        f"loss became {loss.item()} at epoch {epoch}, step {step}; training "
                        f"stopped, the last good checkpoint is {out / 'epoch-last.pth'}"
                    )
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip:
                    torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
                optimizer.step()
                step += 1
                loss_sum += loss.item()
                n += 1
                bar.set_postfix(loss=f"{loss_sum / n:.4f}", lr=f"{lr:.2e}")
            record: dict[str, Any] = {
                "epoch": epoch,
                "step": step,
                "train_loss": distributed.all_reduce_mean(loss_sum / max(n, 1), info),
                "lr": lr,
            }
            validate = config.epoch_val and epoch % config.epoch_val == 0
            if config.val_dataset and val_data is not None and validate:
                val_loader = _loader(val_data, config.val_dataset, info, config, epoch, False)
                val = eval_psnr(
                    val_loader,
                    model,
                    config.data_norm,
                    config.eval_type,
                    config.eval_bsize,
                    info.device,
                )
                record["val_psnr"] = distributed.all_reduce_mean(val, info)
            record["time_s"] = round(time.perf_counter() - t0, 2)
            if info.is_main:
                assert history is not None  # made on the main process
                # The record first: a kill before epoch-last.pth is renamed into place leaves a
                # record past the checkpoint, which resume drops; the other order loses it.
                history.append(record)
                new_best = record.get("val_psnr", -math.inf) > best
                best = max(best, record.get("val_psnr", -math.inf))
                sv = _checkpoint(model, optimizer, config, epoch, best, step)
                atomic_torch_save(sv, out / "epoch-last.pth")
                if config.epoch_save and epoch % config.epoch_save == 0:
                    atomic_torch_save(sv, out / f"epoch-{epoch}.pth")
                if new_best:
                    atomic_torch_save(sv, out / "epoch-best.pth")
                if progress is not False:
                    shown = {
                        k: round(v, 4) if isinstance(v, float) else v for k, v in record.items()
                    }
                    print(json.dumps(shown), flush=True)
    finally:
        if history is not None:
            history.close()
    return {
        "epoch": config.epoch_max,
        "best_val": best,
        "out_dir": str(out),
        "weights_sha256": weights_digest(model),
    }
