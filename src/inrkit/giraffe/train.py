"""Training GIRAFFE: the official recipe (Sec. 3.5, 4) in one loop, resumable and DDP-ready.

Each iteration, as the official trainer: one generator step (non-saturating loss on fakes,
then the averaged generator ``generator_test`` moves towards it with ``ema_beta``), then one
discriminator step (real and fake BCE plus ``r1_weight`` times the R1 penalty, the squared
gradient norm on real images). RMSprop with lr 5e-4 (generator) and 1e-4 (discriminator).

Files in the run folder (rank 0 only): ``model.pt`` every ``checkpoint_every`` iterations and
at the end, ``model_best.pt`` on a better validation metric, ``model_<it>.pt`` every
``backup_every`` — all in the official checkpoint structure and written atomically; sample
grids under ``vis/``; ``history.jsonl`` / ``.csv``, TensorBoard, ``losses.png`` and
``metric.png``. Checkpoints also hold the RNG state and the position in the epoch, so on one
process with ``n_workers: 0`` a resumed run is bit-identical to an uninterrupted one.

Under ``torchrun`` every process draws its own fakes and reals; gradients are averaged over
processes before each optimizer step (see :func:`inrkit.train.distributed.average_gradients`).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler

from inrkit.errors import InrkitError
from inrkit.giraffe.checkpoint import read_checkpoint, resolve, save
from inrkit.giraffe.data import ImagesDataset
from inrkit.giraffe.model import Giraffe, GiraffeModel
from inrkit.giraffe.train_config import GiraffeTrainConfig
from inrkit.giraffe.transfer import init_generator
from inrkit.giraffe.validate import Validator
from inrkit.io.checkpoints import weights_digest
from inrkit.io.files import remove_interrupted_writes
from inrkit.train import distributed
from inrkit.train.history import History
from inrkit.train.run_folder import check_run_folder
from inrkit.train.state import rng_state, seed_everything, set_rng_state

LAST, BEST = "model.pt", "model_best.pt"
PLOTS = (
    ("losses.png", "loss", ("generator", "discriminator", "regularizer")),
    (
        "metric.png",
        "validation metric (SWD x1e3, FID, KID)",
        ("val_swd", "val_fid_score", "val_kid"),
    ),
)


# ----- the official losses and steps --------------------------------------------------------
def bce(d_out: torch.Tensor, target: float) -> torch.Tensor:
    """Binary cross-entropy of logits against a constant label."""
    return F.binary_cross_entropy_with_logits(d_out, torch.full_like(d_out, target))


def r1_penalty(d_out: torch.Tensor, x_in: torch.Tensor) -> torch.Tensor:
    """Per-sample squared norm of d D(x) / d x (Mescheder et al. 2018), kept differentiable."""
    (grad,) = torch.autograd.grad(d_out.sum(), x_in, create_graph=True)
    return grad.pow(2).reshape(grad.shape[0], -1).sum(1)


def set_requires_grad(module: nn.Module, flag: bool) -> None:
    for p in module.parameters():
        p.requires_grad_(flag)


@torch.no_grad()
def update_average(target: nn.Module, source: nn.Module, beta: float) -> None:
    """target = beta * target + (1 - beta) * source, parameter by parameter (official)."""
    src = dict(source.named_parameters())
    for name, p in target.named_parameters():
        p.mul_(beta).add_(src[name], alpha=1 - beta)


def train_step(
    net: Giraffe,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    *,
    r1_weight: float,
    ema_beta: float,
    info: distributed.DistInfo,
) -> dict[str, float]:
    """One generator step then one discriminator step; returns the losses."""
    gen, disc = net.generator, net.discriminator
    gen.train()
    disc.train()
    batch = real.shape[0]

    set_requires_grad(gen, True)
    set_requires_grad(disc, False)
    opt_g.zero_grad(set_to_none=True)
    loss_g = bce(disc(gen(batch)), 1.0)
    loss_g.backward()
    distributed.average_gradients(gen.parameters(), info)
    opt_g.step()
    set_requires_grad(gen, False)
    if net.generator_test is not None:
        update_average(net.generator_test, gen, ema_beta)

    set_requires_grad(disc, True)
    opt_d.zero_grad(set_to_none=True)
    real = real.detach().requires_grad_()
    d_real = disc(real)
    loss_real = bce(d_real, 1.0)
    reg = r1_weight * r1_penalty(d_real, real).mean()
    with torch.no_grad():
        fake = gen(batch)
    loss_fake = bce(disc(fake), 0.0)
    (loss_real + reg + loss_fake).backward()
    distributed.average_gradients(disc.parameters(), info)
    opt_d.step()
    return {
        "generator": loss_g.item(),
        "discriminator": (loss_real + loss_fake).item(),
        "regularizer": reg.item(),
    }


# ----- the loop -----------------------------------------------------------------------------
def _epoch_indices(n: int, epoch: int, seed: int, info: distributed.DistInfo) -> list[int]:
    """This process's sample order in ``epoch``: a function of (seed, epoch, rank) only."""
    if info.enabled:
        # The sampler reads only len(): indices stand in for the data set.
        sampler = DistributedSampler(range(n), info.world_size, info.rank, seed=seed)  # pyright: ignore[reportArgumentType]
        sampler.set_epoch(epoch)
        return list(sampler)
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return torch.randperm(n, generator=generator).tolist()


