"""The pure list edits behind the undo commands."""

from assistant.ui.undo import added, moved, removed


def test_added_skips_duplicates_and_inserts() -> None:
    assert added(["a", "b"], ["c", "a", "c"]) == ["a", "b", "c"]
    assert added(["a", "b"], ["c"], at=1) == ["a", "c", "b"]


def test_removed_and_moved() -> None:
    assert removed(["a", "b", "c"], [0, 2]) == ["b"]
    assert moved(["a", "b", "c", "d"], [0], 3) == ["b", "c", "a", "d"]
    assert moved(["a", "b", "c", "d"], [2, 3], 0) == ["c", "d", "a", "b"]
    assert moved(["a", "b", "c"], [1], 0) == ["b", "a", "c"]
    assert moved(["a", "b", "c"], [1], 3) == ["a", "c", "b"]
