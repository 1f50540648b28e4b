"""`python -m assistant` routing: the window unless a sub-command is named."""

from __future__ import annotations

import pytest

from assistant.__main__ import wants_gui


@pytest.mark.parametrize(
    ("argv", "gui"),
    [
        ([], True),
        (["--library", "x.sqlite"], True),
        (["--library=x.sqlite"], True),
        (["stats"], False),
        (["stats", "--library", "x.sqlite"], False),
        (["--help"], False),
        (["--version"], False),
        (["--library", "x.sqlite", "stats"], False),
    ],
)
def test_wants_gui(argv: list[str], gui: bool) -> None:
    assert wants_gui(argv) is gui
