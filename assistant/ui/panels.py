"""The window's three working panels: library sidebar, playlist tracks, recommendations.

Each panel is layout and signals only; the window decides what happens (loads rows,
pushes undo commands, starts jobs).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from assistant.ui.delegates import BarDelegate
from assistant.ui.links import spotify_url
from assistant.ui.table_models import (
    SORT_ROLE,
    PlaylistTracksModel,
    PlaylistTreeModel,
    RecommendationRow,
    RecommendationsModel,
    counted,
)

FLASH_MS = 1500  # how long just-added tracks stay highlighted


def table(name: str) -> QTableView:
    view = QTableView()
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    return view


class SortableTable:
    """A table view over a sorting proxy: clicking a header sorts the *view* only.

    The rows' own order (playlist order, the model's ranking) stays in the source model;
    every row number this class hands out or takes is a source row. Sorting by the first
    column ("#") gives the own order back.
    """

    def __init__(self, view: QTableView, source: QAbstractItemModel) -> None:
        self.view = view
        self.source = source
        self.proxy = QSortFilterProxyModel(view)
        self.proxy.setSourceModel(source)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)
        view.setModel(self.proxy)
        view.setSortingEnabled(True)
        view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        view.horizontalHeader().setSortIndicatorClearable(True)

    def in_own_order(self) -> bool:
        column = self.proxy.sortColumn()
        return column < 0 or (column == 0 and self.proxy.sortOrder() == Qt.SortOrder.AscendingOrder)

    def source_row(self, index: QModelIndex) -> int:
        return self.proxy.mapToSource(index).row() if index.isValid() else -1

    def selected_rows(self) -> list[int]:
        return sorted(self.source_row(i) for i in self.view.selectionModel().selectedRows())

    def current_row(self) -> int | None:
        index = self.view.currentIndex()
        return self.source_row(index) if index.isValid() else None

    def select_rows(self, rows: list[int], *, current: bool = True) -> None:
        """Selects source rows (whole rows), the first one current."""
        selection = QItemSelection()
        last = self.source.columnCount() - 1
        for r in rows:
            left = self.proxy.mapFromSource(self.source.index(r, 0))
            right = self.proxy.mapFromSource(self.source.index(r, last))
            selection.select(left, right)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        model = self.view.selectionModel()
        if current and rows:
            first = self.proxy.mapFromSource(self.source.index(rows[0], 0))
            model.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
        model.select(selection, flags)


class ColumnFitter(QObject):
    """Keeps a table's stretching column readable in narrow windows.

    The stretch column (Title) takes what is left; the other text columns keep the width
    the person gave them (``preferred``) unless that would squeeze the stretch column
    below half the table, in which case they share the other half. Dragging a column
    edge sets its preferred width.
    """

    def __init__(self, view: QTableView, stretch: int, flexible: tuple[int, ...]) -> None:
        super().__init__(view)
        self.view = view
        self.stretch = stretch
        self.flexible = flexible
        self.header = view.horizontalHeader()
        self.preferred = {c: self.header.sectionSize(c) for c in flexible}
        self._fitting = False
        self.header.sectionResized.connect(self._resized)
        view.viewport().installEventFilter(self)

    def set_preferred(self, widths: dict[int, int]) -> None:
        self.preferred.update({c: w for c, w in widths.items() if c in self.flexible and w > 0})
        self.fit()

    def _resized(self, column: int, _old: int, new: int) -> None:
        if not self._fitting and column in self.flexible:
            self.preferred[column] = new

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        fixed = sum(
            self.header.sectionSize(c)
            for c in range(self.header.count())
            if c != self.stretch and c not in self.flexible
        )
        room = max(0, self.view.viewport().width() - fixed) // 2
        wanted = sum(self.preferred.values()) or 1
        scale = min(1.0, room / wanted)
        self._fitting = True
        try:
            for c, width in self.preferred.items():
                self.header.resizeSection(c, max(48, int(width * scale)))
        finally:
            self._fitting = False


class LibrarySidebar(QWidget):
    """Search box over a sources → playlists tree.

    Signals:
        playlist_selected(int): a playlist row was chosen.
        search_changed(str): the search text changed (the window debounces).
    """

    playlist_selected = Signal(int)
    search_changed = Signal(str)
    open_in_spotify = Signal(int)  # a playlist id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search playlists (Ctrl+F)")
        self.search.setAccessibleName("Search playlists")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.search_changed)
        self.model = PlaylistTreeModel(self)
        self.tree = QTreeView()
        self.tree.setAccessibleName("Library: sources and playlists")
        self.tree.setModel(self.model)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.can_open: Callable[[int], bool] = lambda _id: False  # set by the window
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        summary = self.model.playlist_at(current)
        if summary is not None:
            self.playlist_selected.emit(summary.id)

    def context_menu(self, index: QModelIndex) -> QMenu | None:
        """The menu of a playlist row (built apart from showing it, for tests)."""
        summary = self.model.playlist_at(index)
        if summary is None:
            return None
        menu = QMenu(self)
        action = menu.addAction("Open in Spotify")
        action.setEnabled(self.can_open(summary.id))
        action.triggered.connect(lambda: self.open_in_spotify.emit(summary.id))
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu(self.tree.indexAt(pos))
        if menu is not None:
            menu.exec(self.tree.viewport().mapToGlobal(pos))

    def select_playlist(self, playlist_id: int) -> bool:
        """Selects (and shows) a playlist in the tree without emitting twice.

        A row that is already current (the person just clicked it) is never scrolled:
        moving it during the click put another row under the pointer, and that row got
        the highlight while the clicked playlist opened. Other rows scroll only as far as
        needed to be visible.
        """
        index = self.model.index_of_playlist(playlist_id)
        if not index.isValid():
            return False
        self.tree.expand(index.parent())
        if self.tree.currentIndex() != index:
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        return True


class PlaylistPanel(QWidget):
    """The open playlist: its name and details, then its tracks.

    Signals:
        open_in_spotify(str): a track URI to show on open.spotify.com.
    """

    open_in_spotify = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.extra_actions: list[QAction] = []
        self.title = QLabel("<h3>No playlist open</h3>")
        self.title.setAccessibleName("Open playlist")
        self.subtitle = QLabel("")
        self.subtitle.setWordWrap(True)
        self.model = PlaylistTracksModel(self)
        self.view = table("Tracks of the open playlist")
        self.table = SortableTable(self.view, self.model)
        self.view.horizontalHeader().sortIndicatorChanged.connect(self._sorted)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        digits = self.view.fontMetrics().horizontalAdvance("0000") + 16
        header.resizeSection(0, digits)
        header.resizeSection(2, 160)
        header.resizeSection(3, 160)
        header.resizeSection(4, self.view.fontMetrics().horizontalAdvance("00:00") + 24)
        self.fitter = ColumnFitter(self.view, 1, (2, 3))
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.flash_timer = QTimer(self, singleShot=True)
        self.flash_timer.timeout.connect(lambda: self.model.set_highlighted([]))
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addLayout(self.buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.sort_note = QLabel(
            "Sorted for viewing; click “#” for the playlist's order (drag and drop works there)."
        )
        self.sort_note.setWordWrap(True)
        self.sort_note.hide()
        layout.addLayout(head)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.sort_note)
        layout.addWidget(self.view, 1)

    def add_button(self, action: QAction, text: str | None = None) -> QPushButton:
        button = QPushButton(text or action.text().replace("&", ""))
        if text and len(text) == 1:  # arrow buttons stay small
            button.setFixedWidth(button.sizeHint().height() + 8)
        button.setAccessibleName(action.text().replace("&", ""))
        button.setToolTip(action.toolTip())
        button.clicked.connect(action.trigger)
        action.enabledChanged.connect(button.setEnabled)
        button.setEnabled(action.isEnabled())
        self.buttons.addWidget(button)
        return button

    def selected_rows(self) -> list[int]:
        """Selected rows as positions in the playlist, whatever the view's sorting."""
        return self.table.selected_rows()

    def context_menu(self, index: QModelIndex) -> QMenu | None:
        """The menu of a track row (built apart from showing it, for tests)."""
        row = self.table.source_row(index)
        if row < 0:
            return None
        track = self.model.row_at(row)
        menu = QMenu(self)
        spotify = menu.addAction("Open in Spotify")
        spotify.setEnabled(spotify_url(track.uri) is not None)
        spotify.triggered.connect(lambda: self.open_in_spotify.emit(track.uri))
        if self.extra_actions:
            menu.addSeparator()
        for action in self.extra_actions:
            menu.addAction(action)
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu(self.view.indexAt(pos))
        if menu is not None:
            menu.exec(self.view.viewport().mapToGlobal(pos))

    def _sorted(self, *_: object) -> None:
        # Drag and drop sets the playlist's order: only offered when the view shows it.
        own = self.table.in_own_order()
        self.view.setDragDropMode(
            QAbstractItemView.DragDropMode.DragDrop
            if own
            else QAbstractItemView.DragDropMode.NoDragDrop
        )
        self.sort_note.setVisible(not own)

    def flash(self, uris: list[str], ms: int = FLASH_MS) -> None:
        """Highlights just-added tracks for a moment (and shows the first of them)."""
        if not uris:
            return
        self.model.set_highlighted(uris)
        first = next((i for i, t in enumerate(self.model.rows()) if t.uri in set(uris)), None)
        if first is not None:
            self.view.scrollTo(self.table.proxy.mapFromSource(self.model.index(first, 0)))
        self.flash_timer.start(ms)


