"""Self-describing, tensor-only checkpoint files, written atomically.

A checkpoint is one ``torch.save`` of a dict of plain types and tensors::

    {"format": "playlist-assistant-checkpoint", "format_version": 1,
     "metadata": "<JSON: architecture, spec, config, track_uris, metrics, fingerprint,
                  versions, created_at>",
     "tensors": {"h": ..., "keys": ..., "bias": ..., "popularity": ..., ...}}

It is read with ``torch.load(weights_only=True)``, which refuses any pickled Python
object (no code runs on load). It holds the inference tensors, so recommending needs no
graph and no training code. Writes go to a temporary file in the same folder, are
fsync'ed, then ``os.replace``'d over the target: a crash, a cancel or a failure leaves
any previous file byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from assistant import __version__
from assistant.errors import CheckpointError

FORMAT = "playlist-assistant-checkpoint"
FORMAT_VERSION = 1
REQUIRED = ("h", "keys", "bias", "popularity")


@dataclass
class Checkpoint:
    """A loaded checkpoint: its metadata and tensors."""

    path: Path
    metadata: dict[str, Any]
    tensors: dict[str, torch.Tensor]

    @property
    def model(self) -> str:
        return str(self.metadata["architecture"])

    @property
    def track_uris(self) -> list[str]:
        return list(self.metadata["track_uris"])


def versions() -> dict[str, str]:
    """Library versions recorded in every checkpoint."""
    import torch_geometric

    return {
        "torch": torch.__version__,
        "torch_geometric": torch_geometric.__version__,
        "app": __version__,
    }


def save(path: str | Path, metadata: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Path:
    """Writes a checkpoint atomically (temp file, fsync, ``os.replace``).

    Args:
        path: the target file; its folder is created.
        metadata: JSON-serialisable; must hold ``architecture`` and ``track_uris``.
        tensors: the inference tensors (moved to the CPU, made contiguous).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"created_at": time.time(), "versions": versions(), **metadata}
    meta_json = json.dumps(meta)
    # clone(): a view (e.g. the track rows of all node representations) would otherwise
    # drag its whole storage into the file.
    cpu = {k: v.detach().cpu().clone().contiguous() for k, v in tensors.items()}
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "metadata": meta_json,
        "tensors": cpu,
        "checksum": checksum(meta_json, cpu),
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it 0600; a model file is not secret
        with os.fdopen(fd, "wb") as fh:
            torch.save(payload, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass  # e.g. Windows: no directory fsync
    return path


def checksum(metadata_json: str, tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 over the metadata and every tensor's bytes (torch's zip reader does not
    verify its CRCs, so silent corruption of tensor data is caught here)."""
    h = hashlib.sha256(metadata_json.encode())
    for name in sorted(tensors):
        t = tensors[name]
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
        if isinstance(t, torch.Tensor) and t.numel():
            h.update(t.contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _refuse(path: Path, what: str, hint: str | None = None) -> CheckpointError:
    return CheckpointError(
        f"{path} {what}",
        hint=hint
        or "Choose another checkpoint, or train a new one with "
        "`playlist-assistant train --out FILE`.",
    )


def load(path: str | Path) -> Checkpoint:
    """Reads and checks a checkpoint without unpickling arbitrary objects.

    Raises:
        CheckpointError: missing, corrupt or truncated, foreign, a pickle with code,
            made by a newer version, or inconsistent.
    """
    path = Path(path)
    if not path.is_file():
        raise _refuse(path, "does not exist.")
    with path.open("rb") as fh:
        head = fh.read(4)
    if head[:2] != b"PK":
        if head[:1] == b"\x80":
            raise _refuse(
                path,
                "is a raw Python pickle, not a Playlist Assistant checkpoint; "
                "it was refused because loading it could run code.",
            )
        raise _refuse(path, "is not a Playlist Assistant checkpoint (unknown file type).")
    if not zipfile.is_zipfile(path):
        raise _refuse(path, "is truncated or corrupt (its archive index is missing).")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise _refuse(
            path,
            "contains Python objects other than plain data and tensors; it "
            f"was refused because loading it could run code ({_first_line(exc)}).",
        ) from exc
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
        raise _refuse(path, f"is corrupt or truncated ({_first_line(exc)}).") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise _refuse(
            path,
            "is a torch file but not a Playlist Assistant checkpoint "
            "(no format tag): perhaps another program's model.",
        )
    version = raw.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise _refuse(
            path,
            f"was written by a newer Playlist Assistant (format {version}, "
            f"this app reads up to {FORMAT_VERSION}).",
            "Update the app, or train a new checkpoint with this version.",
        )
    try:
        metadata = json.loads(raw["metadata"])
        tensors = dict(raw["tensors"])
        intact = raw.get("checksum") == checksum(raw["metadata"], tensors)
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:
        raise _refuse(path, f"has unreadable metadata ({exc}).") from exc
    if not intact:
        raise _refuse(
            path, "is corrupt: its content does not match its checksum (damaged on disk or edited)."
        )
    _check_consistent(path, metadata, tensors)
    return Checkpoint(path, metadata, tensors)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _check_consistent(path: Path, metadata: dict, tensors: dict) -> None:
    for key in ("architecture", "track_uris", "spec"):
        if key not in metadata:
            raise _refuse(path, f"is incomplete: its metadata has no {key!r}.")
    missing = [k for k in REQUIRED if not isinstance(tensors.get(k), torch.Tensor)]
    if missing:
        raise _refuse(path, f"is incomplete: tensors {', '.join(missing)} are missing.")
    n = len(metadata["track_uris"])
    spec = metadata["spec"]
    h = tensors["h"]
    shapes_ok = (
        h.ndim == 2
        and h.shape[0] == n
        and tensors["keys"].shape == h.shape
        and tensors["bias"].shape == (n,)
        and tensors["popularity"].shape == (n,)
        and h.shape[1] == spec.get("dim")
    )
    if not shapes_ok:
        raise _refuse(
            path,
            f"is inconsistent: its tensors do not match its {n:,}-track "
            "vocabulary and model shape (mismatched or tampered file).",
        )
    for k, v in tensors.items():
        if v.is_floating_point() and not bool(torch.isfinite(v).all()):
            raise _refuse(path, f"holds non-finite values in {k!r} (a diverged training).")


def save_trained(
    path: str | Path,
    result: Any,
    *,
    data_fingerprint: str,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Writes a :class:`~assistant.ml.train.TrainResult` as a checkpoint (atomically).

    Args:
        path: the target file.
        result: the training result (its scorer's inference tensors are stored).
        data_fingerprint: :meth:`Interactions.fingerprint` of the training graph.
        extra: more metadata (e.g. what data it was trained on).
    """
    scorer = result.model
    metadata = {
        "architecture": scorer.name,
        "spec": scorer.spec.to_dict(),
        "config": result.config.to_dict(),
        "track_uris": scorer.track_uris,
        "metrics": result.metrics,
        "best_epoch": result.best_epoch,
        "history": result.history,
        "device": result.device,
        "data_fingerprint": data_fingerprint,
        # the content model's vocabularies (name tokens, artist and album URIs)
        **getattr(scorer, "metadata", {}),
        **(extra or {}),
    }
    tensors = dict(scorer.tensors, popularity=scorer.popularity)
    return save(path, metadata, tensors)
