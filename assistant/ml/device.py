"""Which torch device to use, and how many CPU threads.

"auto" means CUDA when a usable GPU is present, else the CPU. The CPU thread count is
capped (``PLAYLIST_ASSISTANT_THREADS``, default: half the cores, at least 2 where there are 2) because the
app shares the machine with its own GUI thread and, on small machines, with other work.
"""

from __future__ import annotations

import os

import torch

from assistant.errors import InputError


def resolve_device(preference: str = "auto") -> torch.device:
    """The torch device for a preference ("auto", "cpu", "cuda" or "cuda:N").

    Raises:
        InputError: "cuda" was asked for but no usable GPU is present.
    """
    preference = (preference or "auto").lower()
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if preference.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InputError(
                "A CUDA GPU was requested but torch sees none.",
                hint="Use --device cpu (or auto), or install a CUDA build of torch.",
            )
        return torch.device(preference)
    if preference == "cpu":
        return torch.device("cpu")
    raise InputError(f"Unknown device {preference!r}.", hint="Use auto, cpu or cuda.")


def describe(device: torch.device | str) -> str:
    """ "cpu" or "cuda (GPU name)" for people."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return "cpu"


def set_threads() -> int:
    """Caps torch's intra-op CPU threads; returns the number used."""
    env = os.environ.get("PLAYLIST_ASSISTANT_THREADS")
    cores = os.cpu_count() or 1
    n = int(env) if env and env.isdigit() else min(cores, max(2, cores // 2))
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n
