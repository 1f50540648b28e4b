"""Checkpoints: round-trip, atomic writes, and refusal of bad files."""

from __future__ import annotations

import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from assistant.errors import CheckpointError
from assistant.ml import checkpoint as ckpt
from assistant.ml.recommend import RecommenderService
from assistant.ml.train import train
from tests.ml.test_models import tiny_config, tiny_data


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    data = tiny_data()
    result = train(data, tiny_config("gat-mlp", epochs=2))
    path = tmp_path_factory.mktemp("ckpt") / "model.ckpt"
    ckpt.save_trained(path, result, graph_fingerprint=data.fingerprint())
    return path, result


@pytest.mark.slow
def test_round_trip_gives_the_same_scores(trained: tuple[Path, object]) -> None:
    path, result = trained
    service = RecommenderService.load(path)
    assert service.model_name == "gat-mlp"
    assert service.track_uris == result.model.track_uris
    seeds = np.array([1, 4, 6])
    expected = result.model.score([seeds])[0]
    got = service.inference.score_batch([seeds])[0]
    np.testing.assert_array_equal(got, expected)
    meta = ckpt.load(path).metadata
    assert meta["config"]["model"] == "gat-mlp"
    assert meta["data_fingerprint"] == tiny_data().fingerprint()
    assert set(meta["versions"]) == {"torch", "torch_geometric", "app"}
    assert meta["created_at"] > 0 and meta["history"]
    assert not list(path.parent.glob("*.tmp"))


def _refused(path: Path, match: str) -> None:
    with pytest.raises(CheckpointError, match=match):
        RecommenderService.load(path)


@pytest.mark.slow
def test_corrupt_and_truncated_files_are_refused(
    trained: tuple[Path, object], tmp_path: Path
) -> None:
    good = trained[0].read_bytes()
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(os.urandom(4096))
    _refused(junk, "not a Playlist Assistant checkpoint")
    cut = tmp_path / "cut.ckpt"
    cut.write_bytes(good[: len(good) // 2])
    _refused(cut, "truncated or corrupt")
    flipped = bytearray(good)
    with zipfile.ZipFile(trained[0]) as z:  # damage the biggest tensor's stored bytes
        info = max(z.infolist(), key=lambda i: i.file_size)
    local = info.header_offset  # the local header's own name/extra lengths
    n_name, n_extra = struct.unpack("<HH", good[local + 26 : local + 30])
    start = local + 30 + n_name + n_extra
    flipped[start + 8] ^= 0xFF
    bad = tmp_path / "flipped.ckpt"
    bad.write_bytes(bytes(flipped))
    _refused(bad, "checksum")
    _refused(tmp_path / "missing.ckpt", "does not exist")


class _Evil:
    def __reduce__(self) -> tuple:
        return (os.system, ("echo pwned > /dev/null",))


def test_pickles_with_code_and_foreign_files_are_refused(tmp_path: Path) -> None:
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps(_Evil()))
    _refused(raw, "raw Python pickle")
    zipped = tmp_path / "zipped.ckpt"
    torch.save({"format": ckpt.FORMAT, "payload": _Evil()}, zipped)
    _refused(zipped, "could run code")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weight": torch.zeros(3)}, foreign)
    _refused(foreign, "no format tag")


def _rewrite(src: Path, dst: Path, change) -> Path:
    raw = torch.load(src, weights_only=True)
    change(raw)
    raw["checksum"] = ckpt.checksum(raw["metadata"], raw["tensors"])
    torch.save(raw, dst)
    return dst


@pytest.mark.slow
def test_newer_and_mismatched_files_are_refused(
    trained: tuple[Path, object], tmp_path: Path
) -> None:
    src = trained[0]

    def newer(raw: dict) -> None:
        raw["format_version"] = ckpt.FORMAT_VERSION + 1

    def fewer_uris(raw: dict) -> None:
        meta = json.loads(raw["metadata"])
        meta["track_uris"] = meta["track_uris"][:-1]
        raw["metadata"] = json.dumps(meta)

    def nan(raw: dict) -> None:
        raw["tensors"]["keys"][0, 0] = float("nan")

    _refused(_rewrite(src, tmp_path / "n.ckpt", newer), "newer Playlist Assistant")
    _refused(_rewrite(src, tmp_path / "m.ckpt", fewer_uris), "inconsistent")
    _refused(_rewrite(src, tmp_path / "x.ckpt", nan), "non-finite")


@pytest.mark.slow
def test_failed_write_leaves_the_previous_file_untouched(
    trained: tuple[Path, object], tmp_path: Path
) -> None:
    target = tmp_path / "model.ckpt"
    target.write_bytes(trained[0].read_bytes())
    before = target.read_bytes()
    with pytest.raises(Exception):  # noqa: B017 - any failure of torch.save
        ckpt.save(target, {"architecture": "x"}, {"h": lambda: 0})  # type: ignore[dict-item]
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.ckpt"]
