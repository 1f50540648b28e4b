"""The Spotify menu against the fake server: connect, import, export with retry, disconnect."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt

from assistant.config import Settings
from assistant.store import Library
from tests.spotify.conftest import fake, free_port, person  # noqa: F401  (fixture)
from tests.spotify.fake_server import FakeSpotify, track_uri


@pytest.fixture
def spotify_window(make_window, demo_library: Path, fake: FakeSpotify):  # noqa: F811
    settings = Settings(spotify_client_id="test-client", spotify_redirect_port=free_port())
    window = make_window(demo_library, settings)
    window.show()
    ext = window.spotify
    ext.open_browser = person  # stands in for the person in the browser
    return window


def test_menu_connect_import_export_disconnect(
    qtbot,
    spotify_window,
    fake: FakeSpotify,  # noqa: F811
) -> None:
    window, ext = spotify_window, spotify_window.spotify
    titles = [a.text() for a in ext.menu.actions() if a.text()]
    assert titles == [
        "Connect…",
        "Import playlists…",
        "Export current playlist to Spotify…",
        "Disconnect…",
    ]
    qtbot.waitUntil(lambda: ext.status.text() == "Spotify: signed out", timeout=5000)
    asked: list[str] = []
    window.ask = lambda title, text: asked.append(title) or True

    ext.connect_action.trigger()
    qtbot.waitUntil(lambda: ext.status.text() == "Spotify: signed in as Alice", timeout=10_000)
    assert asked == ["Connecting Spotify"] and window.settings.spotify_notice_accepted

    mine = fake.add_playlist("Mine", range(70))
    fake.add_playlist("Bob's", range(3), owner="bob")
    ext.import_action.trigger()
    qtbot.waitUntil(lambda: ext.picker is not None and ext.picker.isVisible(), timeout=10_000)
    rows = ext.picker.list
    assert rows.count() == 2
    assert rows.item(0).checkState() == Qt.CheckState.Checked
    assert rows.item(1).checkState() == Qt.CheckState.Unchecked  # not hers: unchecked
    with qtbot.waitSignal(window.library_refreshed, timeout=10_000):
        ext.picker.accept()
    imported = window.library.find_playlist(f"spotify:{mine}")
    assert len(imported.track_uris) == 70

    # Export with a rate limit beyond the cap: stopped, then "Try again now?" finishes it.
    window.open_playlist(imported.id)
    fake.fail("POST", r"^/v1/playlists/\w+/items$", 429, retry_after=3600)
    ext.export_action.trigger()
    qtbot.waitUntil(lambda: ext.export_dialog is not None and ext.export_dialog.isVisible())
    ext.export_dialog.name.setText("Mine, extended")
    ext.export_dialog.accept()
    qtbot.waitUntil(lambda: ext.last_export is not None, timeout=15_000)
    assert "Export stopped" in asked
    new = next(p for p, v in fake.playlists.items() if v["name"] == "Mine, extended")
    assert fake.uris(new) == [track_uri(i) for i in range(70)]
    assert ext.last_export.resumed

    with qtbot.waitSignal(window.library_refreshed, timeout=10_000):
        ext.disconnect_action.trigger()
    assert ext.status.text() == "Spotify: signed out"
    with Library(window.library_path) as library:
        assert library.playlists(source="spotify") == []


def test_expired_sign_in_is_visible(qtbot, spotify_window, fake: FakeSpotify) -> None:  # noqa: F811
    window, ext = spotify_window, spotify_window.spotify
    window.ask = lambda title, text: True
    ext.connect_action.trigger()
    qtbot.waitUntil(lambda: ext.status.text() == "Spotify: signed in as Alice", timeout=10_000)
    fake.expire_access_tokens()
    fake.revoke_refresh_tokens()
    errors: list[str] = []
    window.error_shown.connect(errors.append)
    ext.import_action.trigger()
    qtbot.waitUntil(lambda: ext.status.text() == "Spotify: sign-in expired", timeout=10_000)
    assert errors and "Sign in again" in errors[0]
