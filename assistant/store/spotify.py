"""Spotify export bookkeeping: which library playlist went to which Spotify playlist."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.store.connection import Connection


@dataclass(frozen=True, slots=True)
class SpotifyLink:
    playlist_id: int
    spotify_playlist_id: str
    mode: str
    base_count: int
    exported_count: int
    status: str
    updated_at: float


class SpotifyMixin(Connection):
    """The spotify_exports table."""

    def spotify_links(self, playlist_id: int) -> list[SpotifyLink]:
        """Every Spotify playlist this library playlist was exported to, latest first."""
        return [
            SpotifyLink(*row)
            for row in self.conn.execute(
                "SELECT playlist_id, spotify_playlist_id, mode, base_count, exported_count, "
                "status, updated_at FROM spotify_exports WHERE playlist_id = ? "
                "ORDER BY updated_at DESC",
                (playlist_id,),
            )
        ]

    def spotify_link(
        self, playlist_id: int, *, mode: str | None = None, spotify_playlist_id: str | None = None
    ) -> SpotifyLink | None:
        """The latest export record of a playlist (of that mode, or to that playlist)."""
        for link in self.spotify_links(playlist_id):
            if mode is not None and link.mode != mode:
                continue
            if spotify_playlist_id is not None and link.spotify_playlist_id != spotify_playlist_id:
                continue
            return link
        return None

    def set_spotify_link(self, link: SpotifyLink) -> None:
        with self.atomic():
            self.conn.execute(
                "INSERT OR REPLACE INTO spotify_exports VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    link.playlist_id,
                    link.spotify_playlist_id,
                    link.mode,
                    link.base_count,
                    link.exported_count,
                    link.status,
                    link.updated_at,
                ),
            )

    def delete_spotify_link(self, playlist_id: int, spotify_playlist_id: str) -> None:
        with self.atomic():
            self.conn.execute(
                "DELETE FROM spotify_exports WHERE playlist_id = ? AND spotify_playlist_id = ?",
                (playlist_id, spotify_playlist_id),
            )

    def delete_spotify_links(self) -> None:
        with self.atomic():
            self.conn.execute("DELETE FROM spotify_exports")
