"""The main window: library sidebar, the open playlist, recommendations, explanation.

The window owns the UI thread's :class:`Library` (reads and small playlist edits) and the
:class:`Worker` (everything long). Recommendations refresh 300 ms after the playlist last
changed; each request carries a version number and an answer for an older version is
dropped, so the panel never shows proposals for a playlist that is no longer there.

The package splits the window by concern, one mixin per module (after Picard's
``ui/mainwindow/``): ``layout`` (widgets and wiring), ``browsing`` (sidebar, opening a
playlist), ``editing`` (undoable edits), ``scheduling`` (recommendation jobs), ``filters``
(per-artist cap, blocked artists), ``model`` (the active checkpoint), ``finding`` (track
search, Open in Spotify), ``state`` (enabled actions, geometry and widths kept). This
module holds the state they share and the one way errors are shown.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QMainWindow,
    QMessageBox,
)

from assistant.config import Settings
from assistant.domain import Playlist, Track
from assistant.errors import AssistantError, Cancelled
from assistant.store.library import Library
from assistant.ui import actions as window_actions
from assistant.ui.explanation_view import ExplanationView
from assistant.ui.mainwindow.browsing import BrowsingMixin
from assistant.ui.mainwindow.editing import EditingMixin
from assistant.ui.mainwindow.filters import FiltersMixin
from assistant.ui.mainwindow.finding import FindingMixin
from assistant.ui.mainwindow.layout import LayoutMixin
from assistant.ui.mainwindow.model import ModelMixin
from assistant.ui.mainwindow.scheduling import SchedulingMixin
from assistant.ui.mainwindow.state import WindowStateMixin
from assistant.ui.panels import (
    LibrarySidebar,
    PlaylistPanel,
    RecommendationsPanel,
)
from assistant.ui.track_search import TrackSearchPanel
from assistant.ui.undo import (
    PlaylistRef,
)
from assistant.ui.worker import Job, Worker

__all__ = ["MainWindow"]


class MainWindow(
    LayoutMixin,
    BrowsingMixin,
    EditingMixin,
    SchedulingMixin,
    FiltersMixin,
    ModelMixin,
    FindingMixin,
    WindowStateMixin,
    QMainWindow,
):
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
    models_scored = Signal(object)

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
        self.viewing_run: int | None = None  # a past run shown instead of live proposals
        self.coverage = ""  # "The model knows 14 of 15 tracks (93%)", after scoring
        self.origin: tuple[str, str, float] | None = None  # the open playlist's import
        self.model_name = ""
        self.device_name = settings.device
        self.closed = False  # set by closeEvent: late job results are dropped then
        self._open_errors: dict[str, QMessageBox] = {}
        self.ask = self._ask  # replaced in tests: (title, text) -> bool
        self.confirm = self._confirm  # replaced in tests: (title, text, accept) -> bool
        self._refs: list[PlaylistRef] = []
        self.blocked = self._load_blocked()

        self.setWindowTitle("Playlist Assistant")
        self.setAccessibleName("Playlist Assistant")
        self.sidebar = LibrarySidebar()
        self.playlist_panel = PlaylistPanel()
        self.recs = RecommendationsPanel()
        self.explanation = ExplanationView()
        self.find = TrackSearchPanel()
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
