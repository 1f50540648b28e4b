"""The window's layout: splitters, panels and tabs, status bar, and the signal wiring.

A mixin of :class:`~assistant.ui.mainwindow.MainWindow`; the window holds the state.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

MIN_WIDTH, MIN_HEIGHT = 960, 600  # below this the three panels stop being usable


class LayoutMixin:
    """The window's layout (mixed into MainWindow)."""

    def _build_layout(self) -> None:
        middle = QSplitter(Qt.Orientation.Vertical)
        middle.addWidget(self.playlist_panel)
        # Proposals and "Find a track" share the lower half: both feed the playlist above.
        self.lower_tabs = QTabWidget()
        self.lower_tabs.setDocumentMode(True)
        self.lower_tabs.addTab(self.recs, "Recommendations")
        self.lower_tabs.addTab(self.find, "Find a track")
        middle.addWidget(self.lower_tabs)
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
        # All three grow with the window (the sidebar too: at 1920 px it stayed 250 px).
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setChildrenCollapsible(False)
        self.sidebar.setMinimumWidth(160)
        middle.setMinimumWidth(360)
        right.setMinimumWidth(240)
        self.setMinimumSize(MIN_WIDTH, MIN_HEIGHT)
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
        self.recs.train_requested.connect(lambda: self.act_train.trigger())
        self.recs.back_to_live.clicked.connect(self.playlist_changed)
        self.find.search_requested.connect(self.search_tracks)
        self.playlist_panel.open_in_spotify.connect(self.open_track_in_spotify)
        self.recs.open_in_spotify.connect(self.open_track_in_spotify)
        self.sidebar.open_in_spotify.connect(self.open_playlist_in_spotify)
        self.sidebar.can_open = lambda pid: self.spotify_playlist_url(pid) is not None
        self.find.add_requested.connect(self.add_found_tracks)
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
