"""The CLI starts without the model stack: `--help` and `stats` never import torch.

Each command runs in a fresh interpreter where ``torch`` and ``torch_geometric`` are
blocked in ``sys.modules`` (any import of them raises ImportError), through the same entry
point as ``playlist-assistant``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BLOCKED = ("torch", "torch_geometric")

RUN_BLOCKED = f"""
import sys
for name in {BLOCKED!r}:
    sys.modules[name] = None
from assistant.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def run_without_torch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_BLOCKED, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [("--help",), ("stats", "--help"), ("train", "--help"), ("evaluate", "--help")],
)
def test_help_does_not_import_torch(args: tuple[str, ...]) -> None:
    out = run_without_torch(*args)
    assert out.returncode == 0, out.stderr
    assert "usage: playlist-assistant" in out.stdout


@pytest.mark.slow
def test_stats_does_not_import_torch(tmp_path: Path) -> None:
    from assistant.store import Library

    Library(tmp_path / "lib.sqlite").close()  # stats never creates one
    out = run_without_torch("stats", "--json", "--library", str(tmp_path / "lib.sqlite"))
    assert out.returncode == 0, out.stderr
    assert '"playlists": 0' in out.stdout


@pytest.mark.slow
def test_a_model_command_does_need_torch(tmp_path: Path) -> None:
    """The check can fail: a command that scores does import torch (and says so)."""
    out = run_without_torch(
        "recommend", "--seeds", str(tmp_path / "none.json"), "--library", str(tmp_path / "l")
    )
    assert out.returncode != 0
    assert "torch" in out.stderr


RECOMMEND_WITHOUT_PYG = """
import sys
sys.modules["torch_geometric"] = None  # any import of it raises ImportError
from assistant.config import BUNDLED_CHECKPOINT
from assistant.ml.recommend import RecommenderService

service = RecommenderService.load(BUNDLED_CHECKPOINT)
result = service.recommend(service.track_uris[:10], 20, explain=True, name="road trip")
assert result.recommendations and result.recommendations[0].reasons
"""


@pytest.mark.slow
def test_recommending_with_the_bundled_model_needs_no_torch_geometric() -> None:
    """The window's start-up path: loading the default (content) model and recommending
    with explanations never imports the training stack (torch-geometric: ~1.5 s)."""
    out = subprocess.run(
        [sys.executable, "-c", RECOMMEND_WITHOUT_PYG],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.returncode == 0, out.stderr[-2000:]
