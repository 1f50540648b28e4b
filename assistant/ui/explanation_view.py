"""Why a track was proposed: per-neighbour bars that add up to its score, and past runs.

The numbers come straight from the :class:`~assistant.domain.Recommendation` the model
returned (or that SQLite kept): ``bias + Σ contributions = score``. The view shows that
sum, written out, so a person can check it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from assistant.domain import Reason, RecommendationRun
from assistant.jobs.explaining import ReasonContext, reason_context, reason_sentence
from assistant.ui.delegates import BarDelegate
from assistant.ui.panels import ColumnFitter
from assistant.ui.table_models import (
    ReasonRow,
    ReasonsModel,
    RecommendationRow,
    RunsModel,
    track_label,
)


def explanation_sum(row: RecommendationRow) -> tuple[float, float, float]:
    """(bias, Σ contributions, score) of a recommendation."""
    total = sum(r.contribution for r in row.rec.reasons)
    return row.rec.bias, total, row.rec.score


class ExplanationView(QWidget):
    """The selected recommendation's neighbours, its score equation, and past runs.

    Signals:
        run_reopen_requested(int): the person asked to show a past run again.
    """

    run_reopen_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current: RecommendationRow | None = None
        self.title = QLabel("Select a recommendation to see why it was proposed.")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setAccessibleName("Explained recommendation")
        self.sentence = QLabel("")
        self.sentence.setWordWrap(True)
        self.sentence.setAccessibleName("Why, in one sentence")
        self.equation = QLabel("")
        self.equation.setTextFormat(Qt.TextFormat.RichText)
        self.equation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.equation.setAccessibleName("Score equation")
        self.equation.setWordWrap(True)

        self.reasons = ReasonsModel(self)
        self.reasons_view = QTableView()
        self.reasons_view.setModel(self.reasons)
        self.reasons_view.setAccessibleName("Neighbours that pulled this track in")
        self.reasons_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.reasons_view.verticalHeader().hide()
        self.reasons_view.setShowGrid(False)
        self.reasons_view.setWordWrap(False)
        # Titles and artists both matter: cut in the middle, the full name in the tooltip.
        self.reasons_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.reasons_view.verticalHeader().setDefaultSectionSize(
            self.reasons_view.fontMetrics().height() + 10
        )
        self.reasons_view.setItemDelegateForColumn(
            ReasonsModel.ATTENTION_COLUMN, BarDelegate(self.reasons_view)
        )
        self.reasons_view.setItemDelegateForColumn(
            ReasonsModel.CONTRIBUTION_COLUMN, BarDelegate(self.reasons_view, signed=True)
        )
        header = self.reasons_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        bar_width = self.reasons_view.fontMetrics().horizontalAdvance("Attention") + 40
        header.resizeSection(1, bar_width)
        header.resizeSection(2, bar_width)
        header.setMinimumSectionSize(40)
        # Narrow panels (1024 px windows) give the names at least half the width.
        ColumnFitter(self.reasons_view, 0, (1, 2))

        self.runs = RunsModel(self)
        self.runs_view = QTableView()
        self.runs_view.setModel(self.runs)
        self.runs_view.setAccessibleName("Past recommendation runs for this playlist")
        self.runs_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.runs_view.verticalHeader().hide()
        self.runs_view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.runs_view.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.runs_view.doubleClicked.connect(self._reopen)
        self.reopen_button = QPushButton("Reopen run")
        self.reopen_button.setAccessibleName("Reopen the selected past run")
        self.reopen_button.setToolTip("Show the recommendations of the selected past run")
        self.reopen_button.clicked.connect(self._reopen)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.title)
        top_layout.addWidget(self.sentence)
        top_layout.addWidget(self.equation)
        top_layout.addWidget(self.reasons_view, 1)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        runs_label = QLabel("<b>Past runs for this playlist</b>")
        bottom_layout.addWidget(runs_label)
        bottom_layout.addWidget(self.runs_view, 1)
        bottom_layout.addWidget(self.reopen_button, 0, Qt.AlignmentFlag.AlignRight)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def show_recommendation(self, row: RecommendationRow | None) -> None:
        """Fills the bars for one recommendation (None clears the view)."""
        self.current = row
        if row is None:
            self.title.setText("Select a recommendation to see why it was proposed.")
            self.sentence.setText("")
            self.equation.setText("")
            self.reasons.set_rows([])
            return
        self.title.setText(
            f"<b>{_esc(row.track.name or row.uri)}</b> – {_esc(row.track.artist_name)}"
            f" <small>(proposal #{row.rec.rank})</small>"
        )
        # Every seed is a reason of its own, so the neighbours' metadata also names the
        # artists and albums they share with the proposal (the one reason_context).
        context = reason_context(row.neighbors, row.neighbors.keys())
        labels = {r.neighbor_uri: _reason_label(r, row, context.labels) for r in row.rec.reasons}
        self.sentence.setText(reason_sentence(row.rec.reasons, context.labels, context.counts))
        bias, total, score = explanation_sum(row)
        self.equation.setText(
            f"<small>bias {bias:+.3f} + Σ contributions {total:+.3f} = score "
            f"{bias + total:.3f}</small>"
            + ("" if abs(bias + total - score) < 1e-3 else f"  (model score {score:.3f})")
        )
        self.equation.setToolTip(
            "The model's score is its bias plus each playlist track's contribution; the "
            "shares above are those contributions as parts of the whole."
        )
        # Strongest first: the table reads as the sentence does.
        self.reasons.set_rows(
            [
                ReasonRow(r, labels[r.neighbor_uri], _reason_detail(r, context))
                for r in sorted(row.rec.reasons, key=lambda r: -r.contribution)
            ]
        )

    def set_runs(self, runs: list[RecommendationRun]) -> None:
        self.runs.set_rows(runs)

    def _reopen(self, *_: object) -> None:
        rows = self.runs_view.selectionModel().selectedRows()
        if rows:
            self.run_reopen_requested.emit(self.runs.row_at(rows[0].row()).id)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _reason_detail(reason: Reason, context: ReasonContext) -> str:
    """What an artist or album row shows instead of an attention: how many of the
    playlist's tracks share it (those tracks are what pulled the proposal in)."""
    n = context.counts.get(reason.neighbor_uri, 0) if reason.kind in ("artist", "album") else 0
    return f"{n} track{'s' * (n != 1)}" if n else ""


def _reason_label(reason: Reason, row: RecommendationRow, names: dict[str, str]) -> str:
    """A table row's name: the seed track, or what the proposal shares with the playlist."""
    uri = reason.neighbor_uri
    if reason.kind == "artist":
        return f"Same artist: {names.get(uri, uri)}"
    if reason.kind == "album":
        return f"Same album: {names.get(uri, uri)}"
    if reason.kind == "name":
        return f"Playlist name: “{uri}”"
    return track_label(row.neighbors.get(uri), uri)
