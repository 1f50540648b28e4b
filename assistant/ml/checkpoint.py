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

import dataclasses
import hashlib
import json
import math
import os
import pickle
import tempfile
import time
import types
import typing
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from assistant import __version__
from assistant.errors import AssistantError, CheckpointError
from assistant.ml.spec import ModelSpec
from assistant.process import remove_stale_temp_files

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
    # Our pid in the name: a kill -9 mid-write leaves the file, and the next save (of any
    # process) removes it once this pid is gone.
    remove_stale_temp_files(path.parent, path.name)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
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
    if type(version) is not int or version < 1:
        raise _refuse(
            path, f"has an invalid format version ({version!r}): a damaged or forged file."
        )
    if version > FORMAT_VERSION:
        raise _refuse(
            path,
            f"was written by a newer Playlist Assistant (format {version}, "
            f"this app reads up to {FORMAT_VERSION}).",
            "Update the app, or train a new checkpoint with this version.",
        )
    try:
        if not isinstance(raw.get("metadata"), str) or not isinstance(raw.get("tensors"), dict):
            raise TypeError("metadata must be JSON text and tensors a dict")
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


# Metadata fields beside the spec, and the JSON types each must have when present.
_METADATA_TYPES: dict[str, type | tuple[type, ...]] = {
    "architecture": str,
    "spec": dict,
    "track_uris": list,
    "config": dict,
    "metrics": dict,
    "best_epoch": int,
    "history": list,
    "device": str,
    "data_fingerprint": str,
    "data": dict,
    "val_playlist_ids": list,
    "created_at": (int, float),
    "versions": dict,
}
_REQUIRED_METADATA = ("architecture", "spec", "track_uris")


def _check_consistent(path: Path, metadata: Any, tensors: dict) -> None:
    """Every field and tensor, checked against the model they claim to be.

    Generic on purpose: the spec is checked field by field against :class:`ModelSpec`'s
    own dataclass fields and types, and the tensors by running the recommender's real
    inference code once (one query, with explanations) on them, so a field or tensor
    the models gain later is checked without a list to keep up to date here.
    """
    if not isinstance(metadata, dict):
        raise _refuse(path, f"has invalid metadata (a {type(metadata).__name__}, not an object).")
    for key in _REQUIRED_METADATA:
        if key not in metadata:
            raise _refuse(path, f"is incomplete: its metadata has no {key!r}.")
    for key, kind in _METADATA_TYPES.items():
        value = metadata.get(key)
        if key in metadata and (not isinstance(value, kind) or isinstance(value, bool)):
            raise _refuse(path, f"has invalid metadata: {key!r} is a {type(value).__name__}.")
    uris = metadata["track_uris"]
    if not uris:
        raise _refuse(path, "is incomplete: it knows no tracks.")
    if not all(isinstance(u, str) for u in uris) or len(set(uris)) != len(uris):
        raise _refuse(path, "has invalid metadata: 'track_uris' must be distinct strings.")
    if not all(type(i) is int for i in metadata.get("val_playlist_ids", [])):
        raise _refuse(path, "has invalid metadata: 'val_playlist_ids' must be integers.")
    spec = _check_spec(path, metadata["spec"])
    if spec.name != metadata["architecture"]:
        raise _refuse(
            path,
            f"is inconsistent: its architecture {metadata['architecture']!r} is not its "
            f"spec's {spec.name!r}.",
        )
    missing = [k for k in REQUIRED if not isinstance(tensors.get(k), torch.Tensor)]
    if missing:
        raise _refuse(path, f"is incomplete: tensors {', '.join(missing)} are missing.")
    n = len(uris)
    odd = [
        k
        for k, v in tensors.items()
        if not isinstance(v, torch.Tensor)
        or not (v.is_floating_point() or _is_track_index(k, v, n, metadata))
    ]
    if odd:
        raise _refuse(
            path,
            f"is inconsistent: {', '.join(map(repr, odd))} are neither float tensors nor "
            "valid per-track indices.",
        )
    h = tensors["h"]
    shapes_ok = (
        n == spec.n_tracks
        and h.ndim == 2
        and h.shape[0] == n
        and tensors["keys"].shape == h.shape
        and tensors["bias"].shape == (n,)
        and tensors["popularity"].shape == (n,)
        and h.shape[1] == spec.dim
    )
    if not shapes_ok:
        raise _refuse(
            path,
            f"is inconsistent: its tensors do not match its {n:,}-track "
            "vocabulary and model shape (mismatched or tampered file).",
        )
    _check_content_vectors(path, metadata, tensors, spec.dim)
    for k, v in tensors.items():
        if v.is_floating_point() and not bool(torch.isfinite(v).all()):
            raise _refuse(path, f"holds non-finite values in {k!r} (a diverged training).")
    _dry_run(path, spec, metadata, tensors)


#: The content model's artist and album vectors (optional: older checkpoints lack them)
#: and the metadata vocabulary each row belongs to.
CONTENT_VECTORS = {"artist_h": "artist_uris", "album_h": "album_uris"}