def train(
    config: GiraffeTrainConfig,
    out_dir: str | Path,
    *,
    resume: bool = False,
    init_from: str | Path | None = None,
    device: str = "auto",
    progress: bool | None = None,
) -> dict[str, Any]:
    """Train GIRAFFE; returns ``{'it', 'best', 'out_dir', 'weights_sha256'}``.

    Args:
        config: A checked config (:func:`inrkit.giraffe.train_config.load_train_config`).
        out_dir: The run folder.
        resume: Continue from ``out_dir/model.pt``.
        init_from: A new run's generator starts from this checkpoint's (a path or a model
            name; :func:`inrkit.giraffe.transfer.init_generator`); not with ``resume``.
        device: ``auto``, ``cpu`` or ``cuda``.
        progress: tqdm bar (None: only on a terminal).
    """
    out = Path(out_dir)
    last = out / LAST
    check_run_folder(last, resume=resume)
    distributed.check_device(device)
    s = config.settings
    dataset = ImagesDataset(
        s.path,
        config.model.img_size,
        celeba_center_crop=s.celebA_center_crop,
        random_crop=s.random_crop,
        use_tanh_range=s.use_tanh_range,
    )
    dataset.check_readable()
    if init_from is not None and resume:
        raise InrkitError("--init-from starts a new run; a resumed run has its own weights")
    start = _init_state(init_from) if init_from is not None else None
    info = distributed.setup(device)
    try:
        per_rank = s.batch_size // info.world_size
        if per_rank < 1:
            raise InrkitError(
                f"training.batch_size {s.batch_size} is smaller than the number of "
                f"processes ({info.world_size})"
            )
        if len(dataset) < per_rank * info.world_size:
            raise InrkitError(
                f"{s.path}: {len(dataset)} images, fewer than one batch of {s.batch_size}"
            )
        resume_from = last if resume else None
        return _train(config, dataset, out, resume_from, info, per_rank, progress, start)
    finally:
        distributed.teardown(info)


def _init_state(init_from: str | Path) -> tuple[str, dict[str, torch.Tensor]]:
    """(name, ``model`` state dict) of the checkpoint a new run starts from."""
    path, _ = resolve(init_from)
    state = read_checkpoint(path).get("model")
    if not isinstance(state, dict):
        raise InrkitError(f"{path}: not a GIRAFFE checkpoint (no 'model' entry)")
    return str(path), state


