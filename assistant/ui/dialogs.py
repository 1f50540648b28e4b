"""Small dialogs: settings, export, and the import progress dialog.

The long part of an import runs in the worker; this dialog only shows its progress, lets
the person cancel, and lists the importer's per-file error messages as they are.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from assistant.config import Settings
from assistant.progress import Progress


class SettingsDialog(QDialog):
    """Data directory, device, recommendation count, Spotify client ID and port."""

    def __init__(self, settings: Settings, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.original = settings
        self.data_dir = QLineEdit(str(data_dir))
        self.data_dir.setAccessibleName("Data directory")
        browse = QPushButton("Browse…")
        browse.setAccessibleName("Choose the data directory")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.data_dir, 1)
        row.addWidget(browse)
        note = QLabel(
            "<small>A new data directory takes effect after a restart "
            "(it is read from PLAYLIST_ASSISTANT_HOME or the default location).</small>"
        )
        note.setWordWrap(True)
        self.device = QComboBox()
        self.device.setAccessibleName("Device preference")
        self.device.addItems(["auto", "cpu", "cuda"])
        self.device.setCurrentText(settings.device)
        self.count = QSpinBox()
        self.count.setAccessibleName("Number of recommendations")
        self.count.setRange(5, 500)
        self.count.setValue(settings.recommendation_count)
        self.client_id = QLineEdit(settings.spotify_client_id)
        self.client_id.setAccessibleName("Spotify client ID")
        self.client_id.setPlaceholderText("from developer.spotify.com (optional)")
        self.port = QSpinBox()
        self.port.setAccessibleName("Spotify redirect port")
        self.port.setRange(1024, 65535)
        self.port.setValue(settings.spotify_redirect_port)
        form = QFormLayout()
        form.addRow("Data directory:", row)
        form.addRow("", note)
        form.addRow("Device:", self.device)
        form.addRow("Recommendations:", self.count)
        form.addRow("Spotify client ID:", self.client_id)
        form.addRow("Spotify redirect port:", self.port)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(520, 0)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Data directory", self.data_dir.text())
        if path:
            self.data_dir.setText(path)

    def result_settings(self) -> Settings:
        return dataclasses.replace(
            self.original,
            device=self.device.currentText(),
            recommendation_count=self.count.value(),
            spotify_client_id=self.client_id.text().strip(),
            spotify_redirect_port=self.port.value(),
        )

    def chosen_data_dir(self) -> str:
        return self.data_dir.text().strip()


class ExportDialog(QDialog):
    """Format (CSV / M3U) and target file of a playlist export."""

    FORMATS: ClassVar[dict[str, str]] = {"CSV": "csv", "M3U": "m3u"}

    def __init__(self, playlist_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export “{playlist_name}”")
        self.format = QComboBox()
        self.format.setAccessibleName("Export format")
        self.format.addItems(list(self.FORMATS))
        safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in playlist_name).strip()
        self.path = QLineEdit(str(Path.home() / f"{safe or 'playlist'}.csv"))
        self.path.setAccessibleName("Export file")
        self.format.currentTextChanged.connect(self._format_changed)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format:", self.format)
        form.addRow("File:", row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(520, 0)

    def _format_changed(self, name: str) -> None:
        path = Path(self.path.text())
        self.path.setText(str(path.with_suffix("." + self.FORMATS[name])))

    def _browse(self) -> None:
        fmt = self.fmt()
        path, _ = QFileDialog.getSaveFileName(
            self, "Export to", self.path.text(), f"{fmt.upper()} (*.{fmt})"
        )
        if path:
            self.path.setText(path)

    def fmt(self) -> str:
        return self.FORMATS[self.format.currentText()]

    def out_path(self) -> str:
        return self.path.text().strip()


class ImportProgressDialog(QDialog):
    """Progress with counts and time left, Cancel, and the per-file errors.

    The window submits the import job and connects it here: ``on_progress``,
    ``on_finished(summary)`` and ``on_failed(exc)``.
    """

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.job: Any = None
        self.label = QLabel("Starting…")
        self.label.setAccessibleName("Import progress")
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Import progress bar")
        self.bar.setRange(0, 0)
        self.errors = QListWidget()
        self.errors.setAccessibleName("Import errors per file")
        self.errors.setWordWrap(True)
        self.errors.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self._cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.errors, 1)
        layout.addWidget(self.buttons)
        self.resize(560, 200)

    def on_progress(self, event: Progress) -> None:
        if event.total:
            self.bar.setRange(0, event.total)
            self.bar.setValue(min(event.done, event.total))
        self.label.setText(event.describe())

    def on_finished(self, summary: Any) -> None:
        results = list(getattr(summary, "results", []) or [])
        errors = list(getattr(summary, "errors", []) or [])
        playlists = sum(getattr(r, "playlists", 0) for r in results)
        entries = sum(getattr(r, "entries", 0) for r in results)
        skipped = sum(1 for r in results if getattr(r, "skipped", False))
        text = f"Imported {playlists:,} playlists ({entries:,} entries) from {len(results)} file(s)"
        if skipped:
            text += f"; {skipped} already imported before"
        if errors:
            text += f"; {len(errors)} file(s) could not be imported:"
        if not results and not errors and summary is not None and not hasattr(summary, "results"):
            text = f"Imported: {summary}"
        self._done(text + ".")
        for error in errors:
            self.add_error(error)

    def add_error(self, error: Any) -> None:
        if isinstance(error, tuple) and len(error) == 2:
            text = f"{error[0]}: {error[1]}"
        else:
            text = str(error)
        self.errors.addItem(text)
        self.errors.show()

    def on_failed(self, exc: BaseException) -> None:
        self._done("The import stopped; nothing from the failing file was imported.")
        self.add_error(exc)

    def _done(self, text: str) -> None:
        self.label.setText(text)
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.accept)
        close.setFocus(Qt.FocusReason.OtherFocusReason)

    def _cancel(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancel()
            self.label.setText("Cancelling…")
        else:
            self.reject()
