"""Training across processes with ``torch.distributed`` (DDP, launched by ``torchrun``).

Every rank holds the whole model and the whole training graph (propagation runs over
every edge on every rank: the catalog-sized tensors are replicated, not split); the
*playlists* of each step are sharded: the global batch of ``batch_size`` playlists is
cut into one part per rank, each rank computes its part's loss, and
:class:`~torch.nn.parallel.DistributedDataParallel` averages the gradients during the
backward pass, so every rank takes the same optimiser step and the weights stay
identical (validation and early stopping then agree on every rank without talking).
Rank 0 alone writes the checkpoint and the library's training records (the job layer).

The step's loss is not computed by ``model.forward`` (it needs the representations, the
readout and the keys separately), so :meth:`Synced.step` runs DDP's ``forward`` with an
empty body right before the step: DDP then arms its gradient reducer exactly as for a
real forward, and the step's ``backward`` all-reduces every parameter's gradient in
buckets, overlapped with the backward pass. (DDP is built with
``find_unused_parameters=False``: every trainable parameter gets a gradient each step, as
in one process; if a future model left one unused, DDP says so at the next step.)

Launch (the CLI's ``train --help`` shows the same)::

    torchrun --standalone --nproc-per-node 2 -m assistant train --library LIB ...
    torchrun --nnodes 2 --node-rank R --master-addr HOST --master-port 29500 \\
        --nproc-per-node GPUS -m assistant train --device cuda ...

gloo is used on CPUs, NCCL on GPUs (one GPU per local rank).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from assistant.errors import InputError


def launched_by_torchrun() -> bool:
    """True inside a process started by ``torchrun`` with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


class _Arm(nn.Module):
    """Holds the model for DDP; its forward does nothing (see the module docstring)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self) -> None:
        return None


class Synced:
    """A model whose gradients DDP averages across the ranks at every backward."""

    def __init__(self, model: nn.Module, device: torch.device, world: World) -> None:
        ids = [device.index] if device.type == "cuda" and device.index is not None else None
        # Construction also broadcasts rank 0's parameters, so all ranks start equal.
        self.ddp = DistributedDataParallel(_Arm(model), device_ids=ids)
        self.world = world

    def arm(self) -> None:
        """Call right before a step's forward computation (then ``loss.backward()``)."""
        self.ddp()

    def step(self, idx: np.ndarray) -> np.ndarray:
        """Starts a step over the global batch ``idx``: returns this rank's playlists
        and arms the gradient averaging for the step's backward."""
        self.arm()
        return self.world.shard(idx)


@dataclass(frozen=True)
class World:
    """This process's place among the training processes.

    Attributes:
        rank: 0 … size-1 (rank 0 writes the checkpoint).
        size: the number of processes.
        local_rank: the rank on this machine (its GPU index with NCCL).
        backend: "gloo" (CPU) or "nccl" (CUDA).
    """

    rank: int
    size: int
    local_rank: int
    backend: str

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, device: str = "auto") -> World:
        """Joins the process group that ``torchrun`` set up (its env:// variables).

        ``device`` is the training config's: CUDA (asked for, or "auto" with a GPU)
        uses NCCL and this local rank's GPU; otherwise gloo. The CPU threads of the
        machine are divided among its processes.

        Raises:
            InputError: not launched by torchrun, or CUDA asked for without a GPU.
        """
        if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
            raise InputError(
                "Distributed training needs the process to be started by torchrun.",
                hint="Run: torchrun --standalone --nproc-per-node 2 -m assistant train ...",
            )
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        local_size = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ["WORLD_SIZE"]))
        use_cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
        if use_cuda:
            if not torch.cuda.is_available():
                raise InputError(
                    "A CUDA GPU was requested but torch sees none.",
                    hint="Use --device cpu for gloo on CPUs.",
                )
            torch.cuda.set_device(local_rank)
        cores = os.cpu_count() or 1
        os.environ.setdefault("PLAYLIST_ASSISTANT_THREADS", str(max(1, cores // local_size)))
        backend = "nccl" if use_cuda else "gloo"
        if not dist.is_initialized():
            dist.init_process_group(backend)
        return cls(dist.get_rank(), dist.get_world_size(), local_rank, backend)

    def device(self, device: torch.device) -> torch.device:
        """``device`` pinned to this rank's GPU (CUDA), or unchanged."""
        return torch.device("cuda", self.local_rank) if device.type == "cuda" else device

    def wrap(self, model: nn.Module, device: torch.device) -> Synced:
        return Synced(model, self.device(device), self)

    def shard(self, idx: np.ndarray) -> np.ndarray:
        """This rank's part of a step's playlists (never empty: a short last step
        repeats its last playlist where it has fewer playlists than ranks)."""
        part = idx[self.rank :: self.size]
        return part if len(part) else idx[-1:]

    def epoch_rng(self, seed: int, epoch: int) -> np.random.Generator:
        """The same generator on every rank at the start of an epoch: the playlists'
        order and seed/target split must agree, while each rank's steps then draw
        differently (their playlists differ)."""
        return np.random.default_rng([seed, epoch])

    def barrier(self) -> None:
        dist.barrier()

    def close(self) -> None:
        if dist.is_initialized():
            dist.destroy_process_group()
