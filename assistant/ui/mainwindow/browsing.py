"""Browsing: the library sidebar, opening a playlist and the lines under its title.

A mixin of :class:`~assistant.ui.mainwindow.MainWindow`; the window holds the state.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from PySide6.QtCore import QSettings

from assistant import config
from assistant.domain import SOURCES, Track, ownership
from assistant.errors import AssistantError
from assistant.jobs.checkpoints import active_checkpoint_path
from assistant.ui import tasks
from assistant.ui.table_models import SOURCE_LABELS, counted, display_name

MAX_PER_SOURCE = 5_000  # sidebar rows per source; search narrows big MPD libraries


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class BrowsingMixin:
    """Browsing (mixed into MainWindow)."""

    def refresh_library(self) -> None:
        """Reloads the sidebar (search applied) and keeps the open playlist selected."""
        search = self.sidebar.search.text().strip() or None
        totals = self.library.source_counts()
        rows = []
        for source in totals:
            rows += self.library.playlists(search, source=source, limit=MAX_PER_SOURCE)
        self.sidebar.model.set_rows(rows, totals if not search else None)
        self.sidebar.tree.expandAll() if search else self._expand_defaults()
        if self.playlist is not None:
            self.sidebar.select_playlist(self.playlist.id or -1)
        self.library_refreshed.emit()

    def _expand_defaults(self) -> None:
        model = self.sidebar.model
        for source in SOURCES:
            if not ownership(source).personal:  # datasets and the demo stay folded
                continue
            self.sidebar.tree.expand(model.source_index(source))
        if model.rowCount() == 1:
            self.sidebar.tree.expand(model.index(0, 0))

    def start(self) -> None:
        """First-start work: demo catalog into an empty library, model warm-up."""
        if self.library.count_playlists() == 0:
            self.statusBar().showMessage("Preparing the demo library (first start)…")
            self.worker.submit(
                tasks.ensure_demo_task,
                self.library_path,
                on_progress=lambda e: self.statusBar().showMessage(
                    "Preparing the demo library: " + e.describe()
                ),
                on_result=lambda _r: self._library_ready(),
                name="demo",
            )
        else:
            self._library_ready()
        self.worker.submit(
            tasks.warm_up_task,
            str(active_checkpoint_path(self.settings)),
            self.settings.device,
            on_result=self._warmed_up,
            on_error=lambda _e: None,  # the recommendation job reports it, once
            name="warm-up",
        )

    def _library_ready(self) -> None:
        self.statusBar().showMessage("Ready", 3000)
        self.refresh_library()
        last = QSettings(str(config.config_dir() / "window.ini"), QSettings.Format.IniFormat)
        wanted = last.value("last_playlist")
        if wanted is not None and self.sidebar.select_playlist(int(wanted)):
            return
        # The biggest of the first playlists shows what the app does; the alphabetically
        # first demo playlist ("5k (15)") had 15 tracks and an odd name.
        first = self.library.playlists(limit=MAX_PER_SOURCE)
        if first:
            self.sidebar.select_playlist(max(first, key=lambda p: p.num_tracks).id)

    def open_playlist(self, playlist_id: int) -> None:
        try:
            playlist = self.library.playlist(playlist_id)
        except AssistantError as exc:
            self.show_error(exc)
            return
        same = self.playlist is not None and self.playlist.id == playlist_id
        self.playlist = playlist
        known = self.library.tracks(playlist.track_uris)
        self.tracks = [known.get(u) or Track(u) for u in playlist.track_uris]
        self.playlist_panel.model.editable = ownership(playlist.source).editable
        self.playlist_panel.model.set_rows(self.tracks)
        self.playlist_panel.title.setText(f"<h3>{_esc(display_name(playlist.name))}</h3>")
        if not same:
            self.origin = self.library.playlist_origin(playlist_id)
            self.coverage = ""
            self.playlist_panel.model.set_unknown([])
            if not playlist.track_uris:  # nothing to recommend from: offer the search
                self.lower_tabs.setCurrentWidget(self.find)
        else:
            self.playlist_panel.model.set_unknown(self.playlist_panel.model.unknown)
        self._show_details()
        self.sidebar.select_playlist(playlist_id)
        if not same:
            self.recs.model.set_rows([])
            self.explanation.show_recommendation(None)
            self.explanation.set_runs(self.library.recommendation_runs(playlist_id))
            QSettings(str(config.config_dir() / "window.ini"), QSettings.Format.IniFormat).setValue(
                "last_playlist", playlist_id
            )
        self.playlist_changed()
        self.update_actions()
        self.playlist_opened.emit(playlist_id)

    def _show_details(self) -> None:
        """The lines under the title: where the playlist comes from, its size, and how
        much of it the active model knows."""
        playlist = self.playlist
        if playlist is None:
            self.playlist_panel.subtitle.setText("")
            return
        label = SOURCE_LABELS.get(playlist.source, playlist.source)
        minutes = sum(t.duration_ms for t in self.tracks) // 60_000
        first = [label, counted(len(self.tracks), "track"), f"{minutes} min"]
        origin = self.origin
        if origin is not None:
            when = _dt.datetime.fromtimestamp(origin[2]).strftime("%Y-%m-%d")
            first.append(f"imported {when} from {Path(origin[1]).name or origin[1]}")
        if playlist.num_followers:
            first.append(counted(playlist.num_followers, "follower"))
        if not ownership(playlist.source).editable:
            first.append("editing makes a local copy")
        lines = [" · ".join(first)]
        description = " ".join(playlist.description.split())
        if description:
            lines.append(description if len(description) <= 160 else description[:157] + "…")
        if self.coverage:
            lines.append(self.coverage)
        self.playlist_panel.subtitle.setText("\n".join(lines))
