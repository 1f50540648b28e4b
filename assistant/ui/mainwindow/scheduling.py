"""Recommendation scheduling: debounced, versioned scoring jobs; stale answers dropped; past runs.

A mixin of :class:`~assistant.ui.mainwindow.MainWindow`; the window holds the state.
"""

from __future__ import annotations

import datetime as _dt

from assistant.errors import Cancelled
from assistant.jobs.checkpoints import active_checkpoint_path
from assistant.ui import tasks
from assistant.ui.table_models import RecommendationRow, counted


class SchedulingMixin:
    """Recommendation scheduling (mixed into MainWindow)."""

    def playlist_changed(self) -> None:
        """The playlist (or a filter) changed: new proposals after a short pause."""
        self.viewing_run = None
        self.recs.back_to_live.hide()
        self.version += 1
        self.recs.state.setText("updating…")
        self.rec_timer.start()

    def request_recommendations(self) -> None:
        """Starts a scoring job for the open playlist's current version (off the UI thread)."""
        if self.playlist is None or self.playlist.id is None:
            return
        if self.rec_job is not None and not self.rec_job.done:
            self.rec_job.cancel()  # its answer would be stale anyway
        self.recs.state.setText("scoring…")
        self.rec_job = self.worker.submit(
            tasks.recommend_task,
            self.library_path,
            str(active_checkpoint_path(self.settings)),
            self.settings.device,
            self.playlist.id,
            self.version,
            self.settings.recommendation_count,
            max_per_artist=self.recs.per_artist.value(),
            blocked_artists=sorted(self.blocked),
            on_result=self.show_recommendations,
            on_error=self._recommendation_failed,
            name="recommend",
        )

    def show_recommendations(self, batch: tasks.RecommendationBatch) -> None:
        if (
            self.closed
            or self.playlist is None
            or batch.playlist_id != self.playlist.id
            or batch.version != self.version
        ):
            self.stale_dropped += 1  # an answer for an older playlist: never shown
            return
        self._show_rows(batch.rows)
        if batch.kind == "model":
            self.model_name = batch.model or self.model_name
        self.update_model_status()
        self.recs.show_outcome(batch.kind, batch.notice, len(batch.rows), batch.model)
        self.playlist_panel.model.set_unknown(batch.unknown_seeds)
        total = len(self.playlist.track_uris)
        used = total - len(set(batch.unknown_seeds))
        via = batch.through_content  # used through their artist or album only
        known = used - via
        more = f", {via} more through their artist or album" if via else ""
        self.coverage = (
            f"The model knows {known} of {counted(total, 'track')} ({known / total:.0%}){more}"
            + (" — marked tracks are new to it." if used < total else ".")
            if total
            else ""
        )
        self._show_details()
        self.explanation.set_runs(batch.runs)
        self.recommendations_shown.emit(batch)

    def _show_rows(self, rows: list[RecommendationRow]) -> None:
        current = self.recs.current()
        self.recs.model.set_rows(rows)
        if rows:
            keep = next((i for i, r in enumerate(rows) if current and r.uri == current.uri), 0)
            self.recs.select_row(keep)
        else:
            self.explanation.show_recommendation(None)
        self.update_actions()

    def _recommendation_failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            return
        self.recs.state.setText("no proposals (see the error)")
        self.show_error(exc)

    def reopen_run(self, run_id: int) -> None:
        """Shows a past run as it was stored (its filters, not today's) until "Back to live"."""
        run = next((r for r in self.explanation.runs.rows() if r.id == run_id), None)
        when = (
            _dt.datetime.fromtimestamp(run.created_at).strftime("%Y-%m-%d %H:%M")
            if run is not None
            else f"#{run_id}"
        )

        def done(rows: list[RecommendationRow]) -> None:
            self.version += 1  # a pending refresh must not overwrite the reopened run
            self.rec_timer.stop()
            if self.rec_job is not None and not self.rec_job.done:
                self.rec_job.cancel()
            self.recs.clear_outcome()
            self._show_rows(rows)
            self.recs.state.setText(f"Viewing the run of {when} · {counted(len(rows), 'proposal')}")
            self.recs.back_to_live.show()
            self.viewing_run = run_id

        self.worker.submit(tasks.reopen_run_task, self.library_path, run_id, on_result=done)