class RecommendationsPanel(QWidget):
    """Ranked proposals with a score bar, filters, and "Add to playlist".

    Signals:
        selection_changed(object): the current RecommendationRow (or None).
        block_artist_requested(str, str): (artist key, artist name) from the context menu.
        filters_changed(): the per-artist limit changed.
        train_requested(): "Train on my library…" in the empty state was clicked.
    """

    selection_changed = Signal(object)
    block_artist_requested = Signal(str, str)
    filters_changed = Signal()
    train_requested = Signal()
    open_in_spotify = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("<b>Recommendations</b>")
        self.state = QLabel("")
        self.state.setAccessibleName("Recommendation status")
        self.model = RecommendationsModel(self)
        self.view = table("Recommended tracks")
        self.table = SortableTable(self.view, self.model)
        self.view.setItemDelegateForColumn(
            RecommendationsModel.SCORE_COLUMN, BarDelegate(self.view)
        )
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, self.view.fontMetrics().horizontalAdvance("0000") + 16)
        header.resizeSection(2, 170)
        header.resizeSection(3, 110)
        self.fitter = ColumnFitter(self.view, 1, (2,))
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)

        self.per_artist = QSpinBox()
        self.per_artist.setRange(0, 50)
        self.per_artist.setSpecialValueText("no limit")
        self.per_artist.setAccessibleName("Limit tracks per artist")
        self.per_artist.setToolTip("At most this many recommended tracks per artist (0 = no limit)")
        self.per_artist.valueChanged.connect(lambda _v: self.filters_changed.emit())
        self.blocked_label = QLabel("")
        self.clear_blocked = QPushButton("Clear blocked")
        self.clear_blocked.setAccessibleName("Clear blocked artists")
        self.clear_blocked.setToolTip("Show blocked artists again")
        self.add_button = QPushButton("Add to playlist")
        self.add_button.setAccessibleName("Add selected recommendations to the playlist")
        self.add_button.setToolTip("Add the selected tracks to the open playlist (Return)")
        self.extra_actions: list[QAction] = []
        self.back_to_live = QPushButton("Back to live")
        self.back_to_live.setAccessibleName("Back to live recommendations")
        self.back_to_live.setToolTip("Leave the past run and show proposals for the playlist now")
        self.back_to_live.hide()

        # Shown instead of the table when the model cannot help with this playlist.
        self.empty = QWidget()
        self.empty.setAccessibleName("No recommendations")
        self.empty_text = QLabel("")
        self.empty_text.setWordWrap(True)
        self.empty_text.setAccessibleName("Why there are no recommendations")
        self.train_button = QPushButton("Train on my library…")
        self.train_button.setAccessibleName("Train on my library")
        self.train_button.setToolTip("Train a model on the playlists of this library")
        self.train_button.clicked.connect(self.train_requested)
        empty_layout = QVBoxLayout(self.empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_text)
        empty_row = QHBoxLayout()
        empty_row.addWidget(self.train_button)
        empty_row.addStretch(1)
        empty_layout.addLayout(empty_row)
        empty_layout.addStretch(2)
        self.empty.hide()

        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.state, 1)
        head.addWidget(self.back_to_live)
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Max per artist:"))
        filters.addWidget(self.per_artist)
        filters.addWidget(self.blocked_label, 1)
        filters.addWidget(self.clear_blocked)
        filters.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty, 1)
        layout.addLayout(filters)
        self.set_blocked([])

    def clear_outcome(self) -> None:
        """Back to the plain table (no playlist, or a reopened past run)."""
        self.empty.hide()
        self.view.show()
        self.title.setText("<b>Recommendations</b>")
        self.state.setToolTip("")

    def show_outcome(self, kind: str, notice: str, count: int, model: str) -> None:
        """Header and body for a result: the model's proposals ("N of M tracks known"
        when only some are), the library's popular tracks (labelled so), or, when the
        model cannot help, the reason in plain words with "Train on my library…"."""
        cannot_help = kind == "none"
        self.empty.setVisible(cannot_help)
        self.view.setVisible(not cannot_help)
        self.empty_text.setText(notice)
        if cannot_help:
            self.title.setText("<b>Recommendations</b>")
            self.state.setText("no proposals: the active model does not know this playlist")
        elif kind == "popular":
            self.title.setText("<b>Popular in your library</b>")
            self.state.setText(f"{counted(count, 'track')} · the playlist is empty")
            self.state.setToolTip(notice)
        else:
            self.title.setText("<b>Recommendations</b>")
            known = f" · {notice}" if notice else ""
            self.state.setText(f"{counted(count, 'proposal')} by {model}{known}")
            self.state.setToolTip(notice)  # a narrow panel cuts the line; the tip keeps it

    def set_blocked(self, names: list[str]) -> None:
        self.blocked_label.setText(
            f"Blocked: {', '.join(names[:3])}{'…' if len(names) > 3 else ''}" if names else ""
        )
        self.blocked_label.setToolTip("\n".join(names))
        self.clear_blocked.setEnabled(bool(names))

    def selected(self) -> list[RecommendationRow]:
        return [self.model.row_at(r) for r in self.table.selected_rows()]

    def current(self) -> RecommendationRow | None:
        row = self.table.current_row()
        return self.model.row_at(row) if row is not None and row >= 0 else None

    def select_row(self, row: int) -> None:
        """Selects a proposal by its place in the ranking (not in the sorted view)."""
        self.table.select_rows([row])

    def _current_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        row = self.table.source_row(current)
        self.selection_changed.emit(self.model.row_at(row) if row >= 0 else None)

    def context_menu(self, index: QModelIndex) -> QMenu | None:
        """The menu of a proposal (built apart from showing it, for tests)."""
        source_row = self.table.source_row(index)
        if source_row < 0:
            return None
        row: RecommendationRow = self.model.row_at(source_row)
        menu = QMenu(self)
        for action in self.extra_actions:
            menu.addAction(action)
        spotify = menu.addAction("Open in Spotify")
        spotify.setEnabled(spotify_url(row.uri) is not None)
        spotify.triggered.connect(lambda: self.open_in_spotify.emit(row.uri))
        artist = row.track.artist_name or row.track.artist_uri
        if artist:
            block = menu.addAction(f"Block artist “{artist}”")
            block.triggered.connect(
                lambda: self.block_artist_requested.emit(
                    row.track.artist_uri or row.track.artist_name, artist
                )
            )
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu(self.view.indexAt(pos))
        if menu is not None:
            menu.exec(self.view.viewport().mapToGlobal(pos))
