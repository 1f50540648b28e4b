"""Training runs (with their epochs) and the registry of checkpoints."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant import process
from assistant.store.connection import Connection


@dataclass(frozen=True, slots=True)
class TrainingRun:
    id: int
    model: str
    status: str
    started_at: float
    finished_at: float | None
    device: str
    checkpoint_path: str
    message: str
    config: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CheckpointRecord:
    id: int
    path: str
    model: str
    created_at: float
    metrics: dict[str, Any]
    config: dict[str, Any]
    # Interactions.fingerprint() of the training graph (the checkpoints table's
    # data_fingerprint column; the checkpoint file's "data_fingerprint" key).
    graph_fingerprint: str
    sources: tuple[str, ...] = ()  # the playlist sources it was trained on


class TrainingMixin(Connection):
    """The training_runs, training_epochs and checkpoints tables."""

    # -- training runs -----------------------------------------------------------------

    def start_training_run(
        self, *, model: str, config: dict[str, Any], device: str, library_fingerprint: str
    ) -> int:
        """Records a run as ``running`` with this process's pid (see :meth:`fail_stale_training_runs`)."""
        with self.atomic():
            self.fail_stale_training_runs()
            # The data_fingerprint column of training_runs holds the library's
            # fingerprint (Library.library_fingerprint) when the run started.
            cur = self.conn.execute(
                "INSERT INTO training_runs (model, config, device, data_fingerprint, started_at, "
                "pid) VALUES (?, ?, ?, ?, ?, ?)",
                (model, json.dumps(config), device, library_fingerprint, time.time(), os.getpid()),
            )
            return int(cur.lastrowid or 0)

    def fail_stale_training_runs(self) -> int:
        """Marks ``failed`` the runs left ``running`` by a process that is gone (kill -9,
        a crash, a power loss); returns how many. A run of a live process is left alone.
        """
        stale = [
            (run_id, pid)
            for run_id, pid in self.conn.execute(
                "SELECT id, pid FROM training_runs WHERE status = 'running'"
            )
            if not process.alive(pid)
        ]
        if not stale:
            return 0
        with self.atomic():
            for run_id, pid in stale:
                self.conn.execute(
                    "UPDATE training_runs SET status = 'failed', finished_at = ?, message = ? "
                    "WHERE id = ? AND status = 'running'",
                    (
                        time.time(),
                        f"interrupted: the process that ran it (pid {pid}) ended without "
                        "finishing it (killed or crashed); nothing was saved",
                        run_id,
                    ),
                )
        return len(stale)

    def log_epoch(
        self, run_id: int, epoch: int, loss: float, metrics: dict[str, float], seconds: float
    ) -> None:
        with self.atomic():
            self.conn.execute(
                "INSERT OR REPLACE INTO training_epochs VALUES (?, ?, ?, ?, ?)",
                (run_id, epoch, loss, json.dumps(metrics), seconds),
            )

    def finish_training_run(
        self, run_id: int, *, status: str, checkpoint_path: str = "", message: str = ""
    ) -> None:
        with self.atomic():
            self.conn.execute(
                "UPDATE training_runs SET status = ?, finished_at = ?, checkpoint_path = ?, message = ? "
                "WHERE id = ?",
                (status, time.time(), checkpoint_path, message, run_id),
            )

    def training_runs(self, limit: int = 50) -> list[TrainingRun]:
        rows = self.conn.execute(
            "SELECT id, model, status, started_at, finished_at, device, checkpoint_path, message, config "
            "FROM training_runs ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [TrainingRun(*row[:8], json.loads(row[8])) for row in rows]

    def training_epochs(self, run_id: int) -> list[dict[str, Any]]:
        return [
            {"epoch": e, "loss": loss, "seconds": s, **json.loads(m)}
            for e, loss, m, s in self.conn.execute(
                "SELECT epoch, loss, metrics, seconds FROM training_epochs WHERE run_id = ? ORDER BY epoch",
                (run_id,),
            )
        ]

    # -- checkpoints -------------------------------------------------------------------

    def register_checkpoint(
        self,
        *,
        path: str,
        model: str,
        metrics: dict[str, Any],
        config: dict[str, Any],
        graph_fingerprint: str,
        training_run_id: int | None = None,
        sources: Sequence[str] = (),
    ) -> int:
        with self.atomic():
            # The data_fingerprint column of checkpoints holds the graph's fingerprint.
            self.conn.execute(
                "INSERT INTO checkpoints (path, model, created_at, metrics, config, data_fingerprint, "
                "training_run_id, sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO "
                "UPDATE SET model=excluded.model, created_at=excluded.created_at, "
                "metrics=excluded.metrics, config=excluded.config, "
                "data_fingerprint=excluded.data_fingerprint, "
                "training_run_id=excluded.training_run_id, sources=excluded.sources",
                (
                    path,
                    model,
                    time.time(),
                    json.dumps(metrics),
                    json.dumps(config),
                    graph_fingerprint,
                    training_run_id,
                    json.dumps(list(sources)),
                ),
            )
            return self.conn.execute(
                "SELECT id FROM checkpoints WHERE path = ?", (path,)
            ).fetchone()[0]

    def checkpoints(self) -> list[CheckpointRecord]:
        return [
            CheckpointRecord(
                i, p, m, c, json.loads(met), json.loads(cfg), fp, tuple(json.loads(src))
            )
            for i, p, m, c, met, cfg, fp, src in self.conn.execute(
                "SELECT id, path, model, created_at, metrics, config, data_fingerprint, sources "
                "FROM checkpoints ORDER BY created_at DESC, id DESC"
            )
        ]

    def set_checkpoint_metrics(self, path: str, metrics: dict[str, Any]) -> None:
        """Replaces the stored metrics of a registered checkpoint (e.g. its score on
        this library, measured after it was registered)."""
        with self.atomic():
            self.conn.execute(
                "UPDATE checkpoints SET metrics = ? WHERE path = ?", (json.dumps(metrics), path)
            )

    def delete_checkpoint_record(self, path: str) -> None:
        with self.atomic():
            self.conn.execute("DELETE FROM checkpoints WHERE path = ?", (path,))