def _check_content_vectors(path: Path, metadata: dict, tensors: dict, dim: int) -> None:
    """``artist_h``/``album_h``: both or neither, one [len(vocabulary), dim] row each."""
    present = [k for k in CONTENT_VECTORS if k in tensors]
    if not present:
        return
    if len(present) != len(CONTENT_VECTORS):
        raise _refuse(
            path, f"is incomplete: it holds {present[0]!r} without its artist/album partner."
        )
    for name, vocab in CONTENT_VECTORS.items():
        uris = metadata.get(vocab)
        rows = len(uris) if isinstance(uris, list) else -1
        if tensors[name].shape != (rows, dim):
            raise _refuse(
                path,
                f"is inconsistent: {name!r} has shape {tuple(tensors[name].shape)}, not one "
                f"{dim}-vector per entry of its {vocab!r} (mismatched or tampered file).",
            )


def _is_track_index(name: str, value: torch.Tensor, n_tracks: int, metadata: dict) -> bool:
    """An integer tensor the content model keeps per track (``artist_of``, ``album_of``):
    one int64 per track, -1 for unknown, every other value an index into the vocabulary
    the metadata lists beside it (``artist_uris``, ``album_uris``)."""
    if value.dtype != torch.int64 or value.shape != (n_tracks,) or not name.endswith("_of"):
        return False
    vocabulary = metadata.get(f"{name[: -len('_of')]}_uris")
    if not isinstance(vocabulary, list):
        return False
    return n_tracks == 0 or (int(value.min()) >= -1 and int(value.max()) < len(vocabulary))


def _check_spec(path: Path, raw: dict) -> ModelSpec:
    """The spec as a :class:`ModelSpec`, every field present and of its declared type."""
    declared = {f.name: f for f in dataclasses.fields(ModelSpec)}
    hints = typing.get_type_hints(ModelSpec)
    unknown = sorted(set(raw) - set(declared))
    if unknown:
        raise _refuse(
            path,
            f"has a model spec with unknown fields ({', '.join(map(repr, unknown))}): "
            "written by another version or edited.",
        )
    for name, f in declared.items():
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise _refuse(path, f"is incomplete: its model spec has no {name!r}.")
            continue
        value, kind = raw[name], hints[name]
        if not _matches(value, kind):
            raise _refuse(
                path,
                f"has an invalid model spec: {name!r} is {value!r}, not {_type_name(kind)}.",
            )
        if type(value) is int and value < 0:
            raise _refuse(path, f"has an invalid model spec: {name!r} is {value}.")
    try:
        return ModelSpec(**raw)
    except AssistantError as exc:
        raise _refuse(path, f"has an invalid model spec ({exc.message})") from exc


def _matches(value: Any, kind: Any) -> bool:
    """Whether a JSON value fits a dataclass field's annotation (exactly: True is no int)."""
    origin = typing.get_origin(kind)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(value, arm) for arm in typing.get_args(kind))
    if kind is typing.Any:
        return True
    if kind is type(None):
        return value is None
    if kind is float:
        return type(value) in (int, float)
    kind = origin or kind
    if kind in (tuple, list):  # JSON has lists only
        return type(value) is list
    return type(value) is kind if kind in (int, bool, str) else isinstance(value, kind)


def _type_name(kind: Any) -> str:
    return kind.__name__ if isinstance(kind, type) else str(kind)


def _dry_run(path: Path, spec: ModelSpec, metadata: dict, tensors: dict) -> None:
    """One query through the recommender itself: what it cannot run is refused here."""
    from assistant.ml.recommend import RecommenderService  # it imports this module

    uris = metadata["track_uris"]
    try:
        service = RecommenderService(spec.name, spec, tensors, uris, metadata=metadata)
        result = service.recommend(uris[: min(3, len(uris))], k=min(5, len(uris)), explain=True)
        scores = [r.score for r in result.recommendations]
    except Exception as exc:  # any failure here means recommend would fail too
        raise _refuse(
            path,
            f"is inconsistent: its tensors do not fit its model spec ({_first_line(exc)}).",
        ) from exc
    inference = service.inference
    # The track-only models read attention and positions from optional tensors; the
    # content model has one readout whose tensors the query above already needed.
    uses = (
        {"attention": inference.attention, "positional": inference.pos is not None}
        if hasattr(inference, "attention")
        else {}
    )
    wrong = [k for k, used in uses.items() if getattr(spec, k) != used]
    if wrong:  # the tensors would silently run another model than the spec says
        raise _refuse(
            path,
            f"is inconsistent: its spec and its tensors disagree about {', '.join(wrong)}.",
        )
    if not all(math.isfinite(x) for x in scores):
        raise _refuse(path, "is inconsistent: it scores tracks as NaN or infinite.")


def save_trained(
    path: str | Path,
    result: Any,
    *,
    graph_fingerprint: str,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Writes a :class:`~assistant.ml.train.TrainResult` as a checkpoint (atomically).

    Args:
        path: the target file.
        result: the training result (its scorer's inference tensors are stored).
        graph_fingerprint: :meth:`Interactions.fingerprint` of the training graph.
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
        # The graph's fingerprint under the file format's key (kept: files already out there).
        "data_fingerprint": graph_fingerprint,
        # the content model's vocabularies (name tokens, artist and album URIs)
        **getattr(scorer, "metadata", {}),
        **(extra or {}),
    }
    tensors = dict(scorer.tensors, popularity=scorer.popularity)
    return save(path, metadata, tensors)
