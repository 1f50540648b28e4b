"""The headless command line: ``playlist-assistant SUBCOMMAND ...``.

Each area registers its sub-commands from its own module (``library_cmds``, ``ml_cmds``,
``spotify_cmds``), so this file only dispatches and is the one place (with the GUI's
worker bridge) that turns :class:`AssistantError` into a message and an exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from assistant import __version__
from assistant.cli import eval_cmds, library_cmds, ml_cmds, spotify_cmds
from assistant.errors import AssistantError

# Each defines ``register(subparsers)``. They import the heavy code (numpy, torch, the
# HTTP stack) inside their commands, so building the parser stays quick.
COMMAND_MODULES = (library_cmds, ml_cmds, eval_cmds, spotify_cmds)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playlist-assistant",
        description="Browse and extend playlists with an explainable graph neural network. "
        "Without a sub-command, `python -m assistant` opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted; the last unfinished write was rolled back.", file=sys.stderr)
        return 130
