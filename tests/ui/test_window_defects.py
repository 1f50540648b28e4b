"""Issue 13's defects, one test each where they can be driven headlessly."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt


def test_clicking_a_playlist_keeps_the_clicked_row_in_place(window, qtbot) -> None:
    window.resize(1024, 640)
    tree = window.sidebar.tree
    group = window.sidebar.model.index(0, 0)
    tree.expand(group)
    qtbot.wait(10)
    # A row near the bottom of the visible part: the old centring moved it up.
    rows = window.sidebar.model.rowCount(group)
    height = tree.viewport().height()
    target = next(
        window.sidebar.model.index(r, 0, group)
        for r in range(rows)
        if tree.visualRect(window.sidebar.model.index(r, 0, group)).bottom() > height - 40
    )
    before = tree.verticalScrollBar().value()
    centre = tree.visualRect(target).center()
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    clicked = window.sidebar.model.playlist_at(target)
    assert window.current_playlist_id() == clicked.id
    assert tree.verticalScrollBar().value() == before
    assert tree.currentIndex() == target
    assert window.sidebar.model.playlist_at(tree.indexAt(QPoint(centre))).id == clicked.id


def test_cosmetics(window, qtbot) -> None:
    from assistant import __version__
    from assistant.ui import actions

    uris = [t.uri for t in list(window.library.iter_all_tracks())[:2]]
    pid = window.library.create_local_playlist("   spaced name", uris[:1])
    window.refresh_library()
    window.open_playlist(pid)
    assert "1 track ·" in window.playlist_panel.subtitle.text()
    assert window.playlist_panel.title.text() == "<h3>spaced name</h3>"
    index = window.sidebar.model.index_of_playlist(pid)
    assert window.sidebar.model.data(index).startswith("spaced name")
    # The toolbar keeps its layout when the undo text changes.
    undo_button = window.toolbar.widgetForAction(window.act_undo_tool)
    train_button = window.toolbar.widgetForAction(window.act_train)
    qtbot.wait(10)
    width, train_x = undo_button.width(), train_button.x()
    window.edit_tracks(uris, "Add 1 track and a long description of it")
    qtbot.wait(10)
    assert window.act_undo_tool.isEnabled()
    assert "Add 1 track" in window.act_undo_tool.toolTip()
    assert (undo_button.width(), train_button.x()) == (width, train_x)
    window.act_undo_tool.trigger()
    assert window.library.playlist(pid).track_uris == uris[:1]
    assert __version__ in actions.about_text()
    assert window.act_import.text().replace("&", "") == "Import playlists (MPD)…"


def test_first_start_opens_the_biggest_playlist(make_window, demo_library, qtbot) -> None:
    w = make_window(demo_library)
    w.show()
    with qtbot.waitSignal(w.playlist_opened, timeout=5000):
        w.start()
    biggest = max(w.library.playlists(), key=lambda p: p.num_tracks)
    assert w.playlist.track_uris and len(w.playlist.track_uris) == biggest.num_tracks
