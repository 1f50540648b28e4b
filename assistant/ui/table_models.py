"""Qt item models over plain rows (Vorta's pattern): no SQL, no jobs, just lists.

The window loads rows through the :class:`~assistant.store.library.Library` (or gets them
from a worker job) and hands them to a model with ``set_rows``. Every model here passes
``qtmodeltester``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from assistant.domain import PlaylistSummary, Reason, Recommendation, RecommendationRun, Track

Index = QModelIndex | QPersistentModelIndex
_ROLE_SORT = Qt.ItemDataRole.UserRole + 1
VALUE_ROLE = Qt.ItemDataRole.UserRole + 2  # the raw number a bar delegate paints
ROW_ROLE = Qt.ItemDataRole.UserRole + 3  # the plain row object
SIGNED_ROLE = Qt.ItemDataRole.UserRole + 4  # the column holds negative values too

SOURCE_LABELS = {
    "local": "My playlists",
    "mpd": "Million Playlist Dataset",
    "spotify": "Spotify",
    "file": "Files",
}
SOURCE_ORDER = ("local", "spotify", "file", "mpd")


def format_duration(ms: int) -> str:
    seconds = max(0, int(ms or 0) // 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def track_label(track: Track | None, uri: str) -> str:
    """``Title – Artist`` for people; the URI when the library does not know the track."""
    if track is None or not track.name:
        return uri
    return f"{track.name} – {track.artist_name}" if track.artist_name else track.name


class _RowsModel(QAbstractTableModel):
    """A flat table over a list of rows; subclasses say how to show a cell."""

    headers: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.headers):
            return self.headers[section]
        if orientation == Qt.Orientation.Vertical:
            return section + 1
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        return self.cell(row, index.row(), index.column(), role)

    def cell(self, row: Any, r: int, column: int, role: int) -> Any:  # pragma: no cover
        raise NotImplementedError


# -- the playlist's tracks ---------------------------------------------------------------

TRACK_MIME = "application/x-playlist-assistant-rows"


class PlaylistTracksModel(_RowsModel):
    """The open playlist: position, title, artist, album, duration. Rows are Tracks.

    Drag and drop reorders; the model does not change its rows itself but emits
    ``move_requested(rows, dest)`` so the window can push an undoable command.
    """

    headers = ("#", "Title", "Artist", "Album", "Duration")

    move_requested = Signal(list, int)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.editable = True

    def cell(self, row: Track, r: int, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                str(r + 1),
                row.name or row.uri,
                row.artist_name,
                row.album_name,
                format_duration(row.duration_ms),
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.name}\n{row.artist_name} · {row.album_name}\n{row.uri}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if not index.isValid():
            return base | Qt.ItemFlag.ItemIsDropEnabled if self.editable else base
        if self.editable:
            base |= Qt.ItemFlag.ItemIsDragEnabled
        return base

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [TRACK_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime = QMimeData()
        mime.setData(TRACK_MIME, QByteArray(",".join(map(str, rows)).encode()))
        return mime

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        if not data.hasFormat(TRACK_MIME) or not self.editable:
            return False
        raw = bytes(data.data(TRACK_MIME).data()).decode()
        rows = [int(x) for x in raw.split(",") if x]
        dest = row if row >= 0 else (parent.row() if parent.isValid() else len(self._rows))
        if rows:
            self.move_requested.emit(rows, dest)
        # False: the view must not delete the source rows; the window rebuilds the list.
        return False


# -- recommendations ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecommendationRow:
    """A recommendation with the metadata of its track and of its neighbours."""

    rec: Recommendation
    track: Track
    neighbors: dict[str, Track]

    @property
    def uri(self) -> str:
        return self.rec.track_uri


class RecommendationsModel(_RowsModel):
    """Rank, title, artist, score (painted as a bar by ScoreBarDelegate)."""

    headers = ("#", "Title", "Artist", "Score")
    SCORE_COLUMN = 3

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.max_score = 1.0
        self.min_score = 0.0

    def set_rows(self, rows: Sequence[RecommendationRow]) -> None:
        scores = [r.rec.score for r in rows]
        self.max_score = max(scores, default=1.0)
        self.min_score = min(scores, default=0.0)
        super().set_rows(rows)

    def cell(self, row: RecommendationRow, r: int, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                str(r + 1),
                row.track.name or row.uri,
                row.track.artist_name,
                f"{row.rec.score:.3f}",
            )[column]
        if role == VALUE_ROLE and column == self.SCORE_COLUMN:
            # Relative to the list shown: the best fills the bar, the last keeps a sliver.
            span = (self.max_score - self.min_score) or 1.0
            return 0.1 + 0.9 * (row.rec.score - self.min_score) / span
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{row.track.name} – {row.track.artist_name}\n{row.track.album_name}\n"
                f"score {row.rec.score:.4f} (model rank {row.rec.rank})"
            )
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else flags


# -- explanation ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReasonRow:
    """One neighbour of the playlist that pulled a recommendation in."""

    reason: Reason
    label: str  # "Title – Artist"


class ReasonsModel(_RowsModel):
    """Neighbour, attention (bar), contribution (bar, signed)."""

    headers = ("Playlist track", "Attention", "Contribution")
    ATTENTION_COLUMN = 1
    CONTRIBUTION_COLUMN = 2

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.max_abs = 1.0
        self.has_negative = False
        self.max_attention = 1.0

    def set_rows(self, rows: Sequence[ReasonRow]) -> None:
        self.max_abs = max((abs(r.reason.contribution) for r in rows), default=1.0) or 1.0
        self.has_negative = any(r.reason.contribution < 0 for r in rows)
        self.max_attention = max((r.reason.attention for r in rows), default=1.0) or 1.0
        super().set_rows(rows)

    def cell(self, row: ReasonRow, r: int, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                row.label,
                f"{row.reason.attention:.0%}",
                f"{row.reason.contribution:+.3f}",
            )[column]
        if role == VALUE_ROLE:
            if column == self.ATTENTION_COLUMN:  # bars relative to the strongest neighbour
                return float(row.reason.attention) / self.max_attention
            if column == self.CONTRIBUTION_COLUMN:
                return float(row.reason.contribution) / self.max_abs
        if role == SIGNED_ROLE:
            return self.has_negative
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{row.label}\nattention {row.reason.attention:.3f}, "
                f"contribution {row.reason.contribution:+.4f}\n{row.reason.neighbor_uri}"
            )
        return None


class RunsModel(_RowsModel):
    """Past recommendation runs of a playlist: when, which model, how many."""

    headers = ("When", "Model", "Tracks")

    def cell(self, row: RecommendationRun, r: int, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            when = _dt.datetime.fromtimestamp(row.created_at).strftime("%Y-%m-%d %H:%M:%S")
            return (when, row.model, str(row.k))[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"run {row.id}\ncheckpoint {Path(row.checkpoint).name or row.checkpoint}"
        return None


# -- the library sidebar: sources -> playlists ------------------------------------------


class PlaylistTreeModel(QAbstractItemModel):
    """Two levels: sources (with counts), then their playlists (with track counts).

    ``internalId`` of a playlist index is its source's row + 1; sources have 0.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._sources: list[str] = []
        self._playlists: list[list[PlaylistSummary]] = []
        self._totals: list[int] = []

    def set_rows(
        self, playlists: Sequence[PlaylistSummary], totals: dict[str, int] | None = None
    ) -> None:
        """Groups the playlists by source. ``totals`` are per-source counts (the shown
        list may be a search result or capped)."""
        grouped: dict[str, list[PlaylistSummary]] = {}
        for p in playlists:
            grouped.setdefault(p.source, []).append(p)
        order = [s for s in SOURCE_ORDER if s in grouped] + sorted(
            s for s in grouped if s not in SOURCE_ORDER
        )
        self.beginResetModel()
        self._sources = order
        self._playlists = [grouped[s] for s in order]
        self._totals = [(totals or {}).get(s, len(grouped[s])) for s in order]
        self.endResetModel()

    def playlist_at(self, index: Index) -> PlaylistSummary | None:
        if not index.isValid() or index.internalId() == 0:
            return None
        return self._playlists[index.internalId() - 1][index.row()]

    def index_of_playlist(self, playlist_id: int) -> QModelIndex:
        for s, group in enumerate(self._playlists):
            for r, p in enumerate(group):
                if p.id == playlist_id:
                    return self.createIndex(r, 0, s + 1)
        return QModelIndex()

    def source_index(self, source: str) -> QModelIndex:
        if source in self._sources:
            return self.createIndex(self._sources.index(source), 0, 0)
        return QModelIndex()

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, 0, 0) if row < len(self._sources) else QModelIndex()
        if parent.internalId() != 0:
            return QModelIndex()
        s = parent.row()
        if s < len(self._playlists) and row < len(self._playlists[s]):
            return self.createIndex(row, 0, s + 1)
        return QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._sources)
        if parent.column() != 0 or parent.internalId() != 0:
            return 0
        return len(self._playlists[parent.row()])

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == 0:
            source = self._sources[index.row()]
            shown, total = len(self._playlists[index.row()]), self._totals[index.row()]
            if role == Qt.ItemDataRole.DisplayRole:
                count = f"{total:,}" if shown == total else f"{shown:,} of {total:,}"
                return f"{SOURCE_LABELS.get(source, source)} ({count})"
            if role == ROW_ROLE:
                return source
            return None
        p = self._playlists[index.internalId() - 1][index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{p.name}  ({p.num_tracks})"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{p.name}\n{p.num_tracks} tracks · {p.source}:{p.source_ref}"
        if role == ROW_ROLE:
            return p
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if index.internalId() == 0:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            section == 0
            and orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
        ):
            return "Library"
        return None
