"""Playlist details, unknown tracks marked, and Open in Spotify from the context menus."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from assistant.domain import Track
from assistant.ui.links import playlist_url, spotify_url


class _Browser(QObject):
    """Receives what QDesktopServices would hand to the browser."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def show(self, url: QUrl) -> None:
        self.opened.append(url.toString())


def test_unknown_tracks_are_marked_and_coverage_is_shown(rec_window, qtbot) -> None:
    known = [t.uri for t in list(rec_window.library.iter_all_tracks())[:4]]
    new = Track("spotify:track:0000000000000000000new", "Brand New Song", "", "Nobody")
    rec_window.library.add_tracks([new])
    pid = rec_window.library.create_local_playlist("with a new one", [*known, new.uri])
    rec_window.refresh_library()
    with qtbot.waitSignal(rec_window.recommendations_shown, timeout=60_000) as blocker:
        rec_window.sidebar.select_playlist(pid)
    assert new.uri in blocker.args[0].unknown_seeds
    model = rec_window.playlist_panel.model
    row = rec_window.playlist.track_uris.index(new.uri)
    assert model.index(row, 1).data(Qt.ItemDataRole.DecorationRole) is not None
    tip = model.index(row, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert "not known to the active model" in tip.lower()
    assert model.index(0, 1).data(Qt.ItemDataRole.DecorationRole) is None
    assert "The model knows 4 of 5 tracks (80%)" in rec_window.playlist_panel.subtitle.text()


def test_details_say_where_a_playlist_comes_from(window) -> None:
    summary = max(window.library.playlists(source="demo", limit=50), key=lambda p: p.num_tracks)
    window.open_playlist(summary.id)
    details = window.playlist_panel.subtitle.text()
    assert details.startswith("Demo (synthetic) · ")
    assert "imported " in details and "editing makes a local copy" in details


def test_open_in_spotify_from_the_context_menus(window, qtbot) -> None:
    assert spotify_url("spotify:track:abc") == "https://open.spotify.com/track/abc"
    assert spotify_url("file:///x.mp3") is None
    browser = _Browser()
    QDesktopServices.setUrlHandler("https", browser, "show")
    try:
        summary = window.library.playlists(source="demo", limit=1)[0]
        window.open_playlist(summary.id)
        menu = window.playlist_panel.context_menu(window.playlist_panel.view.model().index(0, 1))
        qtbot.addWidget(menu)
        spotify = next(a for a in menu.actions() if a.text() == "Open in Spotify")
        assert spotify.isEnabled()
        spotify.trigger()
        track = window.playlist.track_uris[0]
        assert browser.opened == [f"https://open.spotify.com/track/{track.split(':')[2]}"]
        # An MPD playlist is not on Spotify: its sidebar entry cannot open it.
        tree = window.sidebar.model
        sidebar_menu = window.sidebar.context_menu(tree.index_of_playlist(summary.id))
        qtbot.addWidget(sidebar_menu)
        assert not sidebar_menu.actions()[0].isEnabled()
    finally:
        QDesktopServices.unsetUrlHandler("https")
    pid = window.library.create_local_playlist("mine", [])
    assert playlist_url(window.library.playlist(pid), "37i9dQZF1") == (
        "https://open.spotify.com/playlist/37i9dQZF1"
    )
