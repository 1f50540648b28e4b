"""Undoable playlist edits (QUndoStack commands).

Every edit of a playlist — add, remove, move, reorder — is one :class:`SetTracksCommand`
that holds the track list before and after. ``redo``/``undo`` write that list through the
window's ``apply_tracks`` (one small SQLite transaction) and refresh the views; keeping the
whole list (not a diff) makes undo exact whatever happened in between.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtGui import QUndoCommand

ApplyTracks = Callable[[int, list[str]], None]


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
        playlist_id: int,
        before: Sequence[str],
        after: Sequence[str],
        text: str,
    ) -> None:
        super().__init__(text)
        self.apply = apply
        self.playlist_id = playlist_id
        self.before = list(before)
        self.after = list(after)

    def redo(self) -> None:
        self.apply(self.playlist_id, self.after)

    def undo(self) -> None:
        self.apply(self.playlist_id, self.before)


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
