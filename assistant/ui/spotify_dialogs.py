"""The Spotify menu: connect, pick playlists to import, export with progress, disconnect.

``install(window)`` adds a "Spotify" menu and a status-bar label ("Spotify: signed in as
X / signed out / sign-in expired"). Every Spotify call runs through ``window.worker`` on a
pool thread; each job builds its own gateway and opens its own Library (sqlite and the
HTTP session belong to the thread that made them). Dialogs are opened non-modally with
``open()`` so the window keeps painting while the network works.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressDialog,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from assistant.config import Settings, save_settings
from assistant.errors import AuthExpired, Cancelled, NotSignedIn, RateLimited, SpotifyUnavailable
from assistant.jobs import spotify_sync
from assistant.jobs.spotify_sync import (
    ExportResult,
    SpotifyImportSummary,
    SpotifyPlaylistInfo,
    SpotifyUser,
    notice_text,
    redirect_uri,
)
from assistant.progress import Progress
from assistant.store import Library

# -- dialogs -----------------------------------------------------------------------------


class PlaylistPicker(QDialog):
    """Checkable rows of the person's playlists; ones they cannot read are marked."""

    def __init__(
        self, user: SpotifyUser, playlists: list[SpotifyPlaylistInfo], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import Spotify playlists")
        self.list = QListWidget()
        self.list.setAccessibleName("Spotify playlists")
        for p in playlists:
            readable = p.owner_id == user.id or p.collaborative
            text = f"{p.name}  ({p.total} items)"
            if not readable:
                text += f"  by {p.owner_name}: Spotify allows importing only your own playlists"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if readable else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Signed in as {user.display_name}. Choose playlists to import:"))
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(520, 420)

    def chosen_ids(self) -> list[str]:
        return [
            self.list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]


class ExportDialog(QDialog):
    """New playlist (name, public) or append to one of the person's playlists (ID or link)."""

    def __init__(self, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export to Spotify")
        self.create = QRadioButton("Create a new Spotify playlist")
        self.append = QRadioButton("Append to my Spotify playlist")
        self.create.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.create)
        group.addButton(self.append)
        self.name = QLineEdit(name)
        self.public = QCheckBox("Public")
        self.target = QLineEdit()
        self.target.setPlaceholderText("playlist ID, spotify:playlist:… or open.spotify.com link")
        form = QFormLayout()
        form.addRow(self.create)
        form.addRow("Name", self.name)
        form.addRow("", self.public)
        form.addRow(self.append)
        form.addRow("Playlist", self.target)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def options(self) -> dict[str, Any]:
        if self.append.isChecked():
            return {"to": self.target.text().strip()}
        return {"name": self.name.text().strip() or None, "public": self.public.isChecked()}


# -- the menu ----------------------------------------------------------------------------


class SpotifyMenu(QObject):
    """Owns the menu, the status label and the jobs of the Spotify feature."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.open_browser: Callable[[str], Any] = webbrowser.open  # tests stand in here
        self.picker: PlaylistPicker | None = None
        self.export_dialog: ExportDialog | None = None
        self.progress: QProgressDialog | None = None
        self.job: Any = None
        self.last_export: ExportResult | None = None
        self.menu = QMenu("&Spotify", window)
        self.connect_action = self.menu.addAction("Connect…", self.connect_spotify)
        self.import_action = self.menu.addAction("Import playlists…", self.import_playlists)
        self.export_action = self.menu.addAction(
            "Export current playlist to Spotify…", self.export_current
        )
        self.menu.addSeparator()
        self.disconnect_action = self.menu.addAction("Disconnect…", self.disconnect)
        bar = window.menuBar()
        help_menu = getattr(window, "help_menu", None)
        if help_menu is not None:
            bar.insertMenu(help_menu.menuAction(), self.menu)
        else:
            bar.addMenu(self.menu)
        self.status = QLabel("Spotify: signed out")
        self.status.setAccessibleName("Spotify status")
        window.statusBar().addPermanentWidget(self.status)
        self.refresh_status()

    @property
    def settings(self) -> Settings:
        return self.window.settings

    # -- status ----------------------------------------------------------------------------

    def refresh_status(self) -> None:
        self.window.worker.submit(
            spotify_sync.signed_in_user,
            self.settings,
            on_result=self._show_user,
            on_error=self._status_error,
        )

    def _show_user(self, user: SpotifyUser | None) -> None:
        self.status.setText(
            f"Spotify: signed in as {user.display_name}" if user else "Spotify: signed out"
        )

    def _status_error(self, exc: BaseException) -> None:
        if isinstance(exc, AuthExpired):
            self.status.setText("Spotify: sign-in expired")
        elif isinstance(exc, NotSignedIn):
            self.status.setText("Spotify: signed out")
        elif isinstance(exc, SpotifyUnavailable):
            self.status.setText("Spotify: offline")

    def _failed(self, exc: BaseException) -> None:
        self._close_progress()
        self._status_error(exc)
        self.window.show_error(exc)

    # -- connect ---------------------------------------------------------------------------

    def connect_spotify(self) -> None:
        settings = self.settings
        if not settings.spotify_client_id.strip():
            text, ok = QInputDialog.getText(
                self.window,
                "Spotify client ID",
                "Create an app at developer.spotify.com with the redirect URI\n"
                f"{redirect_uri(settings.spotify_redirect_port)}\nand paste its client ID:",
            )
            if not ok or not text.strip():
                return
            settings.spotify_client_id = text.strip()
            save_settings(settings)
        if not settings.spotify_notice_accepted:
            if not self.window.ask("Connecting Spotify", notice_text() + "\nContinue?"):
                return
            settings.spotify_notice_accepted = True
            save_settings(settings)
        self.status.setText("Spotify: waiting for the browser…")
        self._start_progress("Sign in to Spotify in the browser window that opened…", None)
        self.job = self.window.worker.submit(
            spotify_sync.login,
            settings,
            self.open_browser,
            on_result=self._connected,
            on_error=self._failed,
            name="spotify login",
        )

    def _connected(self, user: SpotifyUser) -> None:
        self._close_progress()
        self._show_user(user)
        self.window.statusBar().showMessage(f"Connected to Spotify as {user.display_name}", 5000)

    # -- import ----------------------------------------------------------------------------

    def import_playlists(self) -> None:
        self._start_progress("Reading your Spotify playlists…", None)
        self.job = self.window.worker.submit(
            spotify_sync.user_and_playlists,
            self.settings,
            on_result=self._pick,
            on_error=self._failed,
            name="spotify list",
        )

    def _pick(self, result: tuple[SpotifyUser, list[SpotifyPlaylistInfo]]) -> None:
        self._close_progress()
        self._show_user(result[0])
        self.picker = PlaylistPicker(*result, parent=self.window)
        self.picker.accepted.connect(self._import_chosen)
        self.picker.open()

    def _import_chosen(self) -> None:
        ids = self.picker.chosen_ids() if self.picker else []
        if not ids:
            return
        self._start_progress("Importing playlists…", len(ids))
        self.job = self.window.worker.submit(
            spotify_sync.import_playlists,
            self.settings,
            self.window.library_path,
            ids,
            on_result=self._imported,
            on_error=self._failed,
            on_progress=self._on_progress,
            name="spotify import",
        )

    def _imported(self, summary: SpotifyImportSummary) -> None:
        self._close_progress()
        self.window.refresh_library()
        text = f"Imported {len(summary.imported)} playlists, {len(summary.unchanged)} unchanged."
        skipped = ", ".join(f"{n} {what}" for what, n in summary.skipped.items() if n)
        if skipped:
            text += f" Skipped entries: {skipped}."
        self.window.statusBar().showMessage(text, 8000)
        if summary.forbidden:
            names = ", ".join(f"“{name}”" for _, name in summary.forbidden)
            self.window.show_error(
                f"Spotify refused {len(summary.forbidden)} playlist(s): {names}.\n"
                "Only playlists you own or collaborate on can be imported; the others were imported."
            )

    # -- export ----------------------------------------------------------------------------

    def export_current(self) -> None:
        playlist_id = self.window.current_playlist_id()
        if playlist_id is None:
            self.window.show_error("Open a playlist first, then export it to Spotify.")
            return
        library = getattr(self.window, "library", None)
        if library is None:
            with Library(self.window.library_path) as own:
                name = own.playlist(playlist_id).name
        else:
            name = library.playlist(playlist_id).name
        self.export_dialog = ExportDialog(name, self.window)
        self.export_dialog.accepted.connect(
            lambda: self.start_export(playlist_id, self.export_dialog.options())
        )
        self.export_dialog.open()

    def start_export(self, playlist_id: int, options: dict[str, Any]) -> None:
        self._start_progress("Exporting to Spotify…", 1)

        def failed(exc: BaseException) -> None:
            self._close_progress()
            self._status_error(exc)
            if isinstance(exc, (RateLimited, SpotifyUnavailable, Cancelled)):
                # Progress is saved per batch: a retry continues where this one stopped.
                if self.window.ask("Export stopped", f"{exc}\n\nTry again now?"):
                    self.start_export(playlist_id, options)
                return
            self.window.show_error(exc)

        self.job = self.window.worker.submit(
            spotify_sync.export_playlist,
            self.settings,
            self.window.library_path,
            playlist_id,
            options,
            on_result=self._exported,
            on_error=failed,
            on_progress=self._on_progress,
            name="spotify export",
        )

    def _exported(self, result: ExportResult) -> None:
        self._close_progress()
        self.last_export = result
        self.window.statusBar().showMessage(
            f"Exported to Spotify: {result.added} tracks added, {result.total} in all", 8000
        )

    # -- disconnect ------------------------------------------------------------------------

    def disconnect(self) -> None:
        if not self.window.ask(
            "Disconnect Spotify?",
            "This deletes the Spotify sign-in token and every playlist imported from Spotify "
            "from the library. Your own playlists stay.",
        ):
            return
        self.job = self.window.worker.submit(
            spotify_sync.disconnect,
            self.settings,
            self.window.library_path,
            on_result=self._disconnected,
            on_error=self._failed,
        )

    def _disconnected(self, deleted: int) -> None:
        self.status.setText("Spotify: signed out")
        self.window.refresh_library()
        self.window.statusBar().showMessage(
            f"Disconnected from Spotify; {deleted} imported playlists deleted.", 8000
        )

    # -- progress --------------------------------------------------------------------------

    def _start_progress(self, label: str, total: int | None) -> None:
        self._close_progress()
        dialog = QProgressDialog(label, "Cancel", 0, total or 0, self.window)
        dialog.setWindowTitle("Spotify")
        dialog.setMinimumDuration(300)
        dialog.canceled.connect(lambda: self.job.cancel() if self.job else None)
        self.progress = dialog

    def _on_progress(self, event: Progress) -> None:
        if self.progress is not None:
            if event.total:
                self.progress.setMaximum(event.total)
                self.progress.setValue(min(event.done, event.total))
            self.progress.setLabelText(event.describe())

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.canceled.disconnect()
            self.progress.reset()
            self.progress.deleteLater()
            self.progress = None


def install(window: Any) -> SpotifyMenu:
    """Adds the Spotify menu and status label to the main window."""
    window.spotify = SpotifyMenu(window)
    return window.spotify
