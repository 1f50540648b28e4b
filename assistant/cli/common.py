"""Helpers shared by the sub-command modules: common options, progress on stderr."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.progress import Progress
from assistant.store import Library


def add_library_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--library",
        type=Path,
        default=None,
        metavar="PATH",
        help="the SQLite library file (default: the per-user library; "
        "PLAYLIST_ASSISTANT_HOME moves the whole data directory)",
    )


def open_library(args: argparse.Namespace) -> Library:
    return Library(getattr(args, "library", None))


def library_path(args: argparse.Namespace) -> Path:
    """The library file the command works on (created if new), for jobs that open their
    own connection."""
    with open_library(args) as library:
        return Path(library.path)


class StderrProgress:
    """Prints progress events on one refreshing stderr line (plain lines when not a tty)."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._width = 0

    def __call__(self, event: Progress) -> None:
        line = event.describe()
        if self.tty:
            pad = max(0, self._width - len(line))
            self.stream.write("\r" + line + " " * pad)
            self._width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
