"""The headless command line: ``playlist-assistant SUBCOMMAND ...``.

Each area registers its sub-commands from its own module (``library_cmds``, ``ml_cmds``,
``spotify_cmds``), so this file only dispatches and is the one place (with the GUI's
worker bridge) that turns :class:`AssistantError` into a message and an exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from assistant import __version__
from assistant.cli.common import quiet_on_broken_pipe
from assistant.errors import AssistantError

# Modules that define ``register(subparsers)``; a missing module is skipped so the CLI
# keeps working while an area is being built.
COMMAND_MODULES = (
    "assistant.cli.library_cmds",
    "assistant.cli.ml_cmds",
    "assistant.cli.eval_cmds",
    "assistant.cli.spotify_cmds",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playlist-assistant",
        description="Browse and extend playlists with an explainable graph neural network. "
        "Without a sub-command, `python -m assistant` opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()  # imports every command module: Ctrl+C may land here
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        print("Interrupted before anything was done.", file=sys.stderr)
        return 130
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with quiet_on_broken_pipe():
            return int(args.func(args) or 0)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted; the last unfinished write was rolled back.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output stopped (e.g. `| head`)
        return 141
