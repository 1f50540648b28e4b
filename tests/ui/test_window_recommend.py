"""Recommendations in the window: filled off the UI thread, explained, added with undo."""

from __future__ import annotations

import math

from assistant.ui.jobs import RecommendationBatch


def _open_and_wait(window, qtbot, playlist_id: int):
    with qtbot.waitSignal(window.recommendations_shown, timeout=60_000) as blocker:
        window.sidebar.select_playlist(playlist_id)
    return blocker.args[0]


def _mpd_playlist(window) -> int:
    return max(window.library.playlists(source="mpd", limit=40), key=lambda p: p.num_tracks).id


def test_selecting_a_playlist_fills_recommendations(rec_window, qtbot) -> None:
    pid = _mpd_playlist(rec_window)
    batch = _open_and_wait(rec_window, qtbot, pid)
    assert batch.playlist_id == pid and batch.rows
    model = rec_window.recs.model
    assert model.rowCount() == len(batch.rows) <= 20
    in_playlist = set(rec_window.playlist.track_uris)
    assert not any(r.uri in in_playlist for r in model.rows())
    assert rec_window.explanation.runs.rowCount() >= 1  # the run was stored
    # The status bar names the model that scored, once the warm-up has loaded it.
    qtbot.waitUntil(lambda: batch.model in rec_window.model_label.text(), timeout=60_000)


def test_explanation_adds_up_to_the_score(rec_window, qtbot) -> None:
    _open_and_wait(rec_window, qtbot, _mpd_playlist(rec_window))
    rec_window.recs.view.selectRow(1)
    row = rec_window.explanation.current
    assert row is rec_window.recs.model.row_at(1)
    total = row.rec.bias + sum(r.contribution for r in row.rec.reasons)
    assert math.isclose(total, row.rec.score, rel_tol=1e-4, abs_tol=1e-4)
    assert rec_window.explanation.reasons.rowCount() == len(row.rec.reasons) > 0
    assert f"= score {row.rec.score:.3f}" in rec_window.explanation.equation.text()


def test_add_selected_and_undo(rec_window, qtbot) -> None:
    seed = [r.uri for r in list(rec_window.library.iter_all_tracks())[:5]]
    pid = rec_window.library.create_local_playlist("growing", seed)
    rec_window.refresh_library()
    _open_and_wait(rec_window, qtbot, pid)
    picked = [rec_window.recs.model.row_at(i).uri for i in (0, 2)]
    view = rec_window.recs.view
    view.clearSelection()
    for i in (0, 2):
        view.selectionModel().select(
            rec_window.recs.model.index(i, 0),
            view.selectionModel().SelectionFlag.Select | view.selectionModel().SelectionFlag.Rows,
        )
    with qtbot.waitSignal(rec_window.recommendations_shown, timeout=60_000) as blocker:
        rec_window.act_add.trigger()
    assert rec_window.library.playlist(pid).track_uris == [*seed, *picked]
    assert not set(picked) & {r.uri for r in blocker.args[0].rows}  # hidden once added
    rec_window.undo_stack.undo()
    assert rec_window.library.playlist(pid).track_uris == seed
    assert rec_window.playlist_panel.model.rowCount() == len(seed)


def test_stale_results_are_dropped(rec_window, qtbot) -> None:
    batch = _open_and_wait(rec_window, qtbot, _mpd_playlist(rec_window))
    shown = rec_window.recs.model.rows()
    old = RecommendationBatch(batch.playlist_id, batch.version - 1, 0, "old", batch.rows[:1])
    rec_window.show_recommendations(old)
    assert rec_window.stale_dropped == 1
    assert rec_window.recs.model.rows() == shown


def test_block_artist_and_per_artist_limit(rec_window, qtbot) -> None:
    _open_and_wait(rec_window, qtbot, _mpd_playlist(rec_window))
    top = rec_window.recs.model.row_at(0).track
    with qtbot.waitSignal(rec_window.recommendations_shown, timeout=60_000) as blocker:
        rec_window.block_artist(top.artist_uri, top.artist_name)
    assert all(r.track.artist_uri != top.artist_uri for r in blocker.args[0].rows)
    assert top.artist_name in rec_window.recs.blocked_label.text()
    with qtbot.waitSignal(rec_window.recommendations_shown, timeout=60_000) as blocker:
        rec_window.recs.per_artist.setValue(1)
    artists = [r.track.artist_uri for r in blocker.args[0].rows]
    assert len(artists) == len(set(artists))
    with qtbot.waitSignal(rec_window.recommendations_shown, timeout=60_000):
        rec_window.clear_blocked()
    assert rec_window.blocked == {}


def test_debounce_coalesces_quick_changes(rec_window, qtbot) -> None:
    rec_window.rec_timer.setInterval(300)
    pid = _mpd_playlist(rec_window)
    with qtbot.waitSignal(rec_window.recommendations_shown, timeout=60_000) as blocker:
        rec_window.open_playlist(pid)
        for _ in range(5):
            rec_window.playlist_changed()
    assert blocker.args[0].version == rec_window.version
    runs = rec_window.library.recommendation_runs(pid)
    assert len(runs) == 1  # five changes within 300 ms: one scoring job


def test_reopen_a_past_run(rec_window, qtbot) -> None:
    batch = _open_and_wait(rec_window, qtbot, _mpd_playlist(rec_window))
    rec_window.explanation.runs_view.selectRow(0)
    with qtbot.waitSignal(rec_window.worker.job_finished, timeout=10_000):
        rec_window.explanation.reopen_button.click()
    assert [r.uri for r in rec_window.recs.model.rows()] == [r.uri for r in batch.rows]
    assert "past run" in rec_window.recs.state.text()
