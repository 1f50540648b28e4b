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
