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
    QStyle,
    QVBoxLayout,
    QWidget,
)

from assistant.config import Settings, default_data_dir
from assistant.errors import Cancelled
from assistant.progress import Progress, format_seconds
from assistant.ui.table_models import counted


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
        self.note = QLabel(
            "Holds the library and trained models. A new folder is used from the next start."
        )
        self.note.setWordWrap(True)
        self.note.setAccessibleName("About the data directory")
        small = self.note.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.note.setFont(small)
        # In a column under the field, not a form row of its own: there the wrapped label
        # got one line of height and was cut off.
        data_column = QVBoxLayout()
        data_column.addLayout(row)
        data_column.addWidget(self.note)
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
        form.addRow("Data directory:", data_column)
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
            data_dir=self._data_dir_setting(),
        )

    def _data_dir_setting(self) -> str:
        chosen = self.chosen_data_dir()
        if not chosen or Path(chosen).expanduser() == default_data_dir():
            return ""
        return str(Path(chosen).expanduser())

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


def describe_import(event: Progress) -> str:
    """A progress event in words: "Importing mpd.slice.0-999.json: 12,000 of 67,000
    entries (45,000 a second, about 2 s left)"."""
    where = f" {event.message}" if event.message else ""
    unit = event.unit or "items"
    if event.total:
        text = f"Importing{where}: {event.done:,} of {event.total:,} {unit}"
    elif event.done:
        text = f"Importing{where}: {event.done:,} {unit} so far"
    else:
        return f"Starting to import{where}…"
    extra = []
    if event.rate is not None:
        extra.append(f"{event.rate:,.0f} a second")
    if event.eta is not None:
        extra.append(f"about {format_seconds(event.eta)} left")
    return text + (f" ({', '.join(extra)})" if extra else "")


class ImportProgressDialog(QDialog):
    """Progress with counts and time left, Cancel, and the per-file errors.

    The window submits the import job and connects it here: ``on_progress``,
    ``on_finished(summary)`` and ``on_failed(exc)``.
    """

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.job: Any = None
        self.failed = False
        self.label = QLabel("Starting…")
        self.label.setAccessibleName("Import progress")
        self.label.setWordWrap(True)
        self.icon = QLabel()
        self.icon.hide()
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Import progress bar")
        self.bar.setRange(0, 0)
        self.errors = QListWidget()
        self.errors.setAccessibleName("Import errors per file")
        self.errors.setWordWrap(True)
        self.errors.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self._cancel)
        head = QHBoxLayout()
        head.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.bar)
        layout.addWidget(self.errors, 1)
        layout.addWidget(self.buttons)
        self.resize(560, 200)

    def on_progress(self, event: Progress) -> None:
        if event.total:
            self.bar.setRange(0, event.total)
            self.bar.setValue(min(event.done, event.total))
        self.label.setText(describe_import(event))

    def on_finished(self, summary: Any) -> None:
        results = list(getattr(summary, "results", None) or [])
        if not results and hasattr(summary, "playlists") and hasattr(summary, "path"):
            results = [summary]  # a CSV import returns one ImportResult
        errors = list(getattr(summary, "errors", []) or [])
        playlists = sum(getattr(r, "playlists", 0) for r in results)
        entries = sum(getattr(r, "entries", 0) for r in results)
        skipped = sum(1 for r in results if getattr(r, "skipped", False))
        if errors and not results:
            what = "The file" if len(errors) == 1 else f"None of the {len(errors)} files"
            self._failed(f"Nothing was imported. {what} could not be read:")
        else:
            text = (
                f"Imported {counted(playlists, 'playlist')} ({counted(entries, 'entry', 'entries')})"
                f" from {counted(len(results), 'file')}"
            )
            if skipped:
                text += f"; {counted(skipped, 'file')} had been imported before"
            if errors:
                text += (
                    f". {counted(len(errors), 'file')} could not be imported "
                    "and nothing of them was written:"
                )
            self._done(text if errors else text + ".")
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
        if isinstance(exc, Cancelled):
            self._failed("Cancelled; nothing of the unfinished file was imported.")
            return
        self._failed("Nothing was imported:")
        self.add_error(exc)

    def _failed(self, text: str) -> None:
        """The failure state: no full (successful-looking) bar, a warning icon, the text."""
        self._done(text)
        self.bar.hide()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.icon.setPixmap(icon.pixmap(32, 32))
        self.icon.show()
        self.failed = True

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
