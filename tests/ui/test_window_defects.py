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


def _explained_row(n_reasons: int):
    from assistant.domain import Reason, Recommendation, Track
    from assistant.ui.table_models import RecommendationRow

    tracks = [
        Track(f"spotify:track:{i}", f"A rather long song title number {i}", "", f"Artist {i}")
        for i in range(n_reasons + 1)
    ]
    # In playlist order the weak reasons come first: the panel must reorder them.
    contributions = [0.03, 0.2, 0.5, 0.27][:n_reasons]
    attention = [0.03, 0.2, 0.5, 0.27][:n_reasons] if n_reasons > 1 else [1.0]
    reasons = tuple(
        Reason(t.uri, a, c) for t, a, c in zip(tracks[1:], attention, contributions, strict=True)
    )
    rec = Recommendation(1, tracks[0].uri, 0.1 + sum(contributions), 0.1, reasons)
    return RecommendationRow(rec, tracks[0], {t.uri: t for t in tracks[1:]})


def test_explanation_reads_as_a_sentence_with_absolute_bars(qtbot) -> None:
    from assistant.ui.explanation_view import ExplanationView
    from assistant.ui.table_models import VALUE_ROLE

    view = ExplanationView()
    qtbot.addWidget(view)
    view.show_recommendation(_explained_row(4))
    sentence = view.sentence.text()
    assert sentence.startswith("Mostly because of A rather long song title number 3")
    assert "(50%)" in sentence and "2 more tracks" in sentence
    model = view.reasons
    shares = [model.row_at(r).reason.contribution for r in range(model.rowCount())]
    assert shares == sorted(shares, reverse=True)  # by contribution, not playlist order
    weakest = model.rowCount() - 1
    # 3% attention draws a 3% bar, not a nearly full one.
    assert abs(model.index(weakest, 1).data(VALUE_ROLE) - 0.03) < 1e-9
    assert abs(model.index(0, 2).data(VALUE_ROLE) - 0.5) < 1e-9
    assert view.reasons_view.textElideMode() == Qt.TextElideMode.ElideMiddle
    label = model.row_at(0).label
    assert label in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)


def test_shared_artist_and_album_rows_say_how_many_tracks_share_them(qtbot) -> None:
    from assistant.domain import Reason, Recommendation, Track
    from assistant.ui.explanation_view import ExplanationView
    from assistant.ui.table_models import VALUE_ROLE, RecommendationRow

    art, alb = "spotify:artist:w", "spotify:album:p"
    proposal = Track("spotify:track:0", "Ordinary Avenue", art, "Satellite Wolves")
    seeds = [
        Track(f"spotify:track:{i}", f"Song {i}", art, "Satellite Wolves", alb, "Pilot")
        for i in (1, 2)
    ] + [Track("spotify:track:3", "Other", "spotify:artist:x", "X", alb, "Pilot")]
    reasons = (
        Reason(seeds[0].uri, 0.6, 0.4),
        Reason(seeds[1].uri, 0.4, 0.2),
        Reason(art, 0.0, 0.3, "artist"),
        Reason(alb, 0.0, 0.1, "album"),
    )
    rec = Recommendation(1, proposal.uri, 1.1, 0.1, reasons)
    view = ExplanationView()
    qtbot.addWidget(view)
    view.show_recommendation(RecommendationRow(rec, proposal, {t.uri: t for t in seeds}))
    cells = {
        view.reasons.index(r, 0).data(): view.reasons.index(r, 1).data()
        for r in range(view.reasons.rowCount())
    }
    # An artist/album term has no attention: its column says how many seeds share it.
    assert cells["Same artist: Satellite Wolves"] == "2 tracks"
    assert cells["Same album: Pilot"] == "3 tracks"
    assert cells["Song 1 – Satellite Wolves"] == "60%"
    row = next(r for r in range(view.reasons.rowCount()) if view.reasons.row_at(r).detail)
    assert view.reasons.index(row, 1).data(VALUE_ROLE) is None  # no empty 0% bar


def test_one_seed_is_said_in_words(qtbot) -> None:
    from assistant.ui.explanation_view import ExplanationView
    from assistant.ui.table_models import VALUE_ROLE

    view = ExplanationView()
    qtbot.addWidget(view)
    view.show_recommendation(_explained_row(1))
    assert "only track" in view.sentence.text()
    assert view.reasons.index(0, 1).data() != "100%"
    assert view.reasons.index(0, 1).data(VALUE_ROLE) is None


