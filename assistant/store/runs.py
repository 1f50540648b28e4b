"""Recommendation runs: what was proposed for a playlist, with the explanations."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from assistant.domain import Reason, Recommendation, RecommendationRun
from assistant.store.connection import Connection


class RunsMixin(Connection):
    """The recommendation_runs, recommendations and explanations tables."""

    def save_recommendation_run(
        self,
        *,
        playlist_id: int | None,
        model: str,
        checkpoint: str,
        seeds: Sequence[str],
        unknown_seeds: Sequence[str],
        recommendations: Sequence[Recommendation],
    ) -> int:
        """Stores a run with its recommendations and explanations; returns the run id.

        A run that repeats a stored one (same playlist, checkpoint, seeds and proposals:
        a refresh after an unrelated import, a filter set back) is not stored again; the
        stored one becomes the newest and its id is returned.
        """
        with self.atomic():
            same = self._same_run(playlist_id, checkpoint, seeds, recommendations)
            if same is not None:
                self.conn.execute(
                    "UPDATE recommendation_runs SET created_at = ?, model = ? WHERE id = ?",
                    (time.time(), model, same),
                )
                return same
            cur = self.conn.execute(
                "INSERT INTO recommendation_runs (playlist_id, model, checkpoint, created_at, k, "
                "seeds, unknown_seeds) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    playlist_id,
                    model,
                    checkpoint,
                    time.time(),
                    len(recommendations),
                    json.dumps(list(seeds)),
                    json.dumps(list(unknown_seeds)),
                ),
            )
            run_id = int(cur.lastrowid or 0)
            self.conn.executemany(
                "INSERT INTO recommendations VALUES (?, ?, ?, ?, ?)",
                ((run_id, r.rank, r.track_uri, r.score, r.bias) for r in recommendations),
            )
            self.conn.executemany(
                "INSERT INTO explanations VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (
                        run_id,
                        r.track_uri,
                        x.neighbor_uri,
                        x.kind,
                        x.attention,
                        x.contribution,
                    )
                    for r in recommendations
                    for x in r.reasons
                ),
            )
        return run_id

    def _same_run(
        self,
        playlist_id: int | None,
        checkpoint: str,
        seeds: Sequence[str],
        recommendations: Sequence[Recommendation],
    ) -> int | None:
        wanted = [r.track_uri for r in recommendations]
        for (run_id,) in self.conn.execute(
            "SELECT id FROM recommendation_runs WHERE playlist_id IS ? AND checkpoint = ? "
            "AND seeds = ? ORDER BY created_at DESC LIMIT 20",
            (playlist_id, checkpoint, json.dumps(list(seeds))),
        ).fetchall():
            stored = [
                u
                for (u,) in self.conn.execute(
                    "SELECT track_uri FROM recommendations WHERE run_id = ? ORDER BY rank",
                    (run_id,),
                )
            ]
            if stored == wanted:
                return int(run_id)
        return None

    def recommendation_runs(
        self, playlist_id: int | None = None, limit: int = 50
    ) -> list[RecommendationRun]:
        """Past runs, newest first (for one playlist when given)."""
        sql = "SELECT id, playlist_id, model, checkpoint, created_at, k FROM recommendation_runs"
        params: list[Any] = []
        if playlist_id is not None:
            sql += " WHERE playlist_id = ?"
            params.append(playlist_id)
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        params.append(limit)
        return [RecommendationRun(*row) for row in self.conn.execute(sql, params)]

    def recommendations(self, run_id: int) -> list[Recommendation]:
        reasons: dict[str, list[Reason]] = {}
        for uri, n_uri, kind, att, contrib in self.conn.execute(
            "SELECT track_uri, neighbor_uri, neighbor_kind, attention, contribution FROM explanations "
            "WHERE run_id = ? ORDER BY track_uri, contribution DESC",
            (run_id,),
        ):
            # v1 stored a seed's kind as "track" (the column's default): the same thing.
            kind = "seed" if kind == "track" else kind
            reasons.setdefault(uri, []).append(Reason(n_uri, att, contrib, kind))
        return [
            Recommendation(rank, uri, score, bias, tuple(reasons.get(uri, ())))
            for rank, uri, score, bias in self.conn.execute(
                "SELECT rank, track_uri, score, bias FROM recommendations WHERE run_id = ? ORDER BY rank",
                (run_id,),
            )
        ]
