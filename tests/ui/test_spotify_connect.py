"""The first Spotify connection as a new user meets it: the connect screen says where to get
a client ID and which redirect URI to register, the notice reads as prose, and the menu
items that need a sign-in follow the sign-in."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication, QTextDocument

from assistant.config import Settings
from assistant.jobs.spotify_sync import redirect_uri
from tests.spotify.conftest import fake, free_port, person  # noqa: F401  (fixture)
from tests.spotify.fake_server import FakeSpotify


def numbered_steps(html: str) -> list[str]:
    """The list items of rich text as Qt lays them out: "1. text", "2. text", …"""
    doc = QTextDocument()
    doc.setHtml(html)
    steps, block = [], doc.begin()
    while block.isValid():
        if block.textList() is not None:
            steps.append(f"{block.textList().itemText(block)} {block.text()}")
        block = block.next()
    return steps


def test_connect_screen_guides_to_a_client_id_and_menu_follows_sign_in(
    qtbot,
    make_window,
    demo_library: Path,
    fake: FakeSpotify,  # noqa: F811
) -> None:
    port = free_port()
    window = make_window(demo_library, Settings(spotify_redirect_port=port))
    window.show()
    ext = window.spotify
    ext.open_browser = person
    qtbot.waitUntil(lambda: ext.status.text() == "Spotify: signed out", timeout=5000)
    needs_sign_in = [ext.import_action, ext.export_action, ext.disconnect_action]
    assert [a.isEnabled() for a in needs_sign_in] == [False, False, False]
    assert ext.connect_action.isEnabled()

    notices: list[str] = []
    window.ask = lambda title, text: notices.append(text) or True
    ext.connect_action.trigger()
    dialog = ext.connect_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    assert "href='https://developer.spotify.com/dashboard'" in dialog.link.text()
    assert dialog.link.openExternalLinks() and dialog.steps.openExternalLinks()
    steps = numbered_steps(dialog.steps.text())
    assert [s[:3] for s in steps] == ["1. ", "2. ", "3. "]
    assert "Create an app" in steps[0] and "Spotify developer dashboard" in steps[0]
    assert "redirect URI" in steps[1] and "Web API" in steps[1]
    assert "client ID" in steps[2]
    # The exact URI Spotify will compare against, with the configured port.
    assert dialog.redirect.text() == redirect_uri(port) == f"http://127.0.0.1:{port}/callback"
    assert dialog.redirect.isReadOnly()
    QGuiApplication.clipboard().clear()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == f"http://127.0.0.1:{port}/callback"

    assert not dialog.ok.isEnabled()  # nothing pasted yet
    qtbot.keyClicks(dialog.client_id, " test-client ")
    assert dialog.ok.isEnabled()
    dialog.ok.click()
    qtbot.waitUntil(lambda: ext.status.text() == "Spotify: signed in as Alice", timeout=10_000)
    assert window.settings.spotify_client_id == "test-client"
    assert [a.isEnabled() for a in needs_sign_in] == [True, True, True]

    # The notice: one line per point (the dialog wraps), no jargon, no terminal commands.
    (notice,) = notices
    assert "PKCE" not in notice and "playlist-assistant" not in notice and "`" not in notice
    points = [line for line in notice.splitlines() if line.strip()]
    assert len(points) >= 3
    for line in points[:-1]:
        assert line.startswith("- ") and line.endswith("."), line
    assert points[-1] == "Continue?"

    with qtbot.waitSignal(window.library_refreshed, timeout=10_000):
        ext.disconnect_action.trigger()
    assert [a.isEnabled() for a in needs_sign_in] == [False, False, False]


def test_cancelling_the_connect_screen_changes_nothing(
    qtbot,
    make_window,
    demo_library: Path,
    fake: FakeSpotify,  # noqa: F811
) -> None:
    window = make_window(demo_library, Settings(spotify_redirect_port=free_port()))
    window.show()
    ext = window.spotify
    ext.open_browser = person
    ext.connect_action.trigger()
    qtbot.waitUntil(lambda: ext.connect_dialog is not None and ext.connect_dialog.isVisible())
    qtbot.keyClicks(ext.connect_dialog.client_id, "test-client")
    ext.connect_dialog.reject()
    qtbot.wait(200)
    assert window.settings.spotify_client_id == ""
    assert ext.job is None and not ext.import_action.isEnabled()