def _train(
    config, dataset, out, resume_from, info, per_rank, progress, start=None
) -> dict[str, Any]:  # noqa: C901
    from tqdm.auto import tqdm

    s, cfg = config.settings, config.model
    seed_everything(s.seed)
    net = Giraffe(cfg)
    if start is not None:
        done = init_generator(net, start[1], start[0])
        if info.is_main and progress is not False:
            print(
                f"generator from {start[0]}: {len(done.copied)} tensors copied, "
                f"{len(done.zeroed)} new RGB convolutions zeroed, {len(done.new)} new"
            )
    if net.generator_test is not None:
        set_requires_grad(net.generator_test, False)
    saved_rng = rng_state()  # fixed inputs for the sample grids, the same after a resume
    seed_everything(s.seed + 1)
    vis_dict = net.generator.get_vis_dict(16)
    set_rng_state(saved_rng)
    if info.enabled:  # each process draws its own fakes and reals
        seed_everything(s.seed + 7919 * (info.rank + 1))
    opt_cls = torch.optim.RMSprop if s.optimizer == "RMSprop" else torch.optim.Adam
    opt_g = opt_cls(net.generator.parameters(), lr=cfg.learning_rate, **s.optimizer_kwargs)
    opt_d = opt_cls(net.discriminator.parameters(), lr=cfg.learning_rate_d)
    it, epoch, done_in_epoch = 0, 0, 0
    best = math.inf if s.model_selection_mode == "minimize" else -math.inf
    extra: dict[str, Any] = {}
    if resume_from is not None:
        ckpt = read_checkpoint(resume_from)
        try:
            net.load_state_dict(ckpt["model"])
            opt_g.load_state_dict(ckpt["optimizer"])
            opt_d.load_state_dict(ckpt["optimizer_d"])
        except (KeyError, RuntimeError, ValueError) as e:
            first = str(e).splitlines()[0][:200]
            raise InrkitError(f"{resume_from}: does not fit this config ({first})") from None
        extra = ckpt.get("inrkit") or {}
        it, epoch = int(ckpt.get("it", 0)), int(ckpt.get("epoch_it", 0))
        best = float(ckpt.get("loss_val_best", best))
        done_in_epoch = int(extra.get("done_in_epoch", 0))
        if "rng" in extra and not info.enabled:
            set_rng_state(extra["rng"])
        elif info.enabled:
            seed_everything(s.seed + 7919 * (info.rank + 1) + it)
    net.to(info.device)
    distributed.broadcast_module(net, info)
    validator = Validator(config, dataset) if s.validate_every and info.is_main else None
    history = None
    if info.is_main:
        out.mkdir(parents=True, exist_ok=True)
        remove_interrupted_writes(out)  # half-written checkpoints of a killed run
        (out / "config.yaml").write_text(_yaml(config.to_dict()))
        history = History(out, resume_epoch=it, x_key="it", plots=PLOTS)
    workers = min(s.n_workers, os.cpu_count() or 1)

    def checkpoint(path: Path) -> None:
        model = GiraffeModel(network=net, config=cfg)
        state = {"rng": rng_state(), "done_in_epoch": done_in_epoch, "seed": s.seed}
        state.update(loss_sums=dict(sums), loss_count=n_sum)  # the logging interval so far
        save(
            model,
            path,
            optimizer=opt_g,
            optimizer_d=opt_d,
            epoch_it=epoch,
            it=it,
            loss_val_best=best,
            training_state=state,
        )

    bar = tqdm(
        total=s.max_iters,
        initial=it,
        desc="giraffe",
        disable=True if progress is False or not info.is_main else None,
    )
    # Loss sums of the current print_every interval; a resume mid-interval continues them, so
    # that the logged means equal an uninterrupted run's.
    sums: dict[str, float] = dict(extra.get("loss_sums", {}))
    n_sum, t0 = int(extra.get("loss_count", 0)), time.perf_counter()
    try:
        while s.max_iters is None or it < s.max_iters:
            if done_in_epoch == 0:
                epoch += 1
            order = _epoch_indices(len(dataset), epoch, s.seed, info)
            if done_in_epoch >= len(order) // per_rank:  # resumed right at an epoch's end
                done_in_epoch = 0
                continue
            # The loader gets its own generator: creating one must not draw from the global
            # RNG, or a resumed run would drift from an uninterrupted one.
            loader = DataLoader(
                dataset,
                batch_size=per_rank,
                sampler=order[done_in_epoch * per_rank :],
                num_workers=workers,
                drop_last=True,
                generator=torch.Generator().manual_seed(s.seed * 7 + epoch),
            )
            for data in loader:
                real = data["image"].to(info.device)
                losses = train_step(
                    net, opt_g, opt_d, real, r1_weight=s.r1_weight, ema_beta=s.ema_beta, info=info
                )
                it += 1
                done_in_epoch += 1
                if not all(math.isfinite(v) for v in losses.values()):
                    raise InrkitError(
                        f"a loss became NaN or infinite at iteration {it} ({losses}); training "
                        f"stopped, the last good checkpoint is {out / LAST}"
                    )
                for k, v in losses.items():
                    sums[k] = sums.get(k, 0.0) + v
                n_sum += 1
                bar.update(1)
                bar.set_postfix({k[:4]: f"{v:.3f}" for k, v in losses.items()})
                record: dict[str, Any] = {}
                if s.print_every and it % s.print_every == 0:
                    record = {k: v / n_sum for k, v in sums.items()}
                    sums, n_sum = {}, 0
                new_best = False
                if validator is not None and it % s.validate_every == 0:
                    gen = net.render_generator
                    values = validator(gen)
                    record.update({f"val_{name}": v for name, v in values.items()})
                    value = values[validator.metric]
                    new_best = validator.better(value, best)
                    best = value if new_best else best
                if info.is_main:
                    # The record first: a kill between the two loses nothing, since a resume
                    # drops records past its checkpoint.
                    if record:
                        assert history is not None  # made on the main process
                        record = {"it": it, "epoch": epoch, **record}
                        record["time_s"] = round(time.perf_counter() - t0, 2)
                        history.append(record)
                    if new_best:
                        checkpoint(out / BEST)
                    if s.visualize_every and it % s.visualize_every == 0:
                        _visualize(net, vis_dict, out, it, s.overwrite_visualization)
                    # model.pt last: a resume starts after it, so a file due at the same
                    # iteration and written after it would be lost to a kill between the two.
                    if s.backup_every and it % s.backup_every == 0:
                        checkpoint(out / f"model_{it}.pt")
                    if s.checkpoint_every and it % s.checkpoint_every == 0:
                        checkpoint(out / LAST)
                if s.max_iters is not None and it >= s.max_iters:
                    break
            else:
                done_in_epoch = 0
        if info.is_main:
            checkpoint(out / LAST)
    finally:
        bar.close()
        if history is not None:
            history.close()
    return {"it": it, "best": best, "out_dir": str(out), "weights_sha256": weights_digest(net)}


@torch.no_grad()
def _visualize(net: Giraffe, vis_dict: dict[str, Any], out: Path, it: int, overwrite: bool) -> Path:
    from inrkit.io.grid import make_grid, to_pil
    from inrkit.io.images import save_image

    gen = net.render_generator
    gen.eval()
    device = next(gen.parameters()).device
    inputs = {k: _to(v, device) for k, v in vis_dict.items()}
    images = gen(**inputs, mode="val").cpu()[:, :3]
    name = "visualization.png" if overwrite else f"visualization_{it:010d}.png"
    (out / "vis").mkdir(exist_ok=True)
    return save_image(to_pil(make_grid(images, ncol=4)), out / "vis" / name, overwrite=True)


def _to(value: Any, device: torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, tuple | list):
        return type(value)(_to(v, device) for v in value)
    return value


def _yaml(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)
