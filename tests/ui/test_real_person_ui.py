"""The window on a real person's library: the model says when it cannot help."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.jobs.imports import import_mpd
from assistant.store.library import Library
from tests.cli.test_real_person import write_real_slice


def real_library(tmp_path: Path) -> Path:
    path = tmp_path / "real.sqlite"
    with Library(path) as library:
        import_mpd(library, [write_real_slice(tmp_path / "s.json")], helper=False)
    return path


def test_empty_state_says_why_and_offers_training(make_window, checkpoint, tmp_path, qtbot):
    w = make_window(real_library(tmp_path), Settings(active_checkpoint=str(checkpoint)))
    w.rec_timer.setInterval(0)
    w.show()
    w.refresh_library()
    pid = w.library.find_playlist("mpd:3").id
    with qtbot.waitSignal(w.recommendations_shown, timeout=60_000) as blocker:
        w.sidebar.select_playlist(pid)
    batch = blocker.args[0]
    assert batch.kind == "none" and batch.rows == []
    assert w.recs.empty.isVisible() and not w.recs.view.isVisible()
    assert "knows none of the 12 tracks" in w.recs.empty_text.text()
    assert w.recs.train_button.isVisible() and w.recs.train_button.text() == "Train on my library…"
    assert not w.recs.add_button.isEnabled()
    w.recs.train_button.click()
    assert w.train_dialog.isVisible()
    w.train_dialog.reject()

    # An empty playlist: the library's popular tracks, labelled as such.
    empty = w.library.create_local_playlist("new one")
    w.refresh_library()
    with qtbot.waitSignal(w.recommendations_shown, timeout=60_000) as blocker:
        w.sidebar.select_playlist(empty)
    assert blocker.args[0].kind == "popular" and blocker.args[0].rows
    # (An empty playlist opens on the "Find a track" tab: the panel's own state is checked.)
    assert w.recs.view.isVisibleTo(w.recs) and not w.recs.empty.isVisibleTo(w.recs)
    assert "Popular in your library" in w.recs.title.text()


def test_demo_playlist_header_and_remove_demo(rec_window, qtbot):
    w = rec_window
    assert "Demo (synthetic)" in w.sidebar.model.index(0, 0).data()
    pid = w.library.playlists(source="demo", limit=1)[0].id
    with qtbot.waitSignal(w.recommendations_shown, timeout=60_000):
        w.sidebar.select_playlist(pid)
    assert w.recs.view.isVisible() and w.recs.model.rowCount() > 0
    with qtbot.waitSignal(w.library_refreshed, timeout=30_000):
        w.act_remove_demo.trigger()
    assert w.library.count_playlists("demo") == 0 and w.playlist is None
