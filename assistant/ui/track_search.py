"""Find a track: a search box over the library's tracks whose results go into the playlist.

The query runs in the worker (``tasks.search_tracks_task``, SQLite FTS5) 150 ms
after the last key; an answer for older text is dropped. The panel only shows rows and
says what the person asked for; the window adds them with an undoable command.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.domain import Track
from assistant.ui.panels import ColumnFitter, SortableTable, table
from assistant.ui.table_models import TracksModel, counted

SEARCH_LIMIT = 200


class TrackSearchPanel(QWidget):
    """Search box, results, "Add to playlist".

    Signals:
        search_requested(str, int): (text, version) — the window runs the query.
        add_requested(list): the chosen Tracks, to add to the open playlist.
    """

    search_requested = Signal(str, int)
    add_requested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.version = 0
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find a track by title, artist or album (Ctrl+Shift+F)")
        self.search.setAccessibleName("Find a track")
        self.search.setClearButtonEnabled(True)
        self.timer = QTimer(self, singleShot=True, interval=150)
        self.timer.timeout.connect(self._request)
        self.search.textChanged.connect(lambda _t: self.timer.start())
        self.search.returnPressed.connect(self._request)
        self.state = QLabel("")
        self.state.setAccessibleName("Search status")
        self.model = TracksModel(self)
        self.table = SortableTable(table("Found tracks"), self.model)
        self.view = self.table.view
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(1, 160)
        header.resizeSection(2, 160)
        header.resizeSection(3, self.view.fontMetrics().horizontalAdvance("00:00") + 24)
        self.fitter = ColumnFitter(self.view, 0, (1, 2))
        self.view.doubleClicked.connect(lambda _i: self._add())
        self.add_button = QPushButton("Add to playlist")
        self.add_button.setAccessibleName("Add the selected found tracks to the playlist")
        self.add_button.setToolTip("Add the selected tracks to the open playlist (Return)")
        self.add_button.clicked.connect(self._add)
        self.add_button.setEnabled(False)
        self.view.selectionModel().selectionChanged.connect(
            lambda *_: self.add_button.setEnabled(bool(self.selected()))
        )
        bottom = QHBoxLayout()
        bottom.addWidget(self.state, 1)
        bottom.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)

    def focus(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _request(self) -> None:
        self.timer.stop()
        text = self.search.text().strip()
        self.version += 1
        if not text:
            self.model.set_rows([])
            self.state.setText("")
            return
        self.state.setText("searching…")
        self.search_requested.emit(text, self.version)

    def show_results(self, version: int, tracks: list[Track]) -> bool:
        """Shows a query's answer; False (and nothing shown) when the text changed since."""
        if version != self.version:
            return False
        self.model.set_rows(tracks)
        if tracks:
            self.view.selectRow(0)
        more = " (the first ones; type more words to narrow)" if len(tracks) >= SEARCH_LIMIT else ""
        self.state.setText(
            f"{counted(len(tracks), 'track')} found{more}" if tracks else "No track found."
        )
        return True

    def selected(self) -> list[Track]:
        return [self.model.row_at(r) for r in self.table.selected_rows()]

    def _add(self) -> None:
        tracks = self.selected()
        if tracks:
            self.add_requested.emit(tracks)
