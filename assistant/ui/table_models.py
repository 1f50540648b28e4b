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
from PySide6.QtGui import QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from assistant.domain import PlaylistSummary, Reason, Recommendation, RecommendationRun, Track

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # what a sorting proxy compares
VALUE_ROLE = Qt.ItemDataRole.UserRole + 2  # the raw number a bar delegate paints
ROW_ROLE = Qt.ItemDataRole.UserRole + 3  # the plain row object
SIGNED_ROLE = Qt.ItemDataRole.UserRole + 4  # the column holds negative values too

SOURCE_LABELS = {
    "local": "My playlists",
    "mpd": "Million Playlist Dataset",
    "spotify": "Spotify",
    "file": "Files",
    "demo": "Demo (synthetic)",
}
SOURCE_ORDER = ("local", "spotify", "file", "mpd", "demo")


def format_duration(ms: int) -> str:
    seconds = max(0, int(ms or 0) // 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def track_cells(row: Track) -> tuple[str, str, str, str]:
    """Title, artist, album, duration as a track table shows them (playlist, search)."""
    return (row.name or row.uri, row.artist_name, row.album_name, format_duration(row.duration_ms))


def track_sort_keys(row: Track) -> tuple[str, str, str, int]:
    """The sort keys of :func:`track_cells`' columns (case-insensitive text, ms)."""
    return (
        (row.name or row.uri).lower(),
        row.artist_name.lower(),
        row.album_name.lower(),
        row.duration_ms,
    )


def track_tip(row: Track) -> str:
    return f"{row.name}\n{row.artist_name} · {row.album_name}\n{row.uri}"


def counted(n: int, word: str, plural: str | None = None) -> str:
    """``1 track``, ``2 tracks``, ``1,204 tracks``."""
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def display_name(name: str) -> str:
    """A name as shown: imported names often carry leading or trailing blanks."""
    return " ".join(name.split()) if name else name


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


UNKNOWN_TIP = "not known to the active model: it cannot use this track for proposals"


def unknown_icon() -> QIcon:
    """The mark of a track the model does not know (the style's question icon)."""
    app = QApplication.instance()
    style = app.style() if isinstance(app, QApplication) else None
    return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxQuestion) if style else QIcon()


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
        self.highlighted: set[str] = set()  # just added: painted briefly
        self.unknown: set[str] = set()  # not in the active model's graph

    def set_highlighted(self, uris: Sequence[str]) -> None:
        self.highlighted = set(uris)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self._rows) - 1, self.columnCount() - 1),
                [Qt.ItemDataRole.BackgroundRole],
            )

    def set_unknown(self, uris: Sequence[str]) -> None:
        """Marks tracks the active model does not know (it cannot use them as seeds)."""
        self.unknown = set(uris)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 1),
                self.index(len(self._rows) - 1, 1),
                [Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole],
            )

    def cell(self, row: Track, r: int, column: int, role: int) -> Any:
        unknown = row.uri in self.unknown
        if role == Qt.ItemDataRole.DecorationRole and column == 1 and unknown:
            return unknown_icon()
        if role == Qt.ItemDataRole.AccessibleDescriptionRole and unknown:
            return UNKNOWN_TIP
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.uri not in self.highlighted:
                return None
            colour = QGuiApplication.palette().color(QPalette.ColorRole.Highlight)
            colour.setAlpha(80)  # the system's highlight, light enough to read through
            return colour
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(r + 1), *track_cells(row))[column]
        if role == SORT_ROLE:
            return (r, *track_sort_keys(row))[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = track_tip(row)
            return f"{UNKNOWN_TIP.capitalize()}.\n{tip}" if unknown else tip
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


class TracksModel(_RowsModel):
    """Found tracks (the "Find a track" results): title, artist, album, duration."""

    headers = ("Title", "Artist", "Album", "Duration")

    def cell(self, row: Track, r: int, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return track_cells(row)[column]
        if role == SORT_ROLE:
            return track_sort_keys(row)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return track_tip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


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
    """Rank, title, artist, strength (a bar painted by BarDelegate).

    A raw score means nothing to a person (it is not a probability and its range depends
    on the model), so the panel shows the rank and a strength relative to the list shown;
    the score itself is in the tooltip.
    """

    headers = ("#", "Title", "Artist", "Strength")
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

    def strength(self, row: RecommendationRow) -> float:
        """The best proposal shown fills the bar, the last keeps a sliver."""
        span = self.max_score - self.min_score
        if span <= 0:
            return 1.0
        return 0.1 + 0.9 * (row.rec.score - self.min_score) / span

    def cell(self, row: RecommendationRow, r: int, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(r + 1), row.track.name or row.uri, row.track.artist_name, "")[column]
        if role == SORT_ROLE:
            return (
                r,
                (row.track.name or row.uri).lower(),
                row.track.artist_name.lower(),
                -row.rec.score,
            )[column]
        if role == VALUE_ROLE and column == self.SCORE_COLUMN:
            return self.strength(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{row.track.name} – {row.track.artist_name}\n{row.track.album_name}\n"
                f"proposal #{row.rec.rank} · model score {row.rec.score:.4f}"
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
    # In the Attention column of a term without attention (artist, album, name word):
    # e.g. "4 tracks": the playlist's tracks that share the artist.
    detail: str = ""


class ReasonsModel(_RowsModel):
    """Neighbour, attention (bar), share of the score (bar, signed).

    Both bars are on an absolute scale: attention is a weight in [0, 1] and the share is
    the neighbour's part of all contributions, so a 3% neighbour draws a 3% bar whatever
    the others do. One row (a single seed) shows no bars: "100%" said nothing.
    """

    headers = ("Reason", "Attention", "Share")
    ATTENTION_COLUMN = 1
    CONTRIBUTION_COLUMN = 2

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.total_abs = 1.0
        self.has_negative = False

    def set_rows(self, rows: Sequence[ReasonRow]) -> None:
        self.total_abs = sum(abs(r.reason.contribution) for r in rows) or 1.0
        self.has_negative = any(r.reason.contribution < 0 for r in rows)
        super().set_rows(rows)

    def share(self, row: ReasonRow) -> float:
        return float(row.reason.contribution) / self.total_abs

    def cell(self, row: ReasonRow, r: int, column: int, role: int) -> Any:
        single = len(self._rows) == 1
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return row.label
            if single:
                return "only seed" if column == self.ATTENTION_COLUMN else "all"
            if column == self.ATTENTION_COLUMN:
                if row.reason.kind != "seed":
                    return row.detail
                return f"{row.reason.attention:.0%}"
            share = self.share(row)
            return f"{share:.0%}" if abs(share) >= 0.005 else "0%"  # never "-0%"
        if role == VALUE_ROLE and not single:
            if column == self.ATTENTION_COLUMN:
                return float(row.reason.attention) if row.reason.kind == "seed" else None
            if column == self.CONTRIBUTION_COLUMN:
                return self.share(row)
        if role == SORT_ROLE:
            return (row.label.lower(), row.reason.attention, row.reason.contribution)[column]
        if role == SIGNED_ROLE:
            return self.has_negative
        if role == Qt.ItemDataRole.ToolTipRole:
            if row.reason.kind != "seed":
                return (
                    f"{row.label}{f' ({row.detail} of the playlist)' if row.detail else ''}\n"
                    f"contribution {row.reason.contribution:+.4f} to the score"
                )
            return (
                f"{row.label}\nattention {row.reason.attention:.3f}, "
                f"contribution {row.reason.contribution:+.4f} to the score\n"
                f"{row.reason.neighbor_uri}"
            )
        return None


class RunsModel(_RowsModel):
    """Past recommendation runs of a playlist: when, which model, how many."""

    headers = ("When", "Model", "Proposals")

    def cell(self, row: RecommendationRun, r: int, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            when = _dt.datetime.fromtimestamp(row.created_at).strftime("%Y-%m-%d %H:%M:%S")
            return (when, checkpoint_label(row.checkpoint, row.model), str(row.k))[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"run {row.id}\n{row.model}, checkpoint {row.checkpoint or '-'}"
        return None


def checkpoint_label(path: str, model: str = "") -> str:
    """A model as a person tells them apart: the checkpoint's name, not just "gat-mlp"."""
    name = Path(path).stem if path else ""
    if name == "demo":
        return "Bundled demo model"
    return name or model


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
            return f"{display_name(p.name)}  ({p.num_tracks})"
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{display_name(p.name)}\n{counted(p.num_tracks, 'track')} · "
                f"{p.source}:{p.source_ref}"
            )
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
