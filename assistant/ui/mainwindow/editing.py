"""Editing the open playlist: undoable commands, the local copy of an imported playlist, new/rename/delete.

A mixin of :class:`~assistant.ui.mainwindow.MainWindow`; the window holds the state.
"""

from __future__ import annotations

import contextlib

from PySide6.QtWidgets import (
    QInputDialog,
    QMessageBox,
)

from assistant.domain import Track, ownership
from assistant.errors import AssistantError
from assistant.ui.table_models import SOURCE_LABELS, display_name
from assistant.ui.undo import (
    CopyPlaylistCommand,
    PlaylistRef,
    SetTracksCommand,
    added,
    moved,
    removed,
)


class EditingMixin:
    """Editing the open playlist (mixed into MainWindow)."""

    def apply_tracks(self, playlist_id: int, uris: list[str]) -> None:
        """Writes a playlist's tracks (undo commands call this) and shows the result."""
        before = (
            set(self.playlist.track_uris) if self.current_playlist_id() == playlist_id else None
        )
        try:
            self.library.set_playlist_tracks(playlist_id, uris)
        except AssistantError as exc:
            self.show_error(exc)
            return
        self._hide_added_recommendations(uris)
        self.open_playlist(playlist_id)
        self.refresh_library()
        if before is not None:
            self.playlist_panel.flash([u for u in uris if u not in before])

    def _hide_added_recommendations(self, uris: list[str]) -> None:
        # Hide what was just added at once; the debounced refresh brings new ones.
        present = set(uris)
        kept = [r for r in self.recs.model.rows() if r.uri not in present]
        if len(kept) != self.recs.model.rowCount():
            self.recs.model.set_rows(kept)

    def _create_copy(self, name: str, uris: list[str]) -> int:
        """Saves an edited imported playlist as a local one (CopyPlaylistCommand.redo)."""
        before = set(self.playlist.track_uris) if self.playlist else set()
        new_id = self.library.create_local_playlist(name, uris)
        self._hide_added_recommendations(uris)
        self.refresh_library()
        self.open_playlist(new_id)
        self.playlist_panel.flash([u for u in uris if u not in before])
        return new_id

    def _drop_copy(self, copy_id: int, original_id: int) -> None:
        """Deletes the copy made by the first edit (CopyPlaylistCommand.undo)."""
        with contextlib.suppress(AssistantError):  # already gone: nothing to undo
            self.library.delete_playlist(copy_id)
        self.refresh_library()
        self.open_playlist(original_id)

    def _ref(self, playlist_id: int) -> PlaylistRef:
        """The shared id holder of a playlist the undo stack edits."""
        for ref in self._refs:
            if ref.id == playlist_id:
                return ref
        ref = PlaylistRef(playlist_id)
        self._refs.append(ref)
        return ref

    def edit_tracks(self, after: list[str], text: str) -> None:
        """One undoable edit of the open playlist; an imported one is edited as a copy."""
        playlist = self.playlist
        if playlist is None or playlist.id is None or after == playlist.track_uris:
            return
        if ownership(playlist.source).editable:
            self.undo_stack.push(
                SetTracksCommand(
                    self.apply_tracks, self._ref(playlist.id), playlist.track_uris, after, text
                )
            )
            return
        source = SOURCE_LABELS.get(playlist.source, playlist.source)
        if not self.confirm(
            "Edit a copy?",
            f"“{display_name(playlist.name)}” comes from {source} and is kept as imported.\n"
            "Save it as a local playlist and edit that copy?",
            "Edit a copy",
        ):
            return
        ref = PlaylistRef(0)
        self._refs.append(ref)
        self.undo_stack.push(
            CopyPlaylistCommand(
                self._create_copy,
                self._drop_copy,
                playlist.id,
                f"{display_name(playlist.name)} (copy)",
                after,
                text,
                ref,
            )
        )

    def add_selected_recommendations(self) -> None:
        rows = self.recs.selected() or ([self.recs.current()] if self.recs.current() else [])
        if not rows or self.playlist is None:
            return
        n = len(rows)
        self.edit_tracks(
            added(self.playlist.track_uris, [r.uri for r in rows]),
            f"Add {n} track{'s' * (n != 1)}",
        )

    def add_found_tracks(self, tracks: list[Track]) -> None:
        if self.playlist is None:
            self.show_error("Open a playlist first (or make a new one with Ctrl+N).")
            return
        n = len(tracks)
        self.edit_tracks(
            added(self.playlist.track_uris, [t.uri for t in tracks]),
            f"Add {n} track{'s' * (n != 1)}",
        )

    def remove_selected_tracks(self) -> None:
        rows = self.playlist_panel.selected_rows()
        if rows and self.playlist is not None:
            n = len(rows)
            self.edit_tracks(
                removed(self.playlist.track_uris, rows), f"Remove {n} track{'s' * (n != 1)}"
            )

    def move_tracks(self, rows: list[int], dest: int) -> None:
        if self.playlist is not None:
            before = list(self.playlist.track_uris)
            self.edit_tracks(moved(before, rows, dest), "Move tracks")
            self._select_tracks(before, rows, dest)

    def move_selected(self, delta: int) -> None:
        rows = self.playlist_panel.selected_rows()
        if not rows or self.playlist is None:
            return
        dest = rows[0] - 1 if delta < 0 else rows[-1] + 2
        if dest < 0 or dest > len(self.playlist.track_uris):
            return
        self.move_tracks(rows, dest)

    def _select_tracks(self, uris: list[str], rows: list[int], dest: int) -> None:
        """Keeps the moved tracks selected at their new places."""
        picked = {uris[r] for r in rows if r < len(uris)}
        self.playlist_panel.table.select_rows(
            [i for i, track in enumerate(self.tracks) if track.uri in picked], current=False
        )

    def new_playlist(self, from_selection: bool = False) -> int | None:
        uris: list[str] = []
        if from_selection:
            uris = [r.uri for r in self.recs.selected()]
            if self.playlist is not None and self.playlist_panel.selected_rows():
                uris = [self.tracks[r].uri for r in self.playlist_panel.selected_rows()] + uris
        name, ok = self.get_text("New playlist", "Name:", "New playlist")
        if not ok or not name.strip():
            return None
        new_id = self.library.create_local_playlist(name.strip(), list(dict.fromkeys(uris)))
        self.undo_stack.clear()
        self._refs.clear()
        self.refresh_library()
        self.open_playlist(new_id)
        return new_id

    def get_text(self, title: str, label: str, text: str) -> tuple[str, bool]:
        return QInputDialog.getText(self, title, label, text=text)

    def rename_playlist(self) -> None:
        if self.playlist is None or self.playlist.id is None:
            return
        name, ok = self.get_text("Rename playlist", "Name:", self.playlist.name)
        if ok and name.strip():
            self.library.rename_playlist(self.playlist.id, name.strip())
            self.open_playlist(self.playlist.id)
            self.refresh_library()

    def delete_playlist(self) -> None:
        if self.playlist is None or self.playlist.id is None:
            return
        if not self.confirm(
            "Delete playlist?",
            f"Delete “{display_name(self.playlist.name)}” from the library?",
            "Delete",
        ):
            return
        self.library.delete_playlist(self.playlist.id)
        self.close_playlist()

    def close_playlist(self) -> None:
        """Shows no playlist (after it was deleted or its source removed)."""
        self.undo_stack.clear()
        self._refs.clear()
        self.playlist = None
        self.tracks = []
        self.playlist_panel.model.set_rows([])
        self.playlist_panel.title.setText("<h3>No playlist open</h3>")
        self.playlist_panel.subtitle.setText("")
        self.recs.model.set_rows([])
        self.recs.clear_outcome()
        self.explanation.show_recommendation(None)
        self.refresh_library()
        self.update_actions()

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def question_box(self, title: str, text: str, accept: str) -> QMessageBox:
        """A question whose buttons say what they do ("Edit a copy" / "Cancel")."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        box.addButton(accept, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        return box

    def _confirm(self, title: str, text: str, accept: str) -> bool:
        box = self.question_box(title, text, accept)
        box.exec()
        return box.buttonRole(box.clickedButton()) == QMessageBox.ButtonRole.AcceptRole
