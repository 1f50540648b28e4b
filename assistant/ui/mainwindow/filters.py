"""The recommendation filters: max per artist and blocked artists (kept in the library's meta table).

A mixin of :class:`~assistant.ui.mainwindow.MainWindow`; the window holds the state.
"""

from __future__ import annotations

import contextlib
import json

from assistant.config import save_settings

BLOCKED_META_KEY = "ui.blocked_artists"


class FiltersMixin:
    """The recommendation filters (mixed into MainWindow)."""

    def _filters_changed(self) -> None:
        self.settings.max_per_artist = self.recs.per_artist.value()
        save_settings(self.settings)
        self.playlist_changed()

    def block_artist(self, key: str, name: str) -> None:
        self.blocked[key] = name
        self._save_blocked()
        self.recs.model.set_rows(
            [
                r
                for r in self.recs.model.rows()
                if (r.track.artist_uri or r.track.artist_name) != key
            ]
        )
        self.playlist_changed()

    def clear_blocked(self) -> None:
        self.blocked.clear()
        self._save_blocked()
        self.playlist_changed()

    def _load_blocked(self) -> dict[str, str]:
        with contextlib.suppress(ValueError, TypeError):
            return dict(json.loads(self.library.get_meta(BLOCKED_META_KEY) or "{}"))
        return {}

    def _save_blocked(self) -> None:
        self.library.set_meta(BLOCKED_META_KEY, json.dumps(self.blocked))
        self.recs.set_blocked(sorted(self.blocked.values()))
