"""The Spotify menu: connect, pick playlists to import, export with progress, disconnect.

``install(window)`` adds a "Spotify" menu and a status-bar label ("Spotify: signed in as
X / signed out / sign-in expired"). Every Spotify call runs through ``window.worker`` on a
pool thread; each job builds its own gateway and opens its own Library (sqlite and the
HTTP session belong to the thread that made them). Dialogs are opened non-modally with
``open()`` so the window keeps painting while the network works.
"""

from __future__ import annotations

import dataclasses
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressDialog,
    QPushButton,
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
from assistant.progress import CancelToken, Progress
from assistant.store import Library

# -- jobs (run on the worker's pool thread; each opens its own library) ------------------


def import_job(
    settings: Settings, library_path: Path, ids: Sequence[str] | None, *,
    report: Any = None, cancel: CancelToken | None = None,
) -> SpotifyImportSummary:  # fmt: skip
    with Library(library_path) as library:
        return spotify_sync.import_playlists(
            spotify_sync.gateway(settings), library, ids, report=report, cancel=cancel
        )


def export_job(
    settings: Settings, library_path: Path, playlist_id: int, options: dict[str, Any], *,
    report: Any = None, cancel: CancelToken | None = None,
) -> ExportResult:  # fmt: skip
    with Library(library_path) as library:
        return spotify_sync.export_playlist(
            spotify_sync.gateway(settings),
            library,
            playlist_id,
            report=report,
            cancel=cancel,
            **options,
        )


def disconnect_job(settings: Settings, library_path: Path) -> Any:
    """Token, Spotify playlists and models trained on them deleted (a DisconnectResult);
    the settings are a copy: the window applies an active-model change itself."""
    copy = dataclasses.replace(settings)
    with Library(library_path) as library:
        return spotify_sync.disconnect(spotify_sync.gateway(copy), library, copy)


# -- dialogs -----------------------------------------------------------------------------

DASHBOARD_URL = "https://developer.spotify.com/dashboard"


class ConnectDialog(QDialog):
    """First connection: how to get a client ID (three steps, the dashboard link, the exact
    redirect URI to copy) and the field to paste it into."""

    def __init__(self, redirect: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect Spotify")
        intro = QLabel(
            "Spotify lets an app like this one in only through a Spotify app of your own. "
            "Setting one up takes a minute:"
        )
        intro.setWordWrap(True)
        self.steps = QLabel(
            "<ol>"
            f"<li>Create an app in the <a href='{DASHBOARD_URL}'>Spotify developer "
            "dashboard</a> (any name and description).</li>"
            "<li>In the app's settings, add the redirect URI below and select "
            "<b>Web API</b>, then save.</li>"
            "<li>Paste the app's client ID here.</li>"
            "</ol>"
        )
        self.steps.setWordWrap(True)
        self.steps.setTextFormat(Qt.TextFormat.RichText)
        self.steps.setOpenExternalLinks(True)  # clickable: the system browser opens it
        self.steps.setAccessibleName("Steps to get a client ID")
        self.link = QLabel(f"<a href='{DASHBOARD_URL}'>{DASHBOARD_URL}</a>")
        self.link.setTextFormat(Qt.TextFormat.RichText)
        self.link.setOpenExternalLinks(True)
        self.link.setAccessibleName("Spotify developer dashboard")
        self.redirect = QLineEdit(redirect)
        self.redirect.setReadOnly(True)
        self.redirect.setAccessibleName("Redirect URI")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the redirect URI to the clipboard")
        self.copy_button.clicked.connect(self.copy_redirect)
        redirect_row = QHBoxLayout()
        redirect_row.addWidget(self.redirect, 1)
        redirect_row.addWidget(self.copy_button)
        self.client_id = QLineEdit()
        self.client_id.setAccessibleName("Client ID")
        self.client_id.setPlaceholderText("e.g. 0123456789abcdef0123456789abcdef")
        form = QFormLayout()
        form.addRow("Dashboard", self.link)
        form.addRow("Redirect URI", redirect_row)
        form.addRow("Client ID", self.client_id)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Connect")
        self.ok.setEnabled(False)
        self.client_id.textChanged.connect(lambda text: self.ok.setEnabled(bool(text.strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.steps)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(560, 0)

    def copy_redirect(self) -> None:
        QGuiApplication.clipboard().setText(self.redirect.text())
        self.copy_button.setText("Copied")

    def chosen_client_id(self) -> str:
        return self.client_id.text().strip()


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
        self.connect_dialog: ConnectDialog | None = None
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
        self._set_signed_in(False)  # until the status check answers
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

    def _set_signed_in(self, signed_in: bool, *, token_left: bool | None = None) -> None:
        """Import and export need a sign-in; disconnect needs something to delete (a token,
        even an expired one). Offline leaves them as they were: the state is unknown."""
        self.import_action.setEnabled(signed_in)
        self.export_action.setEnabled(signed_in)
        self.disconnect_action.setEnabled(signed_in if token_left is None else token_left)

    def _show_user(self, user: SpotifyUser | None) -> None:
        self.status.setText(
            f"Spotify: signed in as {user.display_name}" if user else "Spotify: signed out"
        )
        self._set_signed_in(user is not None)

    def _status_error(self, exc: BaseException) -> None:
        if isinstance(exc, AuthExpired):
            self.status.setText("Spotify: sign-in expired")
            self._set_signed_in(False, token_left=True)
        elif isinstance(exc, NotSignedIn):
            self.status.setText("Spotify: signed out")
            self._set_signed_in(False)
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
            self.connect_dialog = ConnectDialog(
                redirect_uri(settings.spotify_redirect_port), self.window
            )
            self.connect_dialog.accepted.connect(self._client_id_chosen)
            self.connect_dialog.open()
            return
        self._sign_in(settings)

    def _client_id_chosen(self) -> None:
        client_id = self.connect_dialog.chosen_client_id() if self.connect_dialog else ""
        if client_id:
            # Saved once the sign-in succeeds (_connected): a wrong ID must not stick.
            self._sign_in(dataclasses.replace(self.settings, spotify_client_id=client_id))

    def _sign_in(self, settings: Settings) -> None:
        if not settings.spotify_notice_accepted:
            if not self.window.ask("Connecting Spotify", notice_text() + "\nContinue?"):
                return
            settings.spotify_notice_accepted = self.settings.spotify_notice_accepted = True
            save_settings(self.settings)
        self.status.setText("Spotify: waiting for the browser…")
        self._signing_in = settings
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
        signed_in = getattr(self, "_signing_in", None)
        if signed_in is not None and signed_in.spotify_client_id != self.settings.spotify_client_id:
            self.settings.spotify_client_id = signed_in.spotify_client_id
            save_settings(self.settings)
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
            import_job,
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
            export_job,
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
            "This deletes the Spotify sign-in token, every playlist imported from Spotify, "
            "and every model trained on Spotify playlists. Your own playlists stay.",
        ):
            return
        self.job = self.window.worker.submit(
            disconnect_job,
            self.settings,
            self.window.library_path,
            on_result=self._disconnected,
            on_error=self._failed,
        )

    def _disconnected(self, result: Any) -> None:
        self.status.setText("Spotify: signed out")
        self._set_signed_in(False)
        if result.active_reset:
            self.window.set_active_checkpoint(None)  # back to the bundled model
        self.window.refresh_library()
        models = f", {len(result.checkpoints)} models trained on them" if result.checkpoints else ""
        self.window.statusBar().showMessage(
            f"Disconnected from Spotify; {result.playlists} imported playlists{models} deleted.",
            8000,
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
