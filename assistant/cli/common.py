"""Helpers shared by the sub-command modules: common options, progress on stderr."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.errors import InputError
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


# What a terminal must not receive raw from a name: C0/C1 controls (ANSI escapes, BEL,
# carriage returns) and the bidirectional overrides that reorder what follows.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
DISPLAY_LIMIT = 200


def terminal_safe(text: str, limit: int = DISPLAY_LIMIT) -> str:
    """A name for the terminal: unsafe characters escaped (``\\x1b``), at most ``limit``
    characters (a 1 MB name is cut, with an ellipsis). The library keeps the exact name."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@contextmanager
def quiet_on_broken_pipe() -> Iterator[None]:
    """``playlists | head -1``: the reader went away, which is no error of ours.

    Python's recipe: point stdout at /dev/null so the final flush at exit cannot raise.
    """
    try:
        yield
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise


def positive_int(text: str) -> int:
    """argparse type: an integer ≥ 1 (a count of recommendations, epochs...)."""
    return _int_at_least(text, 1)


def non_negative_int(text: str) -> int:
    """argparse type: an integer ≥ 0 (0 meaning "no limit" where the help says so)."""
    return _int_at_least(text, 0)


def _int_at_least(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be at least {low}, not {value}")
    return value


def checked_out_path(path: Path) -> Path:
    """An output file given on the command line, absolute, checked before any work.

    Raises:
        InputError: a folder, a missing or non-writable folder to write it in.
    """
    out = Path(os.path.abspath(path.expanduser()))
    if out.is_dir():
        raise InputError(
            f"{out} is a folder.", hint=f"Give a file name, e.g. {out / 'model.ckpt'}."
        )
    parent = out.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise InputError(f"Cannot write {out}: {parent} {what}.", hint="Create it first.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(
            f"Cannot write {out}: the folder {parent} is not writable.",
            hint="Choose a folder you can write to.",
        )
    return out


def open_library(args: argparse.Namespace, *, create: bool = False) -> Library:
    """The library of ``--library`` (or the default one).

    Args:
        create: a command that adds data creates the library when there is none, and
            says where on stderr. Others (stats, playlists, show, recommend, export...)
            never create one: no library there is a NotFound error.
    """
    path = getattr(args, "library", None)
    library = Library(path, create=create)
    if create and library.created:
        print(f"Created a new library at {library.path}.", file=sys.stderr)
    return library


@contextmanager
def library_to_write(args: argparse.Namespace) -> Iterator[Library]:
    """The library a command adds to, created when there is none (said on stderr).

    One that this command created and left empty (its file was refused, the command
    failed or was interrupted before writing) is removed again, and that is said too:
    a refused import leaves no new library behind. An existing library is never removed.
    """
    library = open_library(args, create=True)
    try:
        yield library
    finally:
        if library.close_removing_if_unused():
            print(
                f"Removed the new library at {library.path} again: nothing was added to it.",
                file=sys.stderr,
            )


def library_path(args: argparse.Namespace) -> Path:
    """The library file the command works on, for jobs that open their own connection.

    The library must exist (these commands read it): no library there is NotFound.
    """
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
