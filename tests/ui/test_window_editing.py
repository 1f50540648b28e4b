"""The window on a copy of the demo library: browse, edit with undo, import errors."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from assistant.store.library import Library
from assistant.ui import actions


def _first_mpd(window) -> int:
    return window.library.playlists(source="demo", limit=1)[0].id


def test_opens_on_the_demo_library(window) -> None:
    model = window.sidebar.model
    assert model.rowCount() == 1
    assert "2,000" in model.data(model.index(0, 0))
    with_id = _first_mpd(window)
    window.sidebar.select_playlist(with_id)
    assert window.current_playlist_id() == with_id
    assert window.playlist_panel.model.rowCount() == len(window.playlist.track_uris) > 0
    assert window.model_label.text().startswith("Model:")
    assert window.device_label.text().startswith("Device:")


def test_search_narrows_the_sidebar(window, qtbot) -> None:
    window.sidebar.search.setText("rock")
    with qtbot.waitSignal(window.library_refreshed, timeout=3000):
        pass
    group = window.sidebar.model.index(0, 0)
    names = [
        window.sidebar.model.playlist_at(window.sidebar.model.index(r, 0, group)).name
        for r in range(window.sidebar.model.rowCount(group))
    ]
    assert names and all("rock" in n.lower() for n in names)


def test_edit_imported_playlist_makes_local_copy_with_undo(window) -> None:
    source_id = _first_mpd(window)
    window.open_playlist(source_id)
    original = list(window.playlist.track_uris)
    extras = [t.uri for t in window.library.iter_all_tracks() if t.uri not in set(original)][:2]
    window.edit_tracks([*original, extras[0]], "Add 1 track")
    copy = window.playlist
    assert copy.source == "local" and copy.id != source_id
    assert window.library.playlist(copy.id).track_uris == [*original, extras[0]]
    assert window.library.playlist(source_id).track_uris == original  # untouched
    window.edit_tracks([*original, *extras], "Add 1 track")
    window.undo_stack.undo()  # the second edit: the copy stays, with the first edit
    assert window.library.playlist(copy.id).track_uris == [*original, extras[0]]
    window.undo_stack.undo()  # the edit that made the copy: the copy goes (issue 13, 5)
    assert not [p for p in window.library.playlists(source="local") if p.id == copy.id]
    assert window.current_playlist_id() == source_id
    assert window.playlist_panel.model.rowCount() == len(original)
    window.undo_stack.redo()
    window.undo_stack.redo()
    again = window.playlist
    assert again.source == "local"
    assert window.library.playlist(again.id).track_uris == [*original, *extras]
    assert len(window.library.playlists(source="local")) == 1


def test_remove_move_and_drop_reorder(window) -> None:
    uris = [t.uri for t in list(window.library.iter_all_tracks())[:4]]
    pid = window.library.create_local_playlist("mine", uris)
    window.refresh_library()
    window.open_playlist(pid)
    window.playlist_panel.view.selectRow(0)
    window.act_down.trigger()
    assert window.library.playlist(pid).track_uris == [uris[1], uris[0], uris[2], uris[3]]
    model = window.playlist_panel.model
    mime = model.mimeData([model.index(3, 0)])
    model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, model.index(-1, -1))
    assert window.library.playlist(pid).track_uris[0] == uris[3]
    window.playlist_panel.view.selectRow(0)
    window.remove_selected_tracks()
    assert uris[3] not in window.library.playlist(pid).track_uris
    for _ in range(3):
        window.undo_stack.undo()
    assert window.library.playlist(pid).track_uris == uris


def test_new_rename_delete(window) -> None:
    window.get_text = lambda _t, _l, _x: ("Road songs", True)
    pid = window.new_playlist()
    assert window.library.playlist(pid).name == "Road songs"
    assert window.sidebar.model.index_of_playlist(pid).isValid()
    window.get_text = lambda _t, _l, _x: ("Road songs 2", True)
    window.rename_playlist()
    assert window.library.playlist(pid).name == "Road songs 2"
    window.delete_playlist()
    assert window.current_playlist_id() is None
    assert all(p.id != pid for p in window.library.playlists())


def test_broken_mpd_file_is_listed_and_changes_nothing(window, qtbot, tmp_path: Path) -> None:
    before = window.library.stats()
    broken = tmp_path / "mpd.slice.0-999.json"
    broken.write_text('{"info": {}, "playlists": [{"name": "x", "tracks": [', encoding="utf-8")
    dialog = actions.import_mpd(window, paths=[str(broken)])
    with qtbot.waitSignal(dialog.job.finished, timeout=10_000):
        pass
    assert dialog.errors.count() == 1
    assert "mpd.slice.0-999.json" in dialog.errors.item(0).text()
    assert window.library.stats() == before
    # A failure state, not "…from 0 file(s); 1 file(s) could not be imported:." and a
    # full bar (issue 13, defect 6).
    assert dialog.failed and dialog.bar.isHidden()
    assert dialog.label.text().startswith("Nothing was imported")
    assert "(s)" not in dialog.label.text() and ":." not in dialog.label.text()


def test_broken_csv_shows_the_error_once(window, qtbot, tmp_path: Path) -> None:
    before = window.library.stats()
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x00\xff not a csv at all\n")
    shown: list[str] = []
    window.error_shown.connect(shown.append)
    dialog = actions.import_csv(window, str(broken))
    with qtbot.waitSignal(dialog.job.finished, timeout=10_000):
        pass
    # Once, in the dialog's list; no second modal with the same text (issue 13, defect 6).
    assert shown == []
    assert dialog.errors.count() == 1 and "broken.csv" in dialog.errors.item(0).text()
    assert dialog.failed
    assert window.library.stats() == before
    with Library(window.library_path) as other:  # and on disk, from another connection
        assert other.stats() == before
