"""Settings stored with the data (the meta table), and summaries of the whole library."""

from __future__ import annotations

from assistant.store.connection import Connection


class MetaMixin(Connection):
    """The meta table, the library's id, its content fingerprint and its counts."""

    def library_id(self) -> str:
        """This library's random id (recorded in the checkpoints trained on it)."""
        return self.get_meta("library_id", "") or ""

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.atomic():
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def library_fingerprint(self) -> str:
        """Changes whenever playlists or their tracks change (cheap: counts and max ids).

        The library's content, not the training graph's (that one is
        ``Interactions.fingerprint()``, a checkpoint's ``graph_fingerprint``).
        """
        n_pl, max_id = self.conn.execute(
            "SELECT count(*), coalesce(max(id), 0) FROM playlists"
        ).fetchone()
        n_entries = self.conn.execute(
            "SELECT coalesce(sum(num_tracks), 0) FROM playlists"
        ).fetchone()[0]
        n_tracks = self.conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
        return f"p{n_pl}-m{max_id}-e{n_entries}-t{n_tracks}"

    def stats(self) -> dict[str, int]:
        one = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "playlists": one("SELECT count(*) FROM playlists"),
            "entries": one("SELECT coalesce(sum(num_tracks), 0) FROM playlists"),
            "tracks": one("SELECT count(*) FROM tracks"),
            "artists": one("SELECT count(DISTINCT artist_uri) FROM tracks"),
            "albums": one("SELECT count(DISTINCT album_uri) FROM tracks"),
            "imports": one("SELECT count(*) FROM imports"),
            "recommendation_runs": one("SELECT count(*) FROM recommendation_runs"),
            "training_runs": one("SELECT count(*) FROM training_runs"),
        }