def test_recommendations_show_rank_and_strength_not_scores() -> None:
    from assistant.ui.table_models import VALUE_ROLE, RecommendationsModel

    model = RecommendationsModel()
    model.set_rows([_explained_row(4)])
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Strength"
    assert model.index(0, 0).data() == "1"
    assert model.index(0, 3).data() == ""
    assert model.index(0, 3).data(VALUE_ROLE) == 1.0
    assert "model score 1.1000" in model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)


def test_copy_question_has_named_buttons_and_added_tracks_flash(window, qtbot) -> None:
    from PySide6.QtWidgets import QMessageBox

    box = window.question_box("Edit a copy?", "…", "Edit a copy")
    qtbot.addWidget(box)
    names = sorted(b.text().replace("&", "") for b in box.buttons())
    assert names == ["Cancel", "Edit a copy"]
    assert box.buttonRole(box.defaultButton()) == QMessageBox.ButtonRole.RejectRole

    uris = [t.uri for t in list(window.library.iter_all_tracks())[:3]]
    pid = window.library.create_local_playlist("mine", uris[:2])
    window.refresh_library()
    window.open_playlist(pid)
    window.edit_tracks(uris, "Add 1 track")
    model = window.playlist_panel.model
    painted = [model.index(r, 1).data(Qt.ItemDataRole.BackgroundRole) for r in range(3)]
    assert painted[0] is None and painted[1] is None and painted[2] is not None
    qtbot.waitUntil(lambda: model.index(2, 1).data(Qt.ItemDataRole.BackgroundRole) is None)


def test_import_progress_is_said_in_words() -> None:
    from assistant.progress import Progress
    from assistant.ui.dialogs import describe_import

    assert describe_import(Progress("import", 0, None, "entries")) == "Starting to import…"
    text = describe_import(
        Progress("import", 1000, 4000, "entries", "mpd.slice.0-999.json", elapsed=1.0)
    )
    assert text == (
        "Importing mpd.slice.0-999.json: 1,000 of 4,000 entries (1,000 a second, about 3 s left)"
    )


def test_settings_data_directory_takes_effect_after_restart(qtbot, tmp_path, monkeypatch) -> None:
    from assistant import config
    from assistant.config import Settings, load_settings, save_settings
    from assistant.ui.dialogs import SettingsDialog

    # The person's own setup: no PLAYLIST_ASSISTANT_HOME, per-user folders (kept in tmp).
    monkeypatch.delenv(config.HOME_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    assert config.data_dir() == config.default_data_dir()
    dialog = SettingsDialog(Settings(), config.data_dir())
    qtbot.addWidget(dialog)
    assert "next start" in dialog.note.text()
    assert config.HOME_ENV not in dialog.note.text()
    chosen = tmp_path / "music-data"
    dialog.data_dir.setText(str(chosen))
    save_settings(dialog.result_settings())
    assert load_settings().data_dir == str(chosen)
    assert config.data_dir() == chosen  # what the next start reads
    assert config.default_library_path() == chosen / "library.sqlite"


def test_small_and_large_windows_stay_readable(window, qtbot) -> None:
    pid = max(window.library.playlists(limit=200), key=lambda p: p.num_tracks).id
    window.open_playlist(pid)
    window.explanation.show_recommendation(_explained_row(4))
    window.resize(400, 300)
    assert window.width() >= 960 and window.height() >= 600  # a minimum size
    window.resize(1024, 640)
    qtbot.wait(20)
    header = window.playlist_panel.view.horizontalHeader()
    assert header.sectionSize(1) >= 180, "Title gets room at 1024x640"
    reasons = window.explanation.reasons_view.horizontalHeader()
    assert reasons.sectionSize(0) >= 90, "Why panel names are readable"
    small_sidebar = window.sidebar.width()
    window.resize(1920, 1080)
    qtbot.wait(20)
    assert window.sidebar.width() > small_sidebar * 1.4  # the sidebar grows too


def test_column_widths_are_remembered(make_window, demo_library, qtbot) -> None:
    first = make_window(demo_library)
    first.show()
    first.playlist_panel.view.horizontalHeader().resizeSection(2, 210)
    first.close()
    second = make_window(demo_library)
    second.show()
    assert second.playlist_panel.fitter.preferred[2] == 210
