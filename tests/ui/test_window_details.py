"""Playlist details, unknown tracks marked, and Open in Spotify from the context menus."""

from __future__ import annotations

import pytest
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


def test_a_new_track_read_through_its_artist_is_counted_not_marked(
    make_window, demo_library, checkpoint, tmp_path, qtbot
) -> None:
    """With a checkpoint that stores artist vectors, a new track by a known artist is used:
    the header counts it apart from the known tracks and it carries no "unknown" mark."""
    import torch

    from assistant.config import Settings
    from assistant.ml import checkpoint as ckpt

    loaded = ckpt.load(checkpoint)
    if loaded.model != "hgat":
        pytest.skip("a track-only checkpoint reads no artists")
    t = loaded.tensors
    # Stand-in artist vectors (the sum of each artist's track vectors; no album vectors):
    # the bundled checkpoint predates them, and the window only needs them to be nonzero.
    n_artists, n_albums = len(loaded.metadata["artist_uris"]), len(loaded.metadata["album_uris"])
    known = t["artist_of"] >= 0
    artist_h = torch.zeros(n_artists, t["h"].shape[1]).index_add_(
        0, t["artist_of"][known], t["h"][known]
    )
    tensors = dict(t, artist_h=artist_h, album_h=torch.zeros(n_albums, t["h"].shape[1]))
    path = ckpt.save(tmp_path / "with-artists.ckpt", loaded.metadata, tensors)
    w = make_window(demo_library, Settings(active_checkpoint=str(path), recommendation_count=20))
    w.rec_timer.setInterval(0)
    w.show()
    w.refresh_library()
    first = list(w.library.iter_all_tracks())[:4]
    by_artist = Track(
        "spotify:track:000000000000000000byartist", "New", first[0].artist_uri, "Someone"
    )
    nobody = Track("spotify:track:0000000000000000000nobody", "Other", "", "Nobody")
    w.library.add_tracks([by_artist, nobody])
    uris = [*(x.uri for x in first), by_artist.uri, nobody.uri]
    pid = w.library.create_local_playlist("two new ones", uris)
    w.refresh_library()
    with qtbot.waitSignal(w.recommendations_shown, timeout=60_000) as blocker:
        w.sidebar.select_playlist(pid)
    batch = blocker.args[0]
    assert batch.unknown_seeds == [nobody.uri] and batch.through_content == 1
    model = w.playlist_panel.model
    row = w.playlist.track_uris.index(by_artist.uri)
    assert model.index(row, 1).data(Qt.ItemDataRole.DecorationRole) is None
    row = w.playlist.track_uris.index(nobody.uri)
    assert model.index(row, 1).data(Qt.ItemDataRole.DecorationRole) is not None
    assert (
        "The model knows 4 of 6 tracks (67%), 1 more through their artist or album — marked"
        in w.playlist_panel.subtitle.text()
    )
    # The proposals' header line is cut in a narrow panel: its tooltip keeps all of it.
    notice = "4 of 6 tracks known to the model, 1 more through their artist or album"
    w.recs.show_outcome("model", notice, 20, "hgat")
    assert notice in w.recs.state.text() and w.recs.state.toolTip() == notice
