"""Menus, toolbar, shortcuts, and the flows behind them (import, export, train, settings).

Kept apart from ``main_window`` so that the window's module holds the state and this one
the verbs. Every flow that takes time goes through ``window.worker``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QToolBar

from assistant import config
from assistant.config import save_settings
from assistant.jobs.checkpoints import active_checkpoint_path
from assistant.ui import jobs
from assistant.ui.dialogs import ExportDialog, ImportProgressDialog, SettingsDialog

if TYPE_CHECKING:
    from assistant.ui.main_window import MainWindow


def _action(
    window: MainWindow, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = ""
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    tip = tip or text.replace("&", "").rstrip("…")
    if shortcut is not None:
        tip += f" ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    return action


def install(window: MainWindow) -> None:
    """Creates every action, menu and the toolbar; stores actions as ``window.act_*``."""
    w = window
    w.act_new = _action(w, "&New playlist…", w.new_playlist, QKeySequence.StandardKey.New)
    w.act_new_from_selection = _action(
        w,
        "New playlist from &selection…",
        lambda: w.new_playlist(from_selection=True),
        "Ctrl+Shift+N",
    )
    w.act_import = _action(w, "&Import MPD files…", lambda: import_mpd(w), "Ctrl+I")
    w.act_import_folder = _action(w, "Import MPD &folder…", lambda: import_mpd(w, folder=True))
    w.act_import_csv = _action(w, "Import &CSV…", lambda: import_csv(w))
    w.act_export = _action(w, "&Export playlist…", lambda: export(w), "Ctrl+E")
    w.act_settings = _action(w, "Se&ttings…", lambda: open_settings(w), "Ctrl+,")
    w.act_quit = _action(w, "&Quit", w.close, QKeySequence.StandardKey.Quit)
    w.act_undo = w.undo_stack.createUndoAction(w, "&Undo")
    w.act_undo.setShortcut(QKeySequence.StandardKey.Undo)
    w.act_redo = w.undo_stack.createRedoAction(w, "&Redo")
    w.act_redo.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence.StandardKey.Redo])
    w.act_remove = _action(
        w, "&Remove tracks", w.remove_selected_tracks, QKeySequence.StandardKey.Delete
    )
    w.act_remove.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    w.playlist_panel.view.addAction(w.act_remove)
    w.act_up = _action(w, "Move &up", lambda: w.move_selected(-1), "Alt+Up")
    w.act_down = _action(w, "Move &down", lambda: w.move_selected(+1), "Alt+Down")
    w.act_rename = _action(w, "Re&name playlist…", w.rename_playlist, "F2")
    w.act_delete = _action(w, "&Delete playlist…", w.delete_playlist, "Ctrl+Shift+Delete")
    w.act_add = _action(w, "&Add to playlist", w.add_selected_recommendations, "Return")
    w.act_add.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    w.recs.view.addAction(w.act_add)
    w.act_add_enter = QAction(w)
    w.act_add_enter.setShortcut(QKeySequence("Enter"))
    w.act_add_enter.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    w.act_add_enter.triggered.connect(w.add_selected_recommendations)
    w.recs.view.addAction(w.act_add_enter)
    w.recs.extra_actions = [w.act_add, w.act_new_from_selection]
    w.act_refresh = _action(w, "Re&fresh recommendations", w.playlist_changed, "F5")
    w.act_clear_blocked = _action(w, "&Clear blocked artists", w.clear_blocked)
    w.act_train = _action(w, "&Train a model…", lambda: open_train_dialog(w), "Ctrl+T")
    w.act_search = _action(
        w, "&Search playlists", lambda: _focus_search(w), QKeySequence.StandardKey.Find
    )
    w.act_about = _action(w, "&About", lambda: about(w))

    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    for a in (w.act_new, w.act_new_from_selection, None, w.act_import, w.act_import_folder,
              w.act_import_csv, w.act_export, None, w.act_settings, None, w.act_quit):  # fmt: skip
        file_menu.addSeparator() if a is None else file_menu.addAction(a)
    edit_menu = bar.addMenu("&Edit")
    for a in (w.act_undo, w.act_redo, None, w.act_remove, w.act_up, w.act_down, None,
              w.act_rename, w.act_delete, None, w.act_search):  # fmt: skip
        edit_menu.addSeparator() if a is None else edit_menu.addAction(a)
    recs_menu = bar.addMenu("&Recommendations")
    for a in (w.act_add, w.act_refresh, w.act_clear_blocked):
        recs_menu.addAction(a)
    w.model_menu = bar.addMenu("&Model")
    w.model_group = QActionGroup(w)
    w.help_menu = bar.addMenu("&Help")
    w.help_menu.addAction(w.act_about)

    toolbar = QToolBar("Main")
    toolbar.setObjectName("main-toolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for a in (
        w.act_new,
        w.act_import,
        w.act_export,
        None,
        w.act_undo,
        w.act_redo,
        None,
        w.act_train,
    ):
        toolbar.addSeparator() if a is None else toolbar.addAction(a)
    w.addToolBar(toolbar)
    w.toolbar = toolbar

    w.playlist_panel.add_button(w.act_up, "▲")
    w.playlist_panel.add_button(w.act_down, "▼")
    w.playlist_panel.add_button(w.act_remove, "Remove")


def update(window: MainWindow) -> None:
    """Enables what makes sense now."""
    w = window
    has_playlist = w.playlist is not None
    has_tracks = bool(w.playlist_panel.selected_rows()) if has_playlist else False
    has_recs = bool(w.recs.selected()) or w.recs.current() is not None
    for a in (w.act_export, w.act_rename, w.act_delete, w.act_refresh):
        a.setEnabled(has_playlist)
    for a in (w.act_remove, w.act_up, w.act_down):
        a.setEnabled(has_tracks)
    w.act_add.setEnabled(has_playlist and has_recs)
    w.recs.add_button.setEnabled(has_playlist and has_recs)
    w.act_clear_blocked.setEnabled(bool(w.blocked))


def rebuild_model_menu(window: MainWindow) -> None:
    """Train…, then the bundled checkpoint and every registered one (checkable)."""
    w = window
    menu = w.model_menu
    menu.clear()
    for action in w.model_group.actions():
        w.model_group.removeAction(action)
    menu.addAction(w.act_train)
    menu.addSeparator()
    active = str(active_checkpoint_path(w.settings))
    entries = [
        (f"Bundled demo model ({config.BUNDLED_CHECKPOINT.name})", str(config.BUNDLED_CHECKPOINT))
    ]
    for rec in w.library.checkpoints():
        if rec.path == str(config.BUNDLED_CHECKPOINT):
            continue
        metric = next(
            (f" · {k} {v:.3f}" for k, v in rec.metrics.items() if isinstance(v, float)), ""
        )
        entries.append((f"{rec.model} — {Path(rec.path).name}{metric}", rec.path))
    for label, path in entries:
        action = QAction(label, w, checkable=True)
        action.setChecked(path == active)
        action.setToolTip(path)
        action.setEnabled(Path(path).exists())
        action.triggered.connect(lambda _c=False, p=path: w.choose_checkpoint(p))
        w.model_group.addAction(action)
        menu.addAction(action)


def _focus_search(window: MainWindow) -> None:
    window.sidebar.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
    window.sidebar.search.selectAll()


# -- flows ----------------------------------------------------------------------------------


def import_mpd(
    window: MainWindow, *, folder: bool = False, paths: list[str] | None = None
) -> ImportProgressDialog | None:
    """Asks for MPD slice files (or a folder) and imports them in the worker."""
    if paths is None:
        if folder:
            chosen = QFileDialog.getExistingDirectory(window, "Import an MPD folder")
            paths = [chosen] if chosen else []
        else:
            paths, _ = QFileDialog.getOpenFileNames(
                window, "Import MPD slice files", "", "MPD slices (*.json);;All files (*)"
            )
    if not paths:
        return None
    return _run_import(window, "Importing MPD playlists", jobs.import_mpd_job, list(paths))


def import_csv(window: MainWindow, path: str | None = None) -> ImportProgressDialog | None:
    if path is None:
        path, _ = QFileDialog.getOpenFileName(window, "Import a CSV playlist", "", "CSV (*.csv)")
    if not path:
        return None
    return _run_import(window, "Importing a CSV playlist", jobs.import_csv_job, path)


def _run_import(window: MainWindow, title: str, fn, arg) -> ImportProgressDialog:
    dialog = ImportProgressDialog(title, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(summary: object) -> None:
        dialog.on_finished(summary)
        window.refresh_library()

    def failed(exc: BaseException) -> None:
        dialog.on_failed(exc)
        window.show_error(exc)

    dialog.job = window.worker.submit(
        fn, window.library_path, arg, on_progress=dialog.on_progress, on_result=finished,
        on_error=failed, name="import",
    )  # fmt: skip
    dialog.show()
    return dialog


def export(window: MainWindow, fmt: str | None = None, out_path: str | None = None) -> None:
    playlist = window.playlist
    if playlist is None or playlist.id is None:
        return
    if fmt is None or out_path is None:
        dialog = ExportDialog(playlist.name, window)
        if dialog.exec() != ExportDialog.DialogCode.Accepted:
            return
        fmt, out_path = dialog.fmt(), dialog.out_path()
    window.worker.submit(
        jobs.export_job, window.library_path, playlist.id, fmt, out_path,
        on_result=lambda p: window.statusBar().showMessage(f"Exported to {p}", 8000),
        name="export",
    )  # fmt: skip


def open_settings(window: MainWindow) -> None:
    dialog = SettingsDialog(window.settings, config.data_dir(), window)
    if dialog.exec() != SettingsDialog.DialogCode.Accepted:
        return
    old = window.settings
    new = dialog.result_settings()
    window.settings = new
    save_settings(new)
    if dialog.chosen_data_dir() and Path(dialog.chosen_data_dir()) != config.data_dir():
        QMessageBox.information(
            window,
            "Data directory",
            "The new data directory takes effect after a restart: start the app with "
            f"PLAYLIST_ASSISTANT_HOME={dialog.chosen_data_dir()} (or --library PATH).",
        )
    if (old.device, old.recommendation_count) != (new.device, new.recommendation_count):
        window.set_active_checkpoint(new.active_checkpoint or None)


def open_train_dialog(window: MainWindow):
    """Opens the train dialog; a finished run becomes the active model."""
    from assistant.ui.train_dialog import TrainDialog

    dialog = TrainDialog(window, config.checkpoints_dir())
    dialog.trained.connect(
        lambda outcome: window.set_active_checkpoint(str(outcome.checkpoint_path))
    )
    window.train_dialog = dialog
    dialog.show()
    return dialog


def about(window: MainWindow) -> None:
    QMessageBox.about(
        window,
        "About Playlist Assistant",
        "<b>Playlist Assistant</b><br>Browse and extend playlists with a graph neural network "
        "that explains every proposal.<br><br>The demo catalog is synthetic.",
    )
