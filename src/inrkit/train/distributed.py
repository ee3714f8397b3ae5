"""DDP set-up under ``torchrun`` (gloo on CPU, nccl on CUDA); a no-op for one process."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.distributed as dist

from inrkit.errors import InrkitError


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands: rank, world size, and its device."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        """Only rank 0 logs and writes checkpoints."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def check_device(device: str) -> None:
    """Refuse ``--device cuda`` at once, before any work, on a machine without CUDA."""
    if device == "cuda" and not torch.cuda.is_available():
        raise InrkitError("--device cuda: CUDA is not available on this machine")


def setup(device: str = "auto") -> DistInfo:
    """Join the process group when launched by torchrun (env WORLD_SIZE > 1)."""
    use_cuda = torch.cuda.is_available() if device == "auto" else device.startswith("cuda")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo(device=torch.device("cuda" if use_cuda else "cpu"))
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    dev = torch.device(f"cuda:{local}" if use_cuda else "cpu")
    return DistInfo(rank, world, local, dev)


def teardown(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_mean(value: float, info: DistInfo) -> float:
    """Average a Python number over ranks (identity for one process)."""
    if not info.enabled:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=info.device)
    dist.all_reduce(t)
    return float(t.item()) / info.world_size


def average_gradients(params: Iterable[torch.Tensor], info: DistInfo) -> None:
    """Average the gradients of ``params`` over ranks, as DistributedDataParallel does.

    For models that toggle ``requires_grad`` between steps (a GAN's generator and
    discriminator), where wrapping in DDP would expect every parameter in every step.
    """
    if not info.enabled:
        return
    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad.div_(info.world_size)


def broadcast_module(module: torch.nn.Module, info: DistInfo) -> None:
    """Copy rank 0's parameters and buffers to every rank."""
    if not info.enabled:
        return
    with torch.no_grad():
        for t in (*module.parameters(), *module.buffers()):
            dist.broadcast(t, src=0)
