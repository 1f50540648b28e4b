"""Window state: enabled actions, geometry, splitter and column widths kept across starts.

A mixin of :class:`~assistant.ui.mainwindow.MainWindow`; the window holds the state.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QTableView,
)

from assistant import config
from assistant.ui import actions as window_actions
from assistant.ui.panels import (
    ColumnFitter,
)

SPLIT = (0.2, 0.48, 0.32)  # first-start share of the width: sidebar, middle, Why panel


class WindowStateMixin:
    """Window state (mixed into MainWindow)."""

    def update_actions(self) -> None:
        window_actions.update(self)

    def _tables(self) -> dict[str, QTableView]:
        """The tables whose column widths are remembered, by settings key."""
        return {
            "columns/playlist": self.playlist_panel.view,
            "columns/recommendations": self.recs.view,
            "columns/reasons": self.explanation.reasons_view,
        }

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
        else:
            self.splitter.setSizes([int(self.width() * f) for f in SPLIT])
        for key, view in self._tables().items():
            widths = qs.value(key)
            if not isinstance(widths, list):
                continue
            header = view.horizontalHeader()
            saved = {c: int(w) for c, w in enumerate(widths) if str(w).isdigit()}
            fitter = view.findChild(ColumnFitter)
            for c, w in saved.items():
                if c < header.count() and header.sectionResizeMode(c) != header.ResizeMode.Stretch:
                    header.resizeSection(c, w)
            if fitter is not None:
                fitter.set_preferred(saved)

    def closeEvent(self, event: QCloseEvent) -> None:
        qs = QSettings(str(config.config_dir() / "window.ini"), QSettings.Format.IniFormat)
        qs.setValue("geometry", self.saveGeometry())
        qs.setValue("state", self.saveState())
        qs.setValue("splitter", self.splitter.saveState())
        for key, view in self._tables().items():
            header = view.horizontalHeader()
            fitter = view.findChild(ColumnFitter)
            preferred = fitter.preferred if fitter is not None else {}
            qs.setValue(
                key,
                [str(preferred.get(c, header.sectionSize(c))) for c in range(header.count())],
            )
        qs.sync()
        self.worker.shutdown()
        # Results of jobs that finished during the shutdown still arrive (queued signals):
        # they must not touch the closed library.
        self.closed = True
        self.library.close()
        super().closeEvent(event)
