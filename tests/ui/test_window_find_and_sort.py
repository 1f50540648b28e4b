"""Find a track (type → results → add → undo) and sortable columns (view order only)."""

from __future__ import annotations

from PySide6.QtCore import Qt


def _word_of_a_track(window, other_than: str) -> tuple[str, str]:
    track = next(
        t
        for t in window.library.iter_all_tracks()
        if t.uri != other_than and len(t.name.split()[0]) >= 4
    )
    return track.uri, track.name.split()[0]


def test_find_a_track_add_it_and_undo(window, qtbot) -> None:
    seed = next(window.library.iter_all_tracks()).uri
    pid = window.library.create_local_playlist("almost empty", [seed])
    window.refresh_library()
    window.open_playlist(pid)
    uri, word = _word_of_a_track(window, seed)
    window.act_find.trigger()
    assert window.lower_tabs.currentWidget() is window.find
    qtbot.keyClicks(window.find.search, word)
    qtbot.waitUntil(lambda: window.find.model.rowCount() > 0, timeout=10_000)
    found = window.find.model.rows()
    assert any(t.uri == uri for t in found)
    assert all(
        word.casefold() in f"{t.name} {t.artist_name} {t.album_name}".casefold() for t in found
    )
    window.find.table.select_rows([next(i for i, t in enumerate(found) if t.uri == uri)])
    window.find.add_button.click()
    assert window.library.playlist(pid).track_uris == [seed, uri]
    assert window.playlist_panel.model.rowCount() == 2
    window.undo_stack.undo()
    assert window.library.playlist(pid).track_uris == [seed]


def test_a_stale_search_answer_is_dropped(window) -> None:
    window.find.version = 5
    assert not window.find.show_results(4, [next(window.library.iter_all_tracks())])
    assert window.find.model.rowCount() == 0


def test_sorting_the_playlist_changes_the_view_not_the_playlist(window, qtbot) -> None:
    tracks = list(window.library.iter_all_tracks())[:6]
    uris = [t.uri for t in tracks]
    pid = window.library.create_local_playlist("to sort", uris)
    window.refresh_library()
    window.open_playlist(pid)
    view = window.playlist_panel.view
    view.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # Title
    shown = [view.model().index(r, 1).data() for r in range(view.model().rowCount())]
    assert shown == sorted(shown, key=str.lower)
    assert window.library.playlist(pid).track_uris == uris  # the playlist keeps its order
    assert view.dragDropMode() == view.DragDropMode.NoDragDrop
    assert window.playlist_panel.sort_note.isVisibleTo(window)
    # Selection and removal work on the right tracks whatever the view's order.
    top = min(range(6), key=lambda i: (tracks[i].name or tracks[i].uri).lower())
    view.selectRow(0)
    assert window.playlist_panel.selected_rows() == [top]
    window.remove_selected_tracks()
    assert window.library.playlist(pid).track_uris == [u for i, u in enumerate(uris) if i != top]
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # "#": the playlist's order again
    assert view.dragDropMode() == view.DragDropMode.DragDrop
    assert not window.playlist_panel.sort_note.isVisibleTo(window)


def test_sorting_recommendations_keeps_what_is_selected(qtbot) -> None:
    from assistant.domain import Recommendation, Track
    from assistant.ui.panels import RecommendationsPanel
    from assistant.ui.table_models import RecommendationRow

    panel = RecommendationsPanel()
    qtbot.addWidget(panel)
    rows = [
        RecommendationRow(
            Recommendation(i + 1, f"u:{i}", 1.0 - i / 10),
            Track(f"u:{i}", name, "", artist),
            {},
        )
        for i, (name, artist) in enumerate([("Zebra", "B"), ("Apple", "C"), ("Mango", "A")])
    ]
    panel.model.set_rows(rows)
    panel.view.sortByColumn(2, Qt.SortOrder.AscendingOrder)  # Artist
    assert [panel.view.model().index(r, 2).data() for r in range(3)] == ["A", "B", "C"]
    panel.view.selectRow(0)
    assert panel.current() is rows[2] and panel.selected() == [rows[2]]
    panel.select_row(1)  # by ranking
    assert panel.current() is rows[1]
    panel.view.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # Strength, strongest first
    assert [panel.view.model().index(r, 1).data() for r in range(3)] == ["Zebra", "Apple", "Mango"]


def test_an_empty_playlist_opens_on_find_a_track(window) -> None:
    window.get_text = lambda _t, _l, _x: ("Empty one", True)
    window.new_playlist()
    assert window.playlist.track_uris == []
    assert window.lower_tabs.currentWidget() is window.find
