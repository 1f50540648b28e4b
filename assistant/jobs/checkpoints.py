"""The active model: which checkpoint, switching to another, the loaded services, devices.

The one place for these rules, used by the CLI (``train``, ``recommend``, ``use``,
``evaluate``) and the window (Model menu, warm-up, recommendations). Importing this module
does not load torch — the window imports it on the UI thread; the functions that need the
model code import it when they run (in the worker, or in a CLI command that uses a model).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant import config
from assistant.config import Settings, load_settings, save_settings
from assistant.errors import InputError
from assistant.store.library import Library

if TYPE_CHECKING:
    from assistant.ml.recommend import RecommenderService

_services: dict[tuple[str, str], RecommenderService] = {}
_services_lock = threading.Lock()


def active_checkpoint_path(settings: Settings) -> Path:
    """The checkpoint to use: the person's active one, else the bundled one."""
    if settings.active_checkpoint:
        return Path(settings.active_checkpoint)
    return config.BUNDLED_CHECKPOINT


def is_bundled(path: str | Path | None) -> bool:
    return not path or Path(path).resolve() == config.BUNDLED_CHECKPOINT.resolve()


@dataclass(frozen=True)
class Activated:
    """A checkpoint that passed validation and was registered in the library.

    ``warning``: set when it was trained on another library (with its coverage of this
    one, see :func:`foreign_checkpoint_warning`).
    """

    path: Path
    model: str
    # Set when the model does not know every track of this library (another library's).
    warning: str = ""


def validate_and_register(library: Library, path: str | Path) -> Activated:
    """Loads the checkpoint fully (refusing corrupt or foreign files) and registers it.

    Does not change the settings: the caller decides when the switch takes effect (the
    CLI at once, the window on its UI thread once this ran in the worker).

    Raises:
        InputError: no such file.
        CheckpointError: the file is not a usable checkpoint.
    """
    from assistant.ml import checkpoint as ckpt

    resolved = Path(path).resolve()
    if not resolved.exists():
        raise InputError(
            f"No checkpoint at {resolved}.",
            hint="Pick an existing file, or train one with `playlist-assistant train`.",
        )
    from assistant.jobs.recommending import coverage_warning

    loaded = ckpt.load(resolved)
    warning = ""
    if not is_bundled(resolved):
        meta = loaded.metadata
        warning = foreign_checkpoint_warning(library, meta, loaded.track_uris)
        library.register_checkpoint(
            path=str(resolved),
            model=loaded.model,
            metrics=meta.get("metrics", {}),
            config=meta.get("config", {}),
            graph_fingerprint=meta.get("data_fingerprint", ""),
            sources=meta.get("sources", []),
        )
    if not warning:  # same library, or no id recorded: still say what it does not know
        warning = coverage_warning(library, loaded.track_uris)
    # Accepted either way; the person is told how much of this library it knows.
    return Activated(resolved, loaded.model, warning)


def set_active(settings: Settings, path: str | Path | None) -> None:
    """Records ``path`` as the active checkpoint (None or the bundled file: the bundled one)."""
    settings.active_checkpoint = "" if is_bundled(path) else str(path)
    save_settings(settings)


def activate_checkpoint(library: Library, path: str | Path) -> Activated:
    """Validates, registers and makes ``path`` the active model (saved in the settings)."""
    activated = validate_and_register(library, path)
    set_active(load_settings(), activated.path)
    return activated


def resolve_device(preference: str) -> str:
    """The device a preference means here ("auto" → "cuda" with a usable GPU, else "cpu").

    Raises:
        InputError: "cuda" asked for without a usable GPU, or an unknown name.
    """
    from assistant.ml.device import resolve_device as torch_device

    return str(torch_device(preference))


def describe_device(device: str) -> str:
    """ "cpu" or "cuda (GPU name)" for people."""
    from assistant.ml.device import describe

    return describe(device)


def device_choices() -> dict[str, str]:
    """What each device preference means on this machine, for a settings form."""
    import torch

    if torch.cuda.is_available():
        return {"auto": f"auto (CUDA: {torch.cuda.get_device_name(0)})", "cuda": "cuda"}
    return {"auto": "auto (CPU — no CUDA device found)", "cuda": "cuda (not available)"}


def load_service(checkpoint: str | Path | None, device: str = "cpu") -> RecommenderService:
    """The service of a checkpoint (default: the active one), loaded once per device.

    The first load is the slow part; later queries reuse it (the window scores often).

    Raises:
        InputError: no such file, or the device is not usable.
        CheckpointError: the file is not a usable checkpoint.
    """
    from assistant.ml.recommend import RecommenderService

    path = Path(checkpoint) if checkpoint else active_checkpoint_path(load_settings())
    if not path.exists():
        raise InputError(
            f"No checkpoint at {path}.", hint="Train one with `playlist-assistant train`."
        )
    key = (str(path.resolve()), resolve_device(device))
    with _services_lock:
        service = _services.get(key)
        if service is None:
            service = RecommenderService.load(key[0], device=key[1])
            _services[key] = service
        return service


def forget_services() -> None:
    with _services_lock:
        _services.clear()


def warm_up(checkpoint: str | Path, device: str) -> tuple[str, str]:
    """Loads the model ahead of the first query.

    Returns:
        (model name, device description: "cpu" or "cuda (GPU name)").
    """
    service = load_service(checkpoint, device)
    return service.model_name, describe_device(service.device)


def same_library(library: Library, metadata: dict) -> bool:
    """Whether a checkpoint was trained on this library (its playlist ids mean something)."""
    data = metadata.get("data")
    trained_on = data.get("library_id") if isinstance(data, dict) else None
    return bool(trained_on) and trained_on == library.library_id()


def foreign_checkpoint_warning(library: Library, metadata: dict, track_uris: Sequence[str]) -> str:
    """A warning with the coverage when a checkpoint was trained elsewhere ("" if not):
    said even when it knows every track, since its held-out ids mean nothing here."""
    if same_library(library, metadata):
        return ""
    from assistant.jobs.recommending import library_coverage

    return coverage_sentence(*library_coverage(library, track_uris), foreign=True)


def coverage_sentence(known: int, total: int, *, foreign: bool) -> str:
    """The one sentence that says how many of this library's tracks a model knows, for
    :func:`foreign_checkpoint_warning` and ``recommending.coverage_warning``.

    Args:
        known: the library's tracks the model knows, of ``total``.
        foreign: the checkpoint names another library as its own; otherwise it records
            no library (the bundled model) or was trained here before the last imports.
    """
    origin = "another library" if foreign else "another library (or before your last imports)"
    if total == 0:
        return f"This model was trained on {origin}; this library has no tracks yet."
    if known == 0:  # plainly, as the panel's "knows none of the 12 tracks"
        share = f"0 of the {total:,} track{'' if total == 1 else 's'} in this library"
    else:  # rounded down: 100% only when it knows them all
        share = f"{100 * known // total}% of this library's tracks ({known:,} of {total:,})"
    sentence = f"This model was trained on {origin}: it knows {share}"
    if known == total:
        return sentence + "."
    return (
        sentence + "; it never proposes the others, and a playlist made only of them gets "
        "no proposals. Train on this library to cover them all."
    )
