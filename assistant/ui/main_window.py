"""The main window: library sidebar, the open playlist, recommendations, explanation.

The window owns the UI thread's :class:`Library` (reads and small playlist edits) and the
:class:`Worker` (everything long). Recommendations refresh 300 ms after the playlist last
changed; each request carries a version number and an answer for an older version is
dropped, so the panel never shows proposals for a playlist that is no longer there.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from assistant import config
from assistant.config import Settings, save_settings
from assistant.domain import Playlist, Track
from assistant.errors import AssistantError, Cancelled
from assistant.jobs.checkpoints import active_checkpoint_path, set_active
from assistant.store.library import Library
from assistant.ui import actions as window_actions
from assistant.ui import jobs
from assistant.ui.commands import SetTracksCommand, added, moved, removed
from assistant.ui.explanation_view import ExplanationView
from assistant.ui.panels import LibrarySidebar, PlaylistPanel, RecommendationsPanel
from assistant.ui.table_models import SOURCE_LABELS, RecommendationRow
from assistant.ui.worker import Job, Worker

BLOCKED_META_KEY = "ui.blocked_artists"
MAX_PER_SOURCE = 5_000  # sidebar rows per source; search narrows big MPD libraries


class MainWindow(QMainWindow):
    """The Playlist Assistant window.

    Args:
        library_path: the SQLite library file.
        settings: the person's settings (saved with ``assistant.config.save_settings``).

    Signals:
        recommendations_shown(object): a RecommendationBatch reached the panel.
        library_refreshed(): the sidebar was reloaded.
        error_shown(str): ``show_error`` displayed a message.
        playlist_opened(int): a playlist is open in the middle panel.
    """

    recommendations_shown = Signal(object)
    library_refreshed = Signal()
    error_shown = Signal(str)
    playlist_opened = Signal(int)
    model_changed = Signal(str)

    def __init__(self, library_path: str | Path, settings: Settings) -> None:
        super().__init__()
        self.library_path = Path(library_path)
        self.settings = settings
        self.library = Library(self.library_path)
        self.worker = Worker(error_handler=self.show_error, parent=self)
        self.undo_stack = QUndoStack(self)
        self.playlist: Playlist | None = None
        self.tracks: list[Track] = []
        self.version = 0
        self.stale_dropped = 0
        self.rec_job: Job | None = None
        self.model_name = ""
        self.device_name = settings.device
        self.closed = False  # set by closeEvent: late job results are dropped then
        self._open_errors: dict[str, QMessageBox] = {}
        self.ask = self._ask  # replaced in tests: (title, text) -> bool
        self.blocked = self._load_blocked()

        self.setWindowTitle("Playlist Assistant")
        self.setAccessibleName("Playlist Assistant")
        self.sidebar = LibrarySidebar()
        self.playlist_panel = PlaylistPanel()
        self.recs = RecommendationsPanel()
        self.explanation = ExplanationView()
        self._build_layout()

        self.rec_timer = QTimer(self, singleShot=True, interval=300)
        self.rec_timer.timeout.connect(self.request_recommendations)
        self.search_timer = QTimer(self, singleShot=True, interval=200)
        self.search_timer.timeout.connect(self.refresh_library)

        window_actions.install(self)
        self._connect()
        self._build_status_bar()
        self.recs.per_artist.setValue(settings.max_per_artist)
        self.recs.set_blocked(sorted(self.blocked.values()))
        self._restore_geometry()
        self._install_extensions()
        self.update_model_status()

    # -- layout --------------------------------------------------------------------------

    def _build_layout(self) -> None:
        middle = QSplitter(Qt.Orientation.Vertical)
        middle.addWidget(self.playlist_panel)
        middle.addWidget(self.recs)
        middle.setStretchFactor(0, 1)
        middle.setStretchFactor(1, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(QLabel("<b>Why this track?</b>"))
        right_layout.addWidget(self.explanation, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(middle)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([250, 640, 390])
        self.middle_splitter = middle
        container = QWidget()
        layout = QVBoxLayout(container)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.splitter)
        self.setCentralWidget(container)

    def _build_status_bar(self) -> None:
        self.model_label = QLabel()
        self.model_label.setAccessibleName("Active model")
        self.device_label = QLabel()
        self.device_label.setAccessibleName("Device")
        self.statusBar().addPermanentWidget(self.model_label)
        self.statusBar().addPermanentWidget(self.device_label)

    def _connect(self) -> None:
        self.sidebar.playlist_selected.connect(self.open_playlist)
        self.sidebar.search_changed.connect(lambda _t: self.search_timer.start())
        self.recs.selection_changed.connect(self.explanation.show_recommendation)
        self.recs.block_artist_requested.connect(self.block_artist)
        self.recs.clear_blocked.clicked.connect(self.clear_blocked)
        self.recs.filters_changed.connect(self._filters_changed)
        self.recs.add_button.clicked.connect(self.add_selected_recommendations)
        self.recs.view.doubleClicked.connect(lambda _i: self.add_selected_recommendations())
        self.playlist_panel.model.move_requested.connect(self.move_tracks)
        self.explanation.run_reopen_requested.connect(self.reopen_run)
        self.playlist_panel.view.selectionModel().selectionChanged.connect(
            lambda *_: self.update_actions()
        )
        self.recs.view.selectionModel().selectionChanged.connect(lambda *_: self.update_actions())
        self.undo_stack.cleanChanged.connect(lambda *_: self.update_actions())

    def _install_extensions(self) -> None:
        """The Spotify menu."""
        from assistant.ui import spotify_dialogs

        spotify_dialogs.install(self)

    # -- the interface other parts use --------------------------------------------------

    def current_playlist_id(self) -> int | None:
        return self.playlist.id if self.playlist else None

    def show_error(self, exc: BaseException | str) -> None:
        """The one place errors are shown: the core's message, once, non-blocking."""
        if isinstance(exc, Cancelled):
            self.statusBar().showMessage(str(exc), 5000)
            return
        if isinstance(exc, (AssistantError, str)):
            text = str(exc)
        else:
            text = f"Unexpected error: {exc.__class__.__name__}: {exc}\nPlease report this."
        self.error_shown.emit(text)
        if text in self._open_errors:  # the same message is already on screen
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Playlist Assistant", text, parent=self)
        box.setAccessibleName("Error")
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _r: self._open_errors.pop(text, None))
        self._open_errors[text] = box
        box.open()

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
        for source in ("local", "spotify", "file"):
            self.sidebar.tree.expand(model.source_index(source))
        if model.rowCount() == 1:
            self.sidebar.tree.expand(model.index(0, 0))

    # -- start -----------------------------------------------------------------------------

    def start(self) -> None:
        """First-start work: demo catalog into an empty library, model warm-up."""
        if self.library.count_playlists() == 0:
            self.statusBar().showMessage("Preparing the demo library (first start)…")
            self.worker.submit(
                jobs.ensure_demo_job,
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
            jobs.warm_up_job,
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
        first = self.library.playlists(limit=1)
        if first:
            self.sidebar.select_playlist(first[0].id)

    def _warmed_up(self, info: tuple[str, str]) -> None:
        self.model_name, self.device_name = info
        self.update_model_status()

    def update_model_status(self) -> None:
        if self.closed:
            return
        path = active_checkpoint_path(self.settings)
        name = self.model_name or path.stem
        self.model_label.setText(f"Model: {name} ({path.name})")
        self.model_label.setToolTip(str(path))
        self.device_label.setText(f"Device: {self.device_name}")
        window_actions.rebuild_model_menu(self)

    # -- playlists ------------------------------------------------------------------------

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
        self.playlist_panel.model.editable = playlist.source == "local"
        self.playlist_panel.model.set_rows(self.tracks)
        label = SOURCE_LABELS.get(playlist.source, playlist.source)
        self.playlist_panel.title.setText(f"<h3>{_esc(playlist.name)}</h3>")
        minutes = sum(t.duration_ms for t in self.tracks) // 60_000
        note = "" if playlist.source == "local" else " · editing makes a local copy"
        self.playlist_panel.subtitle.setText(
            f"{label} · {len(self.tracks)} tracks · {minutes} min{note}"
        )
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

    def playlist_changed(self) -> None:
        """The playlist (or a filter) changed: new proposals after a short pause."""
        self.version += 1
        self.recs.state.setText("updating…")
        self.rec_timer.start()

    def apply_tracks(self, playlist_id: int, uris: list[str]) -> None:
        """Writes a playlist's tracks (undo commands call this) and shows the result."""
        try:
            self.library.set_playlist_tracks(playlist_id, uris)
        except AssistantError as exc:
            self.show_error(exc)
            return
        # Hide what was just added at once; the debounced refresh brings new ones.
        present = set(uris)
        kept = [r for r in self.recs.model.rows() if r.uri not in present]
        if len(kept) != self.recs.model.rowCount():
            self.recs.model.set_rows(kept)
        self.open_playlist(playlist_id)
        self.refresh_library()

    def editable_playlist(self) -> Playlist | None:
        """The open playlist if it may be edited; offers a local copy of an imported one."""
        if self.playlist is None:
            return None
        if self.playlist.source == "local":
            return self.playlist
        source = SOURCE_LABELS.get(self.playlist.source, self.playlist.source)
        if not self.ask(
            "Edit a copy?",
            f"“{self.playlist.name}” comes from {source} and is kept as imported.\n"
            "Save it as a local playlist and edit that copy?",
        ):
            return None
        new_id = self.library.create_local_playlist(
            f"{self.playlist.name} (copy)", self.playlist.track_uris
        )
        self.refresh_library()
        self.open_playlist(new_id)
        return self.playlist

    def edit_tracks(self, after: list[str], text: str) -> None:
        playlist = self.editable_playlist()
        if playlist is None or playlist.id is None or after == playlist.track_uris:
            return
        self.undo_stack.push(
            SetTracksCommand(self.apply_tracks, playlist.id, playlist.track_uris, after, text)
        )

    def add_selected_recommendations(self) -> None:
        rows = self.recs.selected() or ([self.recs.current()] if self.recs.current() else [])
        if not rows or self.playlist is None:
            return
        # Before editable_playlist(): making a local copy clears the panel.
        uris = [r.uri for r in rows]
        playlist = self.editable_playlist()
        if playlist is None:
            return
        n = len(uris)
        self.edit_tracks(added(playlist.track_uris, uris), f"Add {n} track{'s' * (n != 1)}")

    def remove_selected_tracks(self) -> None:
        rows = self.playlist_panel.selected_rows()
        if rows and self.playlist is not None:
            n = len(rows)
            self.edit_tracks(
                removed(self.playlist.track_uris, rows), f"Remove {n} track{'s' * (n != 1)}"
            )

    def move_tracks(self, rows: list[int], dest: int) -> None:
        if self.playlist is not None:
            before = list(self.playlist.track_uris)
            self.edit_tracks(moved(before, rows, dest), "Move tracks")
            self._select_tracks(before, rows, dest)

    def move_selected(self, delta: int) -> None:
        rows = self.playlist_panel.selected_rows()
        if not rows or self.playlist is None:
            return
        dest = rows[0] - 1 if delta < 0 else rows[-1] + 2
        if dest < 0 or dest > len(self.playlist.track_uris):
            return
        self.move_tracks(rows, dest)

    def _select_tracks(self, uris: list[str], rows: list[int], dest: int) -> None:
        """Keeps the moved tracks selected at their new places."""
        picked = {uris[r] for r in rows if r < len(uris)}
        model = self.playlist_panel.model
        selection = QItemSelection()
        for i, track in enumerate(self.tracks):
            if track.uri in picked:
                selection.select(model.index(i, 0), model.index(i, model.columnCount() - 1))
        self.playlist_panel.view.selectionModel().select(
            selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def new_playlist(self, from_selection: bool = False) -> int | None:
        uris: list[str] = []
        if from_selection:
            uris = [r.uri for r in self.recs.selected()]
            if self.playlist is not None and self.playlist_panel.selected_rows():
                uris = [self.tracks[r].uri for r in self.playlist_panel.selected_rows()] + uris
        name, ok = self.get_text("New playlist", "Name:", "New playlist")
        if not ok or not name.strip():
            return None
        new_id = self.library.create_local_playlist(name.strip(), list(dict.fromkeys(uris)))
        self.undo_stack.clear()
        self.refresh_library()
        self.open_playlist(new_id)
        return new_id

    def get_text(self, title: str, label: str, text: str) -> tuple[str, bool]:
        return QInputDialog.getText(self, title, label, text=text)

    def rename_playlist(self) -> None:
        if self.playlist is None or self.playlist.id is None:
            return
        name, ok = self.get_text("Rename playlist", "Name:", self.playlist.name)
        if ok and name.strip():
            self.library.rename_playlist(self.playlist.id, name.strip())
            self.open_playlist(self.playlist.id)
            self.refresh_library()

    def delete_playlist(self) -> None:
        if self.playlist is None or self.playlist.id is None:
            return
        if not self.ask("Delete playlist?", f"Delete “{self.playlist.name}” from the library?"):
            return
        self.library.delete_playlist(self.playlist.id)
        self.undo_stack.clear()
        self.playlist = None
        self.tracks = []
        self.playlist_panel.model.set_rows([])
        self.playlist_panel.title.setText("<h3>No playlist open</h3>")
        self.playlist_panel.subtitle.setText("")
        self.recs.model.set_rows([])
        self.explanation.show_recommendation(None)
        self.refresh_library()
        self.update_actions()

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    # -- recommendations --------------------------------------------------------------------

    def request_recommendations(self) -> None:
        """Starts a scoring job for the open playlist's current version (off the UI thread)."""
        if self.playlist is None or self.playlist.id is None:
            return
        if self.rec_job is not None and not self.rec_job.done:
            self.rec_job.cancel()  # its answer would be stale anyway
        self.recs.state.setText("scoring…")
        self.rec_job = self.worker.submit(
            jobs.recommend_job,
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

    def show_recommendations(self, batch: jobs.RecommendationBatch) -> None:
        if (
            self.closed
            or self.playlist is None
            or batch.playlist_id != self.playlist.id
            or batch.version != self.version
        ):
            self.stale_dropped += 1  # an answer for an older playlist: never shown
            return
        self._show_rows(batch.rows)
        self.model_name = batch.model or self.model_name
        self.update_model_status()
        unknown = (
            f" · {len(batch.unknown_seeds)} track(s) unknown to the model"
            if batch.unknown_seeds
            else ""
        )
        self.recs.state.setText(f"{len(batch.rows)} proposals by {batch.model}{unknown}")
        self.explanation.set_runs(batch.runs)
        self.recommendations_shown.emit(batch)

    def _show_rows(self, rows: list[RecommendationRow]) -> None:
        current = self.recs.current()
        self.recs.model.set_rows(rows)
        if rows:
            keep = next((i for i, r in enumerate(rows) if current and r.uri == current.uri), 0)
            self.recs.view.selectRow(keep)
        else:
            self.explanation.show_recommendation(None)
        self.update_actions()

    def _recommendation_failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            return
        self.recs.state.setText("no proposals (see the error)")
        self.show_error(exc)

    def reopen_run(self, run_id: int) -> None:
        def done(rows: list[RecommendationRow]) -> None:
            self.version += 1  # a pending refresh must not overwrite the reopened run
            self.rec_timer.stop()
            self._show_rows(rows)
            self.recs.state.setText(f"past run {run_id} ({len(rows)} proposals)")

        self.worker.submit(jobs.reopen_run_job, self.library_path, run_id, on_result=done)

    def _filters_changed(self) -> None:
        self.settings.max_per_artist = self.recs.per_artist.value()
        save_settings(self.settings)
        self.playlist_changed()

    def block_artist(self, key: str, name: str) -> None:
        self.blocked[key] = name
        self._save_blocked()
        self.recs.model.set_rows(
            [
                r
                for r in self.recs.model.rows()
                if (r.track.artist_uri or r.track.artist_name) != key
            ]
        )
        self.playlist_changed()

    def clear_blocked(self) -> None:
        self.blocked.clear()
        self._save_blocked()
        self.playlist_changed()

    def _load_blocked(self) -> dict[str, str]:
        with contextlib.suppress(ValueError, TypeError):
            return dict(json.loads(self.library.get_meta(BLOCKED_META_KEY) or "{}"))
        return {}

    def _save_blocked(self) -> None:
        self.library.set_meta(BLOCKED_META_KEY, json.dumps(self.blocked))
        self.recs.set_blocked(sorted(self.blocked.values()))

    # -- model ---------------------------------------------------------------------------

    def choose_checkpoint(self, path: str | Path) -> None:
        """The Model menu's switch: the worker validates and registers the file first (as
        ``playlist-assistant use`` does); a corrupt or foreign file is refused, the active
        model stays."""
        self.worker.submit(
            jobs.activate_checkpoint_job,
            self.library_path,
            str(path),
            on_result=self.set_active_checkpoint,
            on_error=self._checkpoint_refused,
            name="activate",
        )

    def _checkpoint_refused(self, exc: BaseException) -> None:
        self.show_error(exc)
        window_actions.rebuild_model_menu(self)  # the check mark goes back

    def set_active_checkpoint(self, path: str | Path | None) -> None:
        """Switches the model (None or the bundled path: the bundled one) and rescores."""
        set_active(self.settings, path)
        self.model_name = ""
        self.update_model_status()
        self.model_changed.emit(str(active_checkpoint_path(self.settings)))
        self.worker.submit(
            jobs.warm_up_job,
            str(active_checkpoint_path(self.settings)),
            self.settings.device,
            on_result=self._warmed_up,
            on_error=lambda _e: None,
        )
        self.playlist_changed()

    # -- window state --------------------------------------------------------------------------

    def update_actions(self) -> None:
        window_actions.update(self)

    def _restore_geometry(self) -> None:
        qs = QSettings(str(config.config_dir() / "window.ini"), QSettings.Format.IniFormat)
        geometry = qs.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = qs.value("state")
        if state is not None:
            self.restoreState(state)
        sizes = qs.value("splitter")
        if sizes is not None:
            self.splitter.restoreState(sizes)

    def closeEvent(self, event: QCloseEvent) -> None:
        qs = QSettings(str(config.config_dir() / "window.ini"), QSettings.Format.IniFormat)
        qs.setValue("geometry", self.saveGeometry())
        qs.setValue("state", self.saveState())
        qs.setValue("splitter", self.splitter.saveState())
        qs.sync()
        self.worker.shutdown()
        # Results of jobs that finished during the shutdown still arrive (queued signals):
        # they must not touch the closed library.
        self.closed = True
        self.library.close()
        super().closeEvent(event)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
