"""Item 6: checkpoint metadata and tensors are validated at load; `use` refuses what
`recommend` could not run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from assistant.errors import CheckpointError
from assistant.ml import checkpoint as ckpt
from assistant.ml.recommend import RecommenderService
from tests.faults.conftest import run_cli
from tests.sources.factory import uid

N, DIM, HEADS = 30, 8, 4


def small_checkpoint(path: Path) -> Path:
    """A valid gat checkpoint of random tensors (no training needed)."""
    g = torch.Generator().manual_seed(0)
    tensors = {
        "h": torch.randn(N, DIM, generator=g),
        "keys": torch.randn(N, DIM, generator=g),
        "bias": torch.zeros(N),
        "popularity": torch.rand(N, generator=g),
        "lin": torch.randn(HEADS * DIM, DIM, generator=g),
        "att_src": torch.randn(HEADS, DIM, generator=g),
        "att_dst": torch.randn(HEADS, DIM, generator=g),
    }
    spec = {"name": "gat", "n_playlists": 5, "n_tracks": N, "dim": DIM, "heads": HEADS}
    metadata = {
        "architecture": "gat",
        "spec": spec,
        "track_uris": [f"spotify:track:{uid(i)}" for i in range(N)],
        "metrics": {},
        "data_fingerprint": "x",
    }
    return ckpt.save(path, metadata, tensors)


def rewrite(src: Path, dst: Path, change: Callable[[dict], None]) -> Path:
    """A copy with ``change`` applied to the raw payload, re-checksummed (a forged file)."""
    raw = torch.load(src, weights_only=True)
    change(raw)
    if isinstance(raw.get("metadata"), str):
        raw["checksum"] = ckpt.checksum(raw["metadata"], raw["tensors"])
    torch.save(raw, dst)
    return dst


def meta_change(fn: Callable[[dict], object]) -> Callable[[dict], None]:
    def change(raw: dict) -> None:
        meta = json.loads(raw["metadata"])
        replaced = fn(meta)
        raw["metadata"] = json.dumps(meta if replaced is None else replaced)

    return change


CASES: dict[str, tuple[Callable[[dict], None], str]] = {
    "spec extra field": (
        meta_change(lambda m: m["spec"].update(extra=1)),
        "unknown fields",
    ),
    "heads disagree": (meta_change(lambda m: m["spec"].update(heads=3)), "do not fit"),
    "dim disagrees": (meta_change(lambda m: m["spec"].update(dim=16)), "inconsistent"),
    "dim is text": (meta_change(lambda m: m["spec"].update(dim="8")), "'dim' is '8'"),
    "cosine is 1": (meta_change(lambda m: m["spec"].update(cosine=1)), "'cosine' is 1"),
    "metadata is a list": (meta_change(lambda m: [m]), "invalid metadata"),
    "spec is a string": (meta_change(lambda m: m.update(spec="gat")), "'spec' is a str"),
    "architecture disagrees": (
        meta_change(lambda m: m.update(architecture="lightgcn")),
        "architecture",
    ),
    "uris not strings": (
        meta_change(lambda m: m["track_uris"].__setitem__(0, 5)),
        "distinct strings",
    ),
    "format 0": (lambda raw: raw.update(format_version=0), "invalid format version"),
    "format '1'": (lambda raw: raw.update(format_version="1"), "invalid format version"),
    "tensors a list": (lambda raw: raw.update(tensors=[]), "unreadable metadata"),
    "lin missing": (lambda raw: raw["tensors"].pop("lin"), "disagree about attention"),
    "integer tensor": (
        lambda raw: raw["tensors"].update(bias=torch.zeros(N, dtype=torch.int64)),
        "neither float tensors",
    ),
}


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_checkpoint(tmp_path_factory.mktemp("ckpt") / "good.ckpt")


def test_6_a_valid_checkpoint_loads(good: Path) -> None:
    assert RecommenderService.load(good).recommend([f"spotify:track:{uid(1)}"], k=3).recommendations


@pytest.mark.parametrize("case", sorted(CASES))
def test_6_forged_metadata_is_refused_at_load(good: Path, tmp_path: Path, case: str) -> None:
    change, message = CASES[case]
    bad = rewrite(good, tmp_path / "bad.ckpt", change)
    with pytest.raises(CheckpointError, match=message):
        ckpt.load(bad)


def test_6_use_refuses_what_recommend_could_not_run(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = tmp_path / "lib.sqlite"
    for case in ("spec extra field", "heads disagree", "metadata is a list"):
        bad = rewrite(good, tmp_path / "bad.ckpt", CASES[case][0])
        code, _, err = run_cli(capsys, "use", bad, "--library", lib)
        assert code == 1 and "error:" in err and "Traceback" not in err, (case, err)
    code, _, err = run_cli(capsys, "use", good, "--library", lib)
    assert code == 0, err
