"""Undoable playlist edits (QUndoStack commands).

Every edit of a playlist — add, remove, move, reorder — is one :class:`SetTracksCommand`
that holds the track list before and after. ``redo``/``undo`` write that list through the
window's ``apply_tracks`` (one small SQLite transaction) and refresh the views; keeping the
whole list (not a diff) makes undo exact whatever happened in between.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtGui import QUndoCommand

ApplyTracks = Callable[[int, list[str]], None]


@dataclass
class PlaylistRef:
    """The id of an edited playlist, shared by the commands that edit it.

    A local copy made by :class:`CopyPlaylistCommand` gets a new id each time it is
    redone; the later commands on the stack follow it through this shared reference.
    """

    id: int


class SetTracksCommand(QUndoCommand):
    """Replaces a playlist's ordered track URIs; undo puts the old ones back.

    Args:
        apply: writes ``(playlist_id, uris)`` to the library and refreshes the window.
        playlist_id: the (local) playlist edited.
        before: its URIs before the edit.
        after: its URIs after the edit.
        text: what the Edit menu says ("Add 3 tracks").
    """

    def __init__(
        self,
        apply: ApplyTracks,
        playlist: int | PlaylistRef,
        before: Sequence[str],
        after: Sequence[str],
        text: str,
    ) -> None:
        super().__init__(text)
        self.apply = apply
        self.target = playlist if isinstance(playlist, PlaylistRef) else PlaylistRef(playlist)
        self.before = list(before)
        self.after = list(after)

    @property
    def playlist_id(self) -> int:
        return self.target.id

    def redo(self) -> None:
        self.apply(self.playlist_id, self.after)

    def undo(self) -> None:
        self.apply(self.playlist_id, self.before)


class CopyPlaylistCommand(QUndoCommand):
    """The first edit of an imported playlist: saves the edited list as a local copy.

    Undo deletes the copy again (and shows the imported playlist): leaving an unasked-for
    "(copy)" behind after undoing the only edit that made it surprised people.

    Args:
        create: ``(name, uris) -> new playlist id``; also shows the copy.
        drop: ``(copy_id, original_id)``: deletes the copy and shows the original.
        original_id: the imported playlist.
        name: the copy's name.
        after: the copy's tracks.
        target: receives the copy's id on every redo.
    """

    def __init__(
        self,
        create: Callable[[str, list[str]], int],
        drop: Callable[[int, int], None],
        original_id: int,
        name: str,
        after: Sequence[str],
        text: str,
        target: PlaylistRef,
    ) -> None:
        super().__init__(text)
        self.create = create
        self.drop = drop
        self.original_id = original_id
        self.name = name
        self.after = list(after)
        self.target = target

    def redo(self) -> None:
        self.target.id = self.create(self.name, self.after)

    def undo(self) -> None:
        self.drop(self.target.id, self.original_id)


def added(uris: Sequence[str], new: Sequence[str], at: int | None = None) -> list[str]:
    """``uris`` with ``new`` inserted at ``at`` (end by default), skipping duplicates."""
    present = set(uris)
    fresh = [u for u in dict.fromkeys(new) if u not in present]
    pos = len(uris) if at is None else max(0, min(at, len(uris)))
    return [*uris[:pos], *fresh, *uris[pos:]]


def removed(uris: Sequence[str], rows: Sequence[int]) -> list[str]:
    drop = set(rows)
    return [u for i, u in enumerate(uris) if i not in drop]


def moved(uris: Sequence[str], rows: Sequence[int], dest: int) -> list[str]:
    """Moves the rows (kept in order) so that they land before position ``dest``."""
    rows = sorted(set(r for r in rows if 0 <= r < len(uris)))
    picked = [uris[r] for r in rows]
    rest = [u for i, u in enumerate(uris) if i not in set(rows)]
    shift = sum(1 for r in rows if r < dest)
    at = max(0, min(dest - shift, len(rest)))
    return [*rest[:at], *picked, *rest[at:]]
